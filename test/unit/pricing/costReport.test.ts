import * as assert from 'node:assert/strict';
import { buildCostSummary, detailsMarkdown, statusText, tooltipMarkdown, type CostSummaryInput } from '../../../src/core/pricing/costReport';
import { findModel } from '../../../src/core/models/modelCatalogue';
import { BUNDLED_PRICES, findPrice } from '../../../src/core/pricing/priceTable';
import type { TokenCountState } from '../../../src/core/counting/tokenCountScheduler';
import type { CachePlan } from '../../../src/core/counting/tokenEstimate';

const exact = (model: string, inputTokens: number): TokenCountState => ({ kind: 'exact', inputTokens, model });
const estimated = (model: string, inputTokens: number, reason = 'counting'): TokenCountState => ({ kind: 'estimate', inputTokens, model, cause: 'pending', reason });

/** A summary for a model with its bundled price and context window. */
function summaryFor(count: TokenCountState, rest: Partial<CostSummaryInput> = {}) {
  return buildCostSummary({
    count,
    maxTokens: 4_096,
    price: findPrice(BUNDLED_PRICES, count.model),
    contextWindow: findModel(count.model)?.contextWindow,
    ...rest,
  });
}

/** Asserts a known cost equal to the hand-worked figure (to well below a millionth of a cent). */
function assertUsd(cost: { known: boolean; usd?: number }, expected: number): void {
  assert.equal(cost.known, true);
  assert.ok(Math.abs((cost.usd as number) - expected) < 1e-12, `expected $${expected}, got $${cost.usd}`);
}

describe('costReport: statusText', () => {
  const cases: { name: string; count: TokenCountState; rest?: Partial<CostSummaryInput>; text: string }[] = [
    {
      // 12,480 x $2 = 24,960; 1,200 x $10 = 12,000; 36,960 / 1e6 = $0.03696 -> $0.037; 12,480 / 1M = 1.248%
      name: 'an exact count',
      count: exact('claude-sonnet-5-5', 12_480),
      rest: { expectedOutputTokens: 1_200 },
      text: '12,480 tok · $0.037 · 1.2% ctx',
    },
    {
      name: 'an estimate gets a leading ~',
      count: estimated('claude-sonnet-5-5', 12_480),
      rest: { expectedOutputTokens: 1_200 },
      text: '~12,480 tok · $0.037 · 1.2% ctx',
    },
    {
      name: 'an unknown model (no price, no window)',
      count: exact('claude-unreleased-9', 12_480),
      text: '12,480 tok · cost unknown',
    },
    {
      // 600,000 x $4 = 2,400,000; 2,000 x $20 = 40,000; 2,440,000 / 1e6 = $2.44; 600,000 / 1M = 60%
      name: 'dollars and a large share of the window (Opus 5.5)',
      count: exact('claude-opus-5-5', 600_000),
      rest: { maxTokens: 128_000, expectedOutputTokens: 2_000 },
      text: '600,000 tok · $2.44 · 60.0% ctx',
    },
    {
      // 1,000 x $0.10 = 100; 100 x $0.50 = 50; 150 / 1e6 = $0.00015; 1,000 / 1M = 0.1%
      name: 'fractions of a cent (Haiku 5.5)',
      count: exact('claude-haiku-5-5', 1_000),
      rest: { expectedOutputTokens: 100 },
      text: '1,000 tok · $0.00015 · 0.1% ctx',
    },
    {
      // default expected output = min(max_tokens 300, 1,024) = 300: 500 x 1 + 300 x 5 = 2,000 / 1e6 = $0.0020;
      // 500 / 200,000 = 0.25%
      name: 'the default expected output is capped at max_tokens (Haiku 4.5)',
      count: estimated('claude-haiku-4-5', 500),
      rest: { maxTokens: 300 },
      text: '~500 tok · $0.0020 · 0.3% ctx',
    },
    {
      // 50 / 1M = 0.005%
      name: 'a tiny share of the window',
      count: exact('claude-sonnet-5-5', 50),
      rest: { expectedOutputTokens: 0 },
      text: '50 tok · $0.00010 · <0.1% ctx',
    },
  ];
  for (const { name, count, rest, text } of cases) {
    it(name, () => assert.equal(statusText(summaryFor(count, rest)), text));
  }
});

describe('costReport: buildCostSummary', () => {
  it('prices expected, worst case, batch and both cache runs (Sonnet 5.5, half the input cached for 5 minutes)', () => {
    const plan: CachePlan = { breakpoints: [{ path: 'system[0]', ttl: '5m', prefixShare: 0.5 }], write5mShare: 0.5, write1hShare: 0, readShare: 0.5, tooManyBreakpoints: false };
    const summary = summaryFor(exact('claude-sonnet-5-5', 10_000), { expectedOutputTokens: 1_000, cachePlan: plan });
    // expected: 10,000 x 2 = 20,000; 1,000 x 10 = 10,000; 30,000 / 1e6
    assertUsd(summary.expected, 0.03);
    // worst case at max_tokens 4,096: 20,000 + 40,960 = 60,960 / 1e6
    assertUsd(summary.worstCase, 0.06096);
    // batch: 30,000 x 0.5 = 15,000 / 1e6
    assertUsd(summary.batch, 0.015);
    assert.ok(summary.caching);
    assert.equal(summary.caching.write5mTokens, 5_000);
    assert.equal(summary.caching.readTokens, 5_000);
    // first run: 5,000 x 2 = 10,000; 5,000 x 2.5 = 12,500; 1,000 x 10 = 10,000; 32,500 / 1e6
    assertUsd(summary.caching.firstRun, 0.0325);
    // repeat run: 5,000 x 2 = 10,000; 5,000 x 0.1 = 500; 10,000; 20,500 / 1e6
    assertUsd(summary.caching.repeatRun, 0.0205);
  });

  it('defaults the expected output to min(max_tokens, 1,024) and says it was assumed', () => {
    assert.equal(summaryFor(exact('claude-sonnet-5-5', 1), { maxTokens: 64_000 }).expectedOutputTokens, 1_024);
    assert.equal(summaryFor(exact('claude-sonnet-5-5', 1), { maxTokens: 200 }).expectedOutputTokens, 200);
    assert.equal(summaryFor(exact('claude-sonnet-5-5', 1), { maxTokens: 200 }).expectedOutputAssumed, true);
    assert.equal(summaryFor(exact('claude-sonnet-5-5', 1), { expectedOutputTokens: 50 }).expectedOutputAssumed, false);
  });

  it('flags input + max_tokens over the context window (Haiku 4.5, 200K)', () => {
    // 150,000 + 64,000 = 214,000 > 200,000
    assert.equal(summaryFor(exact('claude-haiku-4-5', 150_000), { maxTokens: 64_000 }).exceedsWindow, true);
    // 130,000 + 64,000 = 194,000 <= 200,000
    assert.equal(summaryFor(exact('claude-haiku-4-5', 130_000), { maxTokens: 64_000 }).exceedsWindow, false);
  });
});

describe('costReport: tooltip and details', () => {
  it('the tooltip has the total, every cost, the window use, the price date and source, and why it is an estimate', () => {
    const plan: CachePlan = { breakpoints: [{ path: 'system[0]', ttl: '5m', prefixShare: 0.5 }], write5mShare: 0.5, write1hShare: 0, readShare: 0.5, tooManyBreakpoints: false };
    const summary = summaryFor(estimated('claude-sonnet-5-5', 10_000, 'rate limited, retrying in 5s'), { expectedOutputTokens: 1_000, cachePlan: plan });
    const md = tooltipMarkdown(summary);
    for (const needle of ['10,000 input tokens', 'rate limited, retrying in 5s', '$0.030', '$0.061', '$0.015', '$0.033', '$0.021', '1.0% of 1,000,000', 'as of 2026-11-25', 'Sonnet 5.5 page', 'unverified']) {
      assert.ok(md.includes(needle), `tooltip lacks ${needle}:\n${md}`);
    }
    assert.ok(md.includes('\\~10,000'), 'the estimate mark is escaped so Markdown does not strike it through');
  });

  it('the tooltip of an exact count says so, and warns when the window is exceeded', () => {
    const md = tooltipMarkdown(summaryFor(exact('claude-haiku-4-5', 150_000), { maxTokens: 64_000 }));
    assert.match(md, /exact count from the API/);
    assert.match(md, /larger than the window/);
  });

  it('the tooltip of an unknown model says cost unknown and how to fix it', () => {
    const md = tooltipMarkdown(summaryFor(exact('claude-unreleased-9', 10)));
    assert.match(md, /cost unknown: model not in the price table \(as of 2026-11-25\)/);
    assert.match(md, /price overrides setting/);
    assert.doesNotMatch(md, /\$0\.00/);
  });

  it('the details view has a what-if row per model with its own count', () => {
    const main = summaryFor(exact('claude-sonnet-5-5', 10_000), { expectedOutputTokens: 1_000 });
    const rows = [main, summaryFor(estimated('claude-haiku-5-5', 13_000, 'no API key'), { expectedOutputTokens: 1_000 }), summaryFor(exact('claude-unreleased-9', 9_000))];
    const md = detailsMarkdown(main, rows);
    const tableRows = md.split('\n').filter((line) => line.startsWith('| `'));
    assert.equal(tableRows.length, 3);
    // Haiku 5.5: 13,000 x 0.10 = 1,300; 1,000 x 0.50 = 500; 1,800 / 1e6 = $0.0018
    assert.match(tableRows[1] ?? '', /^\| `claude-haiku-5-5` \| \\~13,000 \| \$0\.0018 \|/);
    assert.match(tableRows[2] ?? '', /^\| `claude-unreleased-9` \| 9,000 \| unknown \| unknown \| unknown \| no breakpoints \| unknown \|$/);
    assert.match(md, /`claude-haiku-5-5`: no API key/);
  });
});
