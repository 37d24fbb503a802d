import type * as vscode from 'vscode';
import { RunningCacheTotals } from '../core/caching/cacheReport';
import { JobWebviewPanel, type WebviewDocument } from '../jobs/jobWebviewPanel';
import { parseGridMessage, rowPages, type BatchResultsView, type GridRow, type GridToHost, type HostToGrid, type JobState, type PlanView, type ProgressView } from './datasetProtocol';

export const datasetPanelViewType = 'promptWorkbench.dataset';

/**
 * The dataset panel: the plan, then the job's progress and its results grid. The host keeps what
 * it has sent (plan, state, progress, rows by key), so a page that is not ready yet, or one VS Code
 * re-creates when the tab comes back, gets it whole.
 */
export class DatasetPanel extends JobWebviewPanel<GridToHost, HostToGrid> {
  private plan: PlanView | undefined;
  private batchResults: BatchResultsView | undefined;
  private state: { state: JobState; message?: string } | undefined;
  private progress: ProgressView | undefined;
  private readonly rows = new Map<string, GridRow>();
  /** The cache totals of the rows by key, kept as rows arrive (a retried row counts once, as it shows). */
  private readonly cacheSums = new RunningCacheTotals();

  constructor(extensionUri: vscode.Uri, onMessage: (message: GridToHost) => void, document: WebviewDocument) {
    super(extensionUri, { viewType: datasetPanelViewType, script: 'datasetGrid.js', style: 'datasetGrid.css', parse: parseGridMessage }, onMessage, document);
  }

  protected replay(): HostToGrid[] {
    return [
      ...(this.plan ? [{ type: 'plan' as const, plan: this.plan }] : []),
      ...(this.batchResults ? [{ type: 'batchResults' as const, batch: this.batchResults }] : []),
      ...(this.state ? [{ type: 'state' as const, ...this.state }] : []),
      ...(this.progress ? [{ type: 'progress' as const, progress: this.progress }] : []),
      ...rowPages({ type: 'rows', rows: [...this.rows.values()], reset: true }),
      { type: 'cacheTotals', text: this.cacheSums.text() },
    ];
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
        break;
    }
    for (const page of message.type === 'rows' ? rowPages(message) : [message]) this.send(page);
    if (message.type === 'rows') this.send({ type: 'cacheTotals', text: this.cacheSums.text() });
  }

  /** What the panel has been told (for tests): the plan, the state and the rows by key. */
  snapshot(): { plan?: PlanView; batchResults?: BatchResultsView; state?: JobState; message?: string; rows: GridRow[]; progress?: ProgressView; cacheTotals?: string; visible: boolean } {
    const cacheTotals = this.cacheSums.text();
    return {
      plan: this.plan,
      batchResults: this.batchResults,
      state: this.state?.state,
      message: this.state?.message,
      rows: [...this.rows.values()],
      progress: this.progress,
      ...(cacheTotals ? { cacheTotals } : {}),
      visible: this.visible,
    };
  }
}
