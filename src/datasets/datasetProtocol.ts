// Every message between the dataset panel (plan, progress, results grid) and the extension host,
// both directions, as discriminated unions. Plain data only: the webview never gets a path it
// could use, a key, or markup (every string is shown with textContent).

/** The plan, as the panel shows it before anything is sent. */
export interface PlanView {
  promptName: string;
  model: string;
  dataset: string;
  results: string;
  errors: string[];
  warnings: string[];
  rows: { read: number; runnable: number; skipped: number; bad: number };
  skipped: { key?: string; where: string; reason: string }[];
  tokens: { method: 'exact' | 'sampled' | 'none'; total: number; counted: number; errorBound: number };
  cost: { known: boolean; reason?: string; now?: { expectedUsd: number; worstCaseUsd: number }; batch?: { expectedUsd: number; worstCaseUsd: number }; notes: string[] };
  time: { seconds?: number; boundBy?: string; limits?: { requestsPerMinute?: number; inputTokensPerMinute?: number; outputTokensPerMinute?: number } };
  /** The spend cap / budget check on the whole job's worst case. */
  limitsCheck: { kind: 'send' | 'confirm' | 'refuse'; message?: string };
  /** The same check on the whole job's worst case at batch prices (×0.5), for Submit as Batch. */
  batchLimitsCheck: { kind: 'send' | 'confirm' | 'refuse'; message?: string };
  /** Rows already finished in this results file (a resumed job). */
  alreadyDone: number;
}

export interface GridRow {
  key: string;
  index: number;
  where?: string;
  status: 'succeeded' | 'errored' | 'skipped' | 'canceled' | 'expired';
  /** Output text, or the structured output as JSON. */
  output?: string;
  stopReason?: string | null;
  inputTokens?: number;
  outputTokens?: number;
  costUsd?: number | null;
  requestId?: string;
  error?: string;
  /** The API's error type (`invalid_request_error` means the request must be fixed before a retry). */
  errorType?: string;
  /** What the prompt cache did for the row (core's CacheReport; the host sums the rows' into the grid's totals). */
  cache?: { readTokens: number; write5mTokens: number; write1hTokens: number; uncachedTokens: number; hitRate: number; savedUsd?: number };
}

export interface ProgressView {
  toSend: number;
  succeeded: number;
  errored: number;
  alreadyDone: number;
  costUsd: number;
  rowsPerMinute: number;
  inputTokensPerMinute: number;
  outputTokensPerMinute: number;
  etaMs?: number;
  rateLimited: number;
  limits: { requestsPerMinute?: number; inputTokensPerMinute?: number; outputTokensPerMinute?: number };
  paused: boolean;
}

export type JobState = 'planned' | 'running' | 'finished' | 'cancelled' | 'stopped' | 'failed' | 'submitted';

/** A Message Batch job's results, shown in place of the plan (opened from the Batches view). */
export interface BatchResultsView {
  title: string;
  batchIds: string[];
  /** Rows by status, and the actual cost (at batch prices) against the plan's estimate, in words. */
  summary: string;
  /** Rows that can be sent again as a new batch (errored but not invalid requests, expired, canceled). */
  retryable: number;
  /** Errored rows whose request the API rejected: fix the prompt or the row before retrying. */
  invalidRequests: number;
}

export type HostToGrid =
  | { type: 'plan'; plan: PlanView }
  /** The panel shows a batch job's results instead of a plan (Start hides; Retry sends a new batch). */
  | { type: 'batchResults'; batch: BatchResultsView }
  | { type: 'state'; state: JobState; message?: string }
  | { type: 'progress'; progress: ProgressView }
  /** The cache report of every row in the grid (reads, writes, hit rate, money saved); undefined when no row used the cache. */
  | { type: 'cacheTotals'; text: string | undefined }
  /** Rows to add or replace (by key), in arrival order, at most GRID_PAGE_ROWS a message. `reset` clears the grid first. */
  | { type: 'rows'; rows: GridRow[]; reset?: boolean };

/**
 * The most rows one message carries. A page is cloned into the webview and drawn while the next is
 * on its way, so the first rows of a 100,000-row job show at once instead of after one long clone.
 */
export const GRID_PAGE_ROWS = 1_000;

/** A rows message as the messages to send: itself, or its pages (only the first resets the grid). */
export function rowPages(message: Extract<HostToGrid, { type: 'rows' }>): Extract<HostToGrid, { type: 'rows' }>[] {
  if (message.rows.length <= GRID_PAGE_ROWS) return [message];
  const pages: Extract<HostToGrid, { type: 'rows' }>[] = [];
  for (let i = 0; i < message.rows.length; i += GRID_PAGE_ROWS) {
    pages.push({ type: 'rows', rows: message.rows.slice(i, i + GRID_PAGE_ROWS), ...(i === 0 && message.reset ? { reset: true } : {}) });
  }
  return pages;
}

export type GridToHost =
  | { type: 'ready' }
  | { type: 'start' }
  /** Submit as Batch: the plan's rows as a Message Batch, at half price. */
  | { type: 'submitBatch' }
  | { type: 'cancel' }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'retryFailed' }
  | { type: 'exportCsv' };

const GRID_MESSAGES: readonly GridToHost['type'][] = ['ready', 'start', 'submitBatch', 'cancel', 'pause', 'resume', 'retryFailed', 'exportCsv'];

/** A message from the webview, checked at run time (the webview is not trusted to send only what it should). */
export function parseGridMessage(message: unknown): GridToHost | undefined {
  const type = (message as { type?: unknown } | null)?.type;
  return typeof type === 'string' && (GRID_MESSAGES as readonly string[]).includes(type) ? ({ type } as GridToHost) : undefined;
}
