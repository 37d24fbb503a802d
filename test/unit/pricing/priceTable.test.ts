import * as assert from 'node:assert/strict';
import {
  BATCH_DISCOUNT_NOTE,
  BUNDLED_PRICES,
  PRICES_AS_OF,
  costFromUsage,
  estimateCost,
  estimateUsd,
  findPrice,
  mergePriceOverrides,
  type ApiUsage,
  type CostEstimate,
  type PriceEntry,
  type PriceEntryInput,
  type TokenUsage,
} from '../../../src/core/pricing/priceTable';

/** The bundled entry for a model, failing the test if it is missing. */
function price(model: string): PriceEntry {
  const entry = findPrice(BUNDLED_PRICES, model);
  assert.ok(entry, `${model} should be in the bundled price table`);
  return entry;
}

/** Asserts a known cost equal to the hand-worked figure (to well below a millionth of a cent). */
function assertUsd(cost: CostEstimate, expected: number): asserts cost is Extract<CostEstimate, { known: true }> {
  assert.equal(cost.known, true, cost.known ? '' : cost.reason);
  assert.ok(Math.abs(cost.usd - expected) < 1e-12, `expected $${expected}, got $${cost.usd}`);
}

describe('pricing: the bundled table', () => {
  it('records the as-of date and a source on every entry', () => {
    assert.equal(PRICES_AS_OF, '2026-11-25');
    for (const entry of BUNDLED_PRICES) {
      assert.equal(entry.asOf, '2026-11-25', entry.model);
      assert.ok(entry.source.length > 5, `${entry.model} needs a source`);
    }
  });

  it('keeps Fable 5.2 cache columns unknown (not zero) and marks the row unverified', () => {
    const fable = price('claude-fable-5-2');
    assert.equal(fable.cacheWrite5m, undefined);
    assert.equal(fable.cacheWrite1h, undefined);
    assert.equal(fable.cacheRead, undefined);
    assert.equal(fable.unverified, true);
  });

  const lookups: [string, string | undefined][] = [
    ['claude-sonnet-5-5', 'claude-sonnet-5-5'],
    ['claude-haiku-4-5-20251001', 'claude-haiku-4-5'], // listed alias
    ['claude-sonnet-5-5-20261201', 'claude-sonnet-5-5'], // a dated snapshot of a known id
    ['claude-opus-5-7', undefined], // must not fall back to claude-opus-5 by prefix
    ['gpt-5', undefined],
  ];
  for (const [model, expected] of lookups) {
    it(`findPrice(${model}) is ${expected ?? 'not found'}`, () => {
      assert.equal(findPrice(BUNDLED_PRICES, model)?.model, expected);
    });
  }
});

describe('pricing: estimateCost arithmetic (Sonnet 5.5: $2 in, $10 out, $2.50 5m write, $4 1h write, $0.10 read)', () => {
  const cases: { name: string; usage: TokenUsage; usd: number }[] = [
    // 10,000 x $2 = 20,000; 2,000 x $10 = 20,000; 40,000 / 1e6 = $0.04
    { name: 'plain input and output', usage: { inputTokens: 10_000, outputTokens: 2_000 }, usd: 0.04 },
    // 1,000,000 x $2 / 1e6 = $2
    { name: 'a million input tokens, no output', usage: { inputTokens: 1_000_000, outputTokens: 0 }, usd: 2 },
    // 1,000 x 2 = 2,000; 100,000 x 2.5 = 250,000; 500 x 10 = 5,000; 257,000 / 1e6 = $0.257
    { name: '5-minute cache write', usage: { inputTokens: 1_000, cacheWrite5mTokens: 100_000, outputTokens: 500 }, usd: 0.257 },
    // 1,000 x 2 = 2,000; 100,000 x 4 = 400,000; 500 x 10 = 5,000; 407,000 / 1e6 = $0.407
    { name: '1-hour cache write', usage: { inputTokens: 1_000, cacheWrite1hTokens: 100_000, outputTokens: 500 }, usd: 0.407 },
    // 1,000 x 2 = 2,000; 100,000 x 0.1 = 10,000; 500 x 10 = 5,000; 17,000 / 1e6 = $0.017
    { name: 'cache read', usage: { inputTokens: 1_000, cacheReadTokens: 100_000, outputTokens: 500 }, usd: 0.017 },
    // 2,000 + 10,000 x 2.5 = 25,000 + 20,000 x 4 = 80,000 + 50,000 x 0.1 = 5,000 + 5,000 = 117,000 -> $0.117
    {
      name: 'all columns at once',
      usage: { inputTokens: 1_000, cacheWrite5mTokens: 10_000, cacheWrite1hTokens: 20_000, cacheReadTokens: 50_000, outputTokens: 500 },
      usd: 0.117,
    },
    // (20,000 + 20,000) x 0.5 = 20,000 -> $0.02
    { name: 'batch halves input and output', usage: { inputTokens: 10_000, outputTokens: 2_000, batch: true }, usd: 0.02 },
    // (2,000 + 10,000 + 5,000) x 0.5 = 8,500 -> $0.0085 (cache read halved too: our documented choice)
    { name: 'batch halves cache reads too', usage: { inputTokens: 1_000, cacheReadTokens: 100_000, outputTokens: 500, batch: true }, usd: 0.0085 },
  ];
  for (const { name, usage, usd } of cases) {
    it(name, () => assertUsd(estimateCost(price('claude-sonnet-5-5'), usage), usd));
  }

  it('breaks the figure down by kind of token', () => {
    const cost = estimateCost(price('claude-sonnet-5-5'), { inputTokens: 1_000, cacheWrite5mTokens: 10_000, cacheWrite1hTokens: 20_000, cacheReadTokens: 50_000, outputTokens: 500 });
    assertUsd(cost, 0.117);
    // 1,000 x 2 / 1e6; 500 x 10 / 1e6; 10,000 x 2.5 / 1e6; 20,000 x 4 / 1e6; 50,000 x 0.1 / 1e6
    const expected = { input: 0.002, output: 0.005, cacheWrite5m: 0.025, cacheWrite1h: 0.08, cacheRead: 0.005 };
    for (const [field, usd] of Object.entries(expected)) {
      assert.ok(Math.abs(cost.breakdown[field as keyof typeof expected] - usd) < 1e-12, `${field}: ${cost.breakdown[field as keyof typeof expected]}`);
    }
  });

  it('says when the batch discount was applied to cache columns (unverified)', () => {
    const cost = estimateCost(price('claude-sonnet-5-5'), { inputTokens: 1_000, cacheReadTokens: 100_000, outputTokens: 500, batch: true });
    assertUsd(cost, 0.0085);
    assert.ok(cost.notes.includes(BATCH_DISCOUNT_NOTE));
    assert.equal(cost.batch, true);
  });
});

describe('pricing: Haiku 5.5 long-prompt band (>100,000 prompt tokens: every token at $0.50 in / $2.50 out)', () => {
  const cases: { name: string; usage: TokenUsage; usd: number; band: 'standard' | 'long-prompt' }[] = [
    // 99,999 x 0.10 = 9,999.9; 1,000 x 0.50 = 500; 10,499.9 / 1e6 = $0.0104999
    { name: 'below the threshold', usage: { inputTokens: 99_999, outputTokens: 1_000 }, usd: 0.0104999, band: 'standard' },
    // exactly 100,000 does not exceed: 100,000 x 0.10 = 10,000; + 500 = 10,500 -> $0.0105
    { name: 'exactly at the threshold', usage: { inputTokens: 100_000, outputTokens: 1_000 }, usd: 0.0105, band: 'standard' },
    // 100,001 x 0.50 = 50,000.5; output at the high band too: 1,000 x 2.50 = 2,500; 52,500.5 / 1e6
    { name: 'one token above: input and output at the high band', usage: { inputTokens: 100_001, outputTokens: 1_000 }, usd: 0.0525005, band: 'long-prompt' },
    // prompt = 40,000 + 30,000 read + 30,001 write = 100,001 > 100,000, so the high band:
    // 40,000 x 0.50 = 20,000; 30,000 x 0.05 = 1,500; 30,001 x 0.625 = 18,750.625; 1,000 x 2.50 = 2,500
    // = 42,750.625 / 1e6
    {
      name: 'cache reads and writes count toward the threshold',
      usage: { inputTokens: 40_000, cacheReadTokens: 30_000, cacheWrite5mTokens: 30_001, outputTokens: 1_000 },
      usd: 0.042750625,
      band: 'long-prompt',
    },
    // output does not count toward the prompt: 100,000 x 0.10 = 10,000; 50,000 x 0.50 = 25,000 -> $0.035
    { name: 'output does not count toward the threshold', usage: { inputTokens: 100_000, outputTokens: 50_000 }, usd: 0.035, band: 'standard' },
    // 200,000 x 0.50 = 100,000; 10,000 x 1.00 (1h write, high band) = 10,000; 2,000 x 2.50 = 5,000;
    // 115,000 x 0.5 (batch) = 57,500 -> $0.0575
    {
      name: 'the band and the batch discount stack',
      usage: { inputTokens: 200_000, cacheWrite1hTokens: 10_000, outputTokens: 2_000, batch: true },
      usd: 0.0575,
      band: 'long-prompt',
    },
  ];
  for (const { name, usage, usd, band } of cases) {
    it(name, () => {
      const cost = estimateCost(price('claude-haiku-5-5'), usage);
      assertUsd(cost, usd);
      assert.equal(cost.band, band);
    });
  }
});

describe('pricing: unknown prices are never $0', () => {
  it('an unknown model reports cost unknown with the table date', () => {
    const cost = estimateCost(findPrice(BUNDLED_PRICES, 'claude-opus-9'), { inputTokens: 1_000, outputTokens: 1_000 });
    assert.deepEqual(cost, { known: false, reason: 'cost unknown: model not in the price table (as of 2026-11-25)' });
    assert.ok(!('usd' in cost));
  });

  it('an unknown cache column makes a cached request unknown, while plain input/output stays known', () => {
    const fable = price('claude-fable-5-2');
    // 1,000 x 8 = 8,000; 1,000 x 40 = 40,000; 48,000 / 1e6 = $0.048
    const plain = estimateCost(fable, { inputTokens: 1_000, outputTokens: 1_000 });
    assertUsd(plain, 0.048);
    assert.equal(plain.unverified, true);
    const cached = estimateCost(fable, { inputTokens: 1_000, cacheWrite5mTokens: 5_000, outputTokens: 1_000 });
    assert.equal(cached.known, false);
    assert.match(cached.known ? '' : cached.reason, /5-minute cache write price for claude-fable-5-2 is not known/);
  });

  it('fast mode without a known multiplier is unknown; with one it multiplies', () => {
    assert.equal(estimateCost(price('claude-sonnet-5-5'), { inputTokens: 1_000, outputTokens: 1_000, fast: true }).known, false);
    // Opus 5: (1,000 x 5 + 1,000 x 25) x 2 = 60,000 -> $0.06
    assertUsd(estimateCost(price('claude-opus-5'), { inputTokens: 1_000, outputTokens: 1_000, fast: true }), 0.06);
  });

  it('a count that is not a number is unknown, not NaN', () => {
    assert.equal(estimateCost(price('claude-sonnet-5-5'), { inputTokens: Number.NaN, outputTokens: 1 }).known, false);
  });
});

describe('pricing: user price overrides', () => {
  it('adds a new model from input and output alone (cache columns unknown)', () => {
    const { table, problems } = mergePriceOverrides(BUNDLED_PRICES, { 'claude-opus-6': { input: 6, output: 30 } });
    assert.deepEqual(problems, []);
    const entry = findPrice(table, 'claude-opus-6');
    assert.ok(entry);
    assert.equal(entry.source, 'user setting');
    // 1,000 x 6 = 6,000; 1,000 x 30 = 30,000; 36,000 / 1e6 = $0.036
    assertUsd(estimateCost(entry, { inputTokens: 1_000, outputTokens: 1_000 }), 0.036);
    assert.equal(estimateCost(entry, { inputTokens: 1_000, cacheReadTokens: 1, outputTokens: 1_000 }).known, false);
  });

  it('overrides one column of a known model and keeps the others and the base table', () => {
    const { table, problems } = mergePriceOverrides(BUNDLED_PRICES, { 'claude-sonnet-5-5': { cacheRead: 0.2 } });
    assert.deepEqual(problems, []);
    const entry = findPrice(table, 'claude-sonnet-5-5');
    assert.ok(entry);
    // 1,000 x 2 (input unchanged) = 2,000; 100,000 x 0.2 = 20,000; 22,000 / 1e6 = $0.022
    assertUsd(estimateCost(entry, { inputTokens: 1_000, cacheReadTokens: 100_000, outputTokens: 0 }), 0.022);
    assert.match(entry.source, /^user setting \(cacheRead\)/);
    assert.equal(price('claude-sonnet-5-5').cacheRead, 0.1, 'the bundled table is not mutated');
  });

  it('an override keyed by an alias changes the model it belongs to', () => {
    const { table } = mergePriceOverrides(BUNDLED_PRICES, { 'claude-haiku-4-5-20251001': { input: 0.8 } });
    assert.equal(findPrice(table, 'claude-haiku-4-5')?.input, 0.8);
  });

  it('ignores and reports values that are not prices', () => {
    const overrides: Record<string, Partial<PriceEntryInput> | Record<string, unknown>> = {
      'claude-sonnet-5-5': { output: 'cheap', input: -1, cacheWrite5m: 3 },
      'claude-new-1': { input: 1 },
      'claude-new-2': { input: 1, output: 2, colour: 'red' },
    };
    const { table, problems } = mergePriceOverrides(BUNDLED_PRICES, { ...overrides, 'claude-new-3': 'free' as unknown as Record<string, unknown> });
    const sonnet = findPrice(table, 'claude-sonnet-5-5');
    assert.equal(sonnet?.output, 10, 'a non-number leaves the bundled price');
    assert.equal(sonnet?.input, 2, 'a negative price leaves the bundled price');
    assert.equal(sonnet?.cacheWrite5m, 3, 'the valid field in the same override applies');
    assert.equal(findPrice(table, 'claude-new-1'), undefined, 'a new model needs input and output');
    assert.equal(findPrice(table, 'claude-new-2')?.output, 2);
    assert.equal(findPrice(table, 'claude-new-3'), undefined);
    const flagged = problems.map((p) => `${p.model}.${p.field ?? '*'}`).sort();
    assert.deepEqual(flagged, ['claude-new-1.*', 'claude-new-2.colour', 'claude-new-3.*', 'claude-sonnet-5-5.input', 'claude-sonnet-5-5.output']);
    assert.match(problems.find((p) => p.field === 'output')?.message ?? '', /claude-sonnet-5-5\.output: expected a number .* got "cheap"; ignored/);
  });

  it('accepts a long-prompt band for a new model and applies it above the threshold', () => {
    const { table, problems } = mergePriceOverrides(BUNDLED_PRICES, {
      'claude-tiered': { input: 1, output: 2, longPromptBand: { thresholdTokens: 1_000, input: 10, output: 20 } },
    });
    assert.deepEqual(problems, []);
    // 1,001 x 10 = 10,010; 10 x 20 = 200; 10,210 / 1e6 = $0.01021
    assertUsd(estimateCost(findPrice(table, 'claude-tiered'), { inputTokens: 1_001, outputTokens: 10 }), 0.01021);
  });
});

describe('pricing: costFromUsage (the SDK Usage shape, §20 formula)', () => {
  const sonnetCases: { name: string; usage: ApiUsage; usd: number; isBatchResult?: boolean }[] = [
    {
      // The sheet's example usage: 2,095 x 2 = 4,190; 1,800 x 0.1 = 180; 503 x 10 = 5,030; 9,400 / 1e6
      name: 'cache read and output',
      usage: {
        input_tokens: 2095,
        output_tokens: 503,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 1800,
        cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
        service_tier: 'standard',
      },
      usd: 0.0094,
    },
    {
      // 1,000 x 2 = 2,000; 10,000 x 2.5 = 25,000; 20,000 x 4 = 80,000; 100 x 10 = 1,000; 108,000 / 1e6
      name: 'cache_creation split into 5m and 1h',
      usage: {
        input_tokens: 1_000,
        output_tokens: 100,
        cache_creation_input_tokens: 30_000,
        cache_creation: { ephemeral_5m_input_tokens: 10_000, ephemeral_1h_input_tokens: 20_000 },
      },
      usd: 0.108,
    },
    {
      // No split: every write is taken as 5m. 2,000 + 30,000 x 2.5 = 75,000 + 1,000 = 78,000 / 1e6
      name: 'cache_creation_input_tokens without the split',
      usage: { input_tokens: 1_000, output_tokens: 100, cache_creation_input_tokens: 30_000, cache_creation: null },
      usd: 0.078,
    },
    {
      // (10,000 x 2 + 2,000 x 10) x 0.5 = 20,000 / 1e6
      name: 'service_tier batch halves the cost',
      usage: { input_tokens: 10_000, output_tokens: 2_000, service_tier: 'batch' },
      usd: 0.02,
    },
    {
      name: 'a batch result without service_tier, flagged by the caller',
      usage: { input_tokens: 10_000, output_tokens: 2_000, service_tier: null },
      usd: 0.02,
      isBatchResult: true,
    },
    {
      // nulls are zero: 10,000 x 2 + 2,000 x 10 = 40,000 / 1e6
      name: 'null cache fields',
      usage: { input_tokens: 10_000, output_tokens: 2_000, cache_creation_input_tokens: null, cache_read_input_tokens: null, service_tier: 'priority' },
      usd: 0.04,
    },
  ];
  for (const { name, usage, usd, isBatchResult } of sonnetCases) {
    it(`Sonnet 5.5: ${name}`, () => assertUsd(costFromUsage(price('claude-sonnet-5-5'), usage, { isBatchResult }), usd));
  }

  it('Haiku 5.5: usage over 100,000 prompt tokens bills at the high band', () => {
    // prompt = 60,000 + 50,000 read = 110,000 > 100,000:
    // 60,000 x 0.50 = 30,000; 50,000 x 0.05 = 2,500; 1,000 x 2.50 = 2,500; 35,000 / 1e6
    const cost = costFromUsage(price('claude-haiku-5-5'), { input_tokens: 60_000, output_tokens: 1_000, cache_read_input_tokens: 50_000 });
    assertUsd(cost, 0.035);
    assert.equal(cost.band, 'long-prompt');
  });

  it('usage of an unknown model is unknown', () => {
    assert.equal(costFromUsage(undefined, { input_tokens: 1, output_tokens: 1 }).known, false);
  });
});

describe('pricing: estimateUsd (estimateCost\'s usd without the rest, for a batch\'s results)', () => {
  it('is estimateCost\'s usd to the last bit, or undefined exactly where estimateCost is not known', () => {
    const noCacheRates: PriceEntry = { model: 'no-cache-rates', asOf: 'test', source: 'test', input: 3, output: 15 };
    const prices: (PriceEntry | undefined)[] = [...BUNDLED_PRICES, noCacheRates, undefined];
    const counts = [0, 1, 999, 100_000, 100_001, 250_000, -1, Number.NaN, Number.POSITIVE_INFINITY, 0.5];
    let compared = 0;
    let known = 0;
    for (const entry of prices) {
      for (const inputTokens of counts) {
        for (const [cacheWrite5mTokens, cacheWrite1hTokens, cacheReadTokens] of [[undefined, undefined, undefined], [0, 0, 0], [10, 0, 0], [0, 20_000, 0], [0, 0, 99_999], [5, 6, 7], [-3, 0, 0]] as const) {
          for (const batch of [false, true, undefined]) {
            for (const fast of [false, true]) {
              const usage: TokenUsage = { inputTokens, outputTokens: 1_234, batch, fast, ...(cacheWrite5mTokens === undefined ? {} : { cacheWrite5mTokens, cacheWrite1hTokens, cacheReadTokens }) };
              const full = estimateCost(entry, usage);
              const usd = estimateUsd(entry, usage);
              assert.equal(usd, full.known ? full.usd : undefined, `${entry?.model ?? 'no price'} ${JSON.stringify(usage)}`);
              compared++;
              if (full.known) known++;
            }
          }
        }
      }
    }
    // Both sides of the comparison were exercised.
    assert.ok(known > 100 && compared - known > 100, `${known} known of ${compared}`);
  });
});
