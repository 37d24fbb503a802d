import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planDataset, rowInputTokens, type PlanOptions } from '../../../src/core/dataset/datasetPlan';
import { findPrice, BUNDLED_PRICES } from '../../../src/core/pricing/priceTable';
import type { PromptFile } from '../../../src/core/prompt/promptFile';
import { resolveRequest } from '../../../src/core/prompt/template';
import { countRequestTokens } from '../../simulator/tokenizer';
import { clientFor, useSimulator } from '../simulator/simulatorFixture';

const MODEL = 'claude-haiku-5-5';
const prompt: PromptFile = {
  name: 'Classify',
  expectedOutputTokens: 40,
  variables: { tier: 'pro' },
  request: { model: MODEL, max_tokens: 200, messages: [{ role: 'user', content: 'Tier {{tier}}. Classify: {{ticket}}' }] },
};

describe('dataset plan', () => {
  const fx = useSimulator();
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pw-plan-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const options = (path: string, extra: Partial<PlanOptions> = {}): PlanOptions => {
    const client = clientFor(fx.sim);
    return {
      prompt,
      promptValues: { tier: 'pro' },
      source: { format: path.endsWith('.csv') ? 'csv' : 'jsonl', path },
      binding: {},
      price: findPrice(BUNDLED_PRICES, MODEL),
      maxConcurrency: 4,
      countTokens: async (params, signal) => {
        const { data, response } = await client.messages.countTokens(params, { signal, maxRetries: 0 }).withResponse();
        return { inputTokens: data.input_tokens, headers: response.headers };
      },
      ...extra,
    };
  };
  const tokensOf = (ticket: string): number => countRequestTokens(resolveRequest(prompt, { tier: 'pro', ticket }).request, MODEL);

  it('counts every runnable row exactly when there are few, reports skipped and bad rows, and prices now and as a batch', async () => {
    const path = join(dir, 'few.csv');
    await writeFile(path, 'id,ticket\n1,login fails\n2,\n3,"refund\nplease"\n4,a,b\n5,the app crashes on start\n');
    const plan = await planDataset(options(path, { binding: { keyColumn: 'id' }, limits: { requestsPerMinute: 2, inputTokensPerMinute: 1e6, outputTokensPerMinute: 1e6 } }));
    assert.deepEqual(plan.errors, []);
    assert.deepEqual(plan.rows, { read: 5, runnable: 3, skipped: 1, bad: 1 });
    assert.deepEqual(plan.skipped, [
      { key: '2', where: 'line 3', reason: 'no value in "ticket"' },
      { where: 'line 6', reason: 'wrong number of fields (3): the header has 2 columns' },
    ]);
    const expectedTotal = tokensOf('login fails') + tokensOf('refund\nplease') + tokensOf('the app crashes on start');
    assert.equal(plan.tokens.method, 'exact');
    assert.equal(plan.tokens.total, expectedTotal);
    assert.equal(plan.tokens.errorBound, 0);
    assert.equal(fx.sim.requestCount('count_tokens'), 3);
    assert.equal(fx.sim.requestCount('messages'), 0, 'planning sends nothing billed');
    // Haiku 5.5 at $1 / $5 per million: expected 40 output tokens a row, worst case max_tokens.
    const price = findPrice(BUNDLED_PRICES, MODEL);
    assert.ok(price);
    const expected = (expectedTotal * price.input + 3 * 40 * price.output) / 1e6;
    const worst = (expectedTotal * price.input + 3 * 200 * price.output) / 1e6;
    assert.ok(Math.abs((plan.cost.now?.expectedUsd ?? 0) - expected) < 1e-12);
    assert.ok(Math.abs((plan.cost.now?.worstCaseUsd ?? 0) - worst) < 1e-12);
    assert.ok(Math.abs((plan.cost.batch?.worstCaseUsd ?? 0) - worst / 2) < 1e-12);
    // 3 requests at 2 a minute: one beyond the full bucket, 30 s.
    assert.equal(plan.time.boundBy, 'requests per minute');
    assert.equal(plan.time.seconds, 30);
  });

  it('makes a missing column an error of the plan, before anything is counted', async () => {
    const path = join(dir, 'nocol.csv');
    await writeFile(path, 'id,body\n1,x\n');
    const plan = await planDataset(options(path));
    assert.deepEqual(plan.errors, ['No column for {{ticket}}: add a column named "ticket" or map it to one (the dataset\'s columns are "id", "body").']);
    assert.equal(fx.sim.requestCount('count_tokens'), 0);
    const mapped = await planDataset(options(path, { binding: { map: { ticket: 'body' } } }));
    assert.deepEqual(mapped.errors, []);
    assert.equal(mapped.tokens.total, tokensOf('x'));
  });

  it('samples by length strata when there are many rows, and the true total lies within the stated bound', async () => {
    const path = join(dir, 'many.jsonl');
    const tickets = Array.from({ length: 3000 }, (_, i) => `ticket ${i}: ${'word '.repeat(3 + ((i * 7919) % 400))}${i % 5 === 0 ? 'ünïcödé ✓ '.repeat(i % 37) : ''}`);
    await writeFile(path, tickets.map((ticket) => JSON.stringify({ ticket })).join('\n'));
    const plan = await planDataset(options(path, { exactCountLimit: 50, samplePerStratum: 25 }));
    const truth = tickets.reduce((sum, t) => sum + tokensOf(t), 0);
    assert.equal(plan.tokens.method, 'sampled');
    assert.equal(plan.rows.runnable, 3000);
    assert.ok(plan.tokens.counted < 300, `counted ${plan.tokens.counted}`);
    assert.equal(fx.sim.requestCount('count_tokens'), plan.tokens.counted);
    assert.ok(plan.tokens.errorBound > 0);
    assert.ok(Math.abs(plan.tokens.total - truth) <= plan.tokens.errorBound, `estimate ${plan.tokens.total} ± ${plan.tokens.errorBound}, true ${truth}`);
    assert.ok(plan.tokens.errorBound < truth * 0.05, 'the bound is tight enough to be useful');
    // The calibration gives each row an estimate for pacing.
    const request = resolveRequest(prompt, { tier: 'pro', ticket: tickets[10] as string }).request;
    const estimate = rowInputTokens(plan.tokens, 10, request);
    assert.ok(Math.abs(estimate - tokensOf(tickets[10] as string)) < tokensOf(tickets[10] as string) * 0.2);
  });

  it('rows the API refuses to count (an invalid effort from the dataset) are named in the plan, with no promise left unhandled', async () => {
    const path = join(dir, 'effort.csv');
    await writeFile(path, 'id,effort,ticket\n1,low,login fails\n2,extreme,refund please\n3,high,crash\n4,medium,slow\n');
    const effortPrompt: PromptFile = { ...prompt, request: { ...prompt.request, model: 'claude-sonnet-5-5', output_config: { effort: '{{effort}}' } } };
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    // Mocha's own listener would blame whichever test runs next: this test watches for it itself.
    const mochaListeners = process.listeners('unhandledRejection');
    process.removeAllListeners('unhandledRejection');
    process.on('unhandledRejection', onUnhandled);
    let plan: Awaited<ReturnType<typeof planDataset>>;
    let allRefused: Awaited<ReturnType<typeof planDataset>>;
    try {
      plan = await planDataset({ ...options(path, { binding: { keyColumn: 'id' } }), prompt: effortPrompt });
      const none = join(dir, 'effort-none.csv');
      await writeFile(none, 'id,effort,ticket\n1,turbo,login fails\n2,extreme,refund please\n');
      allRefused = await planDataset({ ...options(none, { binding: { keyColumn: 'id' } }), prompt: effortPrompt });
      // Unhandled rejections are reported after the tick they happen in.
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      process.off('unhandledRejection', onUnhandled);
      for (const listener of mochaListeners) process.on('unhandledRejection', listener);
    }
    assert.deepEqual(unhandled, []);
    // One bad row: the others are counted and the job can run; the plan says which row will fail and why.
    assert.deepEqual(plan.errors, []);
    assert.equal(plan.warnings.length, 1);
    assert.match(plan.warnings[0] ?? '', /^The API refused to count 1 row, which will fail when sent until fixed: Row 2 \(line 3\): output_config\.effort: Input should be 'low'/);
    const counted = (ticket: string, effort: string): number => countRequestTokens(resolveRequest(effortPrompt, { tier: 'pro', ticket, effort }).request, 'claude-sonnet-5-5');
    assert.equal(plan.tokens.total, counted('login fails', 'low') + counted('crash', 'high') + counted('slow', 'medium'), 'the refused row is not billed');
    assert.ok(plan.cost.known);
    // Every row refused: nothing would run, so the plan cannot be started.
    assert.equal(allRefused.errors.length, 1);
    assert.match(allRefused.errors[0] ?? '', /^The API refused to count every row, so none would run: Row 1 \(line 2\): output_config\.effort/);
  });

  it('prices a shared cached prefix as written once and read by the other rows', async () => {
    const path = join(dir, 'cached.jsonl');
    await writeFile(path, ['a', 'b', 'c', 'd'].map((ticket) => JSON.stringify({ ticket })).join('\n'));
    const cachedPrompt: PromptFile = {
      ...prompt,
      request: { ...prompt.request, system: [{ type: 'text', text: 'Policy: '.repeat(500), cache_control: { type: 'ephemeral' } }] },
    };
    const cached = await planDataset({ ...options(path), prompt: cachedPrompt });
    assert.ok((cached.cost.cachedPrefixTokens ?? 0) > 500);
    assert.ok((cached.cost.now?.expectedUsd ?? 0) < (cached.cost.now?.worstCaseUsd ?? 0));
    const uncached = await planDataset({ ...options(path), prompt: { ...cachedPrompt, request: { ...cachedPrompt.request, system: [{ type: 'text', text: 'Policy: '.repeat(500) }] } } });
    assert.equal(uncached.cost.cachedPrefixTokens, undefined);
    assert.ok((cached.cost.now?.expectedUsd ?? 0) < (uncached.cost.now?.expectedUsd ?? 0), 'reads are cheaper than input');
  });
});
