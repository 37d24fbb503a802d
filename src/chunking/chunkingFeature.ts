// Run Prompt over Chunks…, built on first use. esbuild bundles this file apart (dist/chunking.js)
// and the features bundle requires it only when the command runs, so the chunker, the map, the
// preview's host and the scheduler add nothing to what loads with the first prompt.
import type * as vscode from 'vscode';
import type { WebviewDocument } from '../datasets/datasetPanel';
import { ChunkController, type ChunkingDeps } from './chunkController';
import { ChunkPreviewPanel } from './chunkPreviewPanel';

export interface ChunkingFeature extends vscode.Disposable {
  controller: ChunkController;
  panel: ChunkPreviewPanel;
}

export function createChunkingFeature(extensionUri: vscode.Uri, document: WebviewDocument, deps: Omit<ChunkingDeps, 'panel'>): ChunkingFeature {
  const panel: ChunkPreviewPanel = new ChunkPreviewPanel(extensionUri, (message) => void controller.handle(message), document);
  const controller: ChunkController = new ChunkController({ ...deps, panel: () => panel });
  return {
    controller,
    panel,
    dispose: () => {
      controller.dispose();
      panel.dispose();
    },
  };
}
