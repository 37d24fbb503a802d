// Rate limits (sheet §5): continuously refilling token buckets for requests, input tokens and output
// tokens per minute, one set per model. Output tokens are reserved from max_tokens at the start and
// corrected to the real output at the end; cache reads do not count toward input tokens.
// Fast mode (sheet §13) has a dedicated limit: a `speed: "fast"` request takes its tokens from the
// fast buckets, reported in the anthropic-fast-{input,output}-tokens-* headers, and leaves the
// standard token buckets alone. The sheet names only token headers for fast mode, so its request
// still counts in the one requests-per-minute bucket.

export interface RateLimitConfig {
  requestsPerMinute: number;
  inputTokensPerMinute: number;
  outputTokensPerMinute: number;
  /** count_tokens has its own requests-per-minute limit, independent of Messages (sheet §5). */
  countTokensRequestsPerMinute: number;
  /** Fast mode's own input and output tokens per minute (sheet §13). */
  fastInputTokensPerMinute: number;
  fastOutputTokensPerMinute: number;
}

/** Generous enough that ordinary tests never meet them. */
export const DEFAULT_RATE_LIMITS: RateLimitConfig = {
  requestsPerMinute: 50_000,
  inputTokensPerMinute: 100_000_000,
  outputTokensPerMinute: 20_000_000,
  countTokensRequestsPerMinute: 50_000,
  fastInputTokensPerMinute: 100_000_000,
  fastOutputTokensPerMinute: 20_000_000,
};

class TokenBucket {
  private level: number;
  private updatedAt: number;

  constructor(
    readonly limit: number,
    now: number,
  ) {
    this.level = limit;
    this.updatedAt = now;
  }

  private refill(now: number): void {
    if (now > this.updatedAt) {
      this.level = Math.min(this.limit, this.level + ((now - this.updatedAt) * this.limit) / 60_000);
      this.updatedAt = now;
    }
  }

  remaining(now: number): number {
    this.refill(now);
    return Math.max(0, Math.floor(this.level));
  }

  /** Milliseconds until `amount` is available (0 if it is now). */
  waitFor(amount: number, now: number): number {
    this.refill(now);
    const needed = Math.min(amount, this.limit) - this.level;
    return needed <= 0 ? 0 : Math.ceil((needed * 60_000) / this.limit);
  }

  take(amount: number, now: number): void {
    this.refill(now);
    this.level -= amount;
  }

  give(amount: number, now: number): void {
    this.refill(now);
    this.level = Math.min(this.limit, this.level + amount);
  }

  /** When the bucket will be full again. */
  resetAt(now: number): number {
    this.refill(now);
    return now + Math.ceil(((this.limit - this.level) * 60_000) / this.limit);
  }
}

interface ModelBuckets {
  requests: TokenBucket;
  countTokensRequests: TokenBucket;
  input: TokenBucket;
  output: TokenBucket;
  fastInput: TokenBucket;
  fastOutput: TokenBucket;
}

/** Which token buckets a Messages request draws on. */
export type TokenLimits = 'standard' | 'fast';

export type RateLimitScope = 'messages' | 'count_tokens' | 'other';

export interface RateLimitDenial {
  retryAfterSeconds: number;
  message: string;
}

export class RateLimiter {
  private readonly buckets = new Map<string, ModelBuckets>();

  constructor(
    private readonly now: () => number,
    private readonly config: (model: string) => RateLimitConfig,
  ) {}

  clear(): void {
    this.buckets.clear();
  }

  private bucketsFor(model: string): ModelBuckets {
    let buckets = this.buckets.get(model);
    if (!buckets) {
      const config = this.config(model);
      const now = this.now();
      buckets = {
        requests: new TokenBucket(config.requestsPerMinute, now),
        countTokensRequests: new TokenBucket(config.countTokensRequestsPerMinute, now),
        input: new TokenBucket(config.inputTokensPerMinute, now),
        output: new TokenBucket(config.outputTokensPerMinute, now),
        fastInput: new TokenBucket(config.fastInputTokensPerMinute, now),
        fastOutput: new TokenBucket(config.fastOutputTokensPerMinute, now),
      };
      this.buckets.set(model, buckets);
    }
    return buckets;
  }

  /**
   * Admits a Messages request, reserving one request, its uncached input and max_tokens of output;
   * or says how long to wait.
   */
  admitMessage(model: string, inputTokens: number, reservedOutputTokens: number, tokens: TokenLimits = 'standard'): RateLimitDenial | undefined {
    const buckets = this.bucketsFor(model);
    const now = this.now();
    const [input, output] = this.tokenBuckets(buckets, tokens);
    const fast = tokens === 'fast' ? 'fast mode ' : '';
    const waits: [number, TokenBucket, string][] = [
      [buckets.requests.waitFor(1, now), buckets.requests, 'requests per minute'],
      [input.waitFor(inputTokens, now), input, `${fast}input tokens per minute`],
      [output.waitFor(reservedOutputTokens, now), output, `${fast}output tokens per minute`],
    ];
    const [wait, bucket, what] = waits.reduce((a, b) => (b[0] > a[0] ? b : a));
    if (wait > 0) {
      return {
        retryAfterSeconds: Math.max(1, Math.ceil(wait / 1000)),
        message: `This request would exceed your organization's rate limit of ${bucket.limit} ${what} for ${model}. Please retry after the time in the retry-after header.`,
      };
    }
    buckets.requests.take(1, now);
    input.take(inputTokens, now);
    output.take(reservedOutputTokens, now);
    return undefined;
  }

  /** Gives back the part of the output reservation the reply did not use. */
  settleOutput(model: string, reservedOutputTokens: number, actualOutputTokens: number, tokens: TokenLimits = 'standard'): void {
    const refund = reservedOutputTokens - actualOutputTokens;
    if (refund > 0) this.tokenBuckets(this.bucketsFor(model), tokens)[1].give(refund, this.now());
  }

  private tokenBuckets(buckets: ModelBuckets, tokens: TokenLimits): [input: TokenBucket, output: TokenBucket] {
    return tokens === 'fast' ? [buckets.fastInput, buckets.fastOutput] : [buckets.input, buckets.output];
  }

  admitCountTokens(model: string): RateLimitDenial | undefined {
    const bucket = this.bucketsFor(model).countTokensRequests;
    const now = this.now();
    const wait = bucket.waitFor(1, now);
    if (wait > 0) {
      return {
        retryAfterSeconds: Math.max(1, Math.ceil(wait / 1000)),
        message: `This request would exceed your organization's rate limit of ${bucket.limit} token counting requests per minute. Please retry after the time in the retry-after header.`,
      };
    }
    bucket.take(1, now);
    return undefined;
  }

  /**
   * The anthropic-ratelimit-* headers for a model's buckets as they stand now; a fast-mode
   * request's response carries the anthropic-fast-* headers of the fast buckets as well.
   */
  headers(model: string, scope: RateLimitScope, tokens: TokenLimits = 'standard'): Record<string, string> {
    const buckets = this.bucketsFor(model);
    const now = this.now();
    const iso = (t: number): string => new Date(Math.ceil(t / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const requests = scope === 'count_tokens' ? buckets.countTokensRequests : buckets.requests;
    const inputRemaining = buckets.input.remaining(now);
    const outputRemaining = buckets.output.remaining(now);
    return {
      'anthropic-ratelimit-requests-limit': String(requests.limit),
      'anthropic-ratelimit-requests-remaining': String(requests.remaining(now)),
      'anthropic-ratelimit-requests-reset': iso(requests.resetAt(now)),
      // The combined token limit; its remaining figure is rounded to the nearest thousand (sheet §5).
      'anthropic-ratelimit-tokens-limit': String(buckets.input.limit + buckets.output.limit),
      'anthropic-ratelimit-tokens-remaining': String(Math.round((inputRemaining + outputRemaining) / 1000) * 1000),
      'anthropic-ratelimit-tokens-reset': iso(Math.max(buckets.input.resetAt(now), buckets.output.resetAt(now))),
      'anthropic-ratelimit-input-tokens-limit': String(buckets.input.limit),
      'anthropic-ratelimit-input-tokens-remaining': String(inputRemaining),
      'anthropic-ratelimit-input-tokens-reset': iso(buckets.input.resetAt(now)),
      'anthropic-ratelimit-output-tokens-limit': String(buckets.output.limit),
      'anthropic-ratelimit-output-tokens-remaining': String(outputRemaining),
      'anthropic-ratelimit-output-tokens-reset': iso(buckets.output.resetAt(now)),
      ...(tokens === 'fast'
        ? {
            'anthropic-fast-input-tokens-limit': String(buckets.fastInput.limit),
            'anthropic-fast-input-tokens-remaining': String(buckets.fastInput.remaining(now)),
            'anthropic-fast-input-tokens-reset': iso(buckets.fastInput.resetAt(now)),
            'anthropic-fast-output-tokens-limit': String(buckets.fastOutput.limit),
            'anthropic-fast-output-tokens-remaining': String(buckets.fastOutput.remaining(now)),
            'anthropic-fast-output-tokens-reset': iso(buckets.fastOutput.resetAt(now)),
          }
        : {}),
    };
  }
}
