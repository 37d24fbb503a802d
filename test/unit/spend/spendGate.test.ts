import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { SIMULATOR_ORGANIZATION_ID } from '../../../src/core/api/simulatedResponse';
import { findPrice, BUNDLED_PRICES } from '../../../src/core/pricing/priceTable';
import { RateLimitBoard } from '../../../src/core/spend/rateLimitHeaders';
import type * as SpendGateModule from '../../../src/core/spend/spendGate';
import { costOfCall, SpendGate, SpendRefusedError, type BilledJob, type SpendLimits } from '../../../src/core/spend/spendGate';
import { SpendLedger } from '../../../src/core/spend/spendLedger';
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
    assert.equal(entry.requestId, 'msg_1');
    assert.equal(entry.batchSavingsUsd, 0.002);
    assert.equal(ledger.totals.usd, 0.002);
    assert.ok(Math.abs(gate.monthToDate.reservedUsd - 1.998) < 1e-12);
    handle.close();
    // Real spend is recorded even after the job is closed (a result that came in late).
    await handle.recordResult({ model: 'claude-sonnet-5-5', worstCaseUsd: undefined }, { usage, batchId: 'msgbatch_1', isBatchResult: true });
    assert.equal(ledger.totals.usd, 0.004);
    assert.equal(gate.monthToDate.reservedUsd, 0);
  });

  it('records many batch results at once, in order, each at batch prices, settled against the reservation', async () => {
    const { gate, ledger, folder } = await setup({ monthlyBudgetUsd: 10 });
    const handle = await gate.open(job(2, { kind: 'batch', batch: true }));
    const results = Array.from({ length: 5 }, (_, i) => ({
      spec: { model: 'claude-sonnet-5-5', worstCaseUsd: undefined },
      sent: { usage: { input_tokens: 1_000 * (i + 1), output_tokens: 200 }, batchId: 'msgbatch_1', requestId: `msg_${i}`, isBatchResult: true },
    }));
    const entries = await handle.recordResults(results);
    assert.deepEqual(entries.map((e) => e.requestId), ['msg_0', 'msg_1', 'msg_2', 'msg_3', 'msg_4']);
    assert.deepEqual(entries.map((e) => e.costUsd), [0.002, 0.003, 0.004, 0.005, 0.006]);
    assert.ok(Math.abs(ledger.totals.usd - 0.02) < 1e-12);
    assert.equal(ledger.totals.calls, 5);
    assert.ok(Math.abs(gate.monthToDate.reservedUsd - 1.98) < 1e-12);
    const month = (await fs.readdir(folder)).find((f) => f.endsWith('.jsonl'))!;
    const lines = (await fs.readFile(join(folder, month), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { requestId: string; kind: string });
    assert.deepEqual(lines.map((l) => l.requestId), ['msg_0', 'msg_1', 'msg_2', 'msg_3', 'msg_4']);
    assert.ok(lines.every((l) => l.kind === 'batch'));
    assert.deepEqual(await handle.recordResults([]), []);
    handle.close();
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
