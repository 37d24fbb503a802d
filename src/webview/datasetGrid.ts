// The dataset panel's page: the plan (with Start), the job's progress (with Pause, Resume, Cancel),
// and the results grid: virtualised twice (the host keeps the rows and sends the page only the
// window of them around what it shows, see src/datasets/gridFeed.ts; only the rows in view exist
// in the DOM), so 100,000 rows scroll like 100. Filtered by status, searched in full text, sorted
// by cost, tokens or stop reason (the host makes the view), with totals and a row opened beside
// the grid. Every string from the host or the model
// is shown with textContent; positions are set through the CSSOM (the CSP forbids style
// attributes, not style properties).
import { GRID_FIRST_WINDOW, GRID_PREFETCH_ROWS, GRID_REFETCH_MARGIN, GRID_SORTS, GRID_STATUS_FILTERS, type BatchResultsView, type GridQuery, type GridRow, type GridSort, type GridToHost, type GridTotals, type HostToGrid, type JobState, type PlanView, type ProgressView } from '../datasets/datasetProtocol';
import { formatCount, formatUsd } from '../core/format';
import { button, el } from './dom';
import { GridCanvas, type CanvasStyle, type DrawnRow, type Tone } from './gridCanvas';

interface VsCodeApi {
  postMessage(message: GridToHost): void;
}
declare function acquireVsCodeApi(): VsCodeApi;
const vscode = acquireVsCodeApi();

const ROW_HEIGHT = 24;
/** DOM rows kept beyond each edge of the view. */
const OVERSCAN = 10;
/** The DOM rows catch up with the canvas once no scroll event has come for this long. */
const SETTLE_MS = 120;
/**
 * Rows a frame the DOM catches up by (each costs its style, layout and paint: 53 at once made a 24 ms
 * frame, 10 a frame 12-24 ms of main-thread CPU in traced runs, 5 a frame 7-9 ms). The 53 rows of a
 * view take about 11 frames; they are not what is seen, only their hover and selection backgrounds.
 */
const SYNC_ROWS_PER_FRAME = 5;
/** A search is sent to the host once typing has paused this long. */
const SEARCH_PAUSE_MS = 150;

/** The view's totals; `shown` is its length. */
let totalsNow: GridTotals = { shown: 0, rows: 0, tokens: 0, costUsd: 0, errors: 0 };
/** The rows of the view the host sent last, from view position windowStart. */
let windowStart = 0;
let windowRows: GridRow[] = [];
/** The view positions last asked of the host (end excluded); a new page gets the first window unasked. */
let asked = { start: 0, end: GRID_FIRST_WINDOW };
let selectedKey: string | undefined;
/** The selected row as its detail shows it. */
let selectedRow: GridRow | undefined;
let state: JobState | undefined;
/** Set while the panel shows a Message Batch job's results rather than a plan. */
let batchResults: BatchResultsView | undefined;
/** The plan is valid and its batch worst case within the limits: Submit as Batch is selectable. */
let planAllowsBatch = false;
/** Rows whose last status is errored, counted with the totals: what Retry failed rows sends again. */
let erroredRows = 0;

// Integers grouped as en-US does (1,234,567) by core's formatCount, not Intl.NumberFormat.format:
// that was the costliest call of a scrolled frame's script (a CPU profile of the grid bench's scroll).
const fmtInt = (n: number | undefined): string => (n === undefined ? '' : formatCount(Math.round(n)));
// Two significant digits below a dollar, as everywhere else: a row's cost of $0.00022 was "$0.0002",
// and one of $0.0000032 was "$0.0000".
const fmtUsd = (n: number | null | undefined): string => (n === undefined || n === null ? '' : formatUsd(n));
const fmtDuration = (ms: number | undefined): string => {
  if (ms === undefined || !Number.isFinite(ms)) return '–';
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : s < 3600 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
};

// ----- layout

const app = document.getElementById('app') as HTMLElement;
const planSection = el('section', { class: 'plan', 'aria-label': 'Plan' });
const progressSection = el('section', { class: 'progress', 'aria-label': 'Progress' });
const progressBar = el('progress', { max: 1, value: 0 });
const progressText = el('div', { class: 'progress-text', role: 'status' });
const stateText = el('div', { class: 'state', role: 'status' });
const startButton = button('Start', () => vscode.postMessage({ type: 'start' }), { class: 'primary', 'data-action': 'start' });
const submitBatchButton = button('Submit as Batch (×0.5)', () => {
  // One click, one submission: the host answers with the new state (submitted, or why not).
  submitBatchButton.disabled = true;
  vscode.postMessage({ type: 'submitBatch' });
}, { 'data-action': 'submitBatch', title: 'Send the rows as a Message Batch at half price; results usually arrive within an hour (at most 24 h).' });
const pauseButton = button('Pause', () => vscode.postMessage({ type: 'pause' }), { 'data-action': 'pause' });
const resumeButton = button('Resume', () => vscode.postMessage({ type: 'resume' }), { 'data-action': 'resume' });
const cancelButton = button('Cancel', () => vscode.postMessage({ type: 'cancel' }), { 'data-action': 'cancel' });
const retryButton = button('Retry failed rows', () => vscode.postMessage({ type: 'retryFailed' }), { 'data-action': 'retryFailed' });
const exportButton = button('Export CSV', () => vscode.postMessage({ type: 'exportCsv' }), { 'data-action': 'exportCsv' });
progressSection.append(el('div', { class: 'buttons' }, startButton, submitBatchButton, pauseButton, resumeButton, cancelButton, retryButton, exportButton), stateText, progressBar, progressText);

// The statuses and orders the host's view takes (parseGridMessage refuses any other).
const statusFilter = el('select', { 'aria-label': 'Filter by status', 'data-control': 'status' }, ...GRID_STATUS_FILTERS.map((s) => el('option', { value: s }, s === 'all' ? 'All statuses' : s)));
const search = el('input', { type: 'search', placeholder: 'Search output, keys, errors', 'aria-label': 'Search', 'data-control': 'search' });
const SORT_LABELS: Record<GridSort, string> = { index: 'Dataset order', cost: 'Cost (highest first)', tokens: 'Tokens (most first)', stop: 'Stop reason' };
const sortBy = el('select', { 'aria-label': 'Sort by', 'data-control': 'sort' }, ...GRID_SORTS.map((value) => el('option', { value }, SORT_LABELS[value])));
const totals = el('div', { class: 'totals', role: 'status', 'data-totals': '' });
// The job's cache report (reads, writes, hit rate, money saved), summed by the host; hidden without caching.
const cacheTotals = el('div', { class: 'totals', 'data-cache-totals': '', hidden: true });
const toolbar = el('div', { class: 'toolbar' }, statusFilter, search, sortBy, totals, cacheTotals);

const header = el('div', { class: 'grid-row grid-header', role: 'row' }, ...['Key', 'Status', 'Output', 'Stop', 'Tokens', 'Cost'].map((h) => el('span', { role: 'columnheader' }, h)));
const viewport = el('div', { class: 'grid-viewport', role: 'grid', tabindex: 0, 'aria-label': 'Results' });
const spacer = el('div', { class: 'grid-spacer' });
const visibleRows = el('div', { class: 'grid-rows', role: 'rowgroup' });
spacer.append(visibleRows);
viewport.append(spacer);
// One hidden row of each kind, with a DOM row's classes: the colours the canvas draws their text in.
const TONES: readonly Tone[] = ['normal', 'errored', 'skipped', 'selected'];
const toneClass = (tone: Tone): string => (tone === 'normal' ? 'grid-row' : tone === 'selected' ? 'grid-row selected' : `grid-row status-${tone}`);
const swatches = TONES.map((tone) => el('div', { class: toneClass(tone) }));
const detail = el('aside', { class: 'detail', 'aria-label': 'Row' });
const gridArea = el('div', { class: 'grid-area' }, el('div', { class: 'grid' }, header, viewport, el('div', { class: 'grid-swatches', 'aria-hidden': 'true' }, ...swatches)), detail);
app.append(planSection, progressSection, toolbar, gridArea);

// ----- plan

function renderPlan(plan: PlanView): void {
  batchResults = undefined;
  planSection.replaceChildren();
  planSection.append(el('h2', {}, `${plan.promptName} over ${plan.dataset}`));
  const list = el('dl', {});
  const add = (term: string, value: string): void => {
    list.append(el('dt', {}, term), el('dd', {}, value));
  };
  add('Model', plan.model);
  add('Rows', `${fmtInt(plan.rows.runnable)} runnable · ${fmtInt(plan.rows.skipped)} skipped · ${fmtInt(plan.rows.bad)} unreadable${plan.alreadyDone > 0 ? ` · ${fmtInt(plan.alreadyDone)} already done (resumed)` : ''}`);
  const tokens = plan.tokens;
  add(
    'Input tokens',
    tokens.method === 'exact'
      ? `${fmtInt(tokens.total)} (counted exactly for every row with count_tokens)`
      : tokens.method === 'sampled'
        ? `${fmtInt(tokens.total)} ± ${fmtInt(tokens.errorBound)} (95%; ${fmtInt(tokens.counted)} rows counted with count_tokens, stratified by length, extrapolated)`
        : '0',
  );
  if (plan.cost.known && plan.cost.now && plan.cost.batch) {
    add('Cost now', `${fmtUsd(plan.cost.now.expectedUsd)} expected · ${fmtUsd(plan.cost.now.worstCaseUsd)} worst case`);
    add('As a batch (×0.5)', `${fmtUsd(plan.cost.batch.expectedUsd)} expected · ${fmtUsd(plan.cost.batch.worstCaseUsd)} worst case · within 24 h; prompt caching applies, but cache hits in a batch are best effort`);
  } else {
    add('Cost', plan.cost.reason ?? 'unknown');
  }
  for (const note of plan.cost.notes) add('', note);
  const limits = plan.time.limits;
  add(
    'Time',
    plan.time.seconds !== undefined
      ? `about ${fmtDuration(plan.time.seconds * 1000)} at ${fmtInt(limits?.requestsPerMinute)} RPM / ${fmtInt(limits?.inputTokensPerMinute)} ITPM / ${fmtInt(limits?.outputTokensPerMinute)} OTPM (bound by ${plan.time.boundBy})`
      : 'unknown until the first response reports your rate limits',
  );
  add('Limits', plan.limitsCheck.kind === 'send' ? 'within the spend cap' : (plan.limitsCheck.message ?? plan.limitsCheck.kind));
  if (plan.batchLimitsCheck.kind !== 'send') add('Limits as a batch', plan.batchLimitsCheck.message ?? plan.batchLimitsCheck.kind);
  add('Results', plan.results);
  planSection.append(list);
  for (const error of plan.errors) planSection.append(el('p', { class: 'error', role: 'alert' }, error));
  for (const warning of plan.warnings) planSection.append(el('p', { class: 'warning' }, warning));
  if (plan.skipped.length > 0) {
    const details = el('details', {}, el('summary', {}, `Skipped and unreadable rows (${fmtInt(plan.rows.skipped + plan.rows.bad)})`));
    const ul = el('ul', { 'data-skipped': '' });
    for (const s of plan.skipped) ul.append(el('li', {}, `${s.where}${s.key !== undefined ? ` (${s.key})` : ''}: ${s.reason}`));
    details.append(ul);
    planSection.append(details);
  }
  startButton.disabled = plan.errors.length > 0 || plan.limitsCheck.kind === 'refuse' || plan.rows.runnable === 0;
  planAllowsBatch = plan.errors.length === 0 && plan.batchLimitsCheck.kind !== 'refuse' && plan.rows.runnable > 0;
  submitBatchButton.disabled = !planAllowsBatch;
}

function renderBatchResults(batch: BatchResultsView): void {
  batchResults = batch;
  planSection.replaceChildren(el('h2', {}, batch.title));
  const list = el('dl', {});
  // A chunked job's results (sent now) come without batch ids.
  if (batch.batchIds.length > 0) list.append(el('dt', {}, batch.batchIds.length === 1 ? 'Batch' : 'Batches'), el('dd', {}, batch.batchIds.join(', ')));
  list.append(el('dt', {}, 'Results'), el('dd', { 'data-batch-summary': '' }, batch.summary));
  planSection.append(list);
  if (batch.invalidRequests > 0) {
    planSection.append(el('p', { class: 'warning' }, `${fmtInt(batch.invalidRequests)} rows were rejected as invalid requests: fix the prompt or those rows first (a retry would fail the same way).`));
  }
  retryButton.textContent = 'Retry failed rows as a new batch';
  renderState(state ?? 'finished');
}

function renderState(next: JobState, message?: string): void {
  state = next;
  stateText.textContent = message ?? (next === 'planned' ? 'Nothing is sent until you start the job.' : next);
  const running = next === 'running';
  startButton.hidden = next !== 'planned' || batchResults !== undefined;
  submitBatchButton.hidden = startButton.hidden;
  // A refused submission comes back as 'planned' with the reason: the button is offered again.
  if (next === 'planned') submitBatchButton.disabled = !planAllowsBatch;
  pauseButton.hidden = !running;
  resumeButton.hidden = true;
  cancelButton.hidden = !running;
  if (!batchResults) retryButton.textContent = 'Retry failed rows';
  showRowActions();
  document.body.dataset.state = next;
}

/**
 * Retry and Export are offered only when they have something to act on: a failed row in the grid,
 * or any result at all (before a job has results, both did nothing).
 */
function showRowActions(): void {
  const busy = state === 'running' || state === 'submitted';
  // A batch job's host counts its own retryable rows (errored, expired, canceled; not invalid requests).
  retryButton.hidden = busy || (batchResults !== undefined ? batchResults.retryable === 0 : erroredRows === 0);
  exportButton.hidden = busy || batchResults !== undefined || totalsNow.rows === 0;
}

function renderProgress(p: ProgressView): void {
  const finished = p.succeeded + p.errored;
  progressBar.max = Math.max(1, p.toSend);
  progressBar.value = finished;
  const limits = p.limits;
  progressText.textContent =
    `${fmtInt(finished)} of ${fmtInt(p.toSend)} rows · ${fmtInt(p.rowsPerMinute)} rows/min` +
    ` · ${fmtInt(p.inputTokensPerMinute)}${limits.inputTokensPerMinute ? ` / ${fmtInt(limits.inputTokensPerMinute)}` : ''} input tok/min` +
    ` · ${fmtInt(p.outputTokensPerMinute)}${limits.outputTokensPerMinute ? ` / ${fmtInt(limits.outputTokensPerMinute)}` : ''} output tok/min` +
    ` · ${fmtUsd(p.costUsd)} so far · ${fmtDuration(p.etaMs)} left${p.rateLimited > 0 ? ` · ${p.rateLimited} answered 429` : ''}`;
  if (state === 'running') {
    pauseButton.hidden = p.paused;
    resumeButton.hidden = !p.paused;
  }
}

// ----- grid

/** What the canvas draws for a row the host has not sent yet. */
const BLANK: DrawnRow = { texts: [], tone: 'normal' };

/** The row at view position i, when the host has sent it. */
const rowAt = (i: number): GridRow | undefined => windowRows[i - windowStart];

function showTotals(next: GridTotals): void {
  totalsNow = next;
  // Written only when they change: a window sent while scrolling comes with the same totals.
  const text = `${fmtInt(next.shown)} of ${fmtInt(next.rows)} rows · ${fmtInt(next.tokens)} tokens · ${fmtUsd(next.costUsd)} · ${fmtInt(next.errors)} errors`;
  if (totals.textContent !== text) totals.textContent = text;
  const height = `${next.shown * ROW_HEIGHT}px`;
  if (spacer.style.height !== height) spacer.style.height = height;
  erroredRows = next.errors;
  showRowActions();
}

/**
 * Asks the host for the rows around the view at `top` once they come within GRID_REFETCH_MARGIN
 * rows of the window's edge: GRID_PREFETCH_ROWS beyond each edge of the view, so a fling finds the
 * next rows here before it reaches them. Until they arrive, rows not in the window are left blank.
 */
function askForRows(top: number, height: number): void {
  const first = Math.floor(top / ROW_HEIGHT);
  const last = Math.ceil((top + height) / ROW_HEIGHT);
  const from = Math.max(0, first - GRID_REFETCH_MARGIN);
  const to = Math.min(totalsNow.shown, last + GRID_REFETCH_MARGIN);
  if (from >= asked.start && to <= asked.end) return;
  asked = { start: Math.max(0, first - GRID_PREFETCH_ROWS), end: Math.min(totalsNow.shown, last + GRID_PREFETCH_ROWS) };
  vscode.postMessage({ type: 'range', ...asked });
}

function sendQuery(): void {
  const query: GridQuery = { status: statusFilter.value as GridQuery['status'], search: search.value, sort: sortBy.value as GridQuery['sort'] };
  vscode.postMessage({ type: 'query', query });
}

/**
 * A row element of the grid, reused: row `i` of the view always goes to slot `i % slots.length`, so
 * a scroll re-fills only the slots of the rows that came into view, and a row that stays in view is
 * not touched. Each slot is placed with a transform (no layout of the others); its six cells are
 * absolutely placed boxes of fixed size (see datasetGrid.css), each a layout boundary, whose text
 * nodes' data is replaced, never rebuilt, and only when it changed.
 */
interface RowSlot {
  element: HTMLElement;
  cells: Text[];
  /** The view position it shows, or -1 when it is out of the DOM. */
  index: number;
  row: GridRow | undefined;
  selected: boolean;
  /** The class and data-status last written, so an unchanged one is not written again. */
  className: string;
  status: string;
  /** The renderRows pass that last used it. */
  pass: number;
}

const slots: RowSlot[] = [];
let renderPass = 0;

function newSlot(): RowSlot {
  const cells = [0, 1, 2, 3, 4, 5].map(() => document.createTextNode(''));
  const element = el(
    'div',
    { class: 'grid-row', role: 'row' },
    el('span', { role: 'gridcell' }, cells[0]),
    el('span', { role: 'gridcell' }, cells[1]),
    el('span', { role: 'gridcell', class: 'output' }, cells[2]),
    el('span', { role: 'gridcell' }, cells[3]),
    el('span', { role: 'gridcell', class: 'number' }, cells[4]),
    el('span', { role: 'gridcell', class: 'number' }, cells[5]),
  );
  return { element, cells: cells as Text[], index: -1, row: undefined, selected: false, className: 'grid-row', status: '', pass: 0 };
}

function setCell(slot: RowSlot, i: number, value: string): void {
  const cell = slot.cells[i] as Text;
  if (cell.data !== value) cell.data = value;
}

/** A row's six cells as the grid shows them, in the DOM and on the canvas alike. */
function cellTexts(row: GridRow): string[] {
  return [row.key, row.status, (row.output ?? row.error ?? '').slice(0, 300), row.stopReason ?? '', fmtInt((row.inputTokens ?? 0) + (row.outputTokens ?? 0) || undefined), fmtUsd(row.costUsd)];
}

function fillSlot(slot: RowSlot, row: GridRow, selected: boolean): void {
  const texts = cellTexts(row);
  for (let i = 0; i < texts.length; i++) setCell(slot, i, texts[i] as string);
  const className = `grid-row status-${row.status}${selected ? ' selected' : ''}`;
  if (slot.className !== className) slot.element.className = slot.className = className;
  if (slot.status !== row.status) slot.element.dataset.status = slot.status = row.status;
  slot.element.dataset.key = row.key;
  slot.row = row;
  slot.selected = selected;
}

/**
 * Brings the DOM rows up to the view at `top`: slots re-filled for the rows that came into view, at
 * most `budget` of them (false when some are left for the next frame). While scrolling, only the
 * canvas is drawn (see gridCanvas.ts); this runs once scrolling rests, and at once for anything else
 * (new rows, a filter, a selection, a resize).
 */
function syncRows(top: number, height: number, budget: number): boolean {
  const needed = Math.ceil(height / ROW_HEIGHT) + 2 * OVERSCAN + 1;
  if (slots.length < needed) {
    // A taller view (or the first render): a new pool, every slot placed afresh.
    for (const slot of slots.splice(0)) slot.element.remove();
    for (let i = 0; i < needed; i++) slots.push(newSlot());
  }
  const inView = Math.floor(top / ROW_HEIGHT);
  const first = Math.max(0, inView - OVERSCAN);
  // Always as many rows as there are slots (fewer only at the end of the view), which is at least
  // the rows in view and the overscan on both sides: a range that grew and shrank by one row as the
  // offset crossed row boundaries took a slot out of the DOM and put it back every other frame,
  // rebuilding its boxes.
  const last = Math.min(totalsNow.shown, first + slots.length);
  const pass = ++renderPass;
  let filled = 0;
  /** Puts row i in its slot; false once the budget is spent. */
  const place = (i: number): boolean => {
    const slot = slots[i % slots.length] as RowSlot;
    const row = rowAt(i);
    // A row the host has not sent yet stays out of the DOM (its slot is taken out below).
    if (!row) return true;
    const selected = row.key === selectedKey;
    slot.pass = pass;
    if (slot.index === i && slot.row === row && slot.selected === selected) return true;
    if (filled++ >= budget) return false;
    if (slot.index !== i) {
      slot.element.style.transform = `translateY(${i * ROW_HEIGHT}px)`;
      if (slot.index === -1) visibleRows.append(slot.element);
      slot.index = i;
    }
    fillSlot(slot, row, selected);
    return true;
  };
  // The rows in view first, then the overscan below and above them.
  for (let i = Math.max(first, inView); i < last; i++) if (!place(i)) return false;
  for (let i = first; i < Math.min(inView, last); i++) if (!place(i)) return false;
  for (const slot of slots) {
    if (slot.pass === pass || slot.index === -1) continue;
    slot.element.remove();
    slot.index = -1;
    slot.row = undefined;
  }
  return true;
}

/**
 * The canvas the rows' text is drawn on. It is made once the first rows are on screen and the page
 * is idle, so it costs their first paint nothing. Until it has drawn (and in a webview without a 2D
 * canvas) the DOM rows show their own text.
 */
let canvas: GridCanvas | undefined;
let canvasStarted = false;
/** Set by the canvas's first drawing: from then on the DOM rows' text is transparent under it (class `drawn`). */
let canvasDrawn = false;

function startCanvas(): void {
  canvas = GridCanvas.create(ROW_HEIGHT);
  if (!canvas) return;
  spacer.append(canvas.element);
  schedule(false);
}

/** Where the canvas last drew from (a pixel offset into the rows), or -1 when it must be drawn again (new rows, selection, theme, size). */
let drawnTop = -1;

/** Draws the rows in view on the canvas, which stays at the top of the view (see gridCanvas.ts). */
function paint(canvas: GridCanvas, top: number, width: number, height: number): void {
  const ratio = window.devicePixelRatio || 1;
  if (!canvas.sizedFor(width, height, ratio) || styleStale) {
    // Columns are where a laid-out DOM row's cells are; with none in the DOM there is nothing to draw
    // (and what was drawn goes).
    const cells = slots.find((slot) => slot.index !== -1)?.element.children;
    if (!cells) {
      canvas.draw([], 0);
      drawnTop = -1;
      return;
    }
    canvas.layout(width, height, ratio, readStyle(), [...cells] as HTMLElement[]);
    styleStale = false;
    drawnTop = -1;
  }
  // Where the canvas is among the rows: at the top of the view, but held at the end of the rows as
  // sticky positioning holds it (and at their start when they are fewer than the view holds).
  const canvasTop = Math.max(0, Math.min(top, totalsNow.shown * ROW_HEIGHT - height));
  if (canvasTop === drawnTop && !canvas.priming) return;
  const first = Math.floor(canvasTop / ROW_HEIGHT);
  const last = Math.min(totalsNow.shown, Math.ceil((canvasTop + height) / ROW_HEIGHT));
  const drawn: DrawnRow[] = [];
  for (let i = first; i < last; i++) {
    const row = rowAt(i);
    if (!row) {
      drawn.push(BLANK);
      continue;
    }
    drawn.push({ texts: cellTexts(row), tone: row.key === selectedKey ? 'selected' : row.status === 'errored' ? 'errored' : row.status === 'skipped' ? 'skipped' : 'normal' });
  }
  canvas.draw(drawn, first * ROW_HEIGHT - canvasTop);
  drawnTop = canvasTop;
  if (!canvasDrawn) {
    canvasDrawn = true;
    viewport.classList.add('drawn');
  }
}

/** Set when the theme (VS Code's CSS variables on the page) may have changed the grid's font or colours. */
let styleStale = true;

function readStyle(): CanvasStyle {
  const font = getComputedStyle(viewport);
  const colours = Object.fromEntries(TONES.map((tone, i) => [tone, getComputedStyle(swatches[i] as HTMLElement).color])) as Record<Tone, string>;
  return { font: `${font.fontStyle} ${font.fontWeight} ${font.fontSize} ${font.fontFamily}`, colours };
}

/** Set when the DOM rows must catch up at the next frame (anything but a scroll). */
let syncDue = true;

function renderRows(): void {
  // Layout is read once, before anything is written.
  const top = viewport.scrollTop;
  const width = viewport.clientWidth;
  const height = viewport.clientHeight;
  askForRows(top, height);
  if (syncDue) {
    // Once the canvas shows the rows, the DOM rows under it catch up over a few frames.
    syncDue = !syncRows(top, height, canvasDrawn ? SYNC_ROWS_PER_FRAME : Infinity);
    if (syncDue) schedule();
  }
  if (canvas) {
    paint(canvas, top, width, height);
    if (canvas.priming) schedule(false);
  } else if (!canvasStarted && windowRows.length > 0) {
    canvasStarted = true;
    // When the page is next idle: its first frame (a new canvas allocates its buffers) costs tens of ms.
    requestIdleCallback(startCanvas, { timeout: 1_000 });
  }
}

function openRow(row: GridRow): void {
  // The host sends the row again whenever it changes, wherever it is in the view.
  if (row.key !== selectedKey) vscode.postMessage({ type: 'select', key: row.key });
  selectedKey = row.key;
  selectedRow = row;
  detail.replaceChildren();
  detail.append(
    el('h3', {}, `${row.key}${row.where ? ` · ${row.where}` : ''}`),
    el('p', { class: `status-${row.status}` }, `${row.status}${row.stopReason ? ` · stop: ${row.stopReason}` : ''}${row.requestId ? ` · ${row.requestId}` : ''}`),
    el('p', {}, `${fmtInt(row.inputTokens)} input · ${fmtInt(row.outputTokens)} output tokens · ${fmtUsd(row.costUsd)}`),
  );
  if (row.error) detail.append(el('p', { class: 'error' }, row.error));
  if (row.errorType === 'invalid_request_error') detail.append(el('p', { class: 'warning' }, 'The API rejected this request as invalid: fix the prompt or this row before retrying it.'));
  if (row.output !== undefined) detail.append(el('pre', { class: 'output-full' }, row.output));
  renderNow();
}

/** Renders the DOM rows and the canvas now, not at the next frame. */
function renderNow(): void {
  syncDue = true;
  drawnTop = -1;
  renderRows();
}

let frame = 0;
/** Renders at the next frame; `sync` brings the DOM rows up to date too. */
function schedule(sync = true): void {
  if (sync) syncDue = true;
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    renderRows();
  });
}
/** Set while scrolling, until it rests. */
let settle: ReturnType<typeof setTimeout> | undefined;
viewport.addEventListener(
  'scroll',
  () => {
    // Without a canvas (yet), the DOM rows are what is seen, and follow every scroll; with one, they
    // wait (a catch-up under way included) until scrolling rests.
    if (canvas) syncDue = false;
    schedule(!canvas);
    clearTimeout(settle);
    settle = setTimeout(() => {
      settle = undefined;
      schedule(true);
    }, SETTLE_MS);
  },
  { passive: true },
);
new ResizeObserver(() => schedule()).observe(viewport);
// VS Code restyles a webview on a theme change: its CSS variables on <html>, its theme class on <body>.
const restyled = (): void => {
  styleStale = true;
  schedule();
};
new MutationObserver(restyled).observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
new MutationObserver(restyled).observe(document.body, { attributes: true, attributeFilter: ['class'] });
for (const control of [statusFilter, sortBy]) control.addEventListener('change', sendQuery);
// A search runs over every row on the host: it is sent once typing pauses, not for every key.
let searchPause: ReturnType<typeof setTimeout> | undefined;
search.addEventListener('input', () => {
  clearTimeout(searchPause);
  searchPause = setTimeout(sendQuery, SEARCH_PAUSE_MS);
});
// The row under the pointer, from where it is: the DOM rows wait for scrolling to rest, the canvas does not.
viewport.addEventListener('click', (event) => {
  const box = viewport.getBoundingClientRect();
  if (event.clientX - box.left >= viewport.clientWidth) return;
  const row = rowAt(Math.floor((event.clientY - box.top + viewport.scrollTop) / ROW_HEIGHT));
  if (row) openRow(row);
});

window.addEventListener('message', (event: MessageEvent<HostToGrid>) => {
  const message = event.data;
  switch (message.type) {
    case 'plan':
      renderPlan(message.plan);
      break;
    case 'batchResults':
      renderBatchResults(message.batch);
      break;
    case 'state':
      renderState(message.state, message.message);
      break;
    case 'progress':
      renderProgress(message.progress);
      break;
    case 'cacheTotals':
      cacheTotals.textContent = message.text ?? '';
      cacheTotals.hidden = message.text === undefined;
      break;
    case 'grid':
      showTotals(message.totals);
      if (message.rows) {
        windowStart = message.start;
        windowRows = message.rows;
        drawnTop = -1;
      }
      // The selected row's detail follows it when it changed (a retry, a result arriving).
      if (message.selected && message.selected.key === selectedKey && JSON.stringify(message.selected) !== JSON.stringify(selectedRow)) openRow(message.selected);
      // The first rows of an empty grid are drawn at once; later windows and updates wait for the
      // next frame, and while the canvas scrolls, the DOM rows wait for it to rest as they do for a scroll.
      if (slots.every((slot) => slot.index === -1)) renderNow();
      else schedule(!(canvas && settle !== undefined));
      break;
  }
});

renderState('planned');
vscode.postMessage({ type: 'ready' });
