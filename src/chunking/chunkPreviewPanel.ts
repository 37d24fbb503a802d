import type * as vscode from 'vscode';
import { JobWebviewPanel, type WebviewDocument } from '../jobs/jobWebviewPanel';
import { parsePreviewMessage, type ChunkJobState, type ChunkPreviewView, type ChunkProgressView, type HostToPreview, type PreviewToHost } from './chunkProtocol';

export const chunkPreviewViewType = 'promptWorkbench.chunkPreview';

/**
 * The chunk preview's webview: the plan of a chunked run, then its progress. The host keeps what it
 * has sent (preview, state, progress), so a page that is not ready yet, or one VS Code re-creates
 * when the tab comes back, gets it whole.
 */
export class ChunkPreviewPanel extends JobWebviewPanel<PreviewToHost, HostToPreview> {
  private preview: ChunkPreviewView | undefined;
  private state: { state: ChunkJobState; message?: string } | undefined;
  private progress: ChunkProgressView | undefined;

  constructor(extensionUri: vscode.Uri, onMessage: (message: PreviewToHost) => void, document: WebviewDocument) {
    super(extensionUri, { viewType: chunkPreviewViewType, script: 'chunkPreview.js', style: 'chunkPreview.css', parse: parsePreviewMessage }, onMessage, document);
  }

  protected replay(): HostToPreview[] {
    return [
      ...(this.preview ? [{ type: 'preview' as const, preview: this.preview }] : []),
      ...(this.state ? [{ type: 'state' as const, ...this.state }] : []),
      ...(this.progress ? [{ type: 'progress' as const, progress: this.progress }] : []),
    ];
  }

  post(message: HostToPreview): void {
    switch (message.type) {
      case 'preview':
        this.preview = message.preview;
        this.progress = undefined;
        break;
      case 'state':
        this.state = { state: message.state, ...(message.message ? { message: message.message } : {}) };
        break;
      case 'progress':
        this.progress = message.progress;
        break;
    }
    this.send(message);
  }

  /** What the panel has been told (for tests). */
  snapshot(): { preview?: ChunkPreviewView; state?: ChunkJobState; message?: string; progress?: ChunkProgressView; visible: boolean; ready: boolean } {
    return { preview: this.preview, state: this.state?.state, message: this.state?.message, progress: this.progress, visible: this.visible, ready: this.pageReady };
  }
}
