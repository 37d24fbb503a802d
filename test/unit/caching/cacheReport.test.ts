import assert from 'node:assert/strict';
import { cacheReportOf, cacheReportView, cacheSummaryText, cacheTotalsText, describeCacheMiss, firstChangedBlock, RunningCacheTotals, sumCacheReports, withCacheDiagnostics, type CacheReport } from '../../../src/core/caching/cacheReport';
import { requiredBetas } from '../../../src/core/models/requiredBetas';
import { BUNDLED_PRICES, estimateCost, findPrice } from '../../../src/core/pricing/priceTable';

const sonnet45 = findPrice(BUNDLED_PRICES, 'claude-sonnet-4-5'); // $3 in, $3.75 5m, $6 1h, $0.30 read

describe('cache report', () => {
  it('splits reads and 5m/1h writes, with the hit rate and the saving against uncached input', () => {
    const usage = {
      input_tokens: 100,
      output_tokens: 10,
      cache_read_input_tokens: 9_000,
      cache_creation_input_tokens: 900,
      cache_creation: { ephemeral_5m_input_tokens: 600, ephemeral_1h_input_tokens: 300 },
    };
    const report = cacheReportOf(usage, sonnet45);
    assert.deepEqual([report.readTokens, report.write5mTokens, report.write1hTokens, report.uncachedTokens], [9_000, 600, 300, 100]);
    assert.equal(report.hitRate, 0.9);
    // Uncached: 10,000 x $3 = $0.03. Actual: 100 x 3 + 9,000 x 0.3 + 600 x 3.75 + 300 x 6 = 7,050 -> $0.00705.
    assert.ok(Math.abs((report.savedUsd ?? 0) - (30_000 - 7_050) / 1e6) < 1e-12);
  });

  it('is negative on a run that only wrote, and unknown where a cache price is', () => {
    const written = cacheReportOf({ input_tokens: 10, output_tokens: 1, cache_creation_input_tokens: 1000, cache_read_input_tokens: 0 }, sonnet45);
    assert.ok((written.savedUsd ?? 0) < 0);
    assert.match(cacheReportView({ input_tokens: 10, output_tokens: 1, cache_creation_input_tokens: 1000 }, sonnet45)?.savedText ?? '', /cost \$0\.00075 more than uncached input/);
    const fable52 = findPrice(BUNDLED_PRICES, 'claude-fable-5-2'); // cache columns unknown
    assert.equal(cacheReportOf({ input_tokens: 10, output_tokens: 1, cache_read_input_tokens: 1000 }, fable52).savedUsd, undefined);
  });

  it('adds up a job', () => {
    const a = cacheReportOf({ input_tokens: 10, output_tokens: 1, cache_creation_input_tokens: 1000 }, sonnet45);
    const b = cacheReportOf({ input_tokens: 10, output_tokens: 1, cache_read_input_tokens: 1000 }, sonnet45);
    const total = sumCacheReports([a, b, b]);
    assert.equal(total.readTokens, 2000);
    assert.equal(total.write5mTokens, 1000);
    assert.ok(Math.abs(total.hitRate - 2000 / 3030) < 1e-12);
    assert.ok(Math.abs((total.savedUsd ?? 0) - ((a.savedUsd ?? 0) + 2 * (b.savedUsd ?? 0))) < 1e-12);
  });

  it("writes a job's totals line for the results grid, and none when no row used the cache", () => {
    const a = cacheReportOf({ input_tokens: 10, output_tokens: 1, cache_creation_input_tokens: 1000 }, sonnet45);
    const b = cacheReportOf({ input_tokens: 10, output_tokens: 1, cache_read_input_tokens: 1000 }, sonnet45);
    const saved = sumCacheReports([a, b, b]).savedUsd ?? 0;
    assert.ok(saved > 0);
    assert.match(cacheTotalsText([a, b, b]) ?? '', /^cache: 2,000 read, 1,000 written \(5m\), 0 written \(1h\), 66% hit rate, saved \$0\.\d+ against uncached input$/);
    const plain = cacheReportOf({ input_tokens: 10, output_tokens: 1 }, sonnet45);
    assert.equal(cacheTotalsText([plain, plain]), undefined);
    assert.equal(cacheTotalsText([]), undefined);
  });

  it('running totals kept as rows arrive, are retried and reset match the sum over the rows that show', () => {
    const haiku = findPrice(BUNDLED_PRICES, 'claude-haiku-5-5');
    // A deterministic stream of row results: new rows, retried rows (same key), some priced by an unknown model.
    let seed = 7;
    const next = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const reportFor = (): CacheReport | undefined => {
      if (next(6) === 0) return undefined;
      const write = next(3) === 0 ? next(5_000) : 0;
      const usage = { input_tokens: next(2_000), output_tokens: 10, cache_read_input_tokens: next(20_000), cache_creation_input_tokens: write, cache_creation: { ephemeral_5m_input_tokens: write, ephemeral_1h_input_tokens: 0 } };
      return cacheReportOf(usage, next(10) === 0 ? undefined : (haiku ?? sonnet45));
    };
    const rows = new Map<string, CacheReport | undefined>();
    const running = new RunningCacheTotals();
    const shown = (): CacheReport[] => [...rows.values()].flatMap((r) => (r ? [r] : []));
    for (let step = 0; step < 3_000; step++) {
      if (step === 1_500) {
        rows.clear();
        running.clear();
      }
      const key = `row-${next(400)}`;
      const report = reportFor();
      running.replace(rows.get(key), report);
      rows.set(key, report);
      if (step % 97 === 0 || step === 2_999) {
        const expected = sumCacheReports(shown());
        const actual = running.total();
        assert.equal(actual.readTokens, expected.readTokens);
        assert.equal(actual.write5mTokens, expected.write5mTokens);
        assert.equal(actual.write1hTokens, expected.write1hTokens);
        assert.equal(actual.uncachedTokens, expected.uncachedTokens);
        assert.equal(actual.hitRate, expected.hitRate);
        assert.equal(actual.savedUsd === undefined, expected.savedUsd === undefined, `step ${step}: the saving is unknown in both or neither`);
        if (expected.savedUsd !== undefined) assert.ok(Math.abs((actual.savedUsd ?? NaN) - expected.savedUsd) < 1e-9, `step ${step}: ${actual.savedUsd} against ${expected.savedUsd}`);
        assert.equal(running.text(), cacheTotalsText(shown()), `step ${step}`);
      }
    }
    assert.ok(running.text(), 'the stream used the cache');
  });

  it('says why a run missed, in the words of the issue', () => {
    assert.equal(describeCacheMiss({ type: 'system_changed', cache_missed_input_tokens: 9812 }), 'system changed: 9,812 tokens missed');
    assert.equal(describeCacheMiss({ type: 'model_changed', cache_missed_input_tokens: 5 }), 'model or speed changed: 5 tokens missed');
    assert.match(describeCacheMiss({ type: 'previous_message_not_found' }) ?? '', /no record of the previous run/);
    assert.equal(describeCacheMiss(null), undefined);
    const view = cacheReportView({ input_tokens: 9_900, output_tokens: 1, cache_creation_input_tokens: 9_812 }, sonnet45, {
      diagnostics: { cache_miss_reason: { type: 'system_changed', cache_missed_input_tokens: 9_812 } },
      changedSinceLastRun: 'system[0] changed since the last run',
    });
    assert.equal(cacheSummaryText(view as never), 'cache 0% read, writes cost $0.0074 more; system changed: 9,812 tokens missed');
  });

  it('names the first block that changed since the last run, in cache order', () => {
    const base = { model: 'm', tools: [{ name: 't' }], system: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }], messages: [{ role: 'user', content: 'q' }] };
    assert.equal(firstChangedBlock(base, { ...base }), undefined);
    assert.equal(firstChangedBlock(base, { ...base, messages: [...base.messages, { role: 'assistant', content: 'r' }] }), undefined, 'appending is no change');
    assert.equal(firstChangedBlock(base, { ...base, system: [{ type: 'text', text: 'a' }, { type: 'text', text: 'B' }] }), 'system[1] changed since the last run');
    assert.equal(firstChangedBlock(base, { ...base, messages: [{ role: 'user', content: 'other' }] }), 'messages[0] changed since the last run');
    assert.equal(firstChangedBlock(base, { ...base, model: 'n' }), 'the model changed since the last run (m → n)');
    assert.equal(firstChangedBlock(base, { ...base, speed: 'fast' }), 'the speed changed since the last run (standard → fast)');
    assert.match(firstChangedBlock(base, { ...base, tools: [] }) ?? '', /^tools\[0\] became system\[0\]/);
  });

  it('asks for cache diagnostics when opted in, with the previous reply id or null', () => {
    const request = { model: 'm', messages: [] };
    assert.equal(withCacheDiagnostics(request, false, 'msg_1'), request, 'not opted in: unchanged');
    assert.deepEqual(withCacheDiagnostics(request, true, undefined).diagnostics, { previous_message_id: null });
    assert.deepEqual(withCacheDiagnostics(request, true, 'msg_1').diagnostics, { previous_message_id: 'msg_1' });
    assert.deepEqual(withCacheDiagnostics({ ...request, diagnostics: {} }, false, 'msg_2').diagnostics, { previous_message_id: 'msg_2' }, 'the prompt opts in');
    assert.deepEqual(withCacheDiagnostics({ ...request, diagnostics: { previous_message_id: 'msg_old' } }, false, 'msg_3').diagnostics, { previous_message_id: 'msg_3' }, 'a recorded id gives way to the latest run');
    assert.deepEqual(withCacheDiagnostics({ ...request, diagnostics: { previous_message_id: 'msg_own' } }, false, undefined).diagnostics, { previous_message_id: 'msg_own' });
  });
});

describe('betas a request needs', () => {
  it('adds the task-budget beta and a fast-mode beta where the catalogue says, and says so', () => {
    const budget = requiredBetas({ model: 'claude-opus-5', output_config: { task_budget: { type: 'tokens', total: 50_000 } } }, []);
    assert.deepEqual(budget.betas, ['task-budgets-2026-03-13']);
    assert.match(budget.notes[0] ?? '', /task-budgets-2026-03-13.*output_config\.task_budget/);
    assert.deepEqual(requiredBetas({ model: 'claude-opus-5', speed: 'fast' }, ['x']).betas, ['x', 'fast-mode-2026-02-01']);
    assert.deepEqual(requiredBetas({ model: 'claude-opus-5-5', speed: 'fast' }, []).betas, [], 'GA fast mode needs none');
    assert.deepEqual(requiredBetas({ model: 'claude-opus-5', output_config: { task_budget: {} } }, ['task-budgets-2026-03-13']).notes, [], 'listed already: nothing said');
  });
});

describe('fast mode prices', () => {
  it('is an error, not an unknown price, on a model without fast mode', () => {
    const cost = estimateCost(findPrice(BUNDLED_PRICES, 'claude-sonnet-5-5'), { inputTokens: 10, outputTokens: 10, fast: true });
    assert.equal(cost.known, false);
    assert.equal(cost.known ? undefined : cost.refused, true);
    assert.match(cost.known ? '' : cost.reason, /has no fast mode/);
    const unpriced = estimateCost(findPrice(BUNDLED_PRICES, 'claude-opus-5-5'), { inputTokens: 10, outputTokens: 10, fast: true });
    assert.equal(unpriced.known ? undefined : unpriced.refused, undefined, 'a fast model whose multiplier is unknown is an unknown price');
  });
});
