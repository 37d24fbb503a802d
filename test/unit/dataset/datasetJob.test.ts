import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetJob, type DatasetJobOptions, type RowBilling, type RowCall } from '../../../src/core/dataset/datasetJob';
import { planDataset } from '../../../src/core/dataset/datasetPlan';
import { exportResultsCsv, readResultLines, type RowResult } from '../../../src/core/dataset/datasetResults';
import { BUNDLED_PRICES, costFromUsage, findPrice, type ApiUsage } from '../../../src/core/pricing/priceTable';
import type { PromptFile } from '../../../src/core/prompt/promptFile';
import { acceleratedClock } from '../../../src/core/scheduler/rateLimitScheduler';
import { clientFor, useSimulator } from '../simulator/simulatorFixture';

const MODEL = 'claude-haiku-5-5';
const price = findPrice(BUNDLED_PRICES, MODEL);
const prompt: PromptFile = {
  name: 'Summarise',
  expectedOutputTokens: 24,
  request: { model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'Summarise: {{text}}' }] },
};

/** The billed-call path as the ledger's handle behaves: checks before sending, records after. */
class RecordingBilling implements RowBilling {
  calls = 0;
  recordedUsd = 0;
  constructor(private readonly refuseAfter = Infinity) {}
  async call<T>(spec: { model: string; worstCaseUsd: number | undefined }, send: () => Promise<{ result: T; usage?: ApiUsage }>) {
    if (this.calls >= this.refuseAfter) {
      const error = new Error('Stopped before the next request: the budget is used up.');
      error.name = 'SpendRefusedError';
      throw error;
    }
    assert.ok(spec.worstCaseUsd !== undefined && spec.worstCaseUsd > 0, 'each row carries its worst case');
    this.calls++;
    const sent = await send();
    const cost = sent.usage ? costFromUsage(price, sent.usage) : undefined;
    const costUsd = cost?.known ? cost.usd : null;
    this.recordedUsd += costUsd ?? 0;
    return { result: sent.result, entry: { costUsd } };
  }
}

describe('dataset job against the simulator', function () {
  this.timeout(30_000);
  const clock = acceleratedClock(60);
  const fx = useSimulator({ now: clock.now });
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pw-job-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function setUp(rows: number, name: string): Promise<Omit<DatasetJobOptions, 'billing'>> {
    const path = join(dir, `${name}.csv`);
    const lines = ['id,text', ...Array.from({ length: rows }, (_, i) => (i === 3 ? `r${i},` : `r${i},row number ${i}`))];
    await writeFile(path, lines.join('\n'));
    const client = clientFor(fx.sim);
    const plan = await planDataset({
      prompt,
      promptValues: {},
      source: { format: 'csv', path },
      binding: { keyColumn: 'id' },
      price,
      maxConcurrency: 4,
      countTokens: async (params, signal) => ({ inputTokens: (await client.messages.countTokens(params, { signal, maxRetries: 0 })).input_tokens }),
    });
    fx.sim.reset();
    return {
      plan,
      prompt,
      promptValues: {},
      resultsPath: join(dir, `${name}.results.jsonl`),
      price,
      maxConcurrency: 4,
      clock,
      stopsJob: (e) => ((e as Error).name === 'SpendRefusedError' ? (e as Error).message : undefined),
      send: async (body, signal) => {
        const { data, response } = await client.messages.create(body as never, { signal, maxRetries: 0 }).withResponse();
        return { message: data, headers: response.headers };
      },
    };
  }

  async function rowsOf(path: string): Promise<RowResult[]> {
    const rows: RowResult[] = [];
    for await (const line of readResultLines(path)) if (line.type === 'row') rows.push(line);
    return rows;
  }

  it('runs every runnable row once, records skipped ones, and writes each result with usage, cost and request id', async () => {
    const options = await setUp(20, 'all');
    fx.sim.enqueueFault({ fault: 'permission', endpoint: 'messages', times: 2 });
    const billing = new RecordingBilling();
    const outcome = await new DatasetJob({ ...options, billing }).run();
    assert.equal(outcome.progress.succeeded, 17);
    assert.equal(outcome.progress.errored, 2);
    const rows = await rowsOf(options.resultsPath);
    assert.equal(rows.length, 20);
    const skipped = rows.filter((r) => r.status === 'skipped');
    assert.deepEqual(skipped.map((r) => [r.key, r.where, r.error?.message]), [['r3', 'line 5', 'no value in "text"']]);
    const errored = rows.filter((r) => r.status === 'errored');
    assert.deepEqual(errored.map((r) => r.error?.status), [403, 403]);
    for (const r of rows.filter((r) => r.status === 'succeeded')) {
      assert.ok(r.text && r.text.length > 0);
      assert.equal(r.stopReason, 'end_turn');
      assert.match(r.requestId ?? '', /^req_/);
      assert.ok((r.costUsd ?? 0) > 0);
    }
    assert.equal(billing.calls, 19, 'every request went through the billed-call path');
    assert.ok(Math.abs(outcome.progress.costUsd - billing.recordedUsd) < 1e-12);
    assert.equal(fx.sim.requestCount('messages'), 19);
  });

  it('paces a fast-mode prompt on fast mode\'s own token limits', async () => {
    const options = await setUp(12, 'fast');
    const fastModel = 'claude-opus-5-5';
    // Three rows' max_tokens fit fast mode's output limit at a time; the standard limit is far away.
    fx.sim.configure({ rateLimitsByModel: { [fastModel]: { outputTokensPerMinute: 1_000_000, fastOutputTokensPerMinute: 3 * 64 } } });
    const fastPrompt: PromptFile = { ...prompt, request: { ...prompt.request, model: fastModel, speed: 'fast' } };
    // Fast mode's price for this model is not published yet: priced here as a user's override would.
    const opusPrice = findPrice(BUNDLED_PRICES, fastModel);
    assert.ok(opusPrice);
    const fastPrice = { ...opusPrice, fastMultiplier: 2 };
    const outcome = await new DatasetJob({ ...options, prompt: fastPrompt, price: fastPrice, billing: new RecordingBilling() }).run();
    fx.sim.configure({ rateLimitsByModel: {} });
    assert.equal(outcome.progress.succeeded, 11, JSON.stringify((await rowsOf(options.resultsPath)).find((r) => r.status === 'errored')?.error));
    assert.equal(fx.sim.requests.filter((r) => r.endpoint === 'messages' && r.status === 429).length, 0, 'no row was refused by the fast limit');
    assert.equal(outcome.progress.limits.outputTokensPerMinute, 3 * 64);
  });

  it('cancel keeps the finished rows; resuming sends only the others; retry re-sends only the failed ones', async () => {
    const options = await setUp(30, 'resume');
    fx.sim.configure({ latencyMs: 30 });
    const controller = new AbortController();
    let seen = 0;
    const first = await new DatasetJob({
      ...options,
      billing: new RecordingBilling(),
      signal: controller.signal,
      onResult: (r) => r.status === 'succeeded' && ++seen === 8 && controller.abort(),
    }).run();
    fx.sim.configure({ latencyMs: 0 });
    assert.equal(first.cancelled, true);
    const afterCancel = await rowsOf(options.resultsPath);
    const done = new Set(afterCancel.filter((r) => r.status === 'succeeded').map((r) => r.key));
    assert.ok(done.size >= 8 && done.size < 29, `finished ${done.size}`);
    const sentBefore = fx.sim.requestCount('messages');

    // A new job (as after a window reload) over the same results file.
    fx.sim.enqueueFault({ fault: 'permission', endpoint: 'messages' });
    const bodies: string[] = [];
    const second = await new DatasetJob({
      ...options,
      billing: new RecordingBilling(),
      send: async (body, signal) => {
        bodies.push(JSON.stringify(body));
        return options.send(body, signal);
      },
    }).run();
    assert.equal(second.cancelled, false);
    assert.equal(second.progress.succeeded + second.progress.errored, 29 - done.size);
    for (const key of done) assert.ok(!bodies.some((b) => b.includes(`row number ${key.slice(1)}"`)), `row ${key} was not sent again`);
    const latest = new Map((await rowsOf(options.resultsPath)).map((r) => [r.key, r.status]));
    assert.equal(latest.size, 30);
    const failed = [...latest].filter(([, status]) => status === 'errored').map(([key]) => key);
    assert.equal(failed.length, 1);
    assert.ok(fx.sim.requestCount('messages') - sentBefore <= 29 - done.size + 1);

    const retry = await new DatasetJob({ ...options, billing: new RecordingBilling(), onlyKeys: new Set(failed) }).run();
    assert.equal(retry.progress.succeeded, 1);
    const final = new Map((await rowsOf(options.resultsPath)).map((r) => [r.key, r.status]));
    assert.equal([...final.values()].filter((s) => s === 'succeeded').length, 29);

    const csvPath = join(dir, 'resume.csv.out');
    assert.equal(await exportResultsCsv(options.resultsPath, options.plan.source, options.plan.binding, options.plan.columns, csvPath), 30);
    const csv = (await readFile(csvPath, 'utf8')).split('\r\n');
    assert.equal(csv[0], 'id,text,result_key,status,output,stop_reason,input_tokens,output_tokens,cost_usd,request_id,error');
    assert.match(csv[1] ?? '', /^r0,row number 0,r0,succeeded,/);
  });

  it('reports every call that ended for history (request as sent, answer or error, attempts), and the result line keeps its record id', async () => {
    const options = await setUp(10, 'calls');
    fx.sim.enqueueFault({ fault: 'permission', endpoint: 'messages' });
    fx.sim.enqueueFault({ fault: 'overloaded', endpoint: 'messages' });
    const calls: RowCall[] = [];
    await new DatasetJob({ ...options, billing: new RecordingBilling(), onCall: async (call) => (calls.push(call), `rec-${call.key}`) }).run();
    const rows = await rowsOf(options.resultsPath);
    const sent = rows.filter((r) => r.status !== 'skipped');
    assert.equal(calls.length, 9, 'one per row sent (the skipped row made no call)');
    assert.deepEqual(sent.map((r) => r.recordId).sort(), calls.map((c) => `rec-${c.key}`).sort());
    assert.equal(rows.find((r) => r.status === 'skipped')?.recordId, undefined);
    for (const call of calls) {
      const row = rows.find((r) => r.key === call.key);
      assert.ok(row);
      const content = ((call.request.messages as { content: string }[])[0] as { content: string }).content;
      assert.equal(content, `Summarise: row number ${call.key.slice(1)}`);
      if (row.status === 'succeeded') {
        assert.equal(call.message?.content[0]?.type === 'text' ? call.message.content[0].text : undefined, row.text);
        assert.equal(call.requestId, row.requestId);
        assert.equal(call.costUsd, row.costUsd);
      } else {
        assert.equal((call.error as { status?: number }).status, 403);
        assert.equal(call.message, undefined);
      }
      assert.ok(!Number.isNaN(Date.parse(call.startedAt)));
    }
    assert.equal(calls.filter((c) => c.error !== undefined).length, 1);
    // The 529 was retried: that row's call took two attempts.
    assert.deepEqual(calls.map((c) => c.attempts).sort(), [1, 1, 1, 1, 1, 1, 1, 1, 2]);
  });

  it('stops before the next request when the billed-call path refuses it, keeping what finished', async () => {
    const options = await setUp(12, 'budget');
    const outcome = await new DatasetJob({ ...options, maxConcurrency: 1, billing: new RecordingBilling(5) }).run();
    assert.equal(outcome.stoppedReason, 'Stopped before the next request: the budget is used up.');
    assert.equal(outcome.progress.succeeded, 5);
    assert.equal(fx.sim.requestCount('messages'), 5);
    assert.equal((await rowsOf(options.resultsPath)).filter((r) => r.status === 'succeeded').length, 5);
  });
});
