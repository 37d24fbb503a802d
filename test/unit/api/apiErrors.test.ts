// describeApiError. Where practical the errors are the SDK's own, made by calling
// the local simulator (faults, a bad key, an unknown model, a 400 it returns, a closed port, a stall),
// so the tests follow the real error shapes rather than hand-built look-alikes.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import Anthropic, { APIConnectionError, APIConnectionTimeoutError, APIError, type ClientOptions } from '@anthropic-ai/sdk';
import type { MessageCreateParamsNonStreaming } from '@anthropic-ai/sdk/resources/messages';
import { describeApiError } from '../../../src/core/api/apiErrors';
import { NoApiKeyError } from '../../../src/core/api/noApiKeyError';
import type { ErrorAction } from '../../../src/core/api/runError';
import { SIMULATOR_HEADERS, start, type Simulator } from '../../simulator/server';

const HAIKU = 'claude-haiku-4-5';
const hello: MessageCreateParamsNonStreaming = { model: HAIKU, max_tokens: 50, messages: [{ role: 'user', content: 'Hello there.' }] };

/** The error a promise rejects with; fails the test if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('expected the call to fail');
}

/** A port on 127.0.0.1 with nothing listening. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address && typeof address === 'object');
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  return address.port;
}

describe('describeApiError: real SDK errors from the simulator', () => {
  let sim: Simulator;
  const client = (options: Partial<ClientOptions> = {}): Anthropic =>
    new Anthropic({ apiKey: 'sk-ant-test', baseURL: sim.url, maxRetries: 0, logLevel: 'off', ...options });
  /** The request id the simulator gave the last request. */
  const lastRequestId = (): string => {
    const id = sim.requests.at(-1)?.requestId;
    assert.match(id ?? '', /^req_/);
    return id as string;
  };

  before(async () => {
    sim = await start({ port: 0 });
  });
  afterEach(() => sim.reset());
  after(async () => {
    await sim.close();
  });

  interface FaultCase {
    fault: 'rate_limit' | 'overloaded' | 'permission' | 'api_error' | 'gateway_timeout';
    title: string;
    message: RegExp;
    actions: ErrorAction[];
    retryAfterSeconds?: number;
  }
  const faultCases: FaultCase[] = [
    {
      fault: 'rate_limit',
      title: 'Rate limited',
      // The API's own words first, then when to retry, taken from the retry-after header.
      message: /^Number of request tokens has exceeded your per-minute rate limit \(simulated\)\. Retry in 3 s\.$/,
      actions: ['retry'],
      retryAfterSeconds: 3,
    },
    {
      fault: 'overloaded',
      title: 'API overloaded',
      message: /^Anthropic's API is overloaded right now \(not your rate limit\)\. Retry, or try another model\.$/,
      actions: ['retry', 'chooseModel'],
    },
    {
      fault: 'permission',
      title: 'Permission denied',
      message: /^Your API key does not have permission to use the specified resource \(simulated\)\. Check the key's workspace and permissions in the Anthropic Console\.$/,
      actions: ['setKey'],
    },
    {
      fault: 'api_error',
      title: 'API error',
      message: /^The API failed \(500: Internal server error \(simulated\)\)\. Retry\.$/,
      actions: ['retry'],
    },
    {
      fault: 'gateway_timeout',
      title: 'Gateway timeout',
      message: /^The API gateway timed out\. Retry; long outputs should stream/,
      actions: ['retry'],
    },
  ];

  for (const c of faultCases) {
    it(`${c.fault}: "${c.title}", what to do next, the request id${c.retryAfterSeconds ? ' and the wait' : ''}`, async () => {
      sim.enqueueFault({ fault: c.fault, endpoint: 'messages', ...(c.retryAfterSeconds !== undefined ? { retryAfterSeconds: c.retryAfterSeconds } : {}) });
      const error = await rejection(client().messages.create(hello));
      assert.ok(error instanceof APIError);
      const view = describeApiError(error, { model: HAIKU });
      assert.equal(view.title, c.title);
      assert.match(view.message, c.message);
      assert.deepEqual(view.actions, c.actions);
      assert.equal(view.requestId, lastRequestId());
      assert.equal(view.retryAfterSeconds, c.retryAfterSeconds);
      assert.equal(view.fieldPath, undefined);
    });
  }

  it('says the partial output is kept for server failures when there was some', async () => {
    sim.enqueueFault({ fault: 'overloaded', endpoint: 'messages' });
    const overloaded = await rejection(client().messages.create(hello));
    assert.match(describeApiError(overloaded, { partial: true }).message, / The partial output is kept\. Retry, or try another model\.$/);
    assert.doesNotMatch(describeApiError(overloaded).message, /partial/);
  });

  it('401 for a bad key: "API key rejected", points at the Set API Key command', async () => {
    const error = await rejection(client({ apiKey: 'not-a-real-key' }).messages.create(hello));
    const view = describeApiError(error);
    assert.equal(view.title, 'API key rejected');
    assert.equal(view.message, 'The API did not accept the key. Set a valid key with "Prompt Workbench: Set API Key".');
    assert.deepEqual(view.actions, ['setKey']);
    assert.equal(view.requestId, lastRequestId());
  });

  it('404 for an unknown model: names the model and asks for another, as its own sentence', async () => {
    const error = await rejection(client().messages.create({ ...hello, model: 'claude-imaginary-1' }));
    const withModel = describeApiError(error, { model: 'claude-imaginary-1' });
    assert.equal(withModel.title, 'Not found');
    // The API's message is "model: claude-imaginary-1"; the advice must not run on from it.
    assert.equal(withModel.message, 'model: claude-imaginary-1. Check the model id "claude-imaginary-1" and choose another model.');
    assert.deepEqual(withModel.actions, ['chooseModel']);
    assert.equal(withModel.requestId, lastRequestId());
    assert.equal(describeApiError(error).message, 'model: claude-imaginary-1. Choose another model.');
  });

  interface BadRequestCase {
    name: string;
    body: object;
    messageStart: string;
    fieldPath: string | undefined;
  }
  const badRequests: BadRequestCase[] = [
    {
      name: 'tool_choice any without tools',
      body: { ...hello, tool_choice: { type: 'any' } },
      messageStart: 'tool_choice: tool_choice may only be specified while providing tools.',
      fieldPath: 'tool_choice',
    },
    {
      name: 'a tool name with a space (a dotted path)',
      body: { ...hello, tools: [{ name: 'bad name', input_schema: { type: 'object' } }] },
      messageStart: "tools.0.name: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'",
      fieldPath: 'tools.0.name',
    },
    {
      name: 'a thinking budget not below max_tokens (no field prefix)',
      body: { ...hello, max_tokens: 2000, thinking: { type: 'enabled', budget_tokens: 2000 } },
      messageStart: '`max_tokens` must be greater than `thinking.budget_tokens`.',
      fieldPath: undefined,
    },
  ];

  for (const c of badRequests) {
    it(`400 ${c.name}: the API's message, the request id, field ${c.fieldPath ?? '(none)'}, no actions`, async () => {
      const error = await rejection(client().messages.create(c.body as MessageCreateParamsNonStreaming));
      const view = describeApiError(error, { model: HAIKU });
      const requestId = lastRequestId();
      assert.equal(view.title, 'Invalid request');
      assert.ok(view.message.startsWith(c.messageStart), view.message);
      assert.ok(view.message.endsWith(`(request ${requestId})`), view.message);
      assert.equal(view.requestId, requestId);
      assert.equal(view.fieldPath, c.fieldPath);
      assert.deepEqual(view.actions, []);
    });
  }

  it('connection refused: "Network error", check the connection and apiBaseUrl, no request id', async () => {
    const port = await closedPort();
    const error = await rejection(
      new Anthropic({ apiKey: 'sk-ant-test', baseURL: `http://127.0.0.1:${port}`, maxRetries: 0, logLevel: 'off' }).messages.create(hello),
    );
    assert.ok(error instanceof APIConnectionError && !(error instanceof APIConnectionTimeoutError));
    const view = describeApiError(error, { partial: true });
    assert.equal(view.title, 'Network error');
    assert.match(view.message, /^Could not reach the API \(Connection error\)\. The partial output is kept\. /);
    assert.match(view.message, /promptWorkbench\.apiBaseUrl setting, then retry\.$/);
    assert.deepEqual(view.actions, ['retry', 'openSettings']);
    assert.equal(view.requestId, undefined);
    assert.ok(!('requestId' in view), 'no requestId key at all');
  });

  it('a client timeout while the API stalls: "Request timed out", not a network error', async () => {
    const started = Date.now();
    const error = await rejection(client().messages.create(hello, { timeout: 200, headers: { [SIMULATOR_HEADERS.fault]: 'stall_before_headers' } }));
    assert.ok(Date.now() - started < 3000);
    assert.ok(error instanceof APIConnectionTimeoutError);
    const view = describeApiError(error);
    assert.equal(view.title, 'Request timed out');
    assert.equal(view.message, 'The API did not answer in time. Check your connection, or retry.');
    assert.deepEqual(view.actions, ['retry']);
    assert.equal(view.requestId, undefined);
  });

  it('an error event mid-stream (status undefined): "Stream interrupted", overloaded, partial kept, request id', async () => {
    const stream = client().messages.stream(hello, { headers: { [SIMULATOR_HEADERS.fault]: 'error_event', [SIMULATOR_HEADERS.faultAfterEvents]: '6' } });
    const error = await rejection(stream.finalMessage());
    assert.ok(error instanceof APIError);
    assert.equal(error.status, undefined);
    const view = describeApiError(error, { partial: true });
    assert.equal(view.title, 'Stream interrupted');
    assert.equal(view.message, 'The API is overloaded: Overloaded. The partial output is kept. Retry to run it again.');
    assert.deepEqual(view.actions, ['retry']);
    assert.equal(view.requestId, lastRequestId());
  });

  it('a connection dropped mid-stream: a readable sentence, partial kept, Retry offered', async () => {
    const stream = client().messages.stream(hello, { headers: { [SIMULATOR_HEADERS.fault]: 'reset_mid_stream', [SIMULATOR_HEADERS.faultAfterEvents]: '6' } });
    const error = await rejection(stream.finalMessage());
    const view = describeApiError(error, { partial: true });
    assert.equal(view.title, 'Connection lost');
    assert.deepEqual(view.actions, ['retry']);
    assert.match(view.message, /dropped in the middle of the response\. The partial output is kept\. Retry/);
    // The SDK's message ("terminated") must end its sentence before the next one starts.
    assert.doesNotMatch(view.message, /[^.!?] The partial output/, view.message);
  });
});

describe('describeApiError: shapes the simulator cannot produce', () => {
  /** An SDK-shaped HTTP error: status, parsed body, headers, request id. */
  const httpError = (status: number | undefined, type: string, message: string | undefined, extra: { headers?: Record<string, string>; paths?: string[]; requestID?: string } = {}) => ({
    name: 'APIError',
    message: `${status ?? ''} ${message ?? ''}`.trim(),
    status,
    requestID: extra.requestID ?? 'req_synthetic',
    headers: new Headers(extra.headers ?? {}),
    error: { type: 'error', error: { type, ...(message !== undefined ? { message } : {}), ...(extra.paths ? { details: { paths: extra.paths } } : {}) } },
  });

  interface ShapeCase {
    name: string;
    error: unknown;
    options?: { partial?: boolean; model?: string };
    title: string;
    message: string;
    actions: ErrorAction[];
    requestId?: string;
    retryAfterSeconds?: number;
    fieldPath?: string;
  }
  const cases: ShapeCase[] = [
    {
      name: 'no API key',
      // The error ApiConnection throws, not a look-alike: a hand-built one hid that it had no name.
      error: new NoApiKeyError(),
      title: 'No API key',
      message: 'No Anthropic API key is set. Run "Prompt Workbench: Set API Key" or set ANTHROPIC_API_KEY.',
      actions: ['setKey'],
    },
    {
      name: '402 billing',
      error: httpError(402, 'billing_error', 'Your credit balance is too low.'),
      title: 'Billing problem',
      message: 'Your credit balance is too low. Check billing in the Anthropic Console.',
      actions: [],
      requestId: 'req_synthetic',
    },
    {
      name: '413 too large, API message without a full stop',
      error: httpError(413, 'request_too_large', 'Request exceeds the maximum allowed number of bytes'),
      title: 'Request too large',
      message: 'Request exceeds the maximum allowed number of bytes. Shorten the prompt or use the Files API for large documents.',
      actions: [],
      requestId: 'req_synthetic',
    },
    {
      name: '429 with retry-after-ms (rounded up) taking precedence over retry-after',
      error: httpError(429, 'rate_limit_error', 'Too many requests', { headers: { 'retry-after-ms': '1500', 'retry-after': '30' } }),
      title: 'Rate limited',
      message: 'Too many requests. Retry in 2 s.',
      actions: ['retry'],
      requestId: 'req_synthetic',
      retryAfterSeconds: 2,
    },
    {
      name: '429 with retry-after: 0 is no wait: no "Retry in 0 s", no countdown',
      error: httpError(429, 'rate_limit_error', 'Too many requests', { headers: { 'retry-after': '0' } }),
      title: 'Rate limited',
      message: 'Too many requests. Wait a moment, then retry.',
      actions: ['retry'],
      requestId: 'req_synthetic',
    },
    {
      name: '429 without any retry header: no countdown',
      error: httpError(429, 'rate_limit_error', undefined),
      title: 'Rate limited',
      message: 'A rate limit was exceeded. Wait a moment, then retry.',
      actions: ['retry'],
      requestId: 'req_synthetic',
    },
    {
      name: '400 whose details.paths names the field',
      error: httpError(400, 'invalid_request_error', 'Input should be a valid string', { paths: ['messages.0.content.1.text'] }),
      title: 'Invalid request',
      message: 'Input should be a valid string (request req_synthetic)',
      actions: [],
      requestId: 'req_synthetic',
      fieldPath: 'messages.0.content.1.text',
    },
    {
      name: '400 without a message',
      error: httpError(400, 'invalid_request_error', undefined),
      title: 'Invalid request',
      message: 'The API rejected the request. (request req_synthetic)',
      actions: [],
      requestId: 'req_synthetic',
    },
    {
      name: '503, any other 5xx',
      error: httpError(503, 'api_error', 'Service unavailable'),
      options: { partial: true },
      title: 'API error',
      message: 'The API failed (503: Service unavailable). The partial output is kept. Retry.',
      actions: ['retry'],
      requestId: 'req_synthetic',
    },
    {
      name: 'a mid-stream error event of another type, without a message',
      error: httpError(undefined, 'api_error', undefined),
      title: 'Stream interrupted',
      message: 'The stream failed (api_error): no message. Retry to run it again.',
      actions: ['retry'],
      requestId: 'req_synthetic',
    },
    {
      name: 'an unclassified 4xx (409)',
      error: Object.assign(httpError(409, 'conflict_error', 'Conflict.'), { message: '409 Conflict.' }),
      title: 'Run failed',
      message: '409 Conflict.',
      actions: ['retry'],
      requestId: 'req_synthetic',
    },
    {
      name: 'fetch\'s "terminated" (a connection dropped mid-body), partial output kept',
      error: new TypeError('terminated'),
      options: { partial: true },
      title: 'Connection lost',
      message: 'The connection to the API dropped in the middle of the response. The partial output is kept. Retry to run it again.',
      actions: ['retry'],
    },
    {
      name: 'a plain Error, partial output kept',
      error: new Error('Something odd'),
      options: { partial: true },
      title: 'Run failed',
      message: 'Something odd. The partial output is kept.',
      actions: ['retry'],
    },
    {
      name: 'a thrown string',
      error: 'boom',
      title: 'Run failed',
      message: 'boom.',
      actions: ['retry'],
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const view = describeApiError(c.error, c.options);
      assert.deepEqual(view, {
        title: c.title,
        message: c.message,
        actions: c.actions,
        ...(c.requestId !== undefined ? { requestId: c.requestId } : {}),
        ...(c.retryAfterSeconds !== undefined ? { retryAfterSeconds: c.retryAfterSeconds } : {}),
        ...(c.fieldPath !== undefined ? { fieldPath: c.fieldPath } : {}),
      });
    });
  }

  it('describes undefined and null without throwing', () => {
    for (const nothing of [undefined, null]) {
      const view = describeApiError(nothing);
      assert.equal(view.title, 'Run failed');
      assert.deepEqual(view.actions, ['retry']);
      assert.equal(view.requestId, undefined);
    }
  });

  it('reads headers given as a plain object as well as a Headers instance', () => {
    const view = describeApiError({ status: 429, headers: { 'retry-after': '4' }, error: { type: 'error', error: { type: 'rate_limit_error', message: 'Slow down.' } } });
    assert.equal(view.retryAfterSeconds, 4);
    assert.equal(view.message, 'Slow down. Retry in 4 s.');
    assert.ok(!('requestId' in view));
  });
});
