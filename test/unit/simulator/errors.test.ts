import assert from 'node:assert/strict';
import Anthropic, {
  type APIError,
  AuthenticationError,
  BadRequestError,
  GatewayTimeoutError,
  InternalServerError,
  NotFoundError,
  OverloadedError,
  PermissionDeniedError,
  RateLimitError,
} from '@anthropic-ai/sdk';
import type { MessageCreateParamsNonStreaming } from '@anthropic-ai/sdk/resources/messages';
import { SIMULATOR_HEADERS } from '../../simulator/server';
import { MODEL, TEST_KEY, clientFor, useSimulator } from './simulatorFixture';

const valid: MessageCreateParamsNonStreaming = { model: MODEL, max_tokens: 50, messages: [{ role: 'user', content: 'Hi' }] };

/** Sends a body the SDK's types would refuse, as a buggy caller might. */
const loosely = (body: object): MessageCreateParamsNonStreaming => body as MessageCreateParamsNonStreaming;

/** Asserts the error's class, status and wire shape (sheet §4.1). */
function expectApiError(expected: new (...args: never[]) => APIError, status: number, type: string) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof expected, `expected ${expected.name}, got ${String(error)}`);
    assert.equal(error.status, status);
    assert.equal(error.type, type);
    assert.match(error.requestID ?? '', /^req_011C/);
    const body = error.error as { type: string; error: { type: string; message: string }; request_id: string };
    assert.equal(body.type, 'error');
    assert.equal(body.error.type, type);
    assert.equal(typeof body.error.message, 'string');
    assert.equal(body.request_id, error.requestID);
    return true;
  };
}

describe('simulator: errors map to the SDK error classes', () => {
  const fx = useSimulator();

  it('400 invalid_request_error -> BadRequestError', async () => {
    await assert.rejects(fx.client.messages.create(loosely({ model: MODEL, messages: valid.messages })), expectApiError(BadRequestError, 400, 'invalid_request_error'));
  });

  it('401 authentication_error -> AuthenticationError, for a bad key and for no key', async () => {
    await assert.rejects(clientFor(fx.sim, { apiKey: 'bad-key' }).messages.create(valid), expectApiError(AuthenticationError, 401, 'authentication_error'));
    const response = await fetch(`${fx.sim.url}/v1/models`, { headers: { 'anthropic-version': '2026-10-21' } });
    assert.equal(response.status, 401);
  });

  it('only accepts the configured keys when apiKeys is set', async () => {
    fx.sim.configure({ apiKeys: ['sk-ant-only-this'] });
    try {
      await assert.rejects(fx.client.models.list(), AuthenticationError);
      const page = await clientFor(fx.sim, { apiKey: 'sk-ant-only-this' }).models.list();
      assert.ok(page.data.length > 0);
    } finally {
      fx.sim.configure({ apiKeys: undefined });
    }
  });

  it('403 permission_error -> PermissionDeniedError', async () => {
    await assert.rejects(fx.client.messages.create(valid, { headers: { [SIMULATOR_HEADERS.fault]: '403' } }), expectApiError(PermissionDeniedError, 403, 'permission_error'));
  });

  it('404 not_found_error -> NotFoundError for an unknown model and an unknown path', async () => {
    await assert.rejects(fx.client.messages.create({ ...valid, model: 'claude-imaginary-1' }), expectApiError(NotFoundError, 404, 'not_found_error'));
    await assert.rejects(fx.client.get('/v1/nowhere'), NotFoundError);
  });

  it('429 rate_limit_error -> RateLimitError with retry-after', async () => {
    await assert.rejects(fx.client.messages.create(valid, { headers: { [SIMULATOR_HEADERS.fault]: 'rate_limit', [SIMULATOR_HEADERS.retryAfter]: '7' } }), (e: unknown) => {
      expectApiError(RateLimitError, 429, 'rate_limit_error')(e);
      assert.equal((e as RateLimitError).headers.get('retry-after'), '7');
      return true;
    });
  });

  it('500 api_error -> InternalServerError', async () => {
    await assert.rejects(fx.client.messages.create(valid, { headers: { [SIMULATOR_HEADERS.fault]: '500' } }), expectApiError(InternalServerError, 500, 'api_error'));
  });

  it('504 timeout_error -> GatewayTimeoutError', async () => {
    await assert.rejects(fx.client.messages.create(valid, { headers: { [SIMULATOR_HEADERS.fault]: '504' } }), expectApiError(GatewayTimeoutError, 504, 'timeout_error'));
  });

  it('529 overloaded_error -> OverloadedError', async () => {
    await assert.rejects(fx.client.messages.create(valid, { headers: { [SIMULATOR_HEADERS.fault]: 'overloaded' } }), expectApiError(OverloadedError, 529, 'overloaded_error'));
  });
});

describe('simulator: request validation', () => {
  const fx = useSimulator();
  // An explicit timeout keeps the SDK from refusing large non-streaming max_tokens itself (sheet §3.1).
  const rejects400 = (body: object, options?: { headers: Record<string, string> }) =>
    assert.rejects(fx.client.messages.create(loosely(body), { timeout: 60_000, ...options }), expectApiError(BadRequestError, 400, 'invalid_request_error'));

  it('rejects missing and malformed required fields', async () => {
    await rejects400({ max_tokens: 10, messages: valid.messages });
    await rejects400({ model: MODEL, max_tokens: 10 });
    await rejects400({ model: MODEL, max_tokens: 10, messages: [] });
    await rejects400({ model: MODEL, max_tokens: -1, messages: valid.messages });
    await rejects400({ model: MODEL, max_tokens: 1.5, messages: valid.messages });
    await rejects400({ model: MODEL, max_tokens: 10, messages: [{ role: 'robot', content: 'Hi' }] });
    await rejects400({ model: MODEL, max_tokens: 10, messages: [{ role: 'user', content: '' }] });
    await rejects400({ model: MODEL, max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'video', url: 'x' }] }] });
    await rejects400({ model: MODEL, max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'text' }] }] });
    await rejects400({ ...valid, surprise: true });
  });

  it("rejects max_tokens above the model's limit", async () => {
    await rejects400({ ...valid, max_tokens: 128_001 });
    await rejects400({ ...valid, model: 'claude-haiku-4-5', max_tokens: 64_001 });
    const ok = await fx.client.messages.create({ ...valid, model: 'claude-haiku-4-5', max_tokens: 64_000 }, { timeout: 60_000 });
    assert.equal(ok.type, 'message');
  });

  it('rejects temperature, top_p and top_k on 2026-10-21 but accepts them on 2023-06-01', async () => {
    await rejects400({ ...valid, temperature: 0.5 });
    await rejects400({ ...valid, top_p: 0.9 });
    await rejects400({ ...valid, top_k: 5 });
    const old = await fx.client.messages.create(loosely({ ...valid, temperature: 0.5, top_k: 5 }), { headers: { 'anthropic-version': '2023-06-01' } });
    assert.equal(old.type, 'message');
    await rejects400({ ...valid, temperature: 1.5 }, { headers: { 'anthropic-version': '2023-06-01' } });
  });

  it('rejects a prompt beyond the context window', async () => {
    // 'lorem' is 2 tokens for Haiku 4.5 (200K window): 110,000 of them overflow it.
    const huge = 'lorem '.repeat(110_000);
    await assert.rejects(
      fx.client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 10, messages: [{ role: 'user', content: huge }] }),
      (e: unknown) => expectApiError(BadRequestError, 400, 'invalid_request_error')(e) && /prompt is too long/.test((e as BadRequestError).apiMessage ?? ''),
    );
  });

  it('stops with model_context_window_exceeded when the reply would overflow the window', async () => {
    const nearlyFull = 'lorem '.repeat(99_990);
    const counted = await fx.client.messages.countTokens({ model: 'claude-haiku-4-5', messages: [{ role: 'user', content: nearlyFull }] });
    const room = 200_000 - counted.input_tokens;
    assert.ok(room > 0 && room < 100, `room ${room}`);
    const message = await fx.client.messages.create(
      { model: 'claude-haiku-4-5', max_tokens: 1000, messages: [{ role: 'user', content: nearlyFull }] },
      { headers: { [SIMULATOR_HEADERS.outputTokens]: '500' } },
    );
    assert.equal(message.stop_reason, 'model_context_window_exceeded');
    assert.equal(message.usage.output_tokens, room);
  });

  it('rejects tool_use without a tool_result right after it, and a stray tool_result', async () => {
    await rejects400({
      ...valid,
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'f', input: {} }] },
        { role: 'user', content: 'never mind' },
      ],
    });
    await rejects400({ ...valid, messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_9', content: 'x' }] }] });
  });

  it('rejects bad tools and tool_choice', async () => {
    const tool = { name: 'f', input_schema: { type: 'object' } };
    await rejects400({ ...valid, tools: [{ name: 'bad name', input_schema: { type: 'object' } }] });
    await rejects400({ ...valid, tools: [{ name: 'f', input_schema: { type: 'string' } }] });
    await rejects400({ ...valid, tools: [tool], tool_choice: { type: 'tool', name: 'g' } });
    await rejects400({ ...valid, tool_choice: { type: 'any' } });
    await assert.rejects(fx.client.messages.create(loosely({ ...valid, tools: [tool, tool] })), (e: unknown) => e instanceof BadRequestError && e.errorCode === 'tool_name_conflict');
  });

  it('rejects a final assistant turn (prefill) on models without prefill, and accepts it on 4.5 models', async () => {
    const prefill = [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Well,' }];
    await rejects400({ ...valid, messages: prefill });
    const ok = await fx.client.messages.create(loosely({ ...valid, model: 'claude-haiku-4-5', messages: prefill }));
    assert.equal(ok.type, 'message');
  });

  it('checks thinking budgets, cache breakpoints, output format and speed', async () => {
    await rejects400({ ...valid, max_tokens: 2000, thinking: { type: 'enabled', budget_tokens: 500 } });
    await rejects400({ ...valid, max_tokens: 2000, thinking: { type: 'enabled', budget_tokens: 2000 } });
    const block = (text: string) => ({ type: 'text', text, cache_control: { type: 'ephemeral' } });
    await rejects400({ ...valid, system: [block('a'), block('b'), block('c'), block('d'), block('e')] });
    await rejects400({ ...valid, system: [{ type: 'text', text: 'a', cache_control: { type: 'ephemeral', ttl: '10m' } }] });
    await rejects400({ ...valid, output_config: { format: { type: 'xml' } } });
    await rejects400({ ...valid, speed: 'fast' });
    const fast = await fx.client.messages.create({ ...valid, model: 'claude-opus-5-5', speed: 'fast' });
    assert.equal(fast.usage.speed, 'fast');
  });

  it('requires a known anthropic-version header and valid JSON', async () => {
    const post = (headers: Record<string, string>, body: string) =>
      fetch(`${fx.sim.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': TEST_KEY, ...headers }, body });
    const noVersion = await post({}, JSON.stringify(valid));
    assert.equal(noVersion.status, 400);
    assert.match(noVersion.headers.get('request-id') ?? '', /^req_/);
    const badVersion = await post({ 'anthropic-version': '2099-01-01' }, JSON.stringify(valid));
    assert.equal(badVersion.status, 400);
    const badJson = await post({ 'anthropic-version': '2026-10-21' }, '{"model":');
    assert.equal(badJson.status, 400);
    assert.deepEqual(Object.keys((await badJson.json()) as object), ['type', 'error', 'request_id']);
  });

  it('429 enforced_spend_limit_reached -> EnforcedSpendLimitReachedError, still a RateLimitError, with the rate-limit headers', async () => {
    fx.sim.enqueueFault({ fault: 'spend_limit', endpoint: 'messages', times: 3 });
    const client = clientFor(fx.sim, { maxRetries: 0 });
    const error = await client.messages.create(valid).then(
      () => assert.fail('expected a spend-limit 429'),
      (e: unknown) => e,
    );
    // The specific class is a static of the client (not a named export of the package).
    assert.ok(error instanceof Anthropic.EnforcedSpendLimitReachedError, `got ${String(error)}`);
    assert.ok(error instanceof RateLimitError);
    assert.equal(error.status, 429);
    assert.equal(error.errorCode, 'enforced_spend_limit_reached');
    assert.equal(error.headers?.get('retry-after'), null, 'waiting does not lift a spend limit');
    assert.match(error.headers?.get('anthropic-ratelimit-requests-limit') ?? '', /^\d+$/);
  });
});
