import assert from 'node:assert/strict';
import { RateLimitError } from '@anthropic-ai/sdk';
import { MODEL, ManualClock, useSimulator } from './simulatorFixture';

const RATE_LIMIT_HEADERS = ['requests', 'tokens', 'input-tokens', 'output-tokens'].flatMap((kind) =>
  ['limit', 'remaining', 'reset'].map((part) => `anthropic-ratelimit-${kind}-${part}`),
);
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const ask = { model: MODEL, max_tokens: 100, messages: [{ role: 'user' as const, content: 'Hi' }] };

describe('simulator: rate limits', () => {
  const clock = new ManualClock();
  const fx = useSimulator({
    now: clock.now,
    rateLimitsByModel: {
      'claude-haiku-5-5': { requestsPerMinute: 2, countTokensRequestsPerMinute: 3 },
      'claude-opus-5-5': { outputTokensPerMinute: 1000 },
    },
  });

  it('puts the anthropic-ratelimit-* headers and a request-id on every response', async () => {
    const responses = [
      (await fx.client.messages.create(ask).withResponse()).response,
      (await fx.client.messages.countTokens({ model: MODEL, messages: ask.messages }).withResponse()).response,
      (await fx.client.models.list().withResponse()).response,
    ];
    for (const response of responses) {
      for (const name of RATE_LIMIT_HEADERS) assert.ok(response.headers.get(name) !== null, `${name} on ${response.url}`);
      assert.match(response.headers.get('anthropic-ratelimit-requests-reset') ?? '', RFC3339);
      assert.match(response.headers.get('request-id') ?? '', /^req_011C/);
    }
    const messages = responses[0];
    assert.equal(Number(messages?.headers.get('anthropic-ratelimit-requests-remaining')), Number(messages?.headers.get('anthropic-ratelimit-requests-limit')) - 1);
  });

  it('answers 429 with retry-after once the requests-per-minute bucket is empty, and refills over time', async () => {
    const haiku = { ...ask, model: 'claude-haiku-5-5' };
    await fx.client.messages.create(haiku);
    await fx.client.messages.create(haiku);
    await assert.rejects(fx.client.messages.create(haiku), (e: unknown) => {
      assert.ok(e instanceof RateLimitError);
      assert.equal(e.type, 'rate_limit_error');
      assert.equal(e.headers.get('retry-after'), '30');
      assert.equal(e.headers.get('anthropic-ratelimit-requests-limit'), '2');
      assert.equal(e.headers.get('anthropic-ratelimit-requests-remaining'), '0');
      assert.equal(e.headers.get('anthropic-ratelimit-requests-reset'), new Date(clock.time + 60_000).toISOString().replace('.000Z', 'Z'));
      return true;
    });
    // Other models have their own buckets.
    assert.equal((await fx.client.messages.create(ask)).type, 'message');
    clock.advance(30_000);
    assert.equal((await fx.client.messages.create(haiku)).type, 'message');
  });

  it('limits count_tokens separately from messages', async () => {
    const counting = { model: 'claude-haiku-5-5', messages: ask.messages };
    for (let i = 0; i < 3; i++) await fx.client.messages.countTokens(counting);
    await assert.rejects(fx.client.messages.countTokens(counting), RateLimitError);
    assert.equal((await fx.client.messages.create({ ...ask, model: 'claude-haiku-5-5' })).type, 'message');
  });

  it('reserves output tokens from max_tokens and gives back what the reply did not use', async () => {
    const opus = { ...ask, model: 'claude-opus-5-5', max_tokens: 900 };
    const first = await fx.client.messages.create(opus).withResponse();
    const outputRemaining = (headers: Headers): number => Number(headers.get('anthropic-ratelimit-output-tokens-remaining'));
    assert.equal(outputRemaining(first.response.headers), 1000 - 900, 'the whole max_tokens is reserved while it runs');
    const counted = await fx.client.messages.countTokens({ model: 'claude-opus-5-5', messages: ask.messages }).withResponse();
    assert.equal(outputRemaining(counted.response.headers), 1000 - first.data.usage.output_tokens, 'corrected to the real output');
    // A reservation larger than what is left is refused.
    await assert.rejects(fx.client.messages.create({ ...opus, max_tokens: 990 }), RateLimitError);
  });
});

describe('simulator: fast mode rate limits', () => {
  const clock = new ManualClock();
  const fx = useSimulator({
    now: clock.now,
    rateLimitsByModel: { 'claude-opus-5-5': { outputTokensPerMinute: 10_000, fastOutputTokensPerMinute: 250, fastInputTokensPerMinute: 40_000 } },
  });
  const opus = { model: 'claude-opus-5-5', max_tokens: 100, messages: [{ role: 'user' as const, content: 'Hi' }] };

  it('reports the anthropic-fast-* buckets on a fast request only, and takes its tokens from them', async () => {
    const standard = await fx.client.messages.create(opus).withResponse();
    assert.equal(standard.response.headers.get('anthropic-fast-output-tokens-limit'), null, 'no fast headers on a standard request');
    // The standard request has settled to its real output; fast requests take nothing more from it.
    const before = 10_000 - standard.data.usage.output_tokens;

    const { data, response } = await fx.client.messages.create({ ...opus, speed: 'fast' }).withResponse();
    assert.equal(data.usage.speed, 'fast');
    assert.equal(response.headers.get('anthropic-fast-output-tokens-limit'), '250');
    assert.equal(response.headers.get('anthropic-fast-input-tokens-limit'), '40000');
    assert.equal(Number(response.headers.get('anthropic-fast-output-tokens-remaining')), 250 - 100, 'max_tokens reserved while it runs');
    const second = (await fx.client.messages.create({ ...opus, speed: 'fast' }).withResponse()).response;
    assert.equal(Number(second.headers.get('anthropic-fast-output-tokens-remaining')), 250 - data.usage.output_tokens - 100, 'the first settled to its real output');
    assert.match(response.headers.get('anthropic-fast-output-tokens-reset') ?? '', RFC3339);
    assert.equal(Number(response.headers.get('anthropic-ratelimit-output-tokens-remaining')), before, 'the standard output bucket is untouched');
  });

  it('answers 429 for the fast bucket while standard requests still go through', async () => {
    // 100 output tokens are reserved per request: the 250-token fast bucket admits two, not three.
    clock.advance(60_000);
    const fast = { ...opus, speed: 'fast' as const };
    await fx.client.messages.create({ ...fast, max_tokens: 120 });
    await fx.client.messages.create({ ...fast, max_tokens: 120 });
    await assert.rejects(fx.client.messages.create({ ...fast, max_tokens: 240 }), (e: unknown) => {
      assert.ok(e instanceof RateLimitError);
      assert.match(e.message, /fast mode output tokens per minute/);
      assert.ok(Number(e.headers.get('retry-after')) >= 1);
      assert.ok(e.headers.get('anthropic-fast-output-tokens-remaining') !== null);
      return true;
    });
    assert.equal((await fx.client.messages.create(opus)).type, 'message', 'the standard limit is its own');
  });
});
