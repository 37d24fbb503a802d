import assert from 'node:assert/strict';
import type Anthropic from '@anthropic-ai/sdk';
import type { Message, MessageCreateParamsNonStreaming } from '@anthropic-ai/sdk/resources/messages';
import { RateLimitBuckets } from '../../../src/core/scheduler/rateLimitBuckets';
import { RateLimitScheduler, acceleratedClock, type ScheduledOutcome, type ScheduledRequest, type SchedulerOptions } from '../../../src/core/scheduler/rateLimitScheduler';
import { countRequestTokens } from '../../simulator/tokenizer';
import { clientFor, useSimulator } from '../simulator/simulatorFixture';

const MODEL = 'claude-haiku-5-5';
// A simulated minute passes in one real second: the simulator and the scheduler share the clock.
const SPEED = 60;

function body(i: number, maxTokens = 50): MessageCreateParamsNonStreaming {
  return { model: MODEL, max_tokens: maxTokens, messages: [{ role: 'user', content: `Row ${i}: summarise this line of text.` }] };
}

function requestFor(client: Anthropic, i: number, params = body(i)): ScheduledRequest<Message> {
  return {
    id: `row-${i}`,
    inputTokens: countRequestTokens(params as unknown as Record<string, unknown>, MODEL),
    maxOutputTokens: params.max_tokens,
    async send(signal) {
      const { data, response } = await client.messages.create(params, { signal, maxRetries: 0 }).withResponse();
      return { value: data, headers: response.headers, usage: data.usage };
    },
  };
}

describe('rate-limit scheduler against the simulator', function () {
  // Simulated minutes pass in real seconds, but a loaded machine answers slowly.
  this.timeout(40_000);
  const clock = acceleratedClock(SPEED);
  const fx = useSimulator({ now: clock.now });

  async function runJob(
    count: number,
    options: Partial<SchedulerOptions<Message>> = {},
    make = (client: Anthropic, i: number) => requestFor(client, i),
  ): Promise<{ outcomes: ScheduledOutcome<Message>[]; summary: Awaited<ReturnType<RateLimitScheduler<Message>['run']>>; scheduler: RateLimitScheduler<Message> }> {
    const client = clientFor(fx.sim);
    const outcomes: ScheduledOutcome<Message>[] = [];
    const scheduler = new RateLimitScheduler<Message>({ maxConcurrency: 8, clock, onOutcome: (o) => void outcomes.push(o), ...options });
    function* requests(): Generator<ScheduledRequest<Message>> {
      for (let i = 0; i < count; i++) yield make(client, i);
    }
    const summary = await scheduler.run(requests());
    return { outcomes, summary, scheduler };
  }

  const messageRequests = () => fx.sim.requests.filter((r) => r.endpoint === 'messages');

  it('paces a job larger than the requests-per-minute burst to the limit it reads from the headers, without a 429', async () => {
    fx.sim.configure({ rateLimitsByModel: { [MODEL]: { requestsPerMinute: 40 } } });
    const { summary, outcomes } = await runJob(100);
    assert.equal(summary.done, 100);
    assert.equal(outcomes.filter((o) => o.kind === 'done').length, 100);
    assert.equal(messageRequests().filter((r) => r.status === 429).length, 0, 'no request was refused');
    assert.deepEqual(summary.limits.requestsPerMinute, 40);
    // 40 fit the full bucket; the other 60 refill at 40 a minute: at least 89 simulated seconds.
    const times = messageRequests().map((r) => r.time);
    assert.ok(Math.max(...times) - Math.min(...times) >= 89_000, `took ${Math.max(...times) - Math.min(...times)} ms`);
  });

  it('paces to input tokens per minute when they bind, settling each reservation to the real usage', async () => {
    const perRequest = requestFor(clientFor(fx.sim), 0).inputTokens;
    fx.sim.configure({ rateLimitsByModel: { [MODEL]: { inputTokensPerMinute: perRequest * 20 } } });
    const { summary } = await runJob(50);
    assert.equal(summary.done, 50);
    assert.equal(messageRequests().filter((r) => r.status === 429).length, 0);
    const times = messageRequests().map((r) => r.time);
    assert.ok(Math.max(...times) - Math.min(...times) >= 85_000, 'about 30 rows beyond the burst at 20 a minute');
  });

  it('reserves max_tokens of output tokens per minute and gives back what the reply did not use', async () => {
    fx.sim.configure({ rateLimitsByModel: { [MODEL]: { outputTokensPerMinute: 400 } } });
    // max_tokens 200 fits two at a time; replies use 24, so settled reservations free room quickly.
    const { summary } = await runJob(12, {}, (client, i) => requestFor(client, i, body(i, 200)));
    assert.equal(summary.done, 12);
    assert.equal(messageRequests().filter((r) => r.status === 429).length, 0);
  });

  it('paces a fast-mode job on fast mode\'s own token limits (the anthropic-fast-* headers), not the standard ones', async () => {
    const fastModel = 'claude-opus-5-5';
    // Generous standard limits; fast mode's output limit fits two 200-token reservations at a time.
    fx.sim.configure({ rateLimitsByModel: { [fastModel]: { outputTokensPerMinute: 1_000_000, fastOutputTokensPerMinute: 400 } } });
    const fastBody = (i: number): MessageCreateParamsNonStreaming => ({ ...body(i, 200), model: fastModel, speed: 'fast' });
    const { summary } = await runJob(16, { tokenLimits: 'fast' }, (client, i) => requestFor(client, i, fastBody(i)));
    assert.equal(summary.done, 16);
    assert.equal(messageRequests().filter((r) => r.status === 429).length, 0, 'no request was refused by the fast limit');
    assert.equal(summary.limits.outputTokensPerMinute, 400, 'the limit it paced on is the fast one');
  });

  it('honours retry-after on a 429: nothing is sent until it has passed, and the request is retried', async () => {
    fx.sim.enqueueFault({ fault: '429', endpoint: 'messages', retryAfterSeconds: 20 });
    const events: string[] = [];
    const { summary, outcomes } = await runJob(3, { onEvent: (e) => events.push(e.type) });
    assert.equal(summary.done, 3);
    assert.equal(summary.rateLimited, 1);
    assert.ok(events.includes('rateLimited'));
    const [refused, ...rest] = messageRequests();
    assert.equal(refused?.status, 429);
    for (const r of rest) assert.ok(r.time - (refused?.time ?? 0) >= 20_000, 'waited out retry-after');
    assert.equal(outcomes.find((o) => o.request.id === 'row-0')?.attempts, 1, 'a 429 is not counted as a failed attempt');
  });

  it('backs off on a 529 without counting the request against the rate limit', async () => {
    fx.sim.configure({ rateLimitsByModel: { [MODEL]: { requestsPerMinute: 2 } } });
    fx.sim.enqueueFault({ fault: '529', endpoint: 'messages' });
    const waits: string[] = [];
    const { summary } = await runJob(2, {
      initialLimits: { requestsPerMinute: 2, inputTokensPerMinute: 1e9, outputTokensPerMinute: 1e9 },
      baseBackoffMs: 1000,
      onEvent: (e) => e.type === 'waiting' && waits.push(e.bucket),
    });
    assert.equal(summary.done, 2);
    assert.equal(summary.overloaded, 1);
    assert.equal(messageRequests().length, 3);
    // Two requests a minute: had the 529 used one, a send would have waited for the requests bucket.
    assert.deepEqual(waits, []);
  });

  it('retries server errors with backoff, and fails only the request the API rejects', async () => {
    fx.sim.enqueueFault({ fault: 'api_error', endpoint: 'messages', times: 2 });
    const { summary, outcomes } = await runJob(4, { baseBackoffMs: 100, maxConcurrency: 1 }, (client, i) =>
      requestFor(client, i, i === 2 ? { ...body(i), messages: [] } : body(i)),
    );
    assert.equal(summary.done, 3);
    assert.equal(summary.failed, 1);
    assert.equal(summary.retried, 2);
    const failed = outcomes.find((o) => o.kind === 'failed');
    assert.equal(failed?.request.id, 'row-2');
    assert.equal((failed?.kind === 'failed' && (failed.error as { status?: number }).status) || undefined, 400);
    assert.equal(outcomes.find((o) => o.request.id === 'row-0')?.attempts, 3);
  });

  it('an outcome handler that throws stops the job: nothing more is sent and run rejects with its error', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    const mochaListeners = process.listeners('unhandledRejection');
    process.removeAllListeners('unhandledRejection');
    process.on('unhandledRejection', onUnhandled);
    try {
      await assert.rejects(
        runJob(6, {
          maxConcurrency: 1,
          onOutcome: (outcome) => {
            if (outcome.request.id === 'row-1') throw new Error('the results file could not be written');
          },
        }),
        /the results file could not be written/,
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      process.off('unhandledRejection', onUnhandled);
      for (const listener of mochaListeners) process.on('unhandledRejection', listener);
    }
    assert.deepEqual(unhandled, []);
    assert.equal(messageRequests().length, 2, 'nothing is sent after the failing outcome');
  });

  it('cancel aborts the requests in flight, sends nothing more, and keeps what finished', async () => {
    const controller = new AbortController();
    const outcomes: ScheduledOutcome<Message>[] = [];
    const client = clientFor(fx.sim);
    const scheduler = new RateLimitScheduler<Message>({
      maxConcurrency: 4,
      clock,
      signal: controller.signal,
      onOutcome: (o) => {
        outcomes.push(o);
        // From here on the API holds every request until the client gives up.
        if (outcomes.length === 5) fx.sim.setFault({ fault: 'stall_before_headers', endpoint: 'messages' });
      },
    });
    const running = scheduler.run(Array.from({ length: 40 }, (_, i) => requestFor(client, i)));
    while (fx.sim.inFlight < 2 || outcomes.length < 5) await new Promise((r) => setTimeout(r, 10));
    const finishedBeforeCancel = outcomes.length;
    controller.abort();
    const summary = await running;
    const sent = messageRequests().length;
    assert.equal(summary.cancelled, true);
    assert.equal(outcomes.length, finishedBeforeCancel, 'the aborted requests are not outcomes; the finished ones are kept');
    assert.ok(outcomes.every((o) => o.kind === 'done'));
    assert.equal(summary.done, finishedBeforeCancel);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(messageRequests().length, sent, 'nothing is sent after cancel');
    assert.equal(fx.sim.inFlight, 0, 'the stalled requests were aborted');
  });

  it('pause stops sending until resume; the money check stops the job before the next request', async () => {
    const client = clientFor(fx.sim);
    let sent = 0;
    let countAtPause = -1;
    const scheduler: RateLimitScheduler<Message> = new RateLimitScheduler<Message>({
      maxConcurrency: 2,
      clock,
      onOutcome: async (o) => {
        if (o.request.id === 'row-3') {
          scheduler.pause();
          await new Promise((r) => setTimeout(r, 50));
          countAtPause = messageRequests().length;
          await new Promise((r) => setTimeout(r, 200));
          assert.equal(messageRequests().length, countAtPause, 'nothing sent while paused');
          scheduler.resume();
        }
      },
      beforeSend: () => (++sent > 10 ? 'Stopped: the remaining worst case no longer fits the budget.' : undefined),
    });
    const summary = await scheduler.run(Array.from({ length: 30 }, (_, i) => requestFor(client, i)));
    assert.ok(countAtPause > 0);
    assert.equal(summary.stoppedReason, 'Stopped: the remaining worst case no longer fits the budget.');
    assert.equal(summary.done, 10);
    assert.equal(messageRequests().length, 10);
  });
});

describe('rate-limit buckets', () => {
  it('learn limits from headers, only ever lower the level to the reported remaining, and refill continuously', () => {
    const buckets = new RateLimitBuckets();
    assert.equal(buckets.known, false);
    assert.deepEqual(buckets.waitFor({ requests: 1, input: 10, output: 10 }, 0), { ms: 0, bucket: undefined });
    const headers = new Headers({
      'anthropic-ratelimit-requests-limit': '60',
      'anthropic-ratelimit-requests-remaining': '0',
      'anthropic-ratelimit-input-tokens-limit': '6000',
      'anthropic-ratelimit-input-tokens-remaining': '6000',
      'anthropic-ratelimit-output-tokens-limit': '600',
      'anthropic-ratelimit-output-tokens-remaining': '600',
    });
    assert.equal(buckets.observeHeaders(headers, 0), true);
    assert.equal(buckets.known, true);
    assert.deepEqual(buckets.waitFor({ requests: 1, input: 10, output: 10 }, 0), { ms: 1000, bucket: 'requests' });
    assert.deepEqual(buckets.waitFor({ requests: 1, input: 10, output: 10 }, 1000), { ms: 0, bucket: undefined });
    buckets.observeHeaders(new Headers({ 'anthropic-ratelimit-requests-remaining': '50' }), 1000);
    assert.equal(Math.round(buckets.requests.levelAt(1000)), 1, 'a higher remaining never raises the level');
    buckets.reserve({ requests: 1, input: 100, output: 500 }, 1000);
    assert.deepEqual(buckets.waitFor({ requests: 0, input: 0, output: 200 }, 1000), { ms: 10_000, bucket: 'output' });
    buckets.settle({ requests: 1, input: 100, output: 500 }, { input: 100, output: 20 }, 1000);
    assert.equal(buckets.output.levelAt(1000), 580);
    // Larger than the whole bucket: waits for a full bucket rather than forever.
    assert.equal(buckets.output.waitFor(10_000, 1000), 2000);
  });
});
