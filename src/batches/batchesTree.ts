// The Batches view: every batch job of this workspace, newest first. A job (one Submit as Batch)
// is split by the API's limits into one or more Message Batches; its item sums them up (status,
// request counts, a progress bar, time until the earliest expiry) and its children are the
// batches themselves. Context values carry the actions that apply (`unfinished`, `results`,
// `retryable`, `ended`), and package.json's menus match them with `viewItem =~ /\bword\b/`.
import * as vscode from 'vscode';
import { formatUsd } from '../core/format';

export type BatchStatus = 'in_progress' | 'canceling' | 'ended';

export interface RequestCounts {
  processing: number;
  succeeded: number;
  errored: number;
  canceled: number;
  expired: number;
}

/** One Message Batch as last retrieved. */
export interface BatchView {
  id: string;
  status: BatchStatus;
  counts: RequestCounts;
  createdAt: string;
  expiresAt: string;
  endedAt?: string;
}

/** One job, as the view shows it: built by the feature from its record. */
export interface BatchJobView {
  jobId: string;
  promptName: string;
  dataset: string;
  batches: BatchView[];
  /** Results joined and written to the results file. */
  joined: boolean;
  /** Rows that a retry would send again (errored but not invalid, expired, canceled). */
  retryable: number;
  /** A chunked run's map: its chunks are stitched once every one has a result. */
  chunked?: boolean;
  estimateUsd?: number;
  actualUsd?: number;
  /** Something the user must know: a poll that fails, a tampered mapping, an untrusted workspace. */
  problem?: string;
}

export type BatchTreeNode = { kind: 'job'; job: BatchJobView } | { kind: 'batch'; job: BatchJobView; batch: BatchView };

/** Sums the request counts of a job's batches. */
export function jobCounts(job: BatchJobView): RequestCounts & { total: number } {
  const sum = { processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0, total: 0 };
  for (const { counts } of job.batches) {
    for (const key of ['processing', 'succeeded', 'errored', 'canceled', 'expired'] as const) sum[key] += counts[key];
  }
  sum.total = sum.processing + sum.succeeded + sum.errored + sum.canceled + sum.expired;
  return sum;
}

export function jobStatus(job: BatchJobView): BatchStatus {
  if (job.batches.some((b) => b.status === 'canceling')) return 'canceling';
  return job.batches.every((b) => b.status === 'ended') ? 'ended' : 'in_progress';
}

/** A text progress bar of ten cells: a tree item has no widget for one. */
export function progressBar(done: number, total: number): string {
  const share = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  const filled = Math.round(share * 10);
  return `${'▰'.repeat(filled)}${'▱'.repeat(10 - filled)} ${Math.floor(share * 100)}%`;
}

/** "expires in 23 h 5 min", "expires in 40 s", or "expired". */
export function timeUntil(iso: string, now: number): string {
  const ms = Date.parse(iso) - now;
  if (!Number.isFinite(ms)) return '';
  if (ms <= 0) return 'expired';
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return `expires in ${Math.ceil(ms / 1000)} s`;
  if (minutes < 60) return `expires in ${minutes} min`;
  return `expires in ${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function countsInWords(counts: RequestCounts): string {
  return `${counts.processing} processing · ${counts.succeeded} succeeded · ${counts.errored} errored · ${counts.canceled} canceled · ${counts.expired} expired`;
}

const statusWords: Record<BatchStatus, string> = { in_progress: 'in progress', canceling: 'canceling', ended: 'ended' };

export class BatchesTree implements vscode.TreeDataProvider<BatchTreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<BatchTreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(
    private readonly jobs: () => BatchJobView[],
    private readonly now: () => number = Date.now,
  ) {}

  /** Redraws the view (after a poll, a submission, a cancel). */
  refresh(): void {
    this.changed.fire(undefined);
  }

  getChildren(node?: BatchTreeNode): BatchTreeNode[] {
    if (!node) return this.jobs().map((job) => ({ kind: 'job', job }));
    if (node.kind === 'job') return node.job.batches.map((batch) => ({ kind: 'batch', job: node.job, batch }));
    return [];
  }

  getTreeItem(node: BatchTreeNode): vscode.TreeItem {
    return node.kind === 'job' ? this.jobItem(node.job) : this.batchItem(node.batch);
  }

  private jobItem(job: BatchJobView): vscode.TreeItem {
    const status = jobStatus(job);
    const counts = jobCounts(job);
    const done = counts.total - counts.processing;
    const item = new vscode.TreeItem(`${job.promptName} × ${job.dataset}`, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `job:${job.jobId}`;
    const parts: string[] = [];
    if (status === 'ended') {
      parts.push(job.joined ? 'ended' : 'ended, joining results…');
      parts.push(`${counts.succeeded} succeeded`);
      if (counts.errored) parts.push(`${counts.errored} errored`);
      if (counts.canceled) parts.push(`${counts.canceled} canceled`);
      if (counts.expired) parts.push(`${counts.expired} expired`);
      if (job.actualUsd !== undefined) parts.push(formatUsd(job.actualUsd));
    } else {
      parts.push(statusWords[status], progressBar(done, counts.total), `${done}/${counts.total}`);
      const expiries = job.batches.filter((b) => b.status !== 'ended').map((b) => b.expiresAt).sort();
      if (expiries[0]) parts.push(timeUntil(expiries[0], this.now()));
    }
    item.description = parts.join(' · ');
    item.iconPath = job.problem
      ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'))
      : status === 'ended'
        ? counts.succeeded === counts.total
          ? new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'))
          : new vscode.ThemeIcon('circle-slash')
        : new vscode.ThemeIcon(status === 'canceling' ? 'loading~spin' : 'sync~spin');
    const tooltip = new vscode.MarkdownString(undefined, false);
    tooltip.appendText(`${job.promptName} over ${job.dataset}\n\n`);
    tooltip.appendText(`${statusWords[status]}: ${countsInWords(counts)}\n\n`);
    if (job.estimateUsd !== undefined) tooltip.appendText(`Estimate at batch prices: ${formatUsd(job.estimateUsd)}\n\n`);
    if (job.actualUsd !== undefined) tooltip.appendText(`Actual: ${formatUsd(job.actualUsd)}\n\n`);
    if (job.problem) tooltip.appendText(`⚠ ${job.problem}\n\n`);
    tooltip.appendText(job.batches.map((b) => b.id).join('\n'));
    item.tooltip = tooltip;
    const flags = ['batchJob'];
    if (status !== 'ended') flags.push('unfinished');
    else flags.push('ended');
    if (job.joined) flags.push('results');
    if (job.joined && job.retryable > 0) flags.push('retryable');
    if (job.joined && job.chunked) flags.push('stitchable');
    item.contextValue = flags.join(' ');
    if (job.joined) item.command = { command: 'promptWorkbench.openBatchResults', title: 'Open Batch Results', arguments: [job.jobId] };
    return item;
  }

  private batchItem(batch: BatchView): vscode.TreeItem {
    const item = new vscode.TreeItem(batch.id, vscode.TreeItemCollapsibleState.None);
    item.id = `batch:${batch.id}`;
    const expiry = batch.status === 'ended' ? '' : ` · ${timeUntil(batch.expiresAt, this.now())}`;
    item.description = `${statusWords[batch.status]} · ${countsInWords(batch.counts)}${expiry}`;
    item.tooltip = `${batch.id}\ncreated ${batch.createdAt}\nexpires ${batch.expiresAt}${batch.endedAt ? `\nended ${batch.endedAt}` : ''}`;
    item.contextValue = 'batch';
    return item;
  }

  dispose(): void {
    this.changed.dispose();
  }
}
