import assert from 'node:assert/strict';
import { APIUserAbortError } from '@anthropic-ai/sdk';
import type { RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';
import { replyTextFor } from '../../simulator/replyModel';
import { SIMULATOR_HEADERS } from '../../simulator/server';
import { MODEL, TEST_KEY, eventually, useSimulator } from './simulatorFixture';

/** The raw SSE event names of one streamed request, read without the SDK (which hides pings). */
async function rawEventNames(url: string, body: object): Promise<string[]> {
  const response = await fetch(`${url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': TEST_KEY, 'anthropic-version': '2026-10-21' },
    body: JSON.stringify({ ...body, stream: true }),
  });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
  const text = await response.text();
  return [...text.matchAll(/^event: (\S+)$/gm)].map((m) => m[1] ?? '');
}

describe('simulator: streaming', () => {
  const fx = useSimulator({ outputTokens: 40 });
  const params = { model: MODEL, max_tokens: 500, messages: [{ role: 'user' as const, content: 'Stream a reply.' }] };

  it('streams text events that add up to the final message, with the same usage as create', async () => {
    const stream = fx.client.messages.stream(params);
    const deltas: string[] = [];
    stream.on('text', (delta) => deltas.push(delta));
    const final = await stream.finalMessage();
    const created = await fx.client.messages.create(params);

    assert.ok(deltas.length > 10, 'many small deltas');
    assert.equal(deltas.join(''), replyTextFor(params, 40));
    assert.equal(await stream.finalText(), deltas.join(''));
    assert.equal(final.stop_reason, 'end_turn');
    assert.deepEqual(final.usage, created.usage);
    assert.equal(stream.request_id, fx.sim.requests[0]?.requestId);
  });

  it('sends events in the documented order, with pings', async () => {
    const names = await rawEventNames(fx.sim.url, { ...params, thinking: { type: 'adaptive' } });
    assert.equal(names[0], 'message_start');
    assert.ok(names.includes('ping'));
    const withoutPings = names.filter((n) => n !== 'ping');
    assert.deepEqual(withoutPings.slice(-2), ['message_delta', 'message_stop']);
    // Two blocks (thinking, text), each start -> deltas -> stop.
    const blockEvents = withoutPings.slice(1, -2);
    assert.equal(blockEvents.filter((n) => n === 'content_block_start').length, 2);
    assert.equal(blockEvents.filter((n) => n === 'content_block_stop').length, 2);
    assert.equal(blockEvents[0], 'content_block_start');
    const firstStop = blockEvents.indexOf('content_block_stop');
    assert.equal(blockEvents[firstStop + 1], 'content_block_start');
    assert.ok(blockEvents.slice(1, firstStop).every((n) => n === 'content_block_delta'));
  });

  it('streams thinking and signature deltas before the text block', async () => {
    const stream = await fx.client.messages.create({ ...params, stream: true, thinking: { type: 'adaptive' } });
    const events: RawMessageStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const deltaTypes = events.flatMap((e) => (e.type === 'content_block_delta' ? [`${e.index}:${e.delta.type}`] : []));
    const lastThinking = deltaTypes.lastIndexOf('0:thinking_delta');
    assert.ok(lastThinking >= 0);
    assert.equal(deltaTypes[lastThinking + 1], '0:signature_delta');
    assert.ok(deltaTypes.slice(lastThinking + 2).every((d) => d === '1:text_delta'));
    const start = events[0];
    assert.equal(start?.type, 'message_start');
    if (start?.type === 'message_start') {
      assert.equal(start.message.stop_reason, null);
      assert.deepEqual(start.message.content, []);
    }
    const delta = events.find((e) => e.type === 'message_delta');
    assert.ok(delta?.type === 'message_delta' && delta.usage.output_tokens === 40 + 16);
  });

  it('splits tool input JSON over several input_json_delta events', async () => {
    const stream = fx.client.messages.stream({
      ...params,
      tools: [{ name: 'search', input_schema: { type: 'object', properties: { query: { type: 'string' }, limit: { type: 'integer' }, exact: { type: 'boolean' } }, required: ['query'] } }],
      tool_choice: { type: 'tool', name: 'search' },
    });
    const partials: string[] = [];
    stream.on('inputJson', (partial) => partials.push(partial));
    const final = await stream.finalMessage();
    const call = final.content[0];
    assert.equal(call?.type, 'tool_use');
    assert.ok(partials.length >= 3, `JSON arrives in pieces (${partials.length})`);
    if (call?.type === 'tool_use') assert.deepEqual(JSON.parse(partials.join('')), call.input);
    assert.equal(final.stop_reason, 'tool_use');
  });

  it('paces output with the latency and tokens-per-second headers', async () => {
    const started = Date.now();
    let firstText = 0;
    const stream = fx.client.messages.stream(params, { headers: { [SIMULATOR_HEADERS.latencyMs]: '150', [SIMULATOR_HEADERS.tokensPerSecond]: '400' } });
    stream.once('text', () => (firstText = Date.now() - started));
    await stream.finalMessage();
    const total = Date.now() - started;
    assert.ok(firstText >= 140, `first token after the latency (${firstText} ms)`);
    // 40 tokens at 400 tokens/s = 100 ms after the first token.
    assert.ok(total >= 140 + 90, `output paced (${total} ms)`);
    assert.ok(total < 2000);
  });

  it('stream.abort() ends the stream with an abort and frees the server side', async () => {
    const stream = fx.client.messages.stream(params, { headers: { [SIMULATOR_HEADERS.tokensPerSecond]: '20' } });
    let aborted = false;
    stream.on('abort', () => (aborted = true));
    stream.once('text', () => stream.abort());
    await assert.rejects(stream.finalMessage(), APIUserAbortError);
    assert.ok(aborted);
    assert.ok((stream.currentMessage?.content.length ?? 0) >= 1);
    await eventually(() => (fx.sim.inFlight === 0 ? true : undefined));
  });

  it('an AbortSignal cancels a slow non-streaming request', async () => {
    const controller = new AbortController();
    const pending = fx.client.messages.create(params, { signal: controller.signal, headers: { [SIMULATOR_HEADERS.latencyMs]: '5000' } });
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    await assert.rejects(pending, APIUserAbortError);
    assert.ok(Date.now() - started < 1000);
    await eventually(() => (fx.sim.inFlight === 0 ? true : undefined));
  });
});
