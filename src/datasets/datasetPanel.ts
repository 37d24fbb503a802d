import * as vscode from 'vscode';
import { RunningCacheTotals } from '../core/caching/cacheReport';
import { parseGridMessage, rowPages, type BatchResultsView, type GridRow, type GridToHost, type HostToGrid, type JobState, type PlanView, type ProgressView } from './datasetProtocol';

export const datasetPanelViewType = 'promptWorkbench.dataset';

/** The webview document builder the panels share (src/panel/panelHtml.ts), handed in by features.ts. */
export interface WebviewDocument {
  html(options: { cspSource: string; nonce: string; scriptUri: string; styleUri: string; title?: string }): string;
  createNonce(): string;
}

/**
 * The dataset panel: the plan, then the job's progress and its results grid. The host keeps what
 * it has sent (plan, state, progress, rows by key), so a page that is not ready yet, or one VS Code
 * re-creates when the tab comes back, gets it whole.
 */
export class DatasetPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private ready = false;
  private plan: PlanView | undefined;
  private batchResults: BatchResultsView | undefined;
  private state: { state: JobState; message?: string } | undefined;
  private progress: ProgressView | undefined;
  private readonly rows = new Map<string, GridRow>();
  /** The cache totals of the rows by key, kept as rows arrive (a retried row counts once, as it shows). */
  private readonly cacheSums = new RunningCacheTotals();
  /** The grid's cache line, from cacheSums. */
  private cacheTotals: string | undefined;
  private readonly listeners: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly onMessage: (message: GridToHost) => void,
    private readonly document: WebviewDocument,
  ) {}

  show(title: string): void {
    if (this.panel) {
      this.panel.title = title;
      this.panel.reveal(vscode.ViewColumn.Active);
      return;
    }
    const roots = [vscode.Uri.joinPath(this.extensionUri, 'dist'), vscode.Uri.joinPath(this.extensionUri, 'media')];
    const panel = vscode.window.createWebviewPanel(datasetPanelViewType, title, vscode.ViewColumn.Active, { enableScripts: true, localResourceRoots: roots, retainContextWhenHidden: false });
    this.panel = panel;
    this.ready = false;
    const webview = panel.webview;
    webview.html = this.document.html({
      cspSource: webview.cspSource,
      nonce: this.document.createNonce(),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'datasetGrid.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'media', 'datasetGrid.css')).toString(),
      title,
    });
    this.listeners.push(
      webview.onDidReceiveMessage((raw: unknown) => {
        const message = parseGridMessage(raw);
        if (!message) return;
        if (message.type === 'ready') {
          this.ready = true;
          if (this.plan) void webview.postMessage({ type: 'plan', plan: this.plan } satisfies HostToGrid);
          if (this.batchResults) void webview.postMessage({ type: 'batchResults', batch: this.batchResults } satisfies HostToGrid);
          if (this.state) void webview.postMessage({ type: 'state', ...this.state } satisfies HostToGrid);
          if (this.progress) void webview.postMessage({ type: 'progress', progress: this.progress } satisfies HostToGrid);
          for (const page of rowPages({ type: 'rows', rows: [...this.rows.values()], reset: true })) void webview.postMessage(page satisfies HostToGrid);
          void webview.postMessage({ type: 'cacheTotals', text: this.cacheTotals } satisfies HostToGrid);
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

  reveal(): void {
    this.panel?.reveal();
  }

  post(message: HostToGrid): void {
    switch (message.type) {
      case 'plan':
        this.plan = message.plan;
        this.batchResults = undefined;
        break;
      case 'batchResults':
        this.batchResults = message.batch;
        this.plan = undefined;
        this.progress = undefined;
        break;
      case 'state':
        this.state = { state: message.state, ...(message.message ? { message: message.message } : {}) };
        break;
      case 'progress':
        this.progress = message.progress;
        break;
      case 'rows':
        if (message.reset) {
          this.rows.clear();
          this.cacheSums.clear();
        }
        for (const row of message.rows) {
          this.cacheSums.replace(this.rows.get(row.key)?.cache, row.cache);
          this.rows.set(row.key, row);
        }
        this.cacheTotals = this.cacheSums.text();
        break;
    }
    if (!this.panel || !this.ready) return;
    for (const page of message.type === 'rows' ? rowPages(message) : [message]) void this.panel.webview.postMessage(page);
    if (message.type === 'rows') void this.panel.webview.postMessage({ type: 'cacheTotals', text: this.cacheTotals } satisfies HostToGrid);
  }

  /** What the panel has been told (for tests): the plan, the state and the rows by key. */
  snapshot(): { plan?: PlanView; batchResults?: BatchResultsView; state?: JobState; message?: string; rows: GridRow[]; progress?: ProgressView; cacheTotals?: string; visible: boolean } {
    return {
      plan: this.plan,
      batchResults: this.batchResults,
      state: this.state?.state,
      message: this.state?.message,
      rows: [...this.rows.values()],
      progress: this.progress,
      ...(this.cacheTotals ? { cacheTotals: this.cacheTotals } : {}),
      visible: this.panel !== undefined,
    };
  }

  dispose(): void {
    this.panel?.dispose();
    this.listeners.splice(0).forEach((l) => l.dispose());
  }
}
