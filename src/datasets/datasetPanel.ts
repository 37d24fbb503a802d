import type * as vscode from 'vscode';
import { RunningCacheTotals } from '../core/caching/cacheReport';
import { JobWebviewPanel, type WebviewDocument } from '../jobs/jobWebviewPanel';
import { parseGridMessage, type BatchResultsView, type GridRow, type GridToHost, type HostToGrid, type JobState, type PlanView, type ProgressView } from './datasetProtocol';
import { GridFeed } from './gridFeed';

export const datasetPanelViewType = 'promptWorkbench.dataset';

/**
 * The dataset panel: the plan, then the job's progress and its results grid. The host keeps what
 * it has sent (plan, state, progress), so a page that is not ready yet, or one VS Code re-creates
 * when the tab comes back, gets it whole. The rows stay here too: the page gets the window of them
 * it shows (see gridFeed.ts).
 */
export class DatasetPanel extends JobWebviewPanel<GridToHost, HostToGrid> {
  private plan: PlanView | undefined;
  private batchResults: BatchResultsView | undefined;
  private state: { state: JobState; message?: string } | undefined;
  private progress: ProgressView | undefined;
  private readonly grid = new GridFeed(
    (message) => this.send(message),
    () => this.pageReady,
  );
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
      this.grid.ready(),
      { type: 'cacheTotals', text: this.cacheSums.text() },
    ];
  }

  protected override receive(message: GridToHost): boolean {
    return this.grid.receive(message);
  }

  /** Rows to add or replace (by key) in the grid; `reset` empties it first. */
  putRows(rows: readonly GridRow[], reset = false): void {
    if (reset) this.cacheSums.clear();
    // Each row's cache report replaces the one its key showed (earlier in these rows, or in the grid).
    const shown = new Map<string, GridRow['cache']>();
    for (const row of rows) {
      this.cacheSums.replace(shown.has(row.key) ? shown.get(row.key) : reset ? undefined : this.grid.get(row.key)?.cache, row.cache);
      shown.set(row.key, row.cache);
    }
    this.grid.put(rows, reset);
    this.send({ type: 'cacheTotals', text: this.cacheSums.text() });
  }

  post(message: Exclude<HostToGrid, { type: 'grid' }>): void {
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
    }
    this.send(message);
  }

  /** What the panel has been told (for tests): the plan, the state and the rows by key. */
  snapshot(): { plan?: PlanView; batchResults?: BatchResultsView; state?: JobState; message?: string; rows: GridRow[]; progress?: ProgressView; cacheTotals?: string; visible: boolean } {
    const cacheTotals = this.cacheSums.text();
    return {
      plan: this.plan,
      batchResults: this.batchResults,
      state: this.state?.state,
      message: this.state?.message,
      rows: this.grid.all(),
      progress: this.progress,
      ...(cacheTotals ? { cacheTotals } : {}),
      visible: this.visible,
    };
  }
}
