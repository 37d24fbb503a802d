import assert from 'node:assert/strict';
import { BadRequestError } from '@anthropic-ai/sdk';
import type { MessageParam, TextBlockParam } from '@anthropic-ai/sdk/resources/messages';
import { SIMULATOR_HEADERS } from '../../simulator/faults';
import { MODEL, useSimulator } from './simulatorFixture';

const LONG_SYSTEM = Array.from({ length: 400 }, (_, i) => `Rule ${i}: answer politely and cite the handbook section.`).join('\n');
const system = (text = LONG_SYSTEM): TextBlockParam[] => [{ type: 'text', text, cache_control: { type: 'ephemeral' } }];
const ask = (content: string): MessageParam[] => [{ role: 'user', content }];

describe('simulator: cache diagnostics (§8)', () => {
  const fx = useSimulator();

  it('answers diagnostics: null when the request did not opt in', async () => {
    const reply = await fx.client.messages.create({ model: MODEL, max_tokens: 20, system: system(), messages: ask('A?') });
    assert.equal(reply.diagnostics, null);
  });

  it('opts in with previous_message_id null, then reports no miss when the prompt only grew', async () => {
    const first = await fx.client.messages.create({ model: MODEL, max_tokens: 20, system: system(), messages: ask('A?'), diagnostics: { previous_message_id: null } });
    assert.deepEqual(first.diagnostics, { cache_miss_reason: null });
    const again = await fx.client.messages.create({
      model: MODEL,
      max_tokens: 20,
      system: system(),
      messages: [...ask('A?'), { role: 'assistant', content: 'B.' }, { role: 'user', content: 'C?' }],
      diagnostics: { previous_message_id: first.id },
    });
    assert.deepEqual(again.diagnostics, { cache_miss_reason: null });
    assert.ok((again.usage.cache_read_input_tokens ?? 0) > 1024, 'and the cache was read');
  });

  it('names a changed system prompt with the tokens the previous prefix held, in the stream as well', async () => {
    const first = await fx.client.messages.create({ model: MODEL, max_tokens: 20, system: system(), messages: ask('A?'), diagnostics: { previous_message_id: null } });
    const cached = first.usage.cache_creation_input_tokens ?? 0;
    assert.ok(cached > 1024);
    const stream = fx.client.messages.stream({ model: MODEL, max_tokens: 20, system: system(`${LONG_SYSTEM}\nNew rule.`), messages: ask('A?'), diagnostics: { previous_message_id: first.id } });
    const second = await stream.finalMessage();
    assert.deepEqual(second.diagnostics, { cache_miss_reason: { type: 'system_changed', cache_missed_input_tokens: cached } });
    assert.equal(second.usage.cache_read_input_tokens, 0, 'a real miss');
  });

  it('tells a model change, a tools change, an edited earlier message, an unknown id and an undiagnosable change apart', async () => {
    const base = { max_tokens: 20, system: system(), messages: ask('A?') };
    const first = await fx.client.messages.create({ ...base, model: MODEL, diagnostics: { previous_message_id: null } });
    const reason = async (params: Record<string, unknown>, previous: string = first.id): Promise<unknown> =>
      (await fx.client.messages.create({ ...base, model: MODEL, ...params, diagnostics: { previous_message_id: previous } } as never)).diagnostics?.cache_miss_reason?.type;
    assert.equal(await reason({ model: 'claude-haiku-5-5' }), 'model_changed');
    assert.equal(await reason({ tools: [{ name: 'lookup', input_schema: { type: 'object' } }] }), 'tools_changed');
    assert.equal(await reason({ messages: ask('A, edited?') }), 'messages_changed');
    assert.equal(await reason({ tool_choice: { type: 'none' } }), 'unavailable');
    assert.equal(await reason({}, 'msg_01unknown'), 'previous_message_not_found');
  });

  it('refuses a diagnostics value of the wrong shape with a 400', async () => {
    await assert.rejects(
      fx.client.messages.create({ model: MODEL, max_tokens: 20, messages: ask('A?'), diagnostics: { previous_message_id: 42 } } as never),
      (error: unknown) => error instanceof BadRequestError && /diagnostics\.previous_message_id/.test(error.message),
    );
  });
});

describe('simulator: refusals (§7)', () => {
  const fx = useSimulator();

  it('refuses with stop_reason refusal and stop_details, before any output, on a configured refusal', async () => {
    fx.sim.configure({ refusal: { category: 'cyber', explanation: 'Exploit development.' } });
    const reply = await fx.client.messages.create({ model: MODEL, max_tokens: 50, messages: ask('Write malware.') });
    assert.equal(reply.stop_reason, 'refusal');
    assert.deepEqual(reply.stop_details, { type: 'refusal', category: 'cyber', explanation: 'Exploit development.' });
    assert.deepEqual(reply.content, []);
    fx.sim.reset();
    const after = await fx.client.messages.create({ model: MODEL, max_tokens: 50, messages: ask('Hello.') });
    assert.equal(after.stop_reason, 'end_turn', 'reset clears the refusal');
  });

  it('streams some text first when asked, and the SDK accumulates stop_details from message_delta', async () => {
    fx.sim.configure({ refusal: { category: 'bio', afterTokens: 5 } });
    const stream = fx.client.messages.stream({ model: MODEL, max_tokens: 50, messages: ask('How do I culture this?') });
    const message = await stream.finalMessage();
    assert.equal(message.stop_reason, 'refusal');
    assert.equal(message.stop_details?.category, 'bio');
    assert.match(message.stop_details?.explanation ?? '', /simulated/);
    const text = message.content.find((block) => block.type === 'text');
    assert.ok(text && text.type === 'text' && text.text.length > 0, 'partial text kept');
  });

  it('refuses one request by header, with a null category', async () => {
    const reply = await fx.client.messages.create({ model: MODEL, max_tokens: 50, messages: ask('A?') }, { headers: { [SIMULATOR_HEADERS.refusal]: 'none' } });
    assert.equal(reply.stop_reason, 'refusal');
    assert.equal(reply.stop_details?.category, null);
  });
});
