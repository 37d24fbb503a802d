// runMessage against the local API simulator, through the official SDK client: what the sink sees
// must be exactly the final (or partial) message, whatever way the run ends.
import assert from 'node:assert/strict';
import Anthropic, { APIError, APIUserAbortError, RateLimitError } from '@anthropic-ai/sdk';
import { MessageStream } from '@anthropic-ai/sdk/lib/MessageStream';
import type { Message, MessageStreamParams } from '@anthropic-ai/sdk/resources/messages/messages';
import { describeApiError } from '../../../src/core/api/apiErrors';
import { runMessage, type RunSink } from '../../../src/core/run/messageRunner';
import type { BlockStart } from '../../../src/core/run/streamBlocks';
import { replyTextFor } from '../../simulator/replyModel';
import { SIMULATOR_HEADERS, start, type Simulator } from '../../simulator/server';
import { eventually } from '../simulator/simulatorFixture';

const HAIKU = 'claude-haiku-4-5';
const OUTPUT_TOKENS = 40;
const story: MessageStreamParams = { model: HAIKU, max_tokens: 500, messages: [{ role: 'user', content: 'Tell me a story.' }] };
/** The simulator's reply to `story`, known in advance (its "model" is deterministic). */
const storyText = replyTextFor(story as unknown as Record<string, unknown>, OUTPUT_TOKENS);

type SinkEvent = { type: 'start'; start: BlockStart } | { type: 'append'; index: number; text: string };

/** A sink that records every call, in order. */
function recordingSink(onAppend?: (index: number, text: string) => void): RunSink & { events: SinkEvent[]; starts(): BlockStart[]; text(index: number): string } {
  const events: SinkEvent[] = [];
  return {
    events,
    blockStart: (start) => events.push({ type: 'start', start }),
    append: (index, text) => {
      events.push({ type: 'append', index, text });
      onAppend?.(index, text);
    },
    starts: () => events.flatMap((e) => (e.type === 'start' ? [e.start] : [])),
    text: (index) =>
      events
        .filter((e): e is Extract<SinkEvent, { type: 'append' }> => e.type === 'append' && e.index === index)
        .map((e) => e.text)
        .join(''),
  };
}

/** Every append follows its block's start, and a block's appends all come before the next block starts. */
function assertInOrder(events: SinkEvent[]): void {
  let current = -1;
  for (const event of events) {
    if (event.type === 'start') {
      assert.equal(event.start.index, current + 1, 'blocks start in index order');
      current = event.start.index;
    } else {
      assert.equal(event.index, current, `append to block ${event.index} while block ${current} is streaming`);
    }
  }
}

const textOf = (message: Message | undefined, index = 0): string => {
  const block = message?.content[index];
  assert.ok(block?.type === 'text', `block ${index} is text`);
  return block.text;
};

describe('runMessage (simulator, official SDK)', function () {
  this.timeout(10_000);
  let sim: Simulator;
  let client: Anthropic;
  const requestId = (): string => {
    const id = sim.requests.at(-1)?.requestId;
    assert.match(id ?? '', /^req_/);
    return id as string;
  };

  before(async () => {
    sim = await start({ port: 0, outputTokens: OUTPUT_TOKENS });
    client = new Anthropic({ apiKey: 'sk-ant-test', baseURL: sim.url, maxRetries: 0, logLevel: 'off' });
  });
  afterEach(() => sim.reset());
  after(async () => {
    await sim.close();
  });

  it('completes a text run: the appends add up to the final text exactly, in order, with the request id', async () => {
    const sink = recordingSink();
    const result = await runMessage(client, story, sink);
    assert.equal(result.status, 'completed');
    assert.equal(result.error, undefined);
    assert.equal(result.message?.stop_reason, 'end_turn');
    assert.equal(textOf(result.message), storyText);
    assert.deepEqual(sink.starts(), [{ index: 0, kind: 'text' }]);
    assert.equal(sink.text(0), storyText);
    assert.ok(sink.events.length > 10, 'streamed in many pieces, not one');
    assertInOrder(sink.events);
    assert.equal(result.requestId, requestId());
    assert.ok(result.firstTokenAt !== undefined);
    assert.ok(result.startedAt <= result.firstTokenAt && result.firstTokenAt <= result.endedAt);
  });

  it('streams a thinking block then a text block; the signature is not shown as text', async () => {
    const sink = recordingSink();
    const result = await runMessage(client, { ...story, max_tokens: 2000, thinking: { type: 'enabled', budget_tokens: 1024 } }, sink);
    assert.equal(result.status, 'completed');
    const [thinking, text] = result.message?.content ?? [];
    assert.ok(thinking?.type === 'thinking' && text?.type === 'text');
    assert.ok(thinking.thinking.length > 0 && thinking.signature.length > 0);
    assert.deepEqual(sink.starts(), [
      { index: 0, kind: 'thinking' },
      { index: 1, kind: 'text' },
    ]);
    assert.equal(sink.text(0), thinking.thinking);
    assert.equal(sink.text(1), text.text);
    assert.ok(!sink.events.some((e) => e.type === 'append' && e.text.includes(thinking.signature)));
    assertInOrder(sink.events);
  });

  it('streams a forced tool call: its name and id, and the input JSON piece by piece', async () => {
    const sink = recordingSink();
    const result = await runMessage(
      client,
      {
        model: HAIKU,
        max_tokens: 500,
        tools: [{ name: 'get_weather', description: 'Weather for a city', input_schema: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } }, required: ['city'] } }],
        tool_choice: { type: 'tool', name: 'get_weather' },
        messages: [{ role: 'user', content: 'What is it like outside?' }],
      },
      sink,
    );
    assert.equal(result.status, 'completed');
    assert.equal(result.message?.stop_reason, 'tool_use');
    const call = result.message?.content[0];
    assert.ok(call?.type === 'tool_use');
    assert.deepEqual(sink.starts(), [{ index: 0, kind: 'tool_use', name: 'get_weather', id: call.id }]);
    assert.match(call.id, /^toolu_/);
    assert.equal(sink.text(0), JSON.stringify(call.input));
    assert.deepEqual(JSON.parse(sink.text(0)), call.input);
    assert.ok(sink.events.filter((e) => e.type === 'append' && e.text).length > 1, 'the input arrives in pieces');
    assertInOrder(sink.events);
  });

  it('sends the extra headers, and reads the clock at the start, at the first token and at the end', async () => {
    const sink = recordingSink();
    // The clock counts what the sink has been shown so far: no wall time, so load cannot fail it.
    const result = await runMessage(client, story, sink, {
      now: () => sink.events.length,
      headers: { 'anthropic-beta': 'files-api-2025-04-14', [SIMULATOR_HEADERS.latencyMs]: '150', [SIMULATOR_HEADERS.tokensPerSecond]: '400' },
    });
    assert.equal(result.status, 'completed');
    assert.equal(sim.requests[0]?.headers['anthropic-beta'], 'files-api-2025-04-14');
    const firstAppend = sink.events.findIndex((e) => e.type === 'append' && e.text !== '');
    assert.ok(firstAppend > 0 && sink.events.length > firstAppend + 1, 'the story arrives in several pieces');
    assert.equal(result.startedAt, 0, 'read before anything is shown');
    assert.ok(result.firstTokenAt === firstAppend || result.firstTokenAt === firstAppend + 1, `first token read at ${result.firstTokenAt}, first text at ${firstAppend}`);
    assert.equal(result.endedAt, sink.events.length, 'read after the last piece');
    assert.equal(sink.text(0), storyText);
  });

  it('with betas, sends through the beta client and keeps beta-only blocks that arrive in beta-only events', async () => {
    const sink = recordingSink();
    const compactionRequest = { ...story, compaction: { type: 'summarize' } } as unknown as MessageStreamParams;
    const result = await runMessage(client, compactionRequest, sink, { betas: ['compact-2026-01-12'] });
    assert.equal(result.status, 'completed');
    assert.equal(sim.requests[0]?.headers['anthropic-beta'], 'compact-2026-01-12');
    assert.equal(result.message?.stop_reason as string, 'compaction');
    // The GA stream ignores compaction_delta, which leaves the block's content null.
    const block = result.message?.content[0] as unknown as { type: string; content: string | null; encrypted_content: string | null };
    assert.equal(block.type, 'compaction');
    assert.match(block.content ?? '', /^Summary of the conversation so far: /);
    assert.match(block.encrypted_content ?? '', /^Ec/);
    assert.deepEqual(sink.starts(), [{ index: 0, kind: 'other', name: 'compaction' }]);
  });

  it('takes its timestamps from the given clock', async () => {
    const offset = 1e12;
    const result = await runMessage(client, story, recordingSink(), { now: () => Date.now() + offset });
    assert.ok(result.startedAt > offset && result.firstTokenAt !== undefined && result.firstTokenAt > offset && result.endedAt > offset);
    assert.ok(result.startedAt <= result.firstTokenAt && result.firstTokenAt <= result.endedAt);
  });

  it('cancel mid-stream: status cancelled, no error, the partial message kept and matching what was shown', async () => {
    const controller = new AbortController();
    const sink = recordingSink(() => controller.abort());
    // 40 tokens at 100/s: the reply is still streaming when the first piece cancels it, so a
    // runner that waited for the whole reply would keep the whole story (asserted against below).
    const result = await runMessage(client, story, sink, { signal: controller.signal, headers: { [SIMULATOR_HEADERS.tokensPerSecond]: '100' } });
    assert.equal(result.status, 'cancelled');
    assert.equal(result.error, undefined);
    const partial = textOf(result.message);
    assert.ok(partial.length > 0 && partial.length < storyText.length && storyText.startsWith(partial), `partial ${JSON.stringify(partial)}`);
    assert.equal(sink.text(0), partial);
    assert.equal(result.message?.stop_reason, null);
    assert.equal(result.requestId, requestId());
    assert.ok(result.firstTokenAt !== undefined && result.firstTokenAt <= result.endedAt);
    await eventually(() => (sim.inFlight === 0 ? true : undefined), 2000);
  });

  it('a signal aborted before the run: cancelled, nothing shown, no message', async () => {
    const controller = new AbortController();
    controller.abort();
    const sink = recordingSink();
    const result = await runMessage(client, story, sink, { signal: controller.signal });
    assert.equal(result.status, 'cancelled');
    assert.equal(result.message, undefined);
    assert.equal(result.error, undefined);
    assert.equal(result.firstTokenAt, undefined);
    assert.deepEqual(sink.events, []);
  });

  it('an error event mid-stream: failed, the partial message kept, the error typed overloaded_error', async () => {
    sim.enqueueFault({ fault: 'error_event', endpoint: 'messages', afterEvents: 8 });
    const sink = recordingSink();
    const result = await runMessage(client, story, sink);
    assert.equal(result.status, 'failed');
    assert.ok(result.error instanceof APIError);
    assert.equal(result.error.status, undefined);
    assert.equal(result.error.type, 'overloaded_error');
    const partial = textOf(result.message);
    assert.ok(partial.length > 0 && partial.length < storyText.length && storyText.startsWith(partial));
    assert.equal(sink.text(0), partial);
    assert.equal(result.requestId, requestId());
    assert.equal(describeApiError(result.error, { partial: true }).title, 'Stream interrupted');
  });

  it('a connection reset mid-stream: failed (not cancelled), the partial message kept, the request id known', async () => {
    sim.enqueueFault({ fault: 'reset_mid_stream', endpoint: 'messages', afterEvents: 8 });
    const sink = recordingSink();
    const result = await runMessage(client, story, sink);
    assert.equal(result.status, 'failed');
    assert.ok(result.error instanceof Error);
    assert.ok(!(result.error instanceof APIUserAbortError));
    const partial = textOf(result.message);
    assert.ok(partial.length > 0 && partial.length < storyText.length && storyText.startsWith(partial));
    assert.equal(sink.text(0), partial);
    assert.equal(result.requestId, requestId());
  });

  it('an HTTP error before any output: failed, no message, no first token, the request id from the error', async () => {
    sim.enqueueFault({ fault: 'rate_limit', endpoint: 'messages', retryAfterSeconds: 2 });
    const sink = recordingSink();
    const result = await runMessage(client, story, sink);
    assert.equal(result.status, 'failed');
    assert.ok(result.error instanceof RateLimitError);
    assert.equal(result.message, undefined);
    assert.equal(result.firstTokenAt, undefined);
    assert.equal(result.requestId, requestId());
    assert.deepEqual(sink.events, []);
    assert.ok(result.startedAt <= result.endedAt);
  });
});

describe('runMessage: server tools and other block types (a recorded stream)', () => {
  it('reports server tool calls, gives result blocks their own kind with the whole block as JSON, and no text for redacted thinking', async () => {
    const resultBlock = {
      type: 'web_search_tool_result',
      tool_use_id: 'srvtoolu_1',
      content: [{ type: 'web_search_result', title: 'Paris weather', url: 'https://example.com/paris', encrypted_content: 'enc', page_age: null }],
    };
    const events: object[] = [
      { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: HAIKU, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 5, output_tokens: 1 } } },
      { type: 'content_block_start', index: 0, content_block: { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: {} } },
      { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{"query":' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '"paris"}' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'content_block_start', index: 1, content_block: resultBlock },
      { type: 'content_block_stop', index: 1 },
      { type: 'content_block_start', index: 2, content_block: { type: 'redacted_thinking', data: 'opaque' } },
      { type: 'content_block_stop', index: 2 },
      { type: 'content_block_start', index: 3, content_block: { type: 'text', text: '', citations: null } },
      { type: 'content_block_delta', index: 3, delta: { type: 'text_delta', text: 'Sunny.' } },
      { type: 'content_block_stop', index: 3 },
      { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 9 } },
      { type: 'message_stop' },
    ];
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const event of events) controller.enqueue(new TextEncoder().encode(`${JSON.stringify(event)}\n`));
        controller.close();
      },
    });
    const fakeClient = { messages: { stream: () => MessageStream.fromReadableStream(body) } } as unknown as Anthropic;
    const sink = recordingSink();
    const result = await runMessage(fakeClient, story, sink);
    assert.equal(result.status, 'completed');
    assert.deepEqual(sink.starts(), [
      { index: 0, kind: 'server_tool', name: 'web_search', id: 'srvtoolu_1' },
      { index: 1, kind: 'server_tool_result', name: 'web_search_tool_result' },
      { index: 2, kind: 'redacted_thinking' },
      { index: 3, kind: 'text' },
    ]);
    assert.equal(sink.text(0), '{"query":"paris"}');
    assert.deepEqual(JSON.parse(sink.text(1)), resultBlock);
    assert.equal(sink.text(1), JSON.stringify(resultBlock, null, 2));
    assert.equal(sink.text(2), '');
    assert.equal(sink.text(3), 'Sunny.');
    assertInOrder(sink.events);
    assert.equal(result.message?.content.length, 4);
  });
});
