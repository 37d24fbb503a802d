// The dataset feature, built on first use. esbuild bundles this file apart (dist/datasets.js) and
// the features bundle requires it only when Run Prompt over Dataset… runs, so the CSV parser, the
// plan, the scheduler and the grid's host add nothing to what loads with the first prompt.
import type * as vscode from 'vscode';
import { DatasetController, type DatasetDeps } from './datasetController';
import { DatasetPanel, type WebviewDocument } from './datasetPanel';

export interface DatasetFeature extends vscode.Disposable {
  controller: DatasetController;
  panel: DatasetPanel;
}

export function createDatasetFeature(extensionUri: vscode.Uri, document: WebviewDocument, deps: Omit<DatasetDeps, 'panel'>): DatasetFeature {
  const panel: DatasetPanel = new DatasetPanel(extensionUri, (message) => void controller.handle(message), document);
  const controller: DatasetController = new DatasetController({ ...deps, panel: () => panel });
  return {
    controller,
    panel,
    dispose: () => {
      controller.dispose();
      panel.dispose();
    },
  };
}
