// The dataset feature, built on first use. esbuild bundles this file apart (dist/datasets.js) and
// the features bundle requires it only when Run Prompt over Dataset… runs, so the CSV parser, the
// plan, the scheduler and the grid's host add nothing to what loads with the first prompt.
import type * as vscode from 'vscode';
import { panelWithController, type WebviewDocument } from '../jobs/jobWebviewPanel';
import { DatasetController, type DatasetDeps } from './datasetController';
import { DatasetPanel } from './datasetPanel';

export interface DatasetFeature extends vscode.Disposable {
  controller: DatasetController;
  panel: DatasetPanel;
}

export function createDatasetFeature(extensionUri: vscode.Uri, document: WebviewDocument, deps: Omit<DatasetDeps, 'panel'>): DatasetFeature {
  return panelWithController(
    (onMessage) => new DatasetPanel(extensionUri, onMessage, document),
    (panel) => new DatasetController({ ...deps, panel }),
  );
}
