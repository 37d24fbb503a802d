// The client's picture of the API's rate limits (fact sheet §5): three continuously refilling token
// buckets (requests, input tokens and output tokens per minute), learned from the
// anthropic-ratelimit-* headers of every response and kept current between responses by our own
// reservations. Output tokens are reserved from max_tokens when a request is sent and settled to the
// real output when it ends, as the API does; input tokens are settled to the real uncached input.
import { responseHeader } from '../api/responseHeaders';

export interface RateLimits {
  requestsPerMinute: number;
  inputTokensPerMinute: number;
  outputTokensPerMinute: number;
}

export type BucketName = 'requests' | 'input' | 'output';

/** What one request takes from the buckets when it is sent. */
export interface Reservation {
  requests: number;
  input: number;
  output: number;
}

const MINUTE_MS = 60_000;

/** One bucket. Its limit is unknown until a response (or the caller) says it; an unknown limit never holds a request back. */
export class TokenBucket {
  private level = 0;
  private updatedAt = 0;
  limit: number | undefined;

  setLimit(limit: number, now: number): void {
    if (this.limit === undefined) {
      this.level = limit;
      this.updatedAt = now;
    } else {
      this.refill(now);
      this.level = Math.min(this.level, limit);
    }
    this.limit = limit;
  }

  private refill(now: number): void {
    if (this.limit === undefined || now <= this.updatedAt) return;
    this.level = Math.min(this.limit, this.level + ((now - this.updatedAt) * this.limit) / MINUTE_MS);
    this.updatedAt = now;
  }

  /** The level now (may be negative after a settlement that took more than reserved). */
  levelAt(now: number): number {
    this.refill(now);
    return this.level;
  }

  /**
   * Milliseconds until `amount` fits. A request larger than the whole bucket waits for a full
   * bucket (the API admits it then, and it could never fit otherwise).
   */
  waitFor(amount: number, now: number): number {
    if (this.limit === undefined || this.limit <= 0) return 0;
    this.refill(now);
    const needed = Math.min(amount, this.limit) - this.level;
    return needed <= 0 ? 0 : Math.ceil((needed * MINUTE_MS) / this.limit);
  }

  take(amount: number, now: number): void {
    if (this.limit === undefined) return;
    this.refill(now);
    this.level -= amount;
  }

  give(amount: number, now: number): void {
    if (this.limit === undefined) return;
    this.refill(now);
    this.level = Math.min(this.limit, this.level + amount);
  }

  /**
   * Lowers the level to what the API reported left. Only lowers: a response reports the API's
   * state when it was written, before the requests we sent since, which our own level already
   * counts; a lower figure means someone else (another job, another tool) shares the limit.
   */
  observeRemaining(remaining: number, now: number): void {
    if (this.limit === undefined) return;
    this.refill(now);
    this.level = Math.min(this.level, remaining);
  }
}

/**
 * Which token limits a job's requests draw on: fast mode (`speed: "fast"`) has its own input and
 * output token limits, reported in the anthropic-fast-* headers (fact sheet §5, §13).
 */
export type TokenLimits = 'standard' | 'fast';

const tokenHeaderPrefixes: Record<TokenLimits, { input: string; output: string }> = {
  standard: { input: 'anthropic-ratelimit-input-tokens', output: 'anthropic-ratelimit-output-tokens' },
  fast: { input: 'anthropic-fast-input-tokens', output: 'anthropic-fast-output-tokens' },
};

/** The three buckets of one model. */
export class RateLimitBuckets {
  readonly requests = new TokenBucket();
  readonly input = new TokenBucket();
  readonly output = new TokenBucket();

  constructor(
    initial?: Partial<RateLimits>,
    now = 0,
    private readonly tokenLimits: TokenLimits = 'standard',
  ) {
    if (initial?.requestsPerMinute) this.requests.setLimit(initial.requestsPerMinute, now);
    if (initial?.inputTokensPerMinute) this.input.setLimit(initial.inputTokensPerMinute, now);
    if (initial?.outputTokensPerMinute) this.output.setLimit(initial.outputTokensPerMinute, now);
  }

  /** Whether every limit is known (from a response or the caller). */
  get known(): boolean {
    return this.requests.limit !== undefined && this.input.limit !== undefined && this.output.limit !== undefined;
  }

  limits(): Partial<RateLimits> {
    return { requestsPerMinute: this.requests.limit, inputTokensPerMinute: this.input.limit, outputTokensPerMinute: this.output.limit };
  }

  /** Milliseconds until the reservation fits every bucket, and the bucket that holds it back longest. */
  waitFor(reservation: Reservation, now: number): { ms: number; bucket?: BucketName } {
    let ms = 0;
    let bucket: BucketName | undefined;
    for (const name of ['requests', 'input', 'output'] as const) {
      const wait = this[name].waitFor(reservation[name], now);
      if (wait > ms) {
        ms = wait;
        bucket = name;
      }
    }
    return { ms, bucket };
  }

  reserve(reservation: Reservation, now: number): void {
    this.requests.take(reservation.requests, now);
    this.input.take(reservation.input, now);
    this.output.take(reservation.output, now);
  }

  /** Undoes a reservation the API never admitted (a 429, a 529, a request that never left). */
  release(reservation: Reservation, now: number): void {
    this.requests.give(reservation.requests, now);
    this.input.give(reservation.input, now);
    this.output.give(reservation.output, now);
  }

  /** Corrects a reservation to what the request really used. */
  settle(reservation: Reservation, actual: { input: number; output: number }, now: number): void {
    const inputDelta = actual.input - reservation.input;
    if (inputDelta > 0) this.input.take(inputDelta, now);
    else this.input.give(-inputDelta, now);
    const outputDelta = reservation.output - actual.output;
    if (outputDelta > 0) this.output.give(outputDelta, now);
    else this.output.take(-outputDelta, now);
  }

  /**
   * Learns limits and remaining levels from a response's anthropic-ratelimit-* headers; true when
   * any was present. `sentSince` is what was reserved after that response's request was sent: the
   * API may have written its figures before admitting those, so they are taken off what it reports.
   */
  observeHeaders(headers: unknown, now: number, sentSince: Reservation = { requests: 0, input: 0, output: 0 }): boolean {
    let seen = false;
    // A fast-mode job's tokens follow the fast limits; a response without them (an API that does
    // not report them) falls back to the standard ones rather than leaving the limits unknown.
    const prefixes = this.tokenLimits === 'fast' && responseHeader(headers, `${tokenHeaderPrefixes.fast.output}-limit`) !== undefined ? tokenHeaderPrefixes.fast : tokenHeaderPrefixes.standard;
    for (const [prefix, bucket, since] of [
      ['anthropic-ratelimit-requests', this.requests, sentSince.requests],
      [prefixes.input, this.input, sentSince.input],
      [prefixes.output, this.output, sentSince.output],
    ] as const) {
      const limit = Number(responseHeader(headers, `${prefix}-limit`));
      const remaining = responseHeader(headers, `${prefix}-remaining`);
      if (Number.isFinite(limit) && limit > 0) {
        bucket.setLimit(limit, now);
        seen = true;
      }
      if (remaining !== undefined && Number.isFinite(Number(remaining))) bucket.observeRemaining(Number(remaining) - since, now);
    }
    return seen;
  }
}
