// Run Prompt over Chunks…, built on first use. esbuild bundles this file apart (dist/chunking.js)
// and the features bundle requires it only when the command runs, so the chunker, the map, the
// preview's host and the scheduler add nothing to what loads with the first prompt.
import type * as vscode from 'vscode';
import { panelWithController, type WebviewDocument } from '../jobs/jobWebviewPanel';
import { ChunkController, type ChunkingDeps } from './chunkController';
import { ChunkPreviewPanel } from './chunkPreviewPanel';

export interface ChunkingFeature extends vscode.Disposable {
  controller: ChunkController;
  panel: ChunkPreviewPanel;
}

export function createChunkingFeature(extensionUri: vscode.Uri, document: WebviewDocument, deps: Omit<ChunkingDeps, 'panel'>): ChunkingFeature {
  return panelWithController(
    (onMessage) => new ChunkPreviewPanel(extensionUri, onMessage, document),
    (panel) => new ChunkController({ ...deps, panel }),
  );
}
