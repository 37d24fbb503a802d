// The chunker's measure: the offline estimate for placing cuts, and count_tokens (the API's own
// count, never a local tokenizer) to check each one, paced to the counting rate limit. count_tokens
// has a requests-per-minute limit of its own (../shared/anthropic-api.md §5): the chunker counts one
// chunk at a time, waits when the last response said no request is left in the window, and waits out
// `retry-after` on a 429 before counting the same text again.
import type { MessageCountTokensParams } from '@anthropic-ai/sdk/resources/messages';
import { responseHeader } from '../api/responseHeaders';
import { retryAfterMs } from '../api/retryAfter';
import { textTokens, tokenizerFactor } from '../counting/tokenEstimate';
import { realClock, type SchedulerClock } from '../scheduler/rateLimitScheduler';
import type { ChunkCounter } from './chunker';

/** One count_tokens call (the SDK's retries off): the input tokens and the response headers. */
export type CountTokensCall = (params: MessageCountTokensParams, signal: AbortSignal | undefined) => Promise<{ inputTokens: number; headers?: unknown }>;

export interface CountingPaceOptions {
  clock?: SchedulerClock;
  /** Attempts for one count answered 429, 529 or 5xx. Default 8. */
  maxAttempts?: number;
  /** First backoff without a retry-after, doubled per attempt. Default 1000 ms. */
  baseBackoffMs?: number;
  /** Each response's headers (the spend ledger counts counting calls). */
  onHeaders?: (headers: unknown) => void;
}

export interface CountingTally {
  /** count_tokens requests sent, retries included. */
  requests: number;
  /** Of which answered 429. */
  rateLimited: number;
  /** Time spent waiting for the counting limit, in the clock's ms. */
  waitedMs: number;
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' ? status : undefined;
}

/** Sends count_tokens calls one at a time within the counting rate limit. */
export class PacedCounting {
  readonly tally: CountingTally = { requests: 0, rateLimited: 0, waitedMs: 0 };
  private readonly clock: SchedulerClock;
  /** No request before this time (the window ran out, or a 429 asked to wait). */
  private notBefore = 0;

  constructor(
    private readonly call: CountTokensCall,
    private readonly options: CountingPaceOptions = {},
  ) {
    this.clock = options.clock ?? realClock;
  }

  async count(params: MessageCountTokensParams, signal?: AbortSignal): Promise<number> {
    const maxAttempts = this.options.maxAttempts ?? 8;
    const base = this.options.baseBackoffMs ?? 1_000;
    for (let attempt = 1; ; attempt++) {
      const wait = this.notBefore - this.clock.now();
      if (wait > 0) {
        this.tally.waitedMs += wait;
        await this.clock.sleep(wait, signal);
      }
      signal?.throwIfAborted();
      this.tally.requests++;
      try {
        const { inputTokens, headers } = await this.call(params, signal);
        this.observe(headers);
        return inputTokens;
      } catch (error) {
        const status = statusOf(error);
        const retryable = status === 429 || status === 529 || status === 408 || (status !== undefined && status >= 500);
        if (!retryable || attempt >= maxAttempts || signal?.aborted) throw error;
        if (status === 429) this.tally.rateLimited++;
        const headers = (error as { headers?: unknown }).headers;
        const asked = retryAfterMs(headers, this.clock.now());
        this.notBefore = this.clock.now() + (asked ?? Math.min(60_000, base * 2 ** (attempt - 1)));
      }
    }
  }

  /** A response that leaves no request in the window means waiting for its reset before the next one. */
  private observe(headers: unknown): void {
    if (headers === undefined) return;
    this.options.onHeaders?.(headers);
    const remaining = Number(responseHeader(headers, 'anthropic-ratelimit-requests-remaining'));
    const reset = Date.parse(responseHeader(headers, 'anthropic-ratelimit-requests-reset') ?? '');
    // The reset is a wall-clock time; an accelerated test clock reads it against its own now.
    if (Number.isFinite(remaining) && remaining <= 0 && Number.isFinite(reset)) this.notBefore = Math.max(this.notBefore, reset);
  }
}

export interface RequestChunkCounterOptions {
  model: string;
  /** The count_tokens body with a chunk's text where the chunked variable stands. */
  paramsFor(text: string): MessageCountTokensParams;
  /** The request's tokens without the chunk (subtracted, so a chunk's size is its own). */
  overheadTokens: number;
  counting: PacedCounting;
}

/**
 * A ChunkCounter for a request: the estimate is the offline one (textTokens, scaled for the
 * model's tokenizer generation), the count is count_tokens on the whole request less its overhead.
 */
export function requestChunkCounter(options: RequestChunkCounterOptions): ChunkCounter {
  const factor = tokenizerFactor(options.model);
  return {
    estimate: (text) => textTokens(text) * factor,
    count: async (text, signal) => Math.max(0, (await options.counting.count(options.paramsFor(text), signal)) - options.overheadTokens),
  };
}

/**
 * The tokens a request costs without the chunk: counted with the chunked variable empty. When the
 * API refuses that (the variable was a message's whole text, and empty text is rejected), it is
 * counted with a one-letter stand-in and that letter's estimate taken off.
 */
export async function countOverhead(counting: PacedCounting, paramsFor: (text: string) => MessageCountTokensParams, signal?: AbortSignal): Promise<number> {
  try {
    return await counting.count(paramsFor(''), signal);
  } catch (error) {
    if (statusOf(error) !== 400) throw error;
    return Math.max(0, (await counting.count(paramsFor('x'), signal)) - 1);
  }
}

export interface ChunkTargetInput {
  contextWindow: number;
  /** The prompt's own tokens without the chunk (counted). */
  overheadTokens: number;
  maxTokens: number;
  /** Share of the context window kept free, 0..1 (the setting, 10% by default). */
  headroom: number;
}

/** The default chunk target: the context window less the prompt's overhead, max_tokens and the headroom. */
export function defaultChunkTarget(input: ChunkTargetInput): number {
  return Math.floor(input.contextWindow - input.overheadTokens - input.maxTokens - input.contextWindow * input.headroom);
}
