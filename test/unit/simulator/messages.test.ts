import assert from 'node:assert/strict';
import Ajv from 'ajv';
import type { ToolUseBlock, TextBlock } from '@anthropic-ai/sdk/resources/messages';
import { replyTextFor } from '../../simulator/replyModel';
import { countTextTokens } from '../../simulator/tokenizer';
import { SIMULATOR_HEADERS } from '../../simulator/server';
import { MODEL, TEST_KEY, clientFor, useSimulator } from './simulatorFixture';

function textOf(content: readonly { type: string }[]): string {
  return content
    .filter((b): b is TextBlock => b.type === 'text')
    .map((b) => b.text)
    .join('');
}

describe('simulator: messages.create', () => {
  const fx = useSimulator({ outputTokens: 30 });

  it('replies with deterministic text that depends on the conversation', async () => {
    const params = { model: MODEL, max_tokens: 200, messages: [{ role: 'user' as const, content: 'Name three rivers.' }] };
    const first = await fx.client.messages.create(params);
    const again = await fx.client.messages.create(params);
    const other = await fx.client.messages.create({ ...params, messages: [{ role: 'user', content: 'Name three lakes.' }] });

    assert.equal(first.type, 'message');
    assert.equal(first.role, 'assistant');
    assert.equal(first.model, MODEL);
    assert.match(first.id, /^msg_01/);
    assert.equal(first.stop_reason, 'end_turn');
    assert.equal(textOf(first.content), replyTextFor(params, 30));
    assert.equal(textOf(again.content), textOf(first.content));
    assert.notEqual(textOf(other.content), textOf(first.content));
  });

  it('bills output tokens with its own tokenizer and input tokens equal to count_tokens', async () => {
    const params = {
      model: MODEL,
      max_tokens: 500,
      system: 'You are terse.',
      messages: [{ role: 'user' as const, content: 'Summarise the plot of a long novel in two lines, please.' }],
    };
    const message = await fx.client.messages.create(params);
    const { max_tokens: _unused, ...countParams } = params;
    const counted = await fx.client.messages.countTokens(countParams);
    assert.equal(message.usage.input_tokens, counted.input_tokens);
    assert.equal(message.usage.output_tokens, 30);
    assert.equal(message.usage.output_tokens, countTextTokens(textOf(message.content), MODEL));
    assert.equal(message.usage.service_tier, 'standard');
    assert.deepEqual(message.usage.cache_creation, { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 });
  });

  it('sets the reply length per request with the x-simulator-output-tokens header', async () => {
    const message = await fx.client.messages.create(
      { model: MODEL, max_tokens: 1000, messages: [{ role: 'user', content: 'Go on.' }] },
      { headers: { [SIMULATOR_HEADERS.outputTokens]: '120' } },
    );
    assert.equal(message.usage.output_tokens, 120);
    assert.equal(message.stop_reason, 'end_turn');
  });

  it('never exceeds max_tokens: the reply is cut and stop_reason is max_tokens', async () => {
    const params = { model: MODEL, max_tokens: 7, messages: [{ role: 'user' as const, content: 'Tell me everything.' }] };
    const message = await fx.client.messages.create(params);
    assert.equal(message.stop_reason, 'max_tokens');
    assert.equal(message.usage.output_tokens, 7);
    const text = textOf(message.content);
    assert.equal(countTextTokens(text, MODEL), 7);
    assert.ok(replyTextFor(params, 30).startsWith(text), 'a cut reply is the start of the full one');
  });

  it('answers max_tokens 0 with no content (cache pre-warming)', async () => {
    const message = await fx.client.messages.create({ model: MODEL, max_tokens: 0, messages: [{ role: 'user', content: 'Warm up.' }] });
    assert.deepEqual(message.content, []);
    assert.equal(message.stop_reason, 'max_tokens');
    assert.equal(message.usage.output_tokens, 0);
  });

  it('stops at the first stop sequence it generates', async () => {
    const params = { model: MODEL, max_tokens: 200, messages: [{ role: 'user' as const, content: 'Keep talking.' }] };
    const full = replyTextFor(params, 30);
    const words = full.replace(/\.$/, '').split(' ');
    const stopWord = ` ${words[4] ?? ''}`;
    const message = await fx.client.messages.create({ ...params, stop_sequences: ['NEVER-GENERATED', stopWord] });
    assert.equal(message.stop_reason, 'stop_sequence');
    assert.equal(message.stop_sequence, stopWord);
    assert.equal(textOf(message.content), full.slice(0, full.indexOf(stopWord)));
    assert.equal(message.usage.output_tokens, countTextTokens(textOf(message.content), MODEL));
  });

  it('emits a thinking block with a signature when thinking is enabled', async () => {
    const message = await fx.client.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 2048,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      messages: [{ role: 'user', content: 'Think first.' }],
    });
    const [thinking, text] = message.content;
    assert.equal(thinking?.type, 'thinking');
    assert.equal(text?.type, 'text');
    if (thinking?.type !== 'thinking') return;
    assert.ok(thinking.thinking.length > 0);
    assert.ok(thinking.signature.length > 20);
    assert.equal(message.usage.output_tokens_details?.thinking_tokens, 16);
    assert.equal(message.usage.output_tokens, 16 + 30);
  });

  it("leaves the thinking text empty with display 'omitted' but keeps the signature", async () => {
    const message = await fx.client.messages.create({
      model: MODEL,
      max_tokens: 500,
      thinking: { type: 'adaptive', display: 'omitted' },
      messages: [{ role: 'user', content: 'Think quietly.' }],
    });
    const thinking = message.content[0];
    assert.equal(thinking?.type, 'thinking');
    if (thinking?.type === 'thinking') {
      assert.equal(thinking.thinking, '');
      assert.ok(thinking.signature.length > 0);
    }
  });

  it('records every request with its endpoint, headers and parsed body', async () => {
    const message = await fx.client.messages.create({ model: MODEL, max_tokens: 50, messages: [{ role: 'user', content: 'Hi' }] });
    await fx.client.messages.countTokens({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }] });
    assert.equal(fx.sim.requests.length, 2);
    const [first] = fx.sim.requests;
    assert.equal(first?.method, 'POST');
    assert.equal(first?.path, '/v1/messages');
    assert.equal(first?.endpoint, 'messages');
    assert.equal(first?.status, 200);
    assert.equal(first?.headers.authorization, `Bearer ${TEST_KEY}`);
    assert.equal(first?.headers['anthropic-version'], '2026-10-21');
    assert.deepEqual(first?.body, { model: MODEL, max_tokens: 50, messages: [{ role: 'user', content: 'Hi' }] });
    assert.equal(first?.requestId, message._request_id);
    assert.deepEqual(fx.sim.countByEndpoint(), { messages: 1, count_tokens: 1 });
    assert.equal(fx.sim.requestCount('count_tokens'), 1);
    fx.sim.reset();
    assert.equal(fx.sim.requestCount(), 0);
  });

  it('accepts the key as x-api-key or Bearer, and x-api-key wins when both are sent', async () => {
    const params = { model: MODEL, max_tokens: 10, messages: [{ role: 'user' as const, content: 'Hi' }] };
    const goodHeaderBadBearer = clientFor(fx.sim, { apiKey: 'bad-key', defaultHeaders: { 'x-api-key': TEST_KEY } });
    assert.equal((await goodHeaderBadBearer.messages.create(params)).type, 'message');
    const badHeaderGoodBearer = clientFor(fx.sim, { defaultHeaders: { 'x-api-key': 'bad-key' } });
    await assert.rejects(badHeaderGoodBearer.messages.create(params), { status: 401, type: 'authentication_error' });
  });

  it('answers a replyText override verbatim', async () => {
    fx.sim.configure({ replyText: (body) => (JSON.stringify(body).includes('fixed') ? 'A fixed answer.' : undefined) });
    try {
      const message = await fx.client.messages.create({ model: MODEL, max_tokens: 50, messages: [{ role: 'user', content: 'fixed please' }] });
      assert.equal(textOf(message.content), 'A fixed answer.');
      assert.equal(message.usage.output_tokens, countTextTokens('A fixed answer.', MODEL));
    } finally {
      fx.sim.configure({ replyText: undefined });
    }
  });
});

describe('simulator: tools and structured output', () => {
  const fx = useSimulator();
  const weatherTool = {
    name: 'get_weather',
    description: 'Current weather for a city',
    input_schema: {
      type: 'object' as const,
      properties: {
        city: { type: 'string' },
        unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
        days: { type: 'integer', minimum: 1, maximum: 7 },
      },
      required: ['city', 'unit'],
      additionalProperties: false,
    },
  };
  const ajv = new Ajv({ strict: false });

  it('calls the forced tool with input valid against its schema', async () => {
    const message = await fx.client.messages.create({
      model: MODEL,
      max_tokens: 500,
      tools: [weatherTool],
      tool_choice: { type: 'any' },
      messages: [{ role: 'user', content: 'How is it outside?' }],
    });
    assert.equal(message.stop_reason, 'tool_use');
    const call = message.content.find((b): b is ToolUseBlock => b.type === 'tool_use');
    assert.ok(call);
    assert.equal(call.name, 'get_weather');
    assert.match(call.id, /^toolu_01/);
    assert.deepEqual(call.caller, { type: 'direct' });
    assert.ok(ajv.validate(weatherTool.input_schema, call.input), ajv.errorsText());
    assert.equal(message.usage.output_tokens, countTextTokens(JSON.stringify(call.input), MODEL));
  });

  it('with tool_choice auto, calls a tool only when the user mentions it', async () => {
    const mention = await fx.client.messages.create({
      model: MODEL,
      max_tokens: 500,
      tools: [weatherTool],
      messages: [{ role: 'user', content: 'Use get_weather for Paris.' }],
    });
    assert.equal(mention.stop_reason, 'tool_use');
    const call = mention.content.find((b): b is ToolUseBlock => b.type === 'tool_use');
    assert.ok(call);

    const followUp = await fx.client.messages.create({
      model: MODEL,
      max_tokens: 500,
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'Use get_weather for Paris.' },
        { role: 'assistant', content: mention.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: 'Sunny, 21 C' }] },
      ],
    });
    assert.equal(followUp.stop_reason, 'end_turn');
    assert.equal(followUp.content[0]?.type, 'text');

    const noMention = await fx.client.messages.create({ model: MODEL, max_tokens: 500, tools: [weatherTool], messages: [{ role: 'user', content: 'Hello.' }] });
    assert.equal(noMention.stop_reason, 'end_turn');
  });

  it('calls the tool named by tool_choice tool', async () => {
    const other = { name: 'lookup', input_schema: { type: 'object' as const, properties: { query: { type: 'string' } } } };
    const message = await fx.client.messages.create({
      model: MODEL,
      max_tokens: 500,
      tools: [weatherTool, other],
      tool_choice: { type: 'tool', name: 'lookup' },
      messages: [{ role: 'user', content: 'get_weather is not what I want.' }],
    });
    const call = message.content.find((b): b is ToolUseBlock => b.type === 'tool_use');
    assert.equal(call?.name, 'lookup');
  });

  it('returns structured output as JSON valid against output_config.format', async () => {
    const schema = {
      type: 'object',
      properties: {
        title: { type: 'string', minLength: 3 },
        rating: { type: 'number', minimum: 0, maximum: 5 },
        count: { type: 'integer', exclusiveMinimum: 10, multipleOf: 5 },
        published: { type: 'boolean' },
        genre: { enum: ['fiction', 'essay', 'poetry'] },
        version: { const: 2 },
        tags: { type: 'array', items: { type: 'string' }, minItems: 3, maxItems: 4, uniqueItems: true },
        author: { $ref: '#/$defs/person' },
        note: { anyOf: [{ type: 'null' }, { type: 'string', maxLength: 8 }] },
      },
      required: ['title', 'rating', 'count', 'published', 'genre', 'version', 'tags', 'author', 'note'],
      additionalProperties: false,
      $defs: {
        person: { type: 'object', properties: { name: { type: 'string' }, born: { type: ['integer', 'null'] } }, required: ['name', 'born'], additionalProperties: false },
      },
    };
    const message = await fx.client.messages.create({
      model: MODEL,
      max_tokens: 2000,
      output_config: { format: { type: 'json_schema', schema } },
      messages: [{ role: 'user', content: 'Describe a book.' }],
    });
    assert.equal(message.stop_reason, 'end_turn');
    const text = textOf(message.content);
    const value: unknown = JSON.parse(text);
    assert.ok(ajv.validate(schema, value), ajv.errorsText());
    assert.equal(message.usage.output_tokens, countTextTokens(text, MODEL));
  });
});
