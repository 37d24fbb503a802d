// The results grid's rows as the extension host keeps them: every row by key, and the view the
// grid shows (filtered by status, searched in full text, sorted), of which the webview holds only
// the window it is drawing. A 100,000-row job's rows never cross into the webview whole: there they
// were a second copy of every row, kept twice more as the messages that carried them until a major
// collection of the page's heap, which then fell in the middle of a scroll (`npm run bench -- grid`).
import type { RowStatus } from './datasetResults';

export interface GridRow {
  key: string;
  index: number;
  where?: string;
  status: RowStatus;
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

export const GRID_SORTS = ['index', 'cost', 'tokens', 'stop'] as const;
export type GridSort = (typeof GRID_SORTS)[number];
export const GRID_STATUS_FILTERS = ['all', 'succeeded', 'errored', 'skipped', 'canceled', 'expired'] as const satisfies readonly ('all' | RowStatus)[];
export type GridStatusFilter = (typeof GRID_STATUS_FILTERS)[number];

/** What the grid shows: rows of one status (or all), containing a text (case-insensitive), in an order. */
export interface GridQuery {
  status: GridStatusFilter;
  search: string;
  sort: GridSort;
}

export const DEFAULT_GRID_QUERY: GridQuery = { status: 'all', search: '', sort: 'index' };

/** The grid's totals line: the rows shown of all rows, and all rows' tokens, cost and errors. */
export interface GridTotals {
  shown: number;
  rows: number;
  tokens: number;
  costUsd: number;
  errors: number;
}

/** The fields a search looks in. */
const searched = (row: GridRow): (string | null | undefined)[] => [row.key, row.output, row.error, row.stopReason, row.where];

const tokensOf = (row: GridRow): number => (row.inputTokens ?? 0) + (row.outputTokens ?? 0);

const ORDER: Record<GridSort, (a: GridRow, b: GridRow) => number> = {
  index: (a, b) => a.index - b.index,
  cost: (a, b) => (b.costUsd ?? -1) - (a.costUsd ?? -1) || a.index - b.index,
  tokens: (a, b) => tokensOf(b) - tokensOf(a) || a.index - b.index,
  stop: (a, b) => String(a.stopReason ?? '').localeCompare(String(b.stopReason ?? '')) || a.index - b.index,
};

function inOrder(rows: readonly GridRow[], order: (a: GridRow, b: GridRow) => number): boolean {
  for (let i = 1; i < rows.length; i++) if (order(rows[i - 1] as GridRow, rows[i] as GridRow) > 0) return false;
  return true;
}

export class GridView {
  /** Every row, in the order its key first arrived. */
  private rows: GridRow[] = [];
  /**
   * Each key's place in `rows`, made on first need: a whole grid put at once (a finished job's
   * results) is shown without it. Building it for 100,000 rows took 40-120 ms of a worker in
   * Chromium, as long as everything else before the grid's first paint together.
   */
  private places: Map<string, number> | undefined = new Map();
  private query: GridQuery = DEFAULT_GRID_QUERY;
  /** The view, made again on first use after the rows or the query change. */
  private shown: GridRow[] | undefined = [];
  /** All rows' sums, made with the view. */
  private sums = { tokens: 0, costUsd: 0, errors: 0 };

  /**
   * Adds rows, or replaces them by key (a retried row shows once, as it last ended). With `reset`
   * they replace the whole grid, and their keys must differ (as a results file's rows do once read,
   * the last line of a key winning).
   */
  put(rows: readonly GridRow[], reset = false): void {
    if (reset) {
      this.rows = [...rows];
      this.places = undefined;
    } else {
      const places = this.placesByKey();
      for (const row of rows) {
        const place = places.get(row.key);
        if (place === undefined) {
          places.set(row.key, this.rows.length);
          this.rows.push(row);
        } else {
          this.rows[place] = row;
        }
      }
    }
    this.shown = undefined;
  }

  private placesByKey(): Map<string, number> {
    if (!this.places) {
      const places = new Map<string, number>();
      for (let i = 0; i < this.rows.length; i++) places.set((this.rows[i] as GridRow).key, i);
      this.places = places;
    }
    return this.places;
  }

  /** Sets what the grid shows; false when it is what it shows already (the view is kept). */
  setQuery(query: GridQuery): boolean {
    const next = { ...query, search: query.search.trim().toLowerCase() };
    const current = this.query;
    if (next.status === current.status && next.search === current.search && next.sort === current.sort) return false;
    this.query = next;
    this.shown = undefined;
    return true;
  }

  private view(): GridRow[] {
    if (this.shown) return this.shown;
    const { status, search, sort } = this.query;
    // Summed in locals, by index: sums kept in an object (whose cost field turned from integer to
    // float on the first row) over a for-of loop took 24-41 ms for 100,000 rows in a fresh worker
    // (cold code), about 5-14 ms so.
    let tokens = 0;
    let costUsd = 0;
    let errors = 0;
    const rows = this.rows;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as GridRow;
      tokens += tokensOf(row);
      costUsd += row.costUsd ?? 0;
      if (row.status === 'errored') errors++;
    }
    this.sums = { tokens, costUsd, errors };
    const shown =
      status === 'all' && !search
        ? this.rows.slice()
        : this.rows.filter((row) => (status === 'all' || row.status === status) && (!search || searched(row).some((text) => typeof text === 'string' && text.toLowerCase().includes(search))));
    // Rows mostly arrive in dataset order: a view in that order already is not sorted again.
    const order = ORDER[sort];
    if (!inOrder(shown, order)) shown.sort(order);
    return (this.shown = shown);
  }

  get totals(): GridTotals {
    const shown = this.view().length;
    return { shown, rows: this.rows.length, ...this.sums };
  }

  /** The rows at view positions `start` to `end` (end excluded), as far as the view goes. */
  slice(start: number, end: number): GridRow[] {
    return this.view().slice(start, end);
  }

  get(key: string): GridRow | undefined {
    const place = this.placesByKey().get(key);
    return place === undefined ? undefined : this.rows[place];
  }

  /** Every row, in the order its key first arrived. */
  all(): GridRow[] {
    return [...this.rows];
  }
}
