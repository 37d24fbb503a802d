import assert from 'node:assert/strict';
import { decideSpend } from '../../../src/core/pricing/costGuard';
import { BUNDLED_PRICES, costFromUsage, findPrice, mergePriceOverrides } from '../../../src/core/pricing/priceTable';
import { cacheTtls, spendCheckFields, worstCaseCost, type WorstCase } from '../../../src/core/pricing/worstCase';
import { clientFor } from '../simulator/simulatorFixture';
import { start, type Simulator } from '../../simulator/server';

const price = (model: string) => findPrice(BUNDLED_PRICES, model);
const ask = (text: string): Record<string, unknown>[] => [{ role: 'user', content: text }];

function usdOf(worst: WorstCase): number {
  assert.ok(worst.known, `expected a known worst case, got ${worst.known ? '' : worst.reason}`);
  return worst.usd;
}

describe('worstCaseCost', () => {
  it('is counted input plus max_tokens of output for a plain request', () => {
    const request = { model: 'claude-opus-5', max_tokens: 1_000, messages: ask('Hi') };
    // 10,000 x $5 + 1,000 x $25, per million.
    assert.equal(usdOf(worstCaseCost({ request, inputTokens: 10_000, price: price('claude-opus-5') })), 0.075);
  });

  it('prices fast mode at the model multiplier: an Opus 5 fast run is twice the standard one (the bug: half)', () => {
    const request = { model: 'claude-opus-5', max_tokens: 1_000, speed: 'fast', messages: ask('Hi') };
    assert.equal(usdOf(worstCaseCost({ request, inputTokens: 10_000, price: price('claude-opus-5') })), 0.15);
  });

  it('counts a task budget as what it is: advisory, with max_tokens still the bound of the request', () => {
    const request = { model: 'claude-opus-5', max_tokens: 1_000, output_config: { task_budget: { type: 'tokens', total: 50_000 } }, messages: ask('Hi') };
    const worst = worstCaseCost({ request, inputTokens: 10_000, price: price('claude-opus-5') });
    assert.equal(usdOf(worst), 0.075, 'the same as without the budget: max_tokens bounds the reply');
    assert.ok(worst.notes.some((note) => /task budget of 50000 tokens: advisory .* capped by max_tokens \(1000\)/.test(note)), worst.notes.join('; '));
  });

  it('is unknown for fast mode on a model whose fast multiplier the sheet does not give', () => {
    const worst = worstCaseCost({ request: { model: 'claude-opus-5-5', max_tokens: 10, speed: 'fast', messages: ask('Hi') }, inputTokens: 10, price: price('claude-opus-5-5') });
    assert.equal(worst.known, false);
    assert.match(worst.known ? '' : worst.reason, /no fast-mode price for claude-opus-5-5/);
  });

  it('includes a 1-hour cache write of 10k tokens (the bug: left out)', () => {
    const request = {
      model: 'claude-opus-5',
      max_tokens: 0,
      system: [{ type: 'text', text: 'long policy', cache_control: { type: 'ephemeral', ttl: '1h' } }],
      messages: ask('Hi'),
    };
    // 10,000 tokens at the 1-hour write rate, $10 per million.
    assert.equal(usdOf(worstCaseCost({ request, inputTokens: 10_000, price: price('claude-opus-5') })), 0.1);
  });

  it('prices a 5-minute breakpoint at the 5-minute write rate, and the top-level automatic breakpoint too', () => {
    const marked = { model: 'claude-opus-5', max_tokens: 0, messages: [{ role: 'user', content: [{ type: 'text', text: 'x', cache_control: { type: 'ephemeral' } }] }] };
    assert.equal(usdOf(worstCaseCost({ request: marked, inputTokens: 10_000, price: price('claude-opus-5') })), 0.0625);
    const automatic = { model: 'claude-opus-5', max_tokens: 0, cache_control: { type: 'ephemeral' }, messages: ask('x') };
    assert.equal(usdOf(worstCaseCost({ request: automatic, inputTokens: 10_000, price: price('claude-opus-5') })), 0.0625);
  });

  it('stacks fast mode on cache writes', () => {
    const request = { model: 'claude-opus-5', max_tokens: 0, speed: 'fast', cache_control: { type: 'ephemeral', ttl: '1h' }, messages: ask('x') };
    assert.equal(usdOf(worstCaseCost({ request, inputTokens: 10_000, price: price('claude-opus-5') })), 0.2);
  });

  it('is unknown when a breakpoint needs a cache price the table lacks (Fable 5.2), never the input rate', () => {
    const request = { model: 'claude-fable-5-2', max_tokens: 10, cache_control: { type: 'ephemeral' }, messages: ask('x') };
    const worst = worstCaseCost({ request, inputTokens: 100, price: price('claude-fable-5-2') });
    assert.equal(worst.known, false);
    assert.match(worst.known ? '' : worst.reason, /5-minute cache write price for claude-fable-5-2 is not known/);
  });

  it('uses the Haiku 5.5 long-prompt band for every token once the prompt passes 100K', () => {
    const request = { model: 'claude-haiku-5-5', max_tokens: 1_000, messages: ask('x') };
    // 200,000 x $0.50 + 1,000 x $2.50, per million.
    assert.equal(usdOf(worstCaseCost({ request, inputTokens: 200_000, price: price('claude-haiku-5-5') })), 0.1025);
  });

  it('is unknown for a server tool, with the priced part as a lower bound (web search fees at max_uses)', () => {
    const request = { model: 'claude-opus-5', max_tokens: 1_000, tools: [{ type: 'web_search_20260318', name: 'web_search', max_uses: 5 }], messages: ask('News?') };
    const worst = worstCaseCost({ request, inputTokens: 10_000, price: price('claude-opus-5') });
    assert.ok(!worst.known);
    assert.match(worst.reason, /server tools \(web_search_20260318\)/);
    assert.ok(Math.abs((worst.atLeastUsd ?? 0) - (0.075 + 0.05)) < 1e-12, `lower bound ${worst.atLeastUsd}`);
  });

  for (const type of ['web_fetch_20260318', 'code_execution_20260521', 'tool_search_tool_regex_20251119']) {
    it(`is unknown with ${type}`, () => {
      const worst = worstCaseCost({ request: { model: 'claude-opus-5', max_tokens: 10, tools: [{ type, name: 'x' }], messages: ask('x') }, inputTokens: 10, price: price('claude-opus-5') });
      assert.equal(worst.known, false);
    });
  }

  it('is unknown with MCP servers, and says web search fees are unbounded without max_uses', () => {
    const mcp = worstCaseCost({ request: { model: 'claude-opus-5', max_tokens: 10, mcp_servers: [{ type: 'url', url: 'https://x', name: 'x' }], messages: ask('x') }, inputTokens: 10, price: price('claude-opus-5') });
    assert.equal(mcp.known, false);
    const search = worstCaseCost({ request: { model: 'claude-opus-5', max_tokens: 10, tools: [{ type: 'web_search_20260318', name: 'web_search' }], messages: ask('x') }, inputTokens: 10, price: price('claude-opus-5') });
    assert.match(search.known ? '' : search.reason, /fees are not bounded/);
  });

  it('stays known with client tools: custom, bash, text editor, memory', () => {
    const tools = [{ name: 'get_weather', input_schema: { type: 'object' } }, { type: 'custom', name: 'c', input_schema: { type: 'object' } }, { type: 'bash_20250124', name: 'bash' }, { type: 'text_editor_20250728', name: 'str_replace_based_edit_tool' }, { type: 'memory_20250818', name: 'memory' }];
    assert.equal(usdOf(worstCaseCost({ request: { model: 'claude-opus-5', max_tokens: 1_000, tools, messages: ask('x') }, inputTokens: 10_000, price: price('claude-opus-5') })), 0.075);
  });

  it('is unknown for an inference_geo other than "global" (the residency multiplier is UNVERIFIED)', () => {
    const base = { model: 'claude-opus-5', max_tokens: 1_000, messages: ask('x') };
    const us = worstCaseCost({ request: { ...base, inference_geo: 'us' }, inputTokens: 10_000, price: price('claude-opus-5') });
    assert.ok(!us.known);
    assert.match(us.reason, /inference_geo "us"/);
    assert.equal(us.atLeastUsd, 0.075);
    assert.equal(usdOf(worstCaseCost({ request: { ...base, inference_geo: 'global' }, inputTokens: 10_000, price: price('claude-opus-5') })), 0.075);
  });

  it('is unknown when the input was only estimated, and when max_tokens is not a number', () => {
    const estimated = worstCaseCost({ request: { model: 'claude-opus-5', max_tokens: 10, messages: ask('x') }, inputTokens: 10, inputTokensExact: false, price: price('claude-opus-5') });
    assert.match(estimated.known ? '' : estimated.reason, /only estimated/);
    assert.equal(worstCaseCost({ request: { model: 'claude-opus-5', max_tokens: '10', messages: ask('x') }, inputTokens: 10, price: price('claude-opus-5') }).known, false);
  });

  it('is unknown (price missing) for a model without a price', () => {
    const worst = worstCaseCost({ request: { model: 'claude-new-9', max_tokens: 10, messages: ask('x') }, inputTokens: 10, price: undefined });
    assert.ok(!worst.known && worst.priceMissing);
  });

  it('finds cache_control at any depth without recursing (a hostile prompt nests deeper than the stack)', () => {
    let deep: unknown = { type: 'text', text: 'x', cache_control: { type: 'ephemeral', ttl: '1h' } };
    for (let i = 0; i < 200_000; i++) deep = [deep];
    assert.deepEqual([...cacheTtls({ messages: [{ role: 'user', content: deep }] })], ['1h']);
  });
});

describe('decideSpend with an unknown worst case', () => {
  const limits = { inputTokens: 10_000, maxTokens: 1_000, model: 'claude-opus-5', confirmAboveUsd: 0.5, maxRunCostUsd: 5 };

  it('asks, naming why it is unknown and its lower bound', () => {
    const worst = worstCaseCost({ request: { model: 'claude-opus-5', max_tokens: 1_000, inference_geo: 'eu', messages: ask('x') }, inputTokens: 10_000, price: price('claude-opus-5') });
    const decision = decideSpend({ ...limits, ...spendCheckFields(worst) });
    assert.equal(decision.kind, 'confirm');
    assert.match(decision.kind === 'confirm' ? decision.message : '', /unknown: inference_geo "eu".*at least \$0\.07/);
  });

  it('refuses when the lower bound alone is above the cap', () => {
    const worst = worstCaseCost({ request: { model: 'claude-opus-5', max_tokens: 1_000, inference_geo: 'eu', messages: ask('x') }, inputTokens: 10_000, price: price('claude-opus-5') });
    assert.equal(decideSpend({ ...limits, maxRunCostUsd: 0.01, ...spendCheckFields(worst) }).kind, 'refuse');
  });

  it('keeps the price-overrides advice for a model without a price', () => {
    const worst = worstCaseCost({ request: { model: 'claude-new-9', max_tokens: 1, messages: ask('x') }, inputTokens: 1, price: undefined });
    const decision = decideSpend({ ...limits, model: 'claude-new-9', ...spendCheckFields(worst) });
    assert.match(decision.kind === 'confirm' ? decision.message : '', /Add its prices in promptWorkbench\.priceOverrides/);
  });

  it('fast mode moves an Opus 5 run from "send" to "confirm" at the same limits', () => {
    const request = { model: 'claude-opus-5', max_tokens: 10_000, messages: ask('x') };
    const standard = worstCaseCost({ request, inputTokens: 10_000, price: price('claude-opus-5') });
    const fast = worstCaseCost({ request: { ...request, speed: 'fast' }, inputTokens: 10_000, price: price('claude-opus-5') });
    // $0.30 standard, $0.60 fast, against confirmAboveUsd $0.50.
    assert.equal(decideSpend({ ...limits, ...spendCheckFields(standard) }).kind, 'send');
    assert.equal(decideSpend({ ...limits, ...spendCheckFields(fast) }).kind, 'confirm');
  });
});

// The property the spend cap rests on: for each request, the worst case computed before sending is
// at least the cost of what the simulator then bills for it (or unknown, and the guard asks).
describe('worst case >= actual cost, against the simulator', function () {
  this.timeout(30_000);
  let sim: Simulator;
  before(async () => {
    // Long replies, so the rows with a small max_tokens stop at max_tokens.
    sim = await start({ port: 0, outputTokens: 400, minCacheableTokens: 16 });
  });
  after(() => sim.close());

  const policy = Array.from({ length: 120 }, (_, i) => `Rule ${i}: be brief and cite the section.`).join('\n');
  // Opus 5 fast mode is a research preview behind a beta header (sheet §13).
  const options = (request: Record<string, unknown>) => (request['speed'] === 'fast' ? { headers: { 'anthropic-beta': 'fast-mode-2026-02-01' } } : {});
  const cachedSystem = (ttl?: '5m' | '1h') => [{ type: 'text', text: policy, cache_control: ttl ? { type: 'ephemeral', ttl } : { type: 'ephemeral' } }];
  const table: [string, Record<string, unknown>][] = [
    ['plain, reply cut by max_tokens', { model: 'claude-opus-5', max_tokens: 50, messages: ask('Tell me a long story.') }],
    ['plain, reply shorter than max_tokens', { model: 'claude-sonnet-5-5', max_tokens: 4_000, messages: ask('Hi') }],
    ['fast mode on Opus 5', { model: 'claude-opus-5', max_tokens: 300, speed: 'fast', messages: ask('Quick!') }],
    ['a 5-minute system breakpoint', { model: 'claude-opus-5', max_tokens: 100, system: cachedSystem(), messages: ask('Which rule?') }],
    ['a 1-hour system breakpoint', { model: 'claude-opus-5-5', max_tokens: 100, system: cachedSystem('1h'), messages: ask('Which rule?') }],
    ['1-hour then 5-minute breakpoints', { model: 'claude-opus-5', max_tokens: 100, system: cachedSystem('1h'), messages: [{ role: 'user', content: [{ type: 'text', text: policy, cache_control: { type: 'ephemeral' } }, { type: 'text', text: 'Which?' }] }] }],
    ['automatic caching with fast mode', { model: 'claude-opus-5', max_tokens: 200, speed: 'fast', cache_control: { type: 'ephemeral', ttl: '1h' }, messages: ask(policy) }],
    ['Haiku 5.5', { model: 'claude-haiku-5-5', max_tokens: 500, system: cachedSystem(), messages: ask('x') }],
    ['inference_geo', { model: 'claude-opus-5', max_tokens: 100, inference_geo: 'us', messages: ask('x') }],
    ['a client tool', { model: 'claude-opus-5', max_tokens: 300, tools: [{ name: 'lookup', description: 'Looks up', input_schema: { type: 'object', properties: { q: { type: 'string' } } } }], messages: ask('Look it up') }],
  ];

  for (const [name, request] of table) {
    it(name, async () => {
      sim.reset();
      const client = clientFor(sim);
      const model = String(request['model']);
      const counted = await client.messages.countTokens({ ...(request as object), max_tokens: undefined } as never, options(request));
      const worst = worstCaseCost({ request, inputTokens: counted.input_tokens, price: price(model) });
      // Twice: the first run writes the cache, the second reads it; both must stay under the bound.
      for (let run = 0; run < 2; run++) {
        const message = await client.messages.create(request as never, options(request));
        const actual = costFromUsage(price(model), message.usage);
        assert.ok(actual.known, `actual cost known for ${name}`);
        if (worst.known) {
          assert.ok(worst.usd >= actual.usd - 1e-12, `${name}: worst case ${worst.usd} < actual ${actual.usd} (usage ${JSON.stringify(message.usage)})`);
        } else {
          const decision = decideSpend({ inputTokens: counted.input_tokens, maxTokens: Number(request['max_tokens']), model, confirmAboveUsd: 1_000, maxRunCostUsd: 1_000, ...spendCheckFields(worst) });
          assert.equal(decision.kind, 'confirm', 'an unknown worst case asks, whatever the limits');
        }
      }
    });
  }

  it('the old bound (input + max_tokens at the input rate) was below the actual cost for fast mode and cache writes', async () => {
    sim.reset();
    const client = clientFor(sim);
    for (const request of [table[2]?.[1], table[4]?.[1]] as Record<string, unknown>[]) {
      const model = String(request['model']);
      const counted = await client.messages.countTokens({ ...(request as object), max_tokens: undefined } as never, options(request));
      const old = costFromUsage(price(model), { input_tokens: counted.input_tokens, output_tokens: Number(request['max_tokens']) });
      const message = await client.messages.create(request as never, options(request));
      const actual = costFromUsage(price(model), message.usage);
      assert.ok(old.known && actual.known && old.usd < actual.usd, `old ${old.known && old.usd} vs actual ${actual.known && actual.usd}`);
    }
  });

  it('user price overrides feed the same bound', () => {
    const { table: prices } = mergePriceOverrides(BUNDLED_PRICES, { 'claude-opus-5-5': { fastMultiplier: 3 } });
    const request = { model: 'claude-opus-5-5', max_tokens: 1_000, speed: 'fast', messages: ask('x') };
    assert.equal(usdOf(worstCaseCost({ request, inputTokens: 10_000, price: findPrice(prices, 'claude-opus-5-5') })), 0.18);
  });
});

describe('costFromUsage: server tool fees', () => {
  const usage = { input_tokens: 10_000, output_tokens: 1_000 };

  it('adds $10 per 1,000 web searches to the tokens (they were left out)', () => {
    const cost = costFromUsage(price('claude-opus-5'), { ...usage, server_tool_use: { web_search_requests: 3, web_fetch_requests: 0 } });
    assert.ok(cost.known);
    assert.ok(Math.abs(cost.usd - (0.075 + 0.03)) < 1e-12, `${cost.usd}`);
    assert.match(cost.notes.join(';'), /3 web searches at \$10 per 1,000/);
  });

  it('is unknown with web fetch requests, whose fee the sheet does not give', () => {
    const cost = costFromUsage(price('claude-opus-5'), { ...usage, server_tool_use: { web_search_requests: 0, web_fetch_requests: 1 } });
    assert.equal(cost.known, false);
  });

  it('is the token cost alone without server tool use', () => {
    const cost = costFromUsage(price('claude-opus-5'), { ...usage, server_tool_use: null });
    assert.ok(cost.known && cost.usd === 0.075);
  });
});
