// The grid bench's stand-in for the extension host: the dataset panel's own GridFeed, in a worker
// of the bench's page, so the rows and the view live apart from the page's heap as they do in VS
// Code (there in another process). gridBench.ts bundles this file for the browser and starts it
// from a blob; the page's acquireVsCodeApi posts here, and what the feed sends is dispatched to the
// page as the webview's message events.
//
// Messages: the grid's own (GridToHost), and two of the bench's: `{ bench: 'make', rows }` makes
// the rows (outside the timing), `{ bench: 'show' }` hands them to the feed as the dataset panel
// does for a finished job's results.
import { parseGridMessage, type GridRow } from '../src/datasets/datasetProtocol';
import { GridFeed } from '../src/datasets/gridFeed';

interface WorkerScope {
  postMessage(message: unknown): void;
  onmessage: ((event: { data: unknown }) => void) | null;
}
const scope = globalThis as unknown as WorkerScope;

const STOPS = ['end_turn', 'max_tokens', 'end_turn', 'end_turn', 'refusal'];

/** Rows as a job's results file gives them: every 97th errored, the rest succeeded with a sentence of output. */
function makeRows(count: number): GridRow[] {
  const rows: GridRow[] = [];
  for (let i = 0; i < count; i++) {
    if (i % 97 === 0) rows.push({ key: `T-${i}`, index: i, where: `line ${i + 2}`, status: 'errored', error: 'Overloaded: the API is busy (529); retry later.', errorType: 'overloaded_error' });
    else
      rows.push({
        key: `T-${i}`,
        index: i,
        where: `line ${i + 2}`,
        status: 'succeeded',
        output: `Row ${i}: the ticket is about billing; the customer asks for a refund of the second charge and an explanation of why it happened. Category: billing. Priority: ${i % 3}.`,
        stopReason: STOPS[i % STOPS.length] as string,
        inputTokens: 600 + (i % 200),
        outputTokens: 40 + (i % 60),
        costUsd: 0.0004 + (i % 50) / 100000,
        requestId: `req_${i.toString(36).padStart(8, '0')}`,
      });
  }
  return rows;
}

const feed = new GridFeed((message) => scope.postMessage(message));
let made: GridRow[] = [];

scope.onmessage = ({ data }) => {
  const bench = (data as { bench?: string; rows?: number }).bench;
  if (bench === 'make') {
    made = makeRows((data as { rows: number }).rows);
    scope.postMessage({ bench: 'made', rows: made.length });
    return;
  }
  if (bench === 'show') {
    feed.put(made, true);
    made = [];
    return;
  }
  const message = parseGridMessage(data);
  if (message?.type === 'ready') scope.postMessage(feed.ready());
  else if (message) feed.receive(message);
};
