// Every message between the dataset panel (plan, progress, results grid) and the extension host,
// both directions, as discriminated unions. Plain data only: the webview never gets a path it
// could use, a key, or markup (every string is shown with textContent).
import { GRID_SORTS, GRID_STATUS_FILTERS, type GridQuery, type GridRow, type GridSort, type GridTotals } from '../core/dataset/gridView';

export { GRID_SORTS, GRID_STATUS_FILTERS };
export type { GridQuery, GridRow, GridSort, GridTotals };

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
  /**
   * The grid's view (src/core/dataset/gridView.ts, kept by the host): its totals, and its rows from
   * view position `start` on, the window the page asked for last (see GRID_PREFETCH_ROWS). `rows` is
   * left out when they are the ones the page was sent last; every message replaces the page's window.
   * `selected` is the row the page selected, when it changed (it may be far outside the window).
   */
  | { type: 'grid'; totals: GridTotals; start: number; rows?: GridRow[]; selected?: GridRow };

/** The rows of the view the page asks for beyond each edge of what it shows, so a scroll finds them there. */
export const GRID_PREFETCH_ROWS = 600;
/** The page asks again once what it shows comes this many rows from an edge of its window. */
export const GRID_REFETCH_MARGIN = 200;
/** The window a page gets before it asks: the view's first rows. */
export const GRID_FIRST_WINDOW = 200;
/** The most rows one window carries, whatever the page asks for. */
export const GRID_MAX_WINDOW = 5_000;

export type GridToHost =
  | { type: 'ready' }
  | { type: 'start' }
  /** Submit as Batch: the plan's rows as a Message Batch, at half price. */
  | { type: 'submitBatch' }
  | { type: 'cancel' }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'retryFailed' }
  | { type: 'exportCsv' }
  /** The grid's filter, search and order changed. */
  | { type: 'query'; query: GridQuery }
  /** The view positions the page wants rows for (end excluded). */
  | { type: 'range'; start: number; end: number }
  /** The row the page shows beside the grid: the host sends it again whenever it changes. */
  | { type: 'select'; key: string };

const BARE_MESSAGES: readonly GridToHost['type'][] = ['ready', 'start', 'submitBatch', 'cancel', 'pause', 'resume', 'retryFailed', 'exportCsv'];
/** The longest search the host runs (a pasted page of text searches for its start). */
const MAX_SEARCH = 1_000;

const oneOf = <T extends string>(values: readonly T[], value: unknown): value is T => typeof value === 'string' && (values as readonly string[]).includes(value);
const position = (value: unknown): number | undefined => (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined);

/**
 * A message from the webview, checked at run time (the webview is not trusted to send only what it
 * should): only the fields of its type, a range of at most GRID_MAX_WINDOW rows.
 */
export function parseGridMessage(message: unknown): GridToHost | undefined {
  const raw = (message ?? {}) as { type?: unknown; query?: { status?: unknown; search?: unknown; sort?: unknown }; start?: unknown; end?: unknown; key?: unknown };
  const type = raw.type;
  if (oneOf(BARE_MESSAGES, type)) return { type } as GridToHost;
  if (type === 'query') {
    const { status, search, sort } = raw.query ?? {};
    if (!oneOf(GRID_STATUS_FILTERS, status) || !oneOf(GRID_SORTS, sort) || typeof search !== 'string') return undefined;
    return { type, query: { status, search: search.slice(0, MAX_SEARCH), sort } };
  }
  if (type === 'range') {
    const start = position(raw.start);
    const end = position(raw.end);
    if (start === undefined || end === undefined || end < start) return undefined;
    return { type, start, end: Math.min(end, start + GRID_MAX_WINDOW) };
  }
  if (type === 'select') return typeof raw.key === 'string' ? { type, key: raw.key } : undefined;
  return undefined;
}
