import assert from 'node:assert/strict';
import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  AnthropicError,
  InternalServerError,
  OverloadedError,
  RateLimitError,
  toFile,
} from '@anthropic-ai/sdk';
import { replyTextFor } from '../../simulator/replyModel';
import { SIMULATOR_HEADERS, start } from '../../simulator/server';
import { MODEL, clientFor, eventually, useSimulator } from './simulatorFixture';

const params = { model: MODEL, max_tokens: 500, messages: [{ role: 'user' as const, content: 'Tell me a story.' }] };
const fullText = replyTextFor(params, 40);
const fault = (name: string, extra: Record<string, string> = {}) => ({ headers: { [SIMULATOR_HEADERS.fault]: name, ...extra } });

describe('simulator: faults', () => {
  const fx = useSimulator({ outputTokens: 40 });

  it('stall before headers: the SDK times out with APIConnectionTimeoutError and the server lets go', async () => {
    const started = Date.now();
    await assert.rejects(fx.client.messages.create(params, { timeout: 300, ...fault('stall_before_headers') }), APIConnectionTimeoutError);
    assert.ok(Date.now() - started < 2000);
    await eventually(() => (fx.sim.inFlight === 0 ? true : undefined));
  });

  it('a bounded stall before headers only delays the reply', async () => {
    const started = Date.now();
    const message = await fx.client.messages.create(params, fault('stall_before_headers', { [SIMULATOR_HEADERS.faultMs]: '200' }));
    assert.ok(Date.now() - started >= 190);
    assert.equal(message.stop_reason, 'end_turn');
  });

  it('stall mid-stream: events stop until the client aborts, with the partial text kept', async () => {
    const stream = fx.client.messages.stream(params, fault('stall_mid_stream', { [SIMULATOR_HEADERS.faultAfterEvents]: '6' }));
    const deltas: string[] = [];
    stream.on('text', (delta) => deltas.push(delta));
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(deltas.length, 3, 'message_start, block start, ping, then three deltas before the stall');
    stream.abort();
    await assert.rejects(stream.finalMessage(), APIUserAbortError);
    await eventually(() => (fx.sim.inFlight === 0 ? true : undefined));
  });

  it('a bounded mid-stream stall resumes and completes the reply', async () => {
    const started = Date.now();
    const stream = fx.client.messages.stream(params, fault('stall_mid_stream', { [SIMULATOR_HEADERS.faultMs]: '200' }));
    assert.equal(await stream.finalText(), fullText);
    assert.ok(Date.now() - started >= 190);
  });

  it('reset mid-stream: the stream fails and stream.currentMessage keeps the partial text', async () => {
    const stream = fx.client.messages.stream(params, fault('reset_mid_stream', { [SIMULATOR_HEADERS.faultAfterEvents]: '8' }));
    await assert.rejects(stream.finalMessage(), (e: unknown) => e instanceof AnthropicError && !(e instanceof APIUserAbortError));
    const partial = stream.currentMessage?.content[0];
    assert.equal(partial?.type, 'text');
    if (partial?.type === 'text') {
      assert.ok(partial.text.length > 0);
      assert.ok(fullText.startsWith(partial.text) && partial.text !== fullText);
    }
  });

  it('reset of a non-streaming response fails the request', async () => {
    await assert.rejects(fx.client.messages.create(params, fault('reset_mid_stream')));
  });

  it('error event mid-stream: a plain APIError of type overloaded_error, not retried', async () => {
    const client = clientFor(fx.sim, { maxRetries: 2 });
    const stream = client.messages.stream(params, fault('error_event', { [SIMULATOR_HEADERS.faultAfterEvents]: '5' }));
    await assert.rejects(stream.finalMessage(), (e: unknown) => {
      assert.ok(e instanceof APIError);
      assert.equal(e.status, undefined);
      assert.equal(e.type, 'overloaded_error');
      assert.ok(!(e instanceof OverloadedError));
      assert.equal(e.requestID, fx.sim.requests[0]?.requestId);
      return true;
    });
    assert.equal(fx.sim.requestCount('messages'), 1);
  });

  it('malformed body: invalid JSON with status 200 fails, streamed or not', async () => {
    const quiet = clientFor(fx.sim, { logLevel: 'off' });
    await assert.rejects(quiet.messages.create(params, fault('malformed')), SyntaxError);
    const stream = quiet.messages.stream(params, fault('malformed', { [SIMULATOR_HEADERS.faultAfterEvents]: '4' }));
    await assert.rejects(stream.finalMessage(), AnthropicError);
    assert.equal(fx.sim.requests[0]?.status, 200);
  });

  it('slow body: events dribble in but the reply is complete and correct', async () => {
    const fast = Date.now();
    await fx.client.messages.stream(params).finalMessage();
    const fastMs = Date.now() - fast;
    const slow = Date.now();
    const stream = fx.client.messages.stream(params, fault('slow_body', { [SIMULATOR_HEADERS.faultMs]: '10' }));
    const message = await stream.finalMessage();
    const slowMs = Date.now() - slow;
    assert.equal(await stream.finalText(), fullText);
    assert.equal(message.stop_reason, 'end_turn');
    assert.ok(slowMs > fastMs + 150, `slower (${slowMs} ms vs ${fastMs} ms)`);
  });

  it('slow body on a non-streaming JSON reply and a file download still delivers everything', async () => {
    const message = await fx.client.messages.create(params, fault('slow_body', { [SIMULATOR_HEADERS.faultMs]: '2' }));
    assert.equal(message.content[0]?.type === 'text' ? message.content[0].text : '', fullText);
    const meta = await fx.client.files.upload({ file: await toFile(Buffer.alloc(1000, 7), 'sevens.bin') });
    const download = await fx.client.files.download(meta.id, {}, fault('slow_body', { [SIMULATOR_HEADERS.faultMs]: '1' }));
    assert.deepEqual(Buffer.from(await download.arrayBuffer()), Buffer.alloc(1000, 7));
  });

  it('retries a queued 429 after its retry-after and then succeeds', async () => {
    fx.sim.enqueueFault({ fault: '429', endpoint: 'messages', retryAfterSeconds: 1 });
    const client = clientFor(fx.sim, { maxRetries: 1 });
    const started = Date.now();
    const message = await client.messages.create(params);
    const elapsed = Date.now() - started;
    assert.equal(message.type, 'message');
    assert.ok(elapsed >= 950, `waited for retry-after (${elapsed} ms)`);
    assert.ok(elapsed < 3000);
    assert.deepEqual(fx.sim.requests.map((r) => r.status), [429, 200]);
    assert.equal(fx.sim.requests[1]?.headers['x-stainless-retry-count'], '1');
  });

  it('consumes queued faults in order, only on matching endpoints, as many times as asked', async () => {
    fx.sim.enqueueFault({ fault: '529', endpoint: 'count_tokens', times: 2 });
    fx.sim.enqueueFault({ fault: '500' });
    assert.equal(fx.sim.pendingFaults, 3);
    await assert.rejects(fx.client.messages.create(params), InternalServerError);
    const message = await fx.client.messages.create(params);
    assert.equal(message.type, 'message');
    const counting = { model: MODEL, messages: params.messages };
    await assert.rejects(fx.client.messages.countTokens(counting), OverloadedError);
    await assert.rejects(fx.client.messages.countTokens(counting), OverloadedError);
    assert.ok((await fx.client.messages.countTokens(counting)).input_tokens > 0);
    assert.equal(fx.sim.pendingFaults, 0);
  });

  it('a server-wide fault applies to every matching request until cleared', async () => {
    fx.sim.setFault({ fault: 'rate_limit', endpoint: 'models' });
    await assert.rejects(fx.client.models.list(), RateLimitError);
    await assert.rejects(fx.client.models.retrieve(MODEL), RateLimitError);
    assert.equal((await fx.client.messages.countTokens({ model: MODEL, messages: params.messages })).input_tokens > 0, true);
    fx.sim.setFault(null);
    assert.equal((await fx.client.models.retrieve(MODEL)).id, MODEL);
  });

  it('refuses an unknown fault name', () => {
    assert.throws(() => fx.sim.enqueueFault({ fault: 'gremlins' as '429' }), /Unknown simulator fault/);
  });
});

describe('simulator: lifecycle', () => {
  it('close() ends stalled requests at once', async () => {
    const sim = await start({ fault: { fault: 'stall_before_headers' } });
    const pending = clientFor(sim).messages.create(params);
    await eventually(() => (sim.inFlight === 1 ? true : undefined));
    const started = Date.now();
    await sim.close();
    assert.ok(Date.now() - started < 500);
    await assert.rejects(pending, APIConnectionError);
  });

  it('listens on 127.0.0.1 and reports its URL and port', async () => {
    const sim = await start();
    try {
      assert.equal(sim.url, `http://127.0.0.1:${sim.port}`);
      assert.ok(sim.port > 0);
    } finally {
      await sim.close();
    }
  });
});
