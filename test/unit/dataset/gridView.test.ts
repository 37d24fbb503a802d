import assert from 'node:assert/strict';
import { DEFAULT_GRID_QUERY, GridView, type GridRow } from '../../../src/core/dataset/gridView';

const row = (index: number, extra: Partial<GridRow> = {}): GridRow => ({
  key: `K-${index}`,
  index,
  status: 'succeeded',
  output: `answer ${index}`,
  stopReason: 'end_turn',
  inputTokens: 100,
  outputTokens: 10 * index,
  costUsd: index / 1000,
  ...extra,
});

const keys = (rows: GridRow[]): string[] => rows.map((r) => r.key);

describe('results grid view (host side)', () => {
  it('shows every row in dataset order, with the totals of all rows', () => {
    const view = new GridView();
    view.put([row(2), row(0), row(1, { status: 'errored', error: 'Overloaded', costUsd: null, outputTokens: undefined })]);
    assert.deepEqual(keys(view.slice(0, 10)), ['K-0', 'K-1', 'K-2']);
    assert.deepEqual(view.totals, { shown: 3, rows: 3, tokens: 100 + 0 + 100 + 100 + 20, costUsd: 0.002, errors: 1 });
  });

  it('a row put again replaces the one with its key, in the totals too (a retried row counts once)', () => {
    const view = new GridView();
    view.put([row(0), row(1, { status: 'errored', costUsd: null })]);
    assert.equal(view.totals.errors, 1);
    view.put([row(1, { costUsd: 0.5 })]);
    assert.deepEqual(keys(view.slice(0, 10)), ['K-0', 'K-1']);
    assert.deepEqual(view.totals, { shown: 2, rows: 2, tokens: 200 + 10, costUsd: 0.5, errors: 0 });
    assert.equal(view.get('K-1')?.costUsd, 0.5);
  });

  it('a reset replaces the whole grid, and later rows still replace by key', () => {
    const view = new GridView();
    view.put([row(0), row(1), row(2)]);
    view.put([row(5), row(4)], true);
    assert.deepEqual(keys(view.slice(0, 10)), ['K-4', 'K-5']);
    assert.equal(view.get('K-0'), undefined);
    view.put([row(4, { status: 'errored' }), row(6)]);
    assert.deepEqual(keys(view.all()), ['K-5', 'K-4', 'K-6'], 'in the order each key first arrived');
    assert.equal(view.totals.errors, 1);
  });

  it('filters by status and searches key, output, error, stop reason and place, ignoring case', () => {
    const view = new GridView();
    view.put([
      row(0, { output: 'The REFUND was issued' }),
      row(1, { status: 'errored', output: undefined, error: 'rate limited (429)' }),
      row(2, { where: 'line 4', stopReason: 'max_tokens' }),
      row(3, { key: 'refund-desk' }),
    ]);
    view.setQuery({ ...DEFAULT_GRID_QUERY, search: '  refund ' });
    assert.deepEqual(keys(view.slice(0, 10)), ['K-0', 'refund-desk']);
    view.setQuery({ ...DEFAULT_GRID_QUERY, search: '429' });
    assert.deepEqual(keys(view.slice(0, 10)), ['K-1']);
    view.setQuery({ ...DEFAULT_GRID_QUERY, search: 'MAX_TOKENS' });
    assert.deepEqual(keys(view.slice(0, 10)), ['K-2']);
    view.setQuery({ ...DEFAULT_GRID_QUERY, search: 'line 4' });
    assert.deepEqual(keys(view.slice(0, 10)), ['K-2']);
    view.setQuery({ status: 'errored', search: '', sort: 'index' });
    assert.deepEqual(keys(view.slice(0, 10)), ['K-1']);
    // The totals count every row whatever is shown.
    assert.deepEqual({ shown: view.totals.shown, rows: view.totals.rows }, { shown: 1, rows: 4 });
  });

  it('sorts by cost (highest first, unpriced last), tokens (most first) and stop reason, ties in dataset order', () => {
    const view = new GridView();
    view.put([
      row(0, { costUsd: 0.2, outputTokens: 5, stopReason: 'max_tokens' }),
      row(1, { costUsd: null, outputTokens: 50, stopReason: 'end_turn' }),
      row(2, { costUsd: 0.9, outputTokens: 5, stopReason: 'end_turn' }),
      row(3, { costUsd: 0.2, outputTokens: 1, stopReason: null }),
    ]);
    view.setQuery({ ...DEFAULT_GRID_QUERY, sort: 'cost' });
    assert.deepEqual(keys(view.slice(0, 10)), ['K-2', 'K-0', 'K-3', 'K-1']);
    view.setQuery({ ...DEFAULT_GRID_QUERY, sort: 'tokens' });
    assert.deepEqual(keys(view.slice(0, 10)), ['K-1', 'K-0', 'K-2', 'K-3']);
    view.setQuery({ ...DEFAULT_GRID_QUERY, sort: 'stop' });
    assert.deepEqual(keys(view.slice(0, 10)), ['K-3', 'K-1', 'K-2', 'K-0']);
    view.setQuery(DEFAULT_GRID_QUERY);
    assert.deepEqual(keys(view.slice(0, 10)), ['K-0', 'K-1', 'K-2', 'K-3']);
  });

  it('keeps its view for a query that shows the same rows (search compared trimmed, in any case)', () => {
    const view = new GridView();
    view.put([row(0), row(1, { status: 'errored' })]);
    assert.equal(view.setQuery(DEFAULT_GRID_QUERY), false);
    assert.equal(view.setQuery({ status: 'errored', search: ' Answer ', sort: 'cost' }), true);
    assert.equal(view.setQuery({ status: 'errored', search: 'answer', sort: 'cost' }), false);
    assert.deepEqual(keys(view.slice(0, 10)), ['K-1']);
    assert.equal(view.setQuery({ status: 'errored', search: 'answer', sort: 'index' }), true);
  });

  it('gives any window of the view, as far as it goes', () => {
    const view = new GridView();
    view.put(Array.from({ length: 50 }, (_, i) => row(49 - i)));
    assert.deepEqual(keys(view.slice(10, 13)), ['K-10', 'K-11', 'K-12']);
    assert.deepEqual(keys(view.slice(48, 60)), ['K-48', 'K-49']);
    assert.deepEqual(view.slice(70, 80), []);
  });
});
