// The host's half of the results grid: it keeps the rows and the view (core's GridView) and sends
// the page only its totals and the window of rows it asked for, again whenever they change. The
// dataset panel feeds it; the grid bench runs the same feed in a worker as the page's host.
import { DEFAULT_GRID_QUERY, GridView, type GridRow } from '../core/dataset/gridView';
import { GRID_FIRST_WINDOW, type GridToHost, type HostToGrid } from './datasetProtocol';

export class GridFeed {
  private readonly view = new GridView();
  /** The window the page asked for last. */
  private range = { start: 0, end: GRID_FIRST_WINDOW };
  /** The window's rows as last sent, or undefined when the page has none (a new page). */
  private sent: { start: number; rows: GridRow[] } | undefined;
  /** The row the page shows beside the grid, and that row as last sent. */
  private selected: { key: string; sent: GridRow | undefined } | undefined;

  /**
   * `send` delivers to the page; `listening` says whether there is a page to deliver to (while
   * there is none, nothing is made for it: a new page gets the grid whole from `ready`).
   */
  constructor(
    private readonly send: (message: Extract<HostToGrid, { type: 'grid' }>) => void,
    private readonly listening: () => boolean = () => true,
  ) {}

  /** Adds rows or replaces them by key; `reset` empties the grid first. */
  put(rows: readonly GridRow[], reset = false): void {
    this.view.put(rows, reset);
    this.update();
  }

  /** Handles the page's messages about the grid (query, range); false for any other. */
  receive(message: GridToHost): boolean {
    if (message.type === 'query') {
      // The same query again (a key that changes nothing, a page repeating itself) makes no new view.
      if (!this.view.setQuery(message.query)) return true;
    } else if (message.type === 'range') {
      this.range = { start: message.start, end: message.end };
    } else if (message.type === 'select') {
      this.selected = { key: message.key, sent: undefined };
    } else {
      return false;
    }
    this.update();
    return true;
  }

  /** What a new page is told first: the view as it starts (every row, in dataset order) and its first rows. */
  ready(): Extract<HostToGrid, { type: 'grid' }> {
    this.view.setQuery(DEFAULT_GRID_QUERY);
    this.range = { start: 0, end: GRID_FIRST_WINDOW };
    this.sent = undefined;
    this.selected = undefined;
    return this.message();
  }

  private update(): void {
    if (this.listening()) this.send(this.message());
    else this.sent = undefined;
  }

  /** The totals, and the window's rows unless the page has exactly these already. */
  private message(): Extract<HostToGrid, { type: 'grid' }> {
    const { start, end } = this.range;
    const rows = this.view.slice(start, end);
    const sent = this.sent;
    const same = sent !== undefined && sent.start === start && sent.rows.length === rows.length && sent.rows.every((row, i) => row === rows[i]);
    this.sent = { start, rows };
    let selected: GridRow | undefined;
    if (this.selected) {
      const row = this.view.get(this.selected.key);
      if (row !== this.selected.sent) selected = this.selected.sent = row;
    }
    return { type: 'grid', totals: this.view.totals, start, ...(same ? {} : { rows }), ...(selected ? { selected } : {}) };
  }

  get(key: string): GridRow | undefined {
    return this.view.get(key);
  }

  /** Every row, in the order they first arrived. */
  all(): GridRow[] {
    return this.view.all();
  }
}
