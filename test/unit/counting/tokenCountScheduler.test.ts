import * as assert from 'node:assert/strict';
import { install } from '@sinonjs/fake-timers';
import type { MessageCountTokensParams } from '@anthropic-ai/sdk/resources/messages';
import {
  TokenCountCache,
  TokenCountScheduler,
  classifyCountError,
  type CountFailure,
  type TokenCountState,
} from '../../../src/core/counting/tokenCountScheduler';
import type { CountableRequest } from '../../../src/core/counting/tokenEstimate';
import { NoApiKeyError } from '../../../src/core/api/noApiKeyError';

interface Call {
  params: MessageCountTokensParams;
  signal: AbortSignal;
  betas: readonly string[];
  resolve(tokens: number): void;
  reject(error: unknown): void;
}

/** A count function whose replies the test sends by hand. Like the SDK it does not settle on abort by itself. */
function fakeCounter() {
  const calls: Call[] = [];
  const count = (params: MessageCountTokensParams, signal: AbortSignal, betas: readonly string[]): Promise<number> =>
    new Promise<number>((resolve, reject) => calls.push({ params, signal, betas, resolve, reject }));
  const call = (i: number): Call => {
    const found = calls[i];
    assert.ok(found, `expected count call #${i}, there were ${calls.length}`);
    return found;
  };
  return { calls, count, call };
}

const DELAY = 400;
const edit = (text: string, model = 'claude-sonnet-5-5'): CountableRequest => ({ model, max_tokens: 1_024, messages: [{ role: 'user', content: text }] });
/** An SDK-shaped API error: only the fields the scheduler reads. */
const apiError = (status: number, headers: Record<string, string> = {}) => Object.assign(new Error(`${status} {"type":"error"}`), { name: 'APIError', status, headers: new Headers(headers) });

describe('TokenCountScheduler (fake timers)', () => {
  let clock: ReturnType<typeof install>;
  let counter: ReturnType<typeof fakeCounter>;
  let scheduler: TokenCountScheduler;
  let states: TokenCountState[];

  beforeEach(() => {
    clock = install();
    counter = fakeCounter();
    scheduler = new TokenCountScheduler({ count: counter.count, delayMs: DELAY });
    states = [];
    scheduler.onDidUpdate((state) => states.push(state));
  });

  afterEach(() => {
    scheduler.dispose();
    clock.uninstall();
  });

  it('counts with the prompt\'s betas, and caches a count per set of betas', async () => {
    scheduler.request(edit('same text'), ['task-budgets-2026-03-13']);
    await clock.tickAsync(DELAY);
    assert.deepEqual(counter.call(0).betas, ['task-budgets-2026-03-13']);
    counter.call(0).resolve(120);
    await clock.tickAsync(0);
    assert.deepEqual(scheduler.state, { kind: 'exact', inputTokens: 120, model: 'claude-sonnet-5-5' });
    scheduler.request(edit('same text'));
    await clock.tickAsync(DELAY);
    assert.equal(counter.calls.length, 2, 'the same request without the betas is another input');
    assert.deepEqual(counter.call(1).betas, []);
    counter.call(1).resolve(100);
    await clock.tickAsync(0);
    scheduler.request(edit('same text'), ['task-budgets-2026-03-13']);
    assert.deepEqual(scheduler.state, { kind: 'exact', inputTokens: 120, model: 'claude-sonnet-5-5' }, 'from the cache, not the count without betas');
    await clock.tickAsync(DELAY);
    assert.equal(counter.calls.length, 2);
  });

  it('sends one count for a burst of 10 edits, after the pause, for the last edit', async () => {
    for (let i = 1; i <= 10; i++) {
      scheduler.request(edit(`draft ${'x'.repeat(i)}`));
      await clock.tickAsync(DELAY / 4);
    }
    assert.equal(counter.calls.length, 0, 'nothing is sent while the user types');
    await clock.tickAsync(DELAY - DELAY / 4 - 1);
    assert.equal(counter.calls.length, 0, 'nothing is sent before the pause is over');
    await clock.tickAsync(1);
    assert.equal(counter.calls.length, 1);
    assert.deepEqual(counter.call(0).params.messages, [{ role: 'user', content: `draft ${'x'.repeat(10)}` }]);
    assert.equal(states.length, 10, 'each edit published an estimate');
    assert.ok(states.every((s) => s.kind === 'estimate' && s.cause === 'pending'));

    counter.call(0).resolve(1_234);
    await clock.tickAsync(0);
    assert.deepEqual(scheduler.state, { kind: 'exact', inputTokens: 1_234, model: 'claude-sonnet-5-5' });
  });

  it('does not count an unchanged input again, even when max_tokens changes', async () => {
    scheduler.request(edit('hello'));
    await clock.tickAsync(DELAY);
    counter.call(0).resolve(42);
    await clock.tickAsync(0);
    scheduler.request({ ...edit('hello'), max_tokens: 9_999 });
    assert.deepEqual(scheduler.state, { kind: 'exact', inputTokens: 42, model: 'claude-sonnet-5-5' }, 'the cached count is shown at once');
    await clock.tickAsync(DELAY * 5);
    assert.equal(counter.calls.length, 1);
  });

  it('counts again when the model changes, and returns to the cached count when it changes back', async () => {
    scheduler.request(edit('hello'));
    await clock.tickAsync(DELAY);
    counter.call(0).resolve(42);
    await clock.tickAsync(0);

    scheduler.request(edit('hello', 'claude-haiku-5-5'));
    assert.equal(scheduler.state?.kind, 'estimate');
    await clock.tickAsync(DELAY);
    assert.equal(counter.calls.length, 2);
    assert.equal(counter.call(1).params.model, 'claude-haiku-5-5');
    counter.call(1).resolve(55);
    await clock.tickAsync(0);
    assert.deepEqual(scheduler.state, { kind: 'exact', inputTokens: 55, model: 'claude-haiku-5-5' });

    scheduler.request(edit('hello'));
    assert.deepEqual(scheduler.state, { kind: 'exact', inputTokens: 42, model: 'claude-sonnet-5-5' });
    await clock.tickAsync(DELAY * 2);
    assert.equal(counter.calls.length, 2);
  });

  it('aborts a count a newer edit made stale, and never lets its late reply overwrite the newer one', async () => {
    scheduler.request(edit('first'));
    await clock.tickAsync(DELAY);
    const stale = counter.call(0);
    assert.equal(stale.signal.aborted, false);

    scheduler.request(edit('second'));
    assert.equal(stale.signal.aborted, true, 'the in-flight count is aborted by the newer edit');
    await clock.tickAsync(DELAY);
    const fresh = counter.call(1);
    fresh.resolve(200);
    await clock.tickAsync(0);
    assert.deepEqual(scheduler.state, { kind: 'exact', inputTokens: 200, model: 'claude-sonnet-5-5' });

    stale.resolve(100); // arrives late, ignoring the abort
    await clock.tickAsync(0);
    assert.deepEqual(scheduler.state, { kind: 'exact', inputTokens: 200, model: 'claude-sonnet-5-5' });
    assert.ok(!states.some((s) => s.kind === 'exact' && s.inputTokens === 100), 'the stale reply was never published');
  });

  it('ignores a stale reply that arrives before the newer count is sent', async () => {
    scheduler.request(edit('first'));
    await clock.tickAsync(DELAY);
    scheduler.request(edit('second'));
    counter.call(0).resolve(100);
    await clock.tickAsync(0);
    assert.equal(scheduler.state?.kind, 'estimate');
    assert.equal(scheduler.state.kind === 'estimate' && scheduler.state.cause, 'pending');
  });

  it('does not abort or resend when an edit is undone while its count is in flight', async () => {
    scheduler.request(edit('same'));
    await clock.tickAsync(DELAY);
    scheduler.request({ ...edit('same'), max_tokens: 5 });
    assert.equal(counter.call(0).signal.aborted, false);
    await clock.tickAsync(DELAY);
    assert.equal(counter.calls.length, 1);
  });

  it('shows the estimate with "authentication failed" on 401 and stops sending until the key changes', async () => {
    scheduler.request(edit('hello'));
    await clock.tickAsync(DELAY);
    counter.call(0).reject(apiError(401));
    await clock.tickAsync(0);
    const state = scheduler.state;
    assert.equal(state?.kind, 'estimate');
    assert.equal(state.kind === 'estimate' && state.reason, 'authentication failed (401)');
    assert.equal(state.kind === 'estimate' && state.cause, 'auth');
    assert.ok(state.inputTokens > 0, 'the estimate is still shown');

    scheduler.request(edit('hello again'));
    await clock.tickAsync(DELAY * 3);
    assert.equal(counter.calls.length, 1, 'a bad key is not retried on every edit');

    scheduler.credentialsChanged();
    assert.equal(counter.calls.length, 2, 'a new key counts the latest request at once');
    assert.deepEqual(counter.call(1).params.messages, [{ role: 'user', content: 'hello again' }]);
  });

  it('shows "no API key" when the count function has no key', async () => {
    scheduler.request(edit('hello'));
    await clock.tickAsync(DELAY);
    counter.call(0).reject(new NoApiKeyError());
    await clock.tickAsync(0);
    assert.equal(scheduler.state?.kind === 'estimate' && scheduler.state.reason, 'no API key');
  });

  it('a count that fails for want of a key while the key is being set does not block the new key', async () => {
    scheduler.request(edit('hello'));
    await clock.tickAsync(DELAY);
    assert.equal(counter.calls.length, 1, 'in flight, still looking for a key');
    scheduler.credentialsChanged();
    counter.call(0).reject(new NoApiKeyError());
    await clock.tickAsync(0);
    assert.equal(counter.calls.length, 2, 'counted again with the new key');
    counter.call(1).resolve(5);
    await clock.tickAsync(0);
    assert.deepEqual(scheduler.state, { kind: 'exact', inputTokens: 5, model: 'claude-sonnet-5-5' });
  });

  it('while held (Restricted Mode) sends nothing, even after the key changes, and counts the latest at once on release', async () => {
    scheduler.hold('the exact count comes once you trust this folder');
    scheduler.request(edit('hello'));
    scheduler.request(edit('hello again'));
    await clock.tickAsync(DELAY * 10);
    scheduler.credentialsChanged();
    await clock.tickAsync(DELAY * 10);
    assert.equal(counter.calls.length, 0, 'no count while held');
    assert.deepEqual(scheduler.state?.kind === 'estimate' && [scheduler.state.cause, scheduler.state.reason], ['held', 'the exact count comes once you trust this folder']);
    scheduler.release();
    await clock.tickAsync(0);
    assert.equal(counter.calls.length, 1, 'released: counted at once, without waiting for an edit');
    assert.deepEqual(counter.call(0).params.messages, [{ role: 'user', content: 'hello again' }]);
    counter.call(0).resolve(42);
    await clock.tickAsync(0);
    assert.deepEqual(scheduler.state, { kind: 'exact', inputTokens: 42, model: 'claude-sonnet-5-5' });
  });

  it('holding aborts a count in flight', async () => {
    scheduler.request(edit('hello'));
    await clock.tickAsync(DELAY);
    assert.equal(counter.calls.length, 1);
    scheduler.hold('held');
    assert.equal(counter.call(0).signal.aborted, true);
  });

  it('backs off for retry-after seconds on 429, sends nothing meanwhile, then retries the latest request', async () => {
    scheduler.request(edit('hello'));
    await clock.tickAsync(DELAY);
    counter.call(0).reject(apiError(429, { 'retry-after': '5' }));
    await clock.tickAsync(0);
    assert.equal(scheduler.state?.kind === 'estimate' && scheduler.state.reason, 'rate limited, retrying in 5s');

    await clock.tickAsync(2_000);
    scheduler.request(edit('hello, world'));
    assert.equal(scheduler.state?.kind === 'estimate' && scheduler.state.reason, 'rate limited, retrying in 3s');
    await clock.tickAsync(2_999 - DELAY);
    assert.equal(counter.calls.length, 1, 'no count during the backoff');
    await clock.tickAsync(DELAY);
    assert.equal(counter.calls.length, 1, 'still backing off 1 ms before retry-after');
    await clock.tickAsync(1);
    assert.equal(counter.calls.length, 2, 'retried at retry-after');
    assert.deepEqual(counter.call(1).params.messages, [{ role: 'user', content: 'hello, world' }]);
    counter.call(1).resolve(7);
    await clock.tickAsync(0);
    assert.deepEqual(scheduler.state, { kind: 'exact', inputTokens: 7, model: 'claude-sonnet-5-5' });
  });

  it('backs off exponentially on 429 without retry-after', async () => {
    scheduler.request(edit('hello'));
    await clock.tickAsync(DELAY);
    counter.call(0).reject(apiError(429));
    await clock.tickAsync(999);
    assert.equal(counter.calls.length, 1);
    await clock.tickAsync(1);
    assert.equal(counter.calls.length, 2, 'first retry after 1 s');
    counter.call(1).reject(apiError(429));
    await clock.tickAsync(1_999);
    assert.equal(counter.calls.length, 2);
    await clock.tickAsync(1);
    assert.equal(counter.calls.length, 3, 'second retry after 2 s');
  });

  it('takes retry-after: 0 as no wait and backs off as without it, instead of retrying at once', async () => {
    scheduler.request(edit('hello'));
    await clock.tickAsync(DELAY);
    counter.call(0).reject(apiError(429, { 'retry-after': '0' }));
    await clock.tickAsync(0);
    assert.equal(counter.calls.length, 1, 'not retried at once');
    assert.equal(scheduler.state?.kind === 'estimate' && scheduler.state.reason, 'rate limited, retrying in 1s');
    await clock.tickAsync(999);
    assert.equal(counter.calls.length, 1);
    await clock.tickAsync(1);
    assert.equal(counter.calls.length, 2, 'retried after the first backoff step');
  });

  it('shows "network unavailable" on a connection error and retries later', async () => {
    scheduler.request(edit('hello'));
    await clock.tickAsync(DELAY);
    counter.call(0).reject(Object.assign(new Error('Connection error.'), { name: 'APIConnectionError' }));
    await clock.tickAsync(0);
    const state = scheduler.state;
    assert.equal(state?.kind, 'estimate');
    assert.match(state.kind === 'estimate' ? state.reason : '', /^network unavailable, retrying in 1s$/);
    await clock.tickAsync(1_000);
    assert.equal(counter.calls.length, 2);
  });

  it('backs off on 529 overloaded and says the count service is unavailable', async () => {
    scheduler.request(edit('hello'));
    await clock.tickAsync(DELAY);
    counter.call(0).reject(apiError(529));
    await clock.tickAsync(0);
    assert.equal(scheduler.state?.kind === 'estimate' && scheduler.state.reason, 'count service unavailable (529), retrying in 1s');
    await clock.tickAsync(1_000);
    assert.equal(counter.calls.length, 2);
  });

  it('does not resend an input the API rejected (400), but sends a changed one', async () => {
    scheduler.request(edit('bad'));
    await clock.tickAsync(DELAY);
    counter.call(0).reject(Object.assign(apiError(400), { apiMessage: 'messages: roles must alternate' }));
    await clock.tickAsync(0);
    assert.equal(scheduler.state?.kind === 'estimate' && scheduler.state.reason, 'count failed (400): messages: roles must alternate');
    scheduler.request({ ...edit('bad'), max_tokens: 1 });
    await clock.tickAsync(DELAY);
    assert.equal(counter.calls.length, 1);
    scheduler.request(edit('better'));
    await clock.tickAsync(DELAY);
    assert.equal(counter.calls.length, 2);
  });

  it('scales later estimates by the last exact count for the model', async () => {
    scheduler.dispose();
    scheduler = new TokenCountScheduler({ count: counter.count, delayMs: DELAY, estimate: (request) => String((request.messages[0] as { content: string }).content).length });
    scheduler.request(edit('x'.repeat(800)));
    await clock.tickAsync(DELAY);
    counter.call(0).resolve(1_000); // exact / estimate = 1.25
    await clock.tickAsync(0);
    scheduler.request(edit('x'.repeat(880)));
    assert.deepEqual(scheduler.state, { kind: 'estimate', inputTokens: 1_100, model: 'claude-sonnet-5-5', cause: 'pending', reason: 'counting' });
  });

  it('after dispose, aborts the in-flight count and sends nothing more', async () => {
    scheduler.request(edit('hello'));
    await clock.tickAsync(DELAY);
    scheduler.dispose();
    assert.equal(counter.call(0).signal.aborted, true);
    scheduler.request(edit('more'));
    await clock.tickAsync(DELAY * 2);
    assert.equal(counter.calls.length, 1);
  });
});

describe('TokenCountCache', () => {
  it('drops the least recently used entry beyond its capacity', () => {
    const cache = new TokenCountCache(2);
    cache.set('a', 1);
    cache.set('b', 2);
    assert.equal(cache.get('a'), 1); // a is now the most recent
    cache.set('c', 3);
    assert.equal(cache.get('b'), undefined);
    assert.equal(cache.get('a'), 1);
    assert.equal(cache.get('c'), 3);
    assert.equal(cache.size, 2);
  });
});

describe('classifyCountError', () => {
  const cases: [string, unknown, CountFailure][] = [
    ['401', apiError(401), { kind: 'auth', status: 401 }],
    ['403', apiError(403), { kind: 'auth', status: 403 }],
    ['429 with retry-after', apiError(429, { 'retry-after': '12' }), { kind: 'rate-limited', retryAfterMs: 12_000 }],
    ['429 with plain-object headers', { status: 429, headers: { 'retry-after': '3' } }, { kind: 'rate-limited', retryAfterMs: 3_000 }],
    ['429 without headers', { status: 429 }, { kind: 'rate-limited', retryAfterMs: undefined }],
    ['529 overloaded', apiError(529), { kind: 'unavailable', status: 529, retryAfterMs: undefined }],
    ['APIConnectionError', Object.assign(new Error('Connection error.'), { name: 'APIConnectionError' }), { kind: 'network', detail: 'APIConnectionError' }],
    ['fetch failed with ENOTFOUND', Object.assign(new TypeError('fetch failed'), { cause: { code: 'ENOTFOUND' } }), { kind: 'network', detail: 'ENOTFOUND' }],
    ['abort', Object.assign(new Error('aborted'), { name: 'AbortError' }), { kind: 'aborted' }],
    ['SDK abort', Object.assign(new Error('Request was aborted.'), { name: 'APIUserAbortError' }), { kind: 'aborted' }],
    ['missing key', new NoApiKeyError(), { kind: 'no-key' }],
    ['404', Object.assign(apiError(404), { apiMessage: 'model: claude-x not found' }), { kind: 'rejected', status: 404, message: 'model: claude-x not found' }],
    ['a string', 'boom', { kind: 'rejected', status: undefined, message: 'boom' }],
  ];
  for (const [name, error, expected] of cases) {
    it(name, () => assert.deepEqual(classifyCountError(error), expected));
  }
});
