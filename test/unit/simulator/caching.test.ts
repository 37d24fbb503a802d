import assert from 'node:assert/strict';
import type { MessageParam, TextBlockParam } from '@anthropic-ai/sdk/resources/messages';
import { MODEL, ManualClock, useSimulator } from './simulatorFixture';

/** A system prompt well above the 1024-token minimum cacheable prefix. */
const LONG_SYSTEM = Array.from({ length: 400 }, (_, i) => `Rule ${i}: answer politely and cite the handbook section.`).join('\n');

function cachedSystem(ttl?: '5m' | '1h'): TextBlockParam[] {
  return [{ type: 'text', text: LONG_SYSTEM, cache_control: ttl ? { type: 'ephemeral', ttl } : { type: 'ephemeral' } }];
}

describe('simulator: prompt caching', () => {
  const clock = new ManualClock();
  const fx = useSimulator({ now: clock.now });
  const ask = (content: string): MessageParam[] => [{ role: 'user', content }];

  it('writes a marked prefix the first time and reads it the next time', async () => {
    const counted = await fx.client.messages.countTokens({ model: MODEL, system: cachedSystem(), messages: ask('First question?') });
    const first = await fx.client.messages.create({ model: MODEL, max_tokens: 50, system: cachedSystem(), messages: ask('First question?') });
    const second = await fx.client.messages.create({ model: MODEL, max_tokens: 50, system: cachedSystem(), messages: ask('Second question?') });

    const written = first.usage.cache_creation_input_tokens ?? 0;
    assert.ok(written > 1024, `prefix written (${written})`);
    assert.equal(first.usage.cache_read_input_tokens, 0);
    assert.deepEqual(first.usage.cache_creation, { ephemeral_5m_input_tokens: written, ephemeral_1h_input_tokens: 0 });
    assert.equal(first.usage.input_tokens + written, counted.input_tokens, 'the split adds up to the count');

    assert.equal(second.usage.cache_read_input_tokens, written);
    assert.equal(second.usage.cache_creation_input_tokens, 0);
    assert.ok(second.usage.input_tokens < 20);
  });

  it('reports 1-hour writes separately and keeps them past 5 minutes', async () => {
    const first = await fx.client.messages.create({ model: MODEL, max_tokens: 50, system: cachedSystem('1h'), messages: ask('A?') });
    assert.equal(first.usage.cache_creation?.ephemeral_5m_input_tokens, 0);
    assert.equal(first.usage.cache_creation?.ephemeral_1h_input_tokens, first.usage.cache_creation_input_tokens);
    clock.advance(30 * 60_000);
    const later = await fx.client.messages.create({ model: MODEL, max_tokens: 50, system: cachedSystem('1h'), messages: ask('B?') });
    assert.equal(later.usage.cache_read_input_tokens, first.usage.cache_creation_input_tokens);
  });

  it('expires a 5-minute entry after its TTL, and a hit refreshes the TTL', async () => {
    const first = await fx.client.messages.create({ model: MODEL, max_tokens: 50, system: cachedSystem(), messages: ask('A?') });
    clock.advance(4 * 60_000);
    const hit = await fx.client.messages.create({ model: MODEL, max_tokens: 50, system: cachedSystem(), messages: ask('B?') });
    assert.equal(hit.usage.cache_read_input_tokens, first.usage.cache_creation_input_tokens);
    clock.advance(4 * 60_000); // 8 minutes after the write, 4 after the refreshing hit
    const stillThere = await fx.client.messages.create({ model: MODEL, max_tokens: 50, system: cachedSystem(), messages: ask('C?') });
    assert.ok((stillThere.usage.cache_read_input_tokens ?? 0) > 0);
    clock.advance(6 * 60_000);
    const expired = await fx.client.messages.create({ model: MODEL, max_tokens: 50, system: cachedSystem(), messages: ask('D?') });
    assert.equal(expired.usage.cache_read_input_tokens, 0);
    assert.equal(expired.usage.cache_creation_input_tokens, first.usage.cache_creation_input_tokens);
  });

  it('does not cache a prefix shorter than the minimum', async () => {
    const system: TextBlockParam[] = [{ type: 'text', text: 'Short rules.', cache_control: { type: 'ephemeral' } }];
    await fx.client.messages.create({ model: MODEL, max_tokens: 50, system, messages: ask('A?') });
    const second = await fx.client.messages.create({ model: MODEL, max_tokens: 50, system, messages: ask('A?') });
    assert.equal(second.usage.cache_creation_input_tokens, 0);
    assert.equal(second.usage.cache_read_input_tokens, 0);
  });

  it('misses when the cached prefix changes or the model changes', async () => {
    await fx.client.messages.create({ model: MODEL, max_tokens: 50, system: cachedSystem(), messages: ask('A?') });
    const changed: TextBlockParam[] = [{ type: 'text', text: LONG_SYSTEM + ' Also be brief.', cache_control: { type: 'ephemeral' } }];
    const otherText = await fx.client.messages.create({ model: MODEL, max_tokens: 50, system: changed, messages: ask('A?') });
    assert.equal(otherText.usage.cache_read_input_tokens, 0);
    const otherModel = await fx.client.messages.create({ model: 'claude-opus-5-5', max_tokens: 50, system: cachedSystem(), messages: ask('A?') });
    assert.equal(otherModel.usage.cache_read_input_tokens, 0);
  });

  it('top-level cache_control caches up to the last block, and a longer conversation reads it back', async () => {
    const turn1: MessageParam[] = [{ role: 'user', content: LONG_SYSTEM }];
    const first = await fx.client.messages.create({ model: MODEL, max_tokens: 50, cache_control: { type: 'ephemeral' }, messages: turn1 });
    assert.ok((first.usage.cache_creation_input_tokens ?? 0) > 1024);
    const turn2: MessageParam[] = [...turn1, { role: 'assistant', content: first.content }, { role: 'user', content: 'And then?' }];
    const second = await fx.client.messages.create({ model: MODEL, max_tokens: 50, cache_control: { type: 'ephemeral' }, messages: turn2 });
    assert.equal(second.usage.cache_read_input_tokens, first.usage.cache_creation_input_tokens);
    assert.ok((second.usage.cache_creation_input_tokens ?? 0) > 0, 'the new turns are written too');
  });

  it('caches tool definitions marked with cache_control', async () => {
    const tools = Array.from({ length: 12 }, (_, i) => ({
      name: `tool_${i}`,
      description: `${LONG_SYSTEM.slice(0, 600)} (${i})`,
      input_schema: { type: 'object' as const, properties: { q: { type: 'string' } } },
      ...(i === 11 ? { cache_control: { type: 'ephemeral' as const } } : {}),
    }));
    const first = await fx.client.messages.create({ model: MODEL, max_tokens: 50, tools, messages: ask('Hello') });
    const second = await fx.client.messages.create({ model: MODEL, max_tokens: 50, tools, messages: ask('Hello again') });
    assert.ok((first.usage.cache_creation_input_tokens ?? 0) > 1024);
    assert.equal(second.usage.cache_read_input_tokens, first.usage.cache_creation_input_tokens);
  });

  it('does not count cache reads toward the input-tokens-per-minute limit', async () => {
    const first = await fx.client.messages.create({ model: MODEL, max_tokens: 50, system: cachedSystem(), messages: ask('A?') }).withResponse();
    const second = await fx.client.messages.create({ model: MODEL, max_tokens: 50, system: cachedSystem(), messages: ask('A?') }).withResponse();
    const remaining = (r: typeof first): number => Number(r.response.headers.get('anthropic-ratelimit-input-tokens-remaining'));
    const limit = Number(first.response.headers.get('anthropic-ratelimit-input-tokens-limit'));
    const u1 = first.data.usage;
    const u2 = second.data.usage;
    // The clock stands still, so the bucket does not refill between the two.
    assert.equal(remaining(first), limit - u1.input_tokens - (u1.cache_creation_input_tokens ?? 0));
    assert.equal(remaining(second), remaining(first) - u2.input_tokens);
    assert.ok((u2.cache_read_input_tokens ?? 0) > 1024);
  });
});
