import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { SIMULATOR_ORGANIZATION_ID } from '../../../src/core/api/simulatedResponse';
import { findPrice, BUNDLED_PRICES } from '../../../src/core/pricing/priceTable';
import { RateLimitBoard } from '../../../src/core/spend/rateLimitHeaders';
import type * as SpendGateModule from '../../../src/core/spend/spendGate';
import { costOfCall, SpendGate, SpendRefusedError, type BilledJob, type RecordedResult, type SpendLimits } from '../../../src/core/spend/spendGate';
import { ThresholdWatch } from '../../../src/core/spend/monthlyBudget';
import { SpendLedger, type LedgerCall, type SpendTotals } from '../../../src/core/spend/spendLedger';
import { buildSpendReport } from '../../../src/core/spend/spendReport';
import { entry, tempFolder } from './ledgerFixture';

const now = Date.parse('2026-11-14T10:00:00Z');

async function setup(limits: Partial<SpendLimits> = {}, spentUsd = 0) {
  const folder = await tempFolder();
  const ledger = new SpendLedger({ folder, now: () => now, writer: 'me' });
  if (spentUsd) await new SpendLedger({ folder, now: () => now, writer: 'other' }).append(entry({ costUsd: spentUsd }));
  const settings: SpendLimits = { confirmAboveUsd: 100, maxRunCostUsd: 1_000, monthlyBudgetUsd: 10, ...limits };
  const rateLimits = new RateLimitBoard();
  const gate = new SpendGate({
    ledger,
    limits: () => settings,
    prices: (model) => findPrice(BUNDLED_PRICES, model),
    target: async () => ({ keyFingerprint: 'fp0123456789', baseUrlHost: 'api.anthropic.com' }),
    rateLimits,
    now: () => now,
  });
  return { folder, ledger, gate, settings, rateLimits };
}

const job = (worstCaseUsd: number | undefined, extra: Partial<BilledJob> = {}): BilledJob => ({
  kind: 'run',
  model: 'claude-sonnet-5-5',
  promptName: 'Classify',
  worstCaseUsd,
  what: '1,000 input tokens + up to 200 output tokens on claude-sonnet-5-5',
  ...extra,
});

// 1,000 input and 200 output tokens on Sonnet 5.5 ($2 / $10 per million): $0.004.
const usage = { input_tokens: 1_000, output_tokens: 200 };

describe('SpendGate', () => {
  it('refuses before sending when the worst case would take month-to-date past the budget, naming the figures and the ways out', async () => {
    const { gate } = await setup({ monthlyBudgetUsd: 10 }, 9);
    const decision = await gate.assess(job(1.5));
    assert.equal(decision.kind, 'refuse');
    assert.equal(
      decision.kind === 'refuse' && decision.message,
      "Not sent: the worst case, $1.50 (1,000 input tokens + up to 200 output tokens on claude-sonnet-5-5), would take this month's spend from $9.00 to $10.50, past your monthly budget of $10.00 ($1.00 left). To send it: choose a cheaper model, send it as a batch (×0.5), lower max_tokens, or raise promptWorkbench.monthlyBudgetUsd.",
    );
    await assert.rejects(gate.open(job(1.5)), (error: unknown) => error instanceof SpendRefusedError && error.when === 'before-job');
  });

  it('sends a worst case that exactly fills the budget, and one with no budget set', async () => {
    const { gate, settings } = await setup({ monthlyBudgetUsd: 10 }, 9);
    assert.equal((await gate.assess(job(1))).kind, 'send');
    settings.monthlyBudgetUsd = 0;
    assert.equal((await gate.assess(job(50))).kind, 'send');
  });

  it('checks the worst case, not the expected cost: a call that would cost little is still refused', async () => {
    const { gate } = await setup({ monthlyBudgetUsd: 1 }, 0.99);
    assert.equal((await gate.assess(job(0.02))).kind, 'refuse');
  });

  it('the per-run spend cap still refuses first, with its own setting named', async () => {
    const { gate } = await setup({ maxRunCostUsd: 1, monthlyBudgetUsd: 100 });
    const decision = await gate.assess(job(2));
    assert.equal(decision.kind, 'refuse');
    assert.match(decision.kind === 'refuse' ? decision.message : '', /promptWorkbench\.maxRunCostUsd/);
  });

  it('an unknown worst case asks, saying the budget cannot guard it; open() without the confirmation refuses', async () => {
    const { gate } = await setup({ monthlyBudgetUsd: 10 });
    const decision = await gate.assess(job(undefined, { model: 'claude-new-9' }));
    assert.equal(decision.kind, 'confirm');
    assert.match(decision.kind === 'confirm' ? decision.message : '', /monthly budget cannot guard it/);
    await assert.rejects(gate.open(job(undefined)), SpendRefusedError);
    const handle = await gate.open(job(undefined), { confirmed: true });
    handle.close();
  });

  it('records the actual cost from the usage into the ledger and releases the reservation', async () => {
    const { gate, ledger } = await setup({ monthlyBudgetUsd: 10 });
    const handle = await gate.open(job(2));
    assert.equal(gate.monthToDate.reservedUsd, 2);
    const sent = await handle.call({ model: 'claude-sonnet-5-5', worstCaseUsd: 2 }, async () => ({ result: 'ok', usage, requestId: 'req_42' }));
    assert.equal(sent.result, 'ok');
    assert.equal(sent.entry?.costUsd, 0.004);
    assert.equal(ledger.totals.usd, 0.004);
    assert.equal(gate.monthToDate.reservedUsd, 2 - 0.004);
    handle.close();
    assert.equal(gate.monthToDate.reservedUsd, 0);
    const [line] = await ledger.readMonth('2026-11');
    assert.ok(line?.type === 'call');
    assert.deepEqual(
      { ...line, time: undefined },
      {
        type: 'call',
        time: undefined,
        keyFingerprint: 'fp0123456789',
        baseUrlHost: 'api.anthropic.com',
        model: 'claude-sonnet-5-5',
        promptName: 'Classify',
        kind: 'run',
        usage: { inputTokens: 1_000, outputTokens: 200, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, cacheReadTokens: 0 },
        costUsd: 0.004,
        priceAsOf: '2026-11-25',
        requestId: 'req_42',
        simulated: false,
        writer: 'me',
      },
    );
  });

  it('an open job holds its worst case: a second job that would overshoot together is refused', async () => {
    const { gate } = await setup({ monthlyBudgetUsd: 10 }, 4);
    const first = await gate.open(job(5));
    const decision = await gate.assess(job(2));
    assert.equal(decision.kind, 'refuse');
    assert.match(decision.kind === 'refuse' ? decision.message : '', /plus \$5\.00 held by jobs still running/);
    first.close();
    assert.equal((await gate.assess(job(2))).kind, 'send');
  });

  it('a job stops before the next request when the remaining worst case no longer fits (another window spent meanwhile)', async () => {
    const { gate, folder } = await setup({ monthlyBudgetUsd: 10 });
    const dataset = await gate.open(job(8, { kind: 'dataset', what: '4 rows on claude-sonnet-5-5' }));
    let sentCount = 0;
    const send = async () => {
      sentCount++;
      return { result: sentCount, usage };
    };
    await dataset.call({ model: 'claude-sonnet-5-5', worstCaseUsd: 2 }, send);
    await new SpendLedger({ folder, now: () => now, writer: 'other window' }).append(entry({ costUsd: 5 }));
    await assert.rejects(
      dataset.call({ model: 'claude-sonnet-5-5', worstCaseUsd: 2 }, send),
      (error: unknown) => error instanceof SpendRefusedError && error.when === 'before-request' && /Stopped before the next request/.test(error.message),
    );
    assert.equal(sentCount, 1, 'the refused request was never sent');
    dataset.close();
  });

  it('a request whose worst case outgrows the job reservation grows it only within the cap and the budget', async () => {
    const { gate } = await setup({ monthlyBudgetUsd: 10, maxRunCostUsd: 3 });
    const dataset = await gate.open(job(2, { kind: 'dataset' }));
    await dataset.call({ model: 'claude-sonnet-5-5', worstCaseUsd: 2 }, async () => ({ result: 1, usage }));
    // 0.004 settled: a further 2.5 makes the job's worst case 2.504, within the cap of 3.
    await dataset.call({ model: 'claude-sonnet-5-5', worstCaseUsd: 2.5 }, async () => ({ result: 2, usage }));
    assert.ok(Math.abs(dataset.reservedUsd - 2.504) < 1e-9, String(dataset.reservedUsd));
    // 0.008 settled: a further 3 would make it 3.008, above the cap.
    let sent = false;
    await assert.rejects(dataset.call({ model: 'claude-sonnet-5-5', worstCaseUsd: 3 }, async () => {
      sent = true;
      return { result: 3, usage };
    }), /maxRunCostUsd/);
    assert.equal(sent, false);
    dataset.close();
  });

  it('keeps a simulated answer apart: recorded, never added to real spend, never using the reservation', async () => {
    const { gate, ledger } = await setup({ monthlyBudgetUsd: 10 });
    const handle = await gate.open(job(1));
    const sent = await handle.call({ model: 'claude-sonnet-5-5', worstCaseUsd: 1 }, async () => ({
      result: 'sim',
      usage,
      headers: new Headers({ 'anthropic-organization-id': SIMULATOR_ORGANIZATION_ID }),
    }));
    handle.close();
    assert.equal(sent.entry?.simulated, true);
    assert.equal(ledger.totals.usd, 0);
    assert.deepEqual(ledger.totals.simulated, { usd: 0.004, calls: 1 });
  });

  it('a call that fails records nothing, and its rate-limit headers are still read', async () => {
    const { gate, ledger, rateLimits } = await setup();
    const handle = await gate.open(job(1));
    const failure = Object.assign(new Error('429'), {
      headers: new Headers({ 'anthropic-ratelimit-requests-limit': '50', 'anthropic-ratelimit-requests-remaining': '0', 'anthropic-ratelimit-requests-reset': '2026-11-14T10:00:30Z' }),
    });
    await assert.rejects(handle.call({ model: 'claude-sonnet-5-5', worstCaseUsd: 1 }, async () => Promise.reject(failure)), /429/);
    handle.close();
    assert.equal(ledger.totals.calls, 0);
    assert.deepEqual(rateLimits.forModel('claude-sonnet-4-6')?.requests, { limit: 50, remaining: 0, reset: '2026-11-14T10:00:30.000Z' });
  });

  it('costOfCall prices cache savings against the full input price and batch savings against synchronous prices', () => {
    const price = findPrice(BUNDLED_PRICES, 'claude-sonnet-5-5');
    // 10,000 cache-read tokens: $0.10/M instead of $2/M saves $0.019.
    const cached = costOfCall(price, { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 10_000 });
    assert.ok(Math.abs(cached.cacheSavingsUsd - 0.019) < 1e-12, String(cached.cacheSavingsUsd));
    const batch = costOfCall(price, { input_tokens: 1_000_000, output_tokens: 0, service_tier: 'batch' });
    assert.equal(batch.costUsd, 1);
    assert.equal(batch.batchSavingsUsd, 1);
    assert.deepEqual(costOfCall(undefined, usage), { costUsd: null, cacheSavingsUsd: 0, batchSavingsUsd: 0 });
  });

  it('records a batch result that arrives apart from any call, at batch prices, and takes the cost out of the reservation', async () => {
    const { gate, ledger } = await setup({ monthlyBudgetUsd: 10 });
    const handle = await gate.open(job(2, { kind: 'batch', batch: true }));
    const created = await handle.call({ model: 'claude-sonnet-5-5', worstCaseUsd: undefined }, async () => ({ result: 'msgbatch_1', batchId: 'msgbatch_1' }));
    assert.equal(created.entry, undefined, 'creating a batch bills nothing');
    assert.equal(gate.monthToDate.reservedUsd, 2);
    const entry = await handle.recordResult({ model: 'claude-sonnet-5-5', worstCaseUsd: undefined }, { usage, batchId: 'msgbatch_1', requestId: 'msg_1', isBatchResult: true });
    assert.equal(entry.costUsd, 0.002);
    assert.equal(entry.kind, 'batch');
    assert.equal(entry.batchId, 'msgbatch_1');
    assert.equal(entry.calls, 1);
    assert.deepEqual(entry.requestIds, ['msg_1']);
    assert.equal(entry.batchSavingsUsd, 0.002);
    assert.equal(ledger.totals.usd, 0.002);
    assert.ok(Math.abs(gate.monthToDate.reservedUsd - 1.998) < 1e-12);
    handle.close();
    // Real spend is recorded even after the job is closed (a result that came in late).
    await handle.recordResult({ model: 'claude-sonnet-5-5', worstCaseUsd: undefined }, { usage, batchId: 'msgbatch_1', isBatchResult: true });
    assert.equal(ledger.totals.usd, 0.004);
    assert.equal(gate.monthToDate.reservedUsd, 0);
  });

  it('records many batch results at once as one ledger line per group, with a calls count and the sums, each result’s own cost returned in order', async () => {
    const { gate, ledger, folder } = await setup({ monthlyBudgetUsd: 10 });
    const handle = await gate.open(job(2, { kind: 'batch', batch: true }));
    const results = Array.from({ length: 5 }, (_, i) => ({
      spec: { model: 'claude-sonnet-5-5', worstCaseUsd: undefined },
      sent: { usage: { input_tokens: 1_000 * (i + 1), output_tokens: 200 }, batchId: 'msgbatch_1', requestId: `msg_${i}`, isBatchResult: true },
    }));
    const costs = await handle.recordResults(results);
    assert.deepEqual(costs.map((c) => c.costUsd), [0.002, 0.003, 0.004, 0.005, 0.006]);
    assert.ok(Math.abs(ledger.totals.usd - 0.02) < 1e-12);
    assert.equal(ledger.totals.calls, 5, 'the month counts every call of the group');
    assert.equal(ledger.totals.tokens.inputTokens, 15_000);
    assert.equal(ledger.totals.tokens.outputTokens, 1_000);
    assert.deepEqual(Object.fromEntries([...ledger.totals.byModel].map(([m, v]) => [m, v.calls])), { 'claude-sonnet-5-5': 5 });
    assert.equal(handle.recorded.calls, 5);
    assert.ok(Math.abs(gate.monthToDate.reservedUsd - 1.98) < 1e-12);
    const month = (await fs.readdir(folder)).find((f) => f.endsWith('.jsonl'))!;
    const lines = (await fs.readFile(join(folder, month), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as LedgerCall);
    assert.equal(lines.length, 1, 'one line for the group');
    const [line] = lines;
    assert.equal(line!.calls, 5);
    assert.equal(line!.kind, 'batch');
    assert.equal(line!.batchId, 'msgbatch_1');
    assert.deepEqual(line!.requestIds, ['msg_0', 'msg_1', 'msg_2', 'msg_3', 'msg_4']);
    assert.ok(Math.abs(line!.costUsd! - 0.02) < 1e-12);
    assert.ok(Math.abs(line!.batchSavingsUsd! - 0.02) < 1e-12);
    assert.equal(handle.costOfResult(results[2]!.spec, results[2]!.sent), 0.004, 'the cost of one result, recorded or not');
    assert.deepEqual(await handle.recordResults([]), []);
    handle.close();
  });

  it('groups results by what the month totals tell apart: model, priced or not, simulated or not', async () => {
    const { gate, ledger } = await setup({ monthlyBudgetUsd: 10 });
    const handle = await gate.open(job(2, { kind: 'batch', batch: true }));
    const sent = (i: number, extra: Partial<RecordedResult> = {}): RecordedResult => ({ usage: { input_tokens: 1_000, output_tokens: 100 }, batchId: 'msgbatch_1', requestId: `msg_${i}`, isBatchResult: true, ...extra });
    await handle.recordResults([
      { spec: { model: 'claude-sonnet-5-5', worstCaseUsd: undefined }, sent: sent(0) },
      { spec: { model: 'claude-unknown-9', worstCaseUsd: undefined }, sent: sent(1) },
      { spec: { model: 'claude-sonnet-5-5', worstCaseUsd: undefined }, sent: sent(2, { simulated: true }) },
      { spec: { model: 'claude-sonnet-5-5', worstCaseUsd: undefined }, sent: sent(3) },
      { spec: { model: 'claude-unknown-9', worstCaseUsd: undefined }, sent: sent(4) },
    ]);
    const lines = (await ledger.readMonth(ledger.totals.month)).filter((l): l is LedgerCall => l.type === 'call');
    assert.deepEqual(lines.map((l) => [l.model, l.calls, l.costUsd === null, l.simulated, l.requestIds]), [
      ['claude-sonnet-5-5', 2, false, false, ['msg_0', 'msg_3']],
      ['claude-unknown-9', 2, true, false, ['msg_1', 'msg_4']],
      ['claude-sonnet-5-5', 1, false, true, ['msg_2']],
    ]);
    assert.equal(ledger.totals.calls, 4);
    assert.equal(ledger.totals.unpricedCalls, 2, 'an unpriced group counts every call in it, never as $0');
    assert.equal(ledger.totals.simulated.calls, 1);
    handle.close();
  });

  it('grouping results changes none of the month\'s totals, the spend report, a window starting from scratch, or the budget warnings', async () => {
    // The same 2,500 results (two models, one unpriced, some cached, some simulated, a web search
    // fee), recorded one line each in one ledger and a thousand at a time in groups in another.
    const results = Array.from({ length: 2_500 }, (_, i) => ({
      spec: { model: i % 7 === 0 ? 'claude-unknown-9' : i % 3 === 0 ? 'claude-haiku-5-5' : 'claude-sonnet-5-5', worstCaseUsd: undefined, ...(i % 5 === 0 ? { promptName: 'Other' } : {}) },
      sent: {
        usage: { input_tokens: 200 + i, output_tokens: 20 + (i % 50), cache_read_input_tokens: i % 4 === 0 ? 1_000 : 0, cache_creation_input_tokens: i % 9 === 0 ? 300 : 0, service_tier: 'batch' as const, ...(i % 250 === 1 ? { server_tool_use: { web_search_requests: 2 } } : {}) },
        batchId: 'msgbatch_1',
        requestId: `msg_${i}`,
        isBatchResult: true,
        simulated: i % 11 === 0,
      },
    }));
    const single = await setup({ monthlyBudgetUsd: 1_000, maxRunCostUsd: 1_000, confirmAboveUsd: 1_000 });
    const grouped = await setup({ monthlyBudgetUsd: 1_000, maxRunCostUsd: 1_000, confirmAboveUsd: 1_000 });
    const watchOf = (writer: string) => {
      const watch = new ThresholdWatch(writer, () => ({ monthlyBudgetUsd: 0.5, warningPercents: [50, 80, 100] }));
      const crossed: number[] = [];
      return { watch, crossed };
    };
    const singleWatch = watchOf(single.ledger.writer);
    const groupedWatch = watchOf(grouped.ledger.writer);
    single.ledger.onLine((line, totals) => singleWatch.crossed.push(...singleWatch.watch.observe(line, totals).map((c) => c.percent)));
    grouped.ledger.onLine((line, totals) => groupedWatch.crossed.push(...groupedWatch.watch.observe(line, totals).map((c) => c.percent)));
    const one = await single.gate.open(job(100, { kind: 'batch', batch: true }));
    const many = await grouped.gate.open(job(100, { kind: 'batch', batch: true }));
    const singleCosts: (number | null)[] = [];
    for (const r of results) singleCosts.push((await one.recordResult(r.spec, r.sent)).costUsd);
    const groupedCosts: (number | null)[] = [];
    for (let i = 0; i < results.length; i += 1_000) groupedCosts.push(...(await many.recordResults(results.slice(i, i + 1_000))).map((c) => c.costUsd));
    assert.deepEqual(groupedCosts, singleCosts, 'each result is priced the same either way');
    const singleLines = await single.ledger.readMonth(single.ledger.totals.month);
    const groupedLines = await grouped.ledger.readMonth(grouped.ledger.totals.month);
    assert.equal(singleLines.length, 2_500);
    assert.ok(groupedLines.length <= 3 * 5 * 2 * 2, `a few lines per thousand results, not one each (${groupedLines.length})`);

    const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} against ${b}`);
    const comparable = (t: SpendTotals) => ({ ...t, usd: 0, byDay: t.byDay.map(() => 0), cacheSavingsUsd: 0, batchSavingsUsd: 0, simulated: { ...t.simulated, usd: 0 }, byModel: [...t.byModel].map(([m, v]) => [m, v.calls]).sort(), byPrompt: [...t.byPrompt].map(([m, v]) => [m, v.calls]).sort() });
    const check = (a: SpendTotals, b: SpendTotals) => {
      assert.deepEqual(comparable(a), comparable(b));
      close(a.usd, b.usd, 'usd');
      close(a.cacheSavingsUsd, b.cacheSavingsUsd, 'cache savings');
      close(a.batchSavingsUsd, b.batchSavingsUsd, 'batch savings');
      close(a.simulated.usd, b.simulated.usd, 'simulated usd');
      a.byDay.forEach((usd, day) => close(usd, b.byDay[day]!, `day ${day + 1}`));
      for (const [model, v] of a.byModel) close(v.usd, b.byModel.get(model)!.usd, model);
      for (const [prompt, v] of a.byPrompt) close(v.usd, b.byPrompt.get(prompt)!.usd, prompt);
    };
    const totals = single.ledger.totals;
    assert.equal(totals.calls + totals.simulated.calls, 2_500);
    assert.ok(totals.unpricedCalls > 300 && totals.tokens.cacheReadTokens > 0 && totals.simulated.calls > 200);
    check(grouped.ledger.totals, totals);
    assert.deepEqual(groupedWatch.crossed, singleWatch.crossed, 'the same budget warnings');
    assert.deepEqual(singleWatch.crossed, [50, 80, 100]);
    const report = (t: SpendTotals) => buildSpendReport(t, { budgetUsd: 10, warningPercents: [] }, []);
    assert.deepEqual(report(grouped.ledger.totals).byModel.map((m) => [m.name, m.calls]), report(totals).byModel.map((m) => [m.name, m.calls]));
    assert.equal(report(grouped.ledger.totals).calls, report(totals).calls);
    // Another window reads the grouped file from the start to the same totals.
    check(await new SpendLedger({ folder: grouped.folder, now: () => now }).refresh(), totals);
    assert.equal(one.recorded.calls, many.recorded.calls);
    close(one.recorded.usd, many.recorded.usd, 'settled against the reservation');
    one.close();
    many.close();
  });

  it('adopts a job sent before this window started: holds its worst case without checking, so later jobs are checked against it', async () => {
    const { gate } = await setup({ monthlyBudgetUsd: 10 }, 9);
    // Already sent: even past the budget, refusing could not un-send it.
    const adopted = gate.adopt(job(3, { kind: 'batch', batch: true }));
    assert.equal(gate.monthToDate.reservedUsd, 3);
    assert.equal((await gate.assess(job(0.5))).kind, 'refuse');
    adopted.close();
    assert.equal(gate.monthToDate.reservedUsd, 0);
    assert.equal((await gate.assess(job(0.5))).kind, 'send');
  });

  it('costOfCall records what the panel shows: web search fees on top of the tokens, and a web fetch as unknown (never a lower figure)', () => {
    const price = findPrice(BUNDLED_PRICES, 'claude-sonnet-5-5');
    // 1M input tokens at $2/M plus 3 searches at $10 per 1,000.
    const searched = costOfCall(price, { input_tokens: 1_000_000, output_tokens: 0, server_tool_use: { web_search_requests: 3, web_fetch_requests: 0 } });
    assert.ok(Math.abs((searched.costUsd ?? 0) - 2.03) < 1e-12, String(searched.costUsd));
    const fetched = costOfCall(price, { input_tokens: 1_000_000, output_tokens: 0, server_tool_use: { web_search_requests: 0, web_fetch_requests: 1 } });
    assert.equal(fetched.costUsd, null);
  });

  it('a closed job cannot send', async () => {
    const { gate } = await setup();
    const handle = await gate.open(job(1));
    handle.close();
    let sent = false;
    await assert.rejects(handle.call({ model: 'claude-sonnet-5-5', worstCaseUsd: 1 }, async () => {
      sent = true;
      return { result: 1 };
    }), SpendRefusedError);
    assert.equal(sent, false);
  });

  it('stores no key: the ledger file holds the fingerprint only', async () => {
    const { gate, folder } = await setup();
    const handle = await gate.open(job(1));
    await handle.call({ model: 'claude-sonnet-5-5', worstCaseUsd: 1 }, async () => ({ result: 1, usage }));
    handle.close();
    const text = await fs.readFile(join(folder, 'spend-2026-11.jsonl'), 'utf8');
    assert.match(text, /"keyFingerprint":"fp0123456789"/);
  });
  it('recognises a refusal thrown by another bundle\'s copy of the gate (datasets load as a bundle of their own)', () => {
    const modulePath = require.resolve('../../../src/core/spend/spendGate');
    const cached = require.cache[modulePath];
    delete require.cache[modulePath];
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const copy = require(modulePath) as typeof SpendGateModule;
      assert.notEqual(copy.SpendRefusedError, SpendRefusedError, 'a second copy of the class');
      const refusal = new copy.SpendRefusedError('over budget', 'before-job');
      assert.ok(refusal instanceof SpendRefusedError);
      assert.ok(!(new Error('other') instanceof SpendRefusedError));
    } finally {
      if (cached) require.cache[modulePath] = cached;
    }
  });
});
