import assert from 'node:assert/strict';
import type { GridRow } from '../../../src/core/dataset/gridView';
import { GRID_FIRST_WINDOW, GRID_MAX_WINDOW, parseGridMessage, type HostToGrid } from '../../../src/datasets/datasetProtocol';
import { GridFeed } from '../../../src/datasets/gridFeed';

type GridMessage = Extract<HostToGrid, { type: 'grid' }>;

const rows = (from: number, count: number, extra: Partial<GridRow> = {}): GridRow[] =>
  Array.from({ length: count }, (_, i) => ({ key: `K-${from + i}`, index: from + i, status: 'succeeded' as const, output: `out ${from + i}`, costUsd: 0.001, ...extra }));

function feed(): { feed: GridFeed; sent: GridMessage[] } {
  const sent: GridMessage[] = [];
  return { feed: new GridFeed((message) => sent.push(message)), sent };
}

describe('results grid feed (host to page)', () => {
  it('a new page gets the totals and only the first window of a large grid', () => {
    const { feed: grid } = feed();
    grid.put(rows(0, 100_000), true);
    const first = grid.ready();
    assert.equal(first.totals.shown, 100_000);
    assert.equal(first.start, 0);
    assert.equal(first.rows?.length, GRID_FIRST_WINDOW);
    assert.equal(first.rows?.[0]?.key, 'K-0');
  });

  it('answers a range with the view\'s rows there, and sends the window again when rows in it change', () => {
    const { feed: grid, sent } = feed();
    grid.put(rows(0, 5_000), true);
    grid.ready();
    sent.length = 0;
    assert.ok(grid.receive({ type: 'range', start: 3_000, end: 3_100 }));
    assert.equal(sent.length, 1);
    assert.equal(sent[0]?.start, 3_000);
    assert.deepEqual(sent[0]?.rows?.map((r) => r.index), Array.from({ length: 100 }, (_, i) => 3_000 + i));
    // A row inside the window changes (a retry): the window is sent again with it.
    grid.put(rows(3_050, 1, { status: 'errored', output: undefined, error: 'Overloaded' }));
    assert.equal(sent.length, 2);
    assert.equal(sent[1]?.rows?.[50]?.status, 'errored');
    assert.equal(sent[1]?.totals.errors, 1);
  });

  it('sends only the totals when what changed is outside the page\'s window', () => {
    const { feed: grid, sent } = feed();
    grid.put(rows(0, 1_000), true);
    grid.ready();
    grid.receive({ type: 'range', start: 0, end: 100 });
    sent.length = 0;
    grid.put(rows(1_000, 10));
    assert.equal(sent.length, 1);
    assert.equal(sent[0]?.rows, undefined, 'the page keeps the rows it has');
    assert.equal(sent[0]?.totals.rows, 1_010);
  });

  it('a query makes a new view and sends its window; a new page starts from every row in dataset order', () => {
    const { feed: grid, sent } = feed();
    grid.put([...rows(0, 10), ...rows(10, 2, { status: 'errored' })], true);
    grid.ready();
    sent.length = 0;
    grid.receive({ type: 'query', query: { status: 'errored', search: '', sort: 'index' } });
    assert.deepEqual(sent[0]?.rows?.map((r) => r.key), ['K-10', 'K-11']);
    assert.equal(sent[0]?.totals.shown, 2);
    const again = grid.ready();
    assert.equal(again.totals.shown, 12);
    assert.equal(again.rows?.length, 12);
  });

  it('sends the selected row again when it changes, even far outside the page\'s window', () => {
    const { feed: grid, sent } = feed();
    grid.put(rows(0, 10_000), true);
    grid.ready();
    grid.receive({ type: 'select', key: 'K-5' });
    assert.equal(sent.at(-1)?.selected?.key, 'K-5');
    grid.receive({ type: 'range', start: 8_000, end: 9_000 });
    assert.equal(sent.at(-1)?.selected, undefined, 'unchanged: not sent again');
    grid.put(rows(5, 1, { status: 'errored', output: undefined, error: 'Overloaded' }));
    const last = sent.at(-1);
    assert.equal(last?.rows, undefined, 'the window did not change');
    assert.equal(last?.selected?.status, 'errored');
    assert.equal(last?.selected?.error, 'Overloaded');
  });

  it('a query the same as the current one makes no new view and sends nothing', () => {
    const { feed: grid, sent } = feed();
    grid.put(rows(0, 10), true);
    grid.ready();
    grid.receive({ type: 'query', query: { status: 'errored', search: 'x', sort: 'cost' } });
    const count = sent.length;
    assert.ok(grid.receive({ type: 'query', query: { status: 'errored', search: 'x', sort: 'cost' } }));
    assert.equal(sent.length, count);
  });

  it('makes nothing while no page listens, and the next message carries the rows again', () => {
    const sent: GridMessage[] = [];
    let listening = true;
    const grid = new GridFeed((message) => sent.push(message), () => listening);
    grid.put(rows(0, 10), true);
    grid.ready();
    sent.length = 0;
    listening = false;
    grid.put(rows(10, 5));
    assert.equal(sent.length, 0);
    listening = true;
    grid.put(rows(15, 1));
    assert.equal(sent.length, 1);
    assert.equal(sent[0]?.rows?.length, 16);
  });

  it('hands back messages that are not about the grid', () => {
    const { feed: grid, sent } = feed();
    assert.equal(grid.receive({ type: 'start' }), false);
    assert.equal(sent.length, 0);
  });
});

describe('grid messages from the page', () => {
  it('takes a range of view positions, at most GRID_MAX_WINDOW rows', () => {
    assert.deepEqual(parseGridMessage({ type: 'range', start: 10, end: 20 }), { type: 'range', start: 10, end: 20 });
    assert.deepEqual(parseGridMessage({ type: 'range', start: 0, end: 10_000_000 }), { type: 'range', start: 0, end: GRID_MAX_WINDOW });
    for (const bad of [{ start: -1, end: 5 }, { start: 5, end: 4 }, { start: 1.5, end: 4 }, { start: '0', end: 4 }, { start: 0 }, { start: 2 ** 60, end: 2 ** 61 }]) {
      assert.equal(parseGridMessage({ type: 'range', ...bad }), undefined, JSON.stringify(bad));
    }
  });

  it('takes a query of known statuses and orders only, keeping only its fields and a bounded search', () => {
    assert.deepEqual(parseGridMessage({ type: 'query', query: { status: 'errored', search: 'x', sort: 'cost', extra: 1 }, more: 2 }), { type: 'query', query: { status: 'errored', search: 'x', sort: 'cost' } });
    assert.equal(parseGridMessage({ type: 'query', query: { status: 'everything', search: '', sort: 'index' } }), undefined);
    assert.equal(parseGridMessage({ type: 'query', query: { status: 'all', search: '', sort: 'toString' } }), undefined);
    assert.equal(parseGridMessage({ type: 'query', query: { status: 'all', search: 5, sort: 'index' } }), undefined);
    assert.equal(parseGridMessage({ type: 'query' }), undefined);
    const long = parseGridMessage({ type: 'query', query: { status: 'all', search: 'a'.repeat(50_000), sort: 'index' } });
    assert.equal(long?.type === 'query' && long.query.search.length, 1_000);
  });

  it('takes a selected row\'s key as a string only', () => {
    assert.deepEqual(parseGridMessage({ type: 'select', key: 'K-1', extra: true }), { type: 'select', key: 'K-1' });
    for (const key of [undefined, 5, { toString: 'x' }]) assert.equal(parseGridMessage({ type: 'select', key }), undefined);
  });

  it('keeps the bare messages bare and refuses unknown ones', () => {
    assert.deepEqual(parseGridMessage({ type: 'start', start: 5 }), { type: 'start' });
    for (const bad of [null, undefined, 5, 'start', { type: 'grid' }, { type: 'rows' }]) assert.equal(parseGridMessage(bad), undefined, String(bad));
  });
});
