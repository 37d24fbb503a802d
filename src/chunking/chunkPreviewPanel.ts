import * as vscode from 'vscode';
import type { WebviewDocument } from '../datasets/datasetPanel';
import { parsePreviewMessage, type ChunkJobState, type ChunkPreviewView, type ChunkProgressView, type HostToPreview, type PreviewToHost } from './chunkProtocol';

export const chunkPreviewViewType = 'promptWorkbench.chunkPreview';

/**
 * The chunk preview's webview: the plan of a chunked run, then its progress. The host keeps what it
 * has sent (preview, state, progress), so a page that is not ready yet, or one VS Code re-creates
 * when the tab comes back, gets it whole.
 */
export class ChunkPreviewPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private ready = false;
  private preview: ChunkPreviewView | undefined;
  private state: { state: ChunkJobState; message?: string } | undefined;
  private progress: ChunkProgressView | undefined;
  private readonly listeners: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly onMessage: (message: PreviewToHost) => void,
    private readonly document: WebviewDocument,
  ) {}

  show(title: string): void {
    if (this.panel) {
      this.panel.title = title;
      this.panel.reveal(vscode.ViewColumn.Active);
      return;
    }
    const roots = [vscode.Uri.joinPath(this.extensionUri, 'dist'), vscode.Uri.joinPath(this.extensionUri, 'media')];
    const panel = vscode.window.createWebviewPanel(chunkPreviewViewType, title, vscode.ViewColumn.Active, { enableScripts: true, localResourceRoots: roots, retainContextWhenHidden: false });
    this.panel = panel;
    this.ready = false;
    const webview = panel.webview;
    webview.html = this.document.html({
      cspSource: webview.cspSource,
      nonce: this.document.createNonce(),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'chunkPreview.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'media', 'chunkPreview.css')).toString(),
      title,
    });
    this.listeners.push(
      webview.onDidReceiveMessage((raw: unknown) => {
        const message = parsePreviewMessage(raw);
        if (!message) return;
        if (message.type === 'ready') {
          this.ready = true;
          if (this.preview) void webview.postMessage({ type: 'preview', preview: this.preview } satisfies HostToPreview);
          if (this.state) void webview.postMessage({ type: 'state', ...this.state } satisfies HostToPreview);
          if (this.progress) void webview.postMessage({ type: 'progress', progress: this.progress } satisfies HostToPreview);
        }
        this.onMessage(message);
      }),
      panel.onDidDispose(() => {
        this.panel = undefined;
        this.ready = false;
        this.listeners.splice(0).forEach((l) => l.dispose());
      }),
    );
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
    if (this.panel && this.ready) void this.panel.webview.postMessage(message);
  }

  /** What the panel has been told (for tests). */
  snapshot(): { preview?: ChunkPreviewView; state?: ChunkJobState; message?: string; progress?: ChunkProgressView; visible: boolean; ready: boolean } {
    return { preview: this.preview, state: this.state?.state, message: this.state?.message, progress: this.progress, visible: this.panel !== undefined, ready: this.ready };
  }

  dispose(): void {
    this.panel?.dispose();
    this.listeners.splice(0).forEach((l) => l.dispose());
  }
}
