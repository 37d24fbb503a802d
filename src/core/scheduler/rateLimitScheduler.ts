// Sends many requests as fast as the rate limits allow and never faster: the dataset runner's
// engine now, chunked runs' later. Requests are pulled from an (async) iterable only when one can
// be sent, so a job of any size holds only what is in flight.
//
// - Pacing: a request waits until it fits the client's picture of the RPM / ITPM / OTPM buckets
//   (rateLimitBuckets.ts), learned from the anthropic-ratelimit-* headers of each response. Until
//   the first response says what the limits are, one request is in flight at a time.
// - Concurrency: at most `maxConcurrency` in flight; the window is halved on each 429 and grows
//   back by one per window of successes (additive increase, multiplicative decrease).
// - 429: every send waits out `retry-after`; the request is retried and its reservation given back
//   (a refused request took nothing from the API's buckets).
// - 529 (overloaded, not our limit): exponential backoff; the reservation is given back too.
// - 408/409/5xx and connection failures: exponential backoff and a retry, up to `maxAttempts`.
//   Other 4xx fail the request; 401 and 402 stop the whole job (no other request would succeed).
// - Cancel (the AbortSignal) aborts the requests in flight and sends nothing more; everything that
//   finished was already reported. Pause stops sending; resume goes on.
// - `beforeSend` lets the caller stop the job before the next request (the money limits).
//
// The SDK's own retries must be off for the requests sent here (maxRetries: 0): the scheduler
// retries, knowing the limits, and the SDK's retry would not be paced.
import { retryAfterMs } from '../api/retryAfter';
import { RateLimitBuckets, type BucketName, type RateLimits, type Reservation, type TokenLimits } from './rateLimitBuckets';

/** Time as the scheduler sees it. Tests and the bench run a faster clock shared with the simulator. */
export interface SchedulerClock {
  now(): number;
  /** Resolves after `ms` of this clock's time, or when the signal aborts (without rejecting). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: SchedulerClock = {
  now: () => Date.now(),
  sleep: (ms, signal) => sleepFor(ms, signal),
};

/** A clock running `speed` times faster than real time (a minute of limits passes in 60/speed seconds). */
export function acceleratedClock(speed: number, start = Date.now()): SchedulerClock {
  const origin = Date.now();
  return {
    now: () => start + (Date.now() - origin) * speed,
    sleep: (ms, signal) => sleepFor(ms / speed, signal),
  };
}

function sleepFor(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, Math.max(0, ms));
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** What a request used, from the response's `usage`. */
export interface UsageLike {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens?: number | null;
}

export interface SentResponse<T> {
  value: T;
  /** The response headers (a Fetch Headers or a record). */
  headers: unknown;
  usage: UsageLike;
}

export interface ScheduledRequest<T> {
  id: string;
  /** Expected uncached input tokens (what ITPM counts): the plan's count or estimate. */
  inputTokens: number;
  /** max_tokens: reserved from OTPM until the reply says how many were used. */
  maxOutputTokens: number;
  /** Sends once, with the SDK's retries off, aborting on the signal. */
  send(signal: AbortSignal): Promise<SentResponse<T>>;
}

export type ScheduledOutcome<T> =
  | { kind: 'done'; request: ScheduledRequest<T>; value: T; attempts: number }
  | { kind: 'failed'; request: ScheduledRequest<T>; error: unknown; attempts: number };

export type SchedulerEvent =
  | { type: 'limits'; limits: Partial<RateLimits> }
  | { type: 'rateLimited'; id: string; waitMs: number }
  | { type: 'overloaded'; id: string; waitMs: number }
  | { type: 'retry'; id: string; attempt: number; waitMs: number; status?: number }
  | { type: 'waiting'; ms: number; bucket: BucketName };

export interface SchedulerOptions<T> {
  /** The most requests in flight at once (the user's setting). */
  maxConcurrency: number;
  /** Attempts per request for server errors and dropped connections. Default 5. */
  maxAttempts?: number;
  /** Attempts per request answered 429 (each waits its retry-after). Default 20. */
  maxRateLimitedAttempts?: number;
  /** Limits known before the first response (e.g. from the last job's headers). */
  initialLimits?: Partial<RateLimits>;
  /** Fast-mode requests are paced on fast mode's own token limits (the anthropic-fast-* headers). */
  tokenLimits?: TokenLimits;
  clock?: SchedulerClock;
  signal?: AbortSignal;
  /** First backoff for 5xx/529, doubled per attempt up to maxBackoffMs. Default 1000 / 30000. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** Called before each send; a returned message stops the job before that request. */
  beforeSend?: (request: ScheduledRequest<T>) => string | undefined;
  /**
   * Says whether a send's error stops the whole job before this request (the billed-call path
   * refusing it: the money limits); the message becomes the summary's stoppedReason.
   */
  stopsJob?: (error: unknown) => string | undefined;
  /**
   * Each finished request, in the order they finish. Awaited before the request counts as finished.
   * If it throws, nothing more is sent and `run` rejects with that error once the requests in flight end.
   */
  onOutcome(outcome: ScheduledOutcome<T>): void | Promise<void>;
  onEvent?(event: SchedulerEvent): void;
}

export interface SchedulerSummary {
  done: number;
  failed: number;
  /** Requests answered 429 (each retried). */
  rateLimited: number;
  /** Requests answered 529 (each retried). */
  overloaded: number;
  retried: number;
  cancelled: boolean;
  /** Why the job stopped before its end (beforeSend, or an error no request would survive). */
  stoppedReason?: string;
  limits: Partial<RateLimits>;
}

interface Pending<T> {
  request: ScheduledRequest<T>;
  attempts: number;
  rateLimitedAttempts: number;
  /** The scheduler's running total of reservations just after this attempt was sent. */
  reservedAtSend?: Reservation;
}

/** HTTP status of an SDK error, if it has one. */
function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' ? status : undefined;
}

function headersOf(error: unknown): unknown {
  return (error as { headers?: unknown } | undefined)?.headers;
}

function isAbort(error: unknown): boolean {
  const name = (error as { name?: unknown } | undefined)?.name;
  return name === 'APIUserAbortError' || name === 'AbortError';
}

export class RateLimitScheduler<T> {
  private readonly clock: SchedulerClock;
  private readonly buckets: RateLimitBuckets;
  private readonly inFlight = new Map<string, AbortController>();
  private readonly ready: Pending<T>[] = [];
  private window: number;
  private successesInWindow = 0;
  private pausedUntil = 0;
  private overloadStreak = 0;
  private paused = false;
  private stoppedReason: string | undefined;
  /** The first error `onOutcome` threw: it stops the job and `run` rethrows it. */
  private outcomeFailure: { error: unknown } | undefined;
  private wake: () => void = () => undefined;
  private wakeSignal: Promise<void> = Promise.resolve();
  /** Everything ever reserved, so a response's figures can be corrected for what was sent after it. */
  private readonly reservedTotal: Reservation = { requests: 0, input: 0, output: 0 };
  private readonly summary: Omit<SchedulerSummary, 'cancelled' | 'limits'> = { done: 0, failed: 0, rateLimited: 0, overloaded: 0, retried: 0 };

  constructor(private readonly options: SchedulerOptions<T>) {
    this.clock = options.clock ?? realClock;
    this.buckets = new RateLimitBuckets(options.initialLimits, this.clock.now(), options.tokenLimits);
    this.window = Math.max(1, options.maxConcurrency);
    this.armWake();
  }

  private armWake(): void {
    this.wakeSignal = new Promise((resolve) => (this.wake = resolve));
  }

  private notify(): void {
    const wake = this.wake;
    this.armWake();
    wake();
  }

  /** Stops sending; requests in flight finish. */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.notify();
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** The limits learned so far (for the plan of the next job, and the progress view). */
  limits(): Partial<RateLimits> {
    return this.buckets.limits();
  }

  /** Requests in flight now. */
  get activeRequests(): number {
    return this.inFlight.size;
  }

  /** The largest number in flight the scheduler allows now. */
  private allowedInFlight(): number {
    // One request until a response has said what the limits are: a burst could trip all of them.
    return this.buckets.known ? Math.min(this.window, this.options.maxConcurrency) : 1;
  }

  async run(source: Iterable<ScheduledRequest<T>> | AsyncIterable<ScheduledRequest<T>>): Promise<SchedulerSummary> {
    const signal = this.options.signal;
    const onAbort = (): void => {
      for (const controller of this.inFlight.values()) controller.abort();
      this.notify();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const iterator = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : toAsync(source[Symbol.iterator]());
    let exhausted = false;
    const running = new Set<Promise<void>>();
    try {
      for (;;) {
        if (signal?.aborted || this.stoppedReason !== undefined || this.outcomeFailure) break;
        if (this.paused || this.inFlight.size >= this.allowedInFlight()) {
          await this.wakeSignal;
          continue;
        }
        let next = this.ready.shift();
        if (!next && !exhausted) {
          const item = await iterator.next();
          if (item.done) exhausted = true;
          else next = { request: item.value, attempts: 0, rateLimitedAttempts: 0 };
        }
        if (!next) {
          if (this.inFlight.size === 0 && this.ready.length === 0) break;
          await this.wakeSignal;
          continue;
        }
        const reservation = reservationFor(next.request);
        const now = this.clock.now();
        const limitWait = this.buckets.waitFor(reservation, now);
        const wait = Math.max(this.pausedUntil - now, limitWait.ms);
        if (wait > 0) {
          this.ready.unshift(next);
          if (limitWait.bucket && limitWait.ms >= wait) this.options.onEvent?.({ type: 'waiting', ms: wait, bucket: limitWait.bucket });
          await Promise.race([this.clock.sleep(wait, signal), this.wakeSignal]);
          continue;
        }
        const refusal = this.options.beforeSend?.(next.request);
        if (refusal !== undefined) {
          this.ready.unshift(next);
          this.stoppedReason = refusal;
          break;
        }
        this.buckets.reserve(reservation, now);
        this.reservedTotal.requests += reservation.requests;
        this.reservedTotal.input += reservation.input;
        this.reservedTotal.output += reservation.output;
        next.reservedAtSend = { ...this.reservedTotal };
        // A send never rejects (its outcome handler's error is kept), so no task is left rejected unawaited.
        const task = this.send(next, reservation).finally(() => running.delete(task));
        running.add(task);
      }
      await Promise.all(running);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      // Stopped before the end: close the source so its file is released.
      if (!exhausted) await iterator.return?.().catch(() => undefined);
    }
    if (this.outcomeFailure) throw this.outcomeFailure.error;
    return { ...this.summary, cancelled: signal?.aborted ?? false, stoppedReason: this.stoppedReason, limits: this.buckets.limits() };
  }

  private async send(pending: Pending<T>, reservation: Reservation): Promise<void> {
    const { request } = pending;
    const controller = new AbortController();
    this.inFlight.set(request.id, controller);
    pending.attempts++;
    let outcome: ScheduledOutcome<T> | undefined;
    try {
      const response = await request.send(controller.signal);
      const now = this.clock.now();
      this.buckets.settle(reservation, { input: response.usage.input_tokens + (response.usage.cache_creation_input_tokens ?? 0), output: response.usage.output_tokens }, now);
      this.learn(response.headers, now, pending);
      this.overloadStreak = 0;
      if (++this.successesInWindow >= this.window) {
        this.successesInWindow = 0;
        this.window = Math.min(this.options.maxConcurrency, this.window + 1);
      }
      this.summary.done++;
      outcome = { kind: 'done', request, value: response.value, attempts: pending.attempts };
    } catch (error) {
      outcome = this.onError(pending, reservation, error);
    } finally {
      this.inFlight.delete(request.id);
    }
    try {
      if (outcome) await this.options.onOutcome(outcome);
    } catch (error) {
      this.outcomeFailure ??= { error };
    } finally {
      this.notify();
    }
  }

  /** Decides what a failed attempt means: retry (undefined), or the request's outcome. */
  private onError(pending: Pending<T>, reservation: Reservation, error: unknown): ScheduledOutcome<T> | undefined {
    const now = this.clock.now();
    const { request } = pending;
    if (this.options.signal?.aborted && isAbort(error)) {
      // Cancelled: not an outcome; a resumed job sends it again.
      this.buckets.release(reservation, now);
      return undefined;
    }
    const stop = this.options.stopsJob?.(error);
    if (stop !== undefined) {
      // Never sent: the request stays unfinished, so a resumed job sends it.
      this.buckets.release(reservation, now);
      this.stoppedReason ??= stop;
      return undefined;
    }
    const status = statusOf(error);
    this.learn(headersOf(error), now, pending);
    const failed = (): ScheduledOutcome<T> => {
      this.summary.failed++;
      return { kind: 'failed', request, error, attempts: pending.attempts };
    };
    if (status === 429) {
      this.summary.rateLimited++;
      this.buckets.release(reservation, now);
      this.window = Math.max(1, Math.floor(this.window / 2));
      this.successesInWindow = 0;
      // No usable retry-after (absent, 0, in the past): wait a second, as the SDK would start.
      const waitMs = retryAfterMs(headersOf(error), now) ?? 1000;
      this.pausedUntil = Math.max(this.pausedUntil, now + waitMs);
      this.options.onEvent?.({ type: 'rateLimited', id: request.id, waitMs });
      if (++pending.rateLimitedAttempts >= (this.options.maxRateLimitedAttempts ?? 20)) return failed();
      pending.attempts--;
      return this.retry(pending);
    }
    if (status === 401 || status === 402) {
      this.stoppedReason ??= status === 401 ? 'The API did not accept the key; the job stopped.' : 'The organisation cannot be billed; the job stopped.';
      return failed();
    }
    const retryable = status === undefined ? !isAbort(error) : status === 408 || status === 409 || status >= 500;
    if (!retryable || pending.attempts >= (this.options.maxAttempts ?? 5)) return failed();
    const base = this.options.baseBackoffMs ?? 1000;
    const waitMs = Math.min(this.options.maxBackoffMs ?? 30_000, base * 2 ** this.overloadStreak) * (1 - Math.random() * 0.25);
    this.overloadStreak = Math.min(this.overloadStreak + 1, 16);
    if (status === 529) {
      // Overloaded is Anthropic-wide, not our limit: the request took nothing from our buckets.
      this.summary.overloaded++;
      this.buckets.release(reservation, now);
      this.options.onEvent?.({ type: 'overloaded', id: request.id, waitMs });
    } else {
      this.options.onEvent?.({ type: 'retry', id: request.id, attempt: pending.attempts, waitMs, status });
    }
    this.pausedUntil = Math.max(this.pausedUntil, now + waitMs);
    return this.retry(pending);
  }

  private retry(pending: Pending<T>): undefined {
    this.summary.retried++;
    this.ready.unshift(pending);
    return undefined;
  }

  private learn(headers: unknown, now: number, pending: Pending<T>): void {
    const wasKnown = this.buckets.known;
    const atSend = pending.reservedAtSend ?? this.reservedTotal;
    const sentSince: Reservation = {
      requests: this.reservedTotal.requests - atSend.requests,
      input: this.reservedTotal.input - atSend.input,
      output: this.reservedTotal.output - atSend.output,
    };
    if (this.buckets.observeHeaders(headers, now, sentSince) && !wasKnown && this.buckets.known) {
      this.options.onEvent?.({ type: 'limits', limits: this.buckets.limits() });
    }
  }
}

function reservationFor(request: ScheduledRequest<unknown>): Reservation {
  return { requests: 1, input: Math.max(0, request.inputTokens), output: Math.max(0, request.maxOutputTokens) };
}

function toAsync<T>(iterator: Iterator<T>): AsyncIterator<T> {
  return {
    next: () => Promise.resolve(iterator.next()),
    return: () => Promise.resolve(iterator.return?.() ?? { done: true as const, value: undefined }),
  };
}
