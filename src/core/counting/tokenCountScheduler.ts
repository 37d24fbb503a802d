// Decides when to ask the API for an exact token count while the user types: after edits pause,
// once per distinct input (cached by inputRelevantKey, which includes the model and the betas), aborting a count
// a newer edit has made stale, and backing off when count_tokens is rate limited (it has its own
// limit, ../shared/anthropic-api.md §5, §10). Until an exact count is known the state carries the
// offline estimate and the reason. The count function is injected, so this file never loads the SDK.
import type { MessageCountTokensParams } from '@anthropic-ai/sdk/resources/messages';
import { isNoApiKeyError } from '../api/noApiKeyError';
import { retryAfterMs } from '../api/retryAfter';
import { countTokensParams, estimateInputTokens, inputRelevantKey, type CountableRequest } from './tokenEstimate';

/** Asks the API for the input tokens of a count_tokens body, with the prompt's betas. Should reject when the signal aborts. */
export type CountTokensFn = (params: MessageCountTokensParams, signal: AbortSignal, betas: readonly string[]) => Promise<number>;

/** Why the shown count is an estimate; the feature module can offer an action for some causes. */
export type EstimateCause =
  /** The edit is waiting for the pause, or the count is in flight. */
  | 'pending'
  | 'no-key'
  | 'auth'
  | 'rate-limited'
  | 'unavailable'
  | 'network'
  /** The API rejected the request (400, 404...); it is not retried until the input changes. */
  | 'rejected'
  /** Counting is held (Restricted Mode): nothing is sent until it is released. */
  | 'held';

export type TokenCountState =
  | { kind: 'exact'; inputTokens: number; model: string }
  | { kind: 'estimate'; inputTokens: number; model: string; cause: EstimateCause; reason: string; retryInMs?: number };

export interface TokenCountSchedulerOptions {
  count: CountTokensFn;
  /** Pause after the last edit before counting (the count-delay setting). Default 400 ms. */
  delayMs?: number;
  /** Offline estimate; default estimateInputTokens. */
  estimate?: (request: CountableRequest) => number;
  /** Exact counts remembered (least recently used dropped first). Default 200. */
  cacheSize?: number;
  /** First backoff after a rate limit or failure without retry-after. Default 1 s, doubling. */
  initialBackoffMs?: number;
  /** Longest backoff. Default 60 s. */
  maxBackoffMs?: number;
}

/** A small LRU map from inputRelevantKey to the exact input token count. */
export class TokenCountCache {
  private readonly entries = new Map<string, number>();
  constructor(private readonly capacity = 200) {}

  get(key: string): number | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      // Re-insert so the Map's insertion order is the recency order.
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: number): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}

// ---------------------------------------------------------------------------------------------
// Error classification (structural: the SDK's classes are not loaded here)

export type CountFailure =
  | { kind: 'aborted' }
  | { kind: 'no-key' }
  | { kind: 'auth'; status: number }
  | { kind: 'rate-limited'; retryAfterMs?: number }
  | { kind: 'unavailable'; status: number; retryAfterMs?: number }
  | { kind: 'network'; detail: string }
  | { kind: 'rejected'; status?: number; message: string };

type ErrorLike = {
  name?: unknown;
  status?: unknown;
  headers?: unknown;
  code?: unknown;
  cause?: unknown;
  message?: unknown;
  apiMessage?: unknown;
};

const networkCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET']);

/** Sorts a count_tokens failure by what to do about it, from its shape (status, name, headers, code). */
export function classifyCountError(error: unknown): CountFailure {
  const e: ErrorLike = typeof error === 'object' && error !== null ? (error as ErrorLike) : {};
  const name = typeof e.name === 'string' ? e.name : '';
  if (name === 'AbortError' || name === 'APIUserAbortError') return { kind: 'aborted' };
  if (isNoApiKeyError(error)) return { kind: 'no-key' };
  const status = typeof e.status === 'number' ? e.status : undefined;
  if (status === 401 || status === 403) return { kind: 'auth', status };
  if (status === 429) return { kind: 'rate-limited', retryAfterMs: retryAfterMs(e.headers) };
  if (status !== undefined && (status >= 500 || status === 408)) return { kind: 'unavailable', status, retryAfterMs: retryAfterMs(e.headers) };
  if (status === undefined) {
    const cause = typeof e.cause === 'object' && e.cause !== null ? (e.cause as ErrorLike) : {};
    const code = typeof e.code === 'string' ? e.code : typeof cause.code === 'string' ? cause.code : '';
    if (name === 'APIConnectionError' || name === 'APIConnectionTimeoutError' || networkCodes.has(code) || (name === 'TypeError' && e.message === 'fetch failed')) {
      return { kind: 'network', detail: code || name };
    }
  }
  const apiMessage = typeof e.apiMessage === 'string' ? e.apiMessage : undefined;
  const message = apiMessage ?? (typeof e.message === 'string' ? e.message : String(error));
  return { kind: 'rejected', status, message: message.length > 160 ? `${message.slice(0, 157)}...` : message };
}

/** Why a count failed, in the words the status bar and the cost details show (backoffs add "retrying in Ns"). */
export function explainCountFailure(failure: Exclude<CountFailure, { kind: 'aborted' }>): { cause: EstimateCause; reason: string } {
  switch (failure.kind) {
    case 'no-key':
      return { cause: 'no-key', reason: 'no API key' };
    case 'auth':
      return { cause: 'auth', reason: `authentication failed (${failure.status})` };
    case 'rejected':
      return { cause: 'rejected', reason: `count failed${failure.status ? ` (${failure.status})` : ''}: ${failure.message}` };
    case 'rate-limited':
      return { cause: 'rate-limited', reason: 'rate limited' };
    case 'unavailable':
      return { cause: 'unavailable', reason: `count service unavailable (${failure.status})` };
    case 'network':
      return { cause: 'network', reason: 'network unavailable' };
  }
}

// ---------------------------------------------------------------------------------------------
// The scheduler

interface Pending {
  request: CountableRequest;
  betas: readonly string[];
  key: string;
  model: string;
  rawEstimate: number;
}

interface InFlight {
  key: string;
  controller: AbortController;
  generation: number;
}

/**
 * Debounces, caches and aborts exact token counts behind the status bar. Call `request` on every
 * edit; read `state` or listen with `onDidUpdate`. Uses the global timers, so fake timers drive it.
 */
export class TokenCountScheduler {
  private readonly count: CountTokensFn;
  private delayMs: number;
  private readonly estimate: (request: CountableRequest) => number;
  private readonly cache: TokenCountCache;
  private readonly cacheSize: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;

  private latest: Pending | undefined;
  private current: TokenCountState | undefined;
  private readonly listeners = new Set<(state: TokenCountState) => void>();
  private debounce: ReturnType<typeof setTimeout> | undefined;
  private inFlight: InFlight | undefined;
  private generation = 0;
  /** Set after 401/403 or a missing key: nothing is sent until credentialsChanged(). */
  private blocked: { cause: 'no-key' | 'auth'; reason: string } | undefined;
  private backoff: { until: number; timer: ReturnType<typeof setTimeout>; cause: 'rate-limited' | 'unavailable' | 'network'; label: string } | undefined;
  private backoffAttempts = 0;
  /** Why counting is held (Restricted Mode); while set, nothing at all is sent. */
  private heldReason: string | undefined;
  /** Inputs the API rejected (400/404...), so an unchanged invalid request is not sent again. */
  private readonly rejected = new Map<string, string>();
  /** Exact / estimate from the last exact count per model, applied to later estimates. */
  private readonly calibration = new Map<string, number>();
  private disposed = false;

  constructor(options: TokenCountSchedulerOptions) {
    this.count = options.count;
    this.delayMs = options.delayMs ?? 400;
    this.estimate = options.estimate ?? estimateInputTokens;
    this.cacheSize = options.cacheSize ?? 200;
    this.cache = new TokenCountCache(this.cacheSize);
    this.initialBackoffMs = options.initialBackoffMs ?? 1_000;
    this.maxBackoffMs = options.maxBackoffMs ?? 60_000;
  }

  /** The latest state, or undefined before the first request. */
  get state(): TokenCountState | undefined {
    return this.current;
  }

  onDidUpdate(listener: (state: TokenCountState) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => void this.listeners.delete(listener) };
  }

  /** Changes the pause before counting (the setting changed); applies from the next edit. */
  setDelay(delayMs: number): void {
    this.delayMs = delayMs;
  }

  /** The key was set or changed: count again after a missing-key or authentication failure. */
  credentialsChanged(): void {
    // A count in flight was sent (or is still looking for a key) with the old credentials: its
    // failure says nothing about the new ones, so it must not block them.
    this.abortInFlight();
    this.blocked = undefined;
    this.rejected.clear();
    this.clearBackoff();
    this.backoffAttempts = 0;
    if (this.latest) this.route(this.latest, true);
  }

  /**
   * Holds counting (the workspace is not trusted): from now on only the estimate is shown, with
   * `reason`, and no count is sent, whatever the key does. `release()` counts the latest at once.
   */
  hold(reason: string): void {
    this.heldReason = reason;
    this.clearDebounce();
    this.abortInFlight();
    if (this.latest) this.route(this.latest, false);
  }

  release(): void {
    if (this.heldReason === undefined) return;
    this.heldReason = undefined;
    if (this.latest) this.route(this.latest, true);
  }

  /** Called on every edit with the resolved request and the prompt's betas. Publishes the new state synchronously. */
  request(request: CountableRequest, betas: readonly string[] = []): void {
    if (this.disposed) return;
    const pending: Pending = { request, betas, key: inputRelevantKey(request, betas), model: String(request.model), rawEstimate: this.estimate(request) };
    this.latest = pending;
    this.route(pending, false);
  }

  /** Shows what is known for `pending` and, if it needs counting, counts it after the pause (or now). */
  private route(pending: Pending, immediate: boolean): void {
    this.clearDebounce();
    if (this.heldReason !== undefined) {
      this.abortInFlight();
      this.publishEstimate(pending, 'held', this.heldReason);
      return;
    }
    const exact = this.cache.get(pending.key);
    if (exact !== undefined) {
      this.abortInFlight();
      this.publish({ kind: 'exact', inputTokens: exact, model: pending.model });
      return;
    }
    const rejection = this.rejected.get(pending.key);
    if (rejection !== undefined) {
      this.abortInFlight();
      this.publishEstimate(pending, 'rejected', rejection);
      return;
    }
    if (this.blocked) {
      this.abortInFlight();
      this.publishEstimate(pending, this.blocked.cause, this.blocked.reason);
      return;
    }
    if (this.backoff) {
      // The backoff timer counts whatever is latest when it fires; edits meanwhile send nothing.
      this.abortInFlight();
      this.publishBackoff(pending);
      return;
    }
    this.publishEstimate(pending, 'pending', 'counting');
    // The same input is already being counted (e.g. an edit that was undone): let it finish.
    if (this.inFlight?.key === pending.key) return;
    this.abortInFlight();
    if (immediate) {
      void this.send();
      return;
    }
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      void this.send();
    }, this.delayMs);
  }

  dispose(): void {
    this.disposed = true;
    this.clearDebounce();
    this.clearBackoff();
    this.abortInFlight();
    this.listeners.clear();
  }

  private async send(): Promise<void> {
    const pending = this.latest;
    if (!pending || this.disposed || this.heldReason !== undefined) return;
    const cached = this.cache.get(pending.key);
    if (cached !== undefined) {
      this.publish({ kind: 'exact', inputTokens: cached, model: pending.model });
      return;
    }
    const flight: InFlight = { key: pending.key, controller: new AbortController(), generation: ++this.generation };
    this.inFlight = flight;
    let tokens: number;
    try {
      tokens = await this.count(countTokensParams(pending.request), flight.controller.signal, pending.betas);
    } catch (error) {
      if (this.inFlight === flight) this.inFlight = undefined;
      if (flight.controller.signal.aborted || this.disposed) return;
      this.fail(pending, classifyCountError(error));
      return;
    }
    if (this.inFlight === flight) this.inFlight = undefined;
    if (this.disposed) return;
    if (!Number.isInteger(tokens) || tokens < 0) {
      if (!flight.controller.signal.aborted) this.fail(pending, { kind: 'rejected', message: `the count was ${String(tokens)}, not a number of tokens` });
      return;
    }
    // A reply that lost the race is still the right count for its own input, so keep it; but only
    // the reply to the newest request may change what is shown.
    this.cache.set(flight.key, tokens);
    if (pending.rawEstimate > 0) this.calibration.set(pending.model, tokens / pending.rawEstimate);
    this.backoffAttempts = 0;
    if (flight.controller.signal.aborted || flight.generation !== this.generation || this.latest?.key !== flight.key) return;
    this.publish({ kind: 'exact', inputTokens: tokens, model: pending.model });
  }

  private fail(pending: Pending, failure: CountFailure): void {
    if (failure.kind === 'aborted') return;
    const isLatest = this.latest?.key === pending.key;
    const { reason } = explainCountFailure(failure);
    switch (failure.kind) {
      case 'no-key':
      case 'auth':
        this.blocked = { cause: failure.kind, reason };
        break;
      case 'rejected':
        this.rejected.set(pending.key, reason);
        // Bounded like the cache: drop the oldest rejection.
        if (this.rejected.size > this.cacheSize) this.rejected.delete(this.rejected.keys().next().value as string);
        break;
      case 'rate-limited':
      case 'unavailable':
        this.startBackoff(failure.kind, reason, failure.retryAfterMs);
        break;
      case 'network':
        this.startBackoff('network', reason, undefined);
        break;
    }
    if (isLatest && this.latest) this.route(this.latest, false);
  }

  private startBackoff(cause: 'rate-limited' | 'unavailable' | 'network', label: string, retryAfter: number | undefined): void {
    this.clearBackoff();
    this.backoffAttempts++;
    const exponential = Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** (this.backoffAttempts - 1));
    // retry-after is honoured as given (retrying earlier fails, §4.4), capped at ten minutes.
    const delay = retryAfter !== undefined ? Math.min(retryAfter, 600_000) : exponential;
    const timer = setTimeout(() => {
      this.backoff = undefined;
      // No second pause: the user has already waited.
      if (this.latest && !this.disposed) this.route(this.latest, true);
    }, delay);
    this.backoff = { until: Date.now() + delay, timer, cause, label };
  }

  private publishBackoff(pending: Pending): void {
    const backoff = this.backoff;
    if (!backoff) return;
    const retryInMs = Math.max(0, backoff.until - Date.now());
    const seconds = Math.max(1, Math.ceil(retryInMs / 1000));
    this.publishEstimate(pending, backoff.cause, `${backoff.label}, retrying in ${seconds}s`, retryInMs);
  }

  private publishEstimate(pending: Pending, cause: EstimateCause, reason: string, retryInMs?: number): void {
    const ratio = this.calibration.get(pending.model) ?? 1;
    const state: TokenCountState = { kind: 'estimate', inputTokens: Math.round(pending.rawEstimate * ratio), model: pending.model, cause, reason };
    if (retryInMs !== undefined) state.retryInMs = retryInMs;
    this.publish(state);
  }

  private publish(state: TokenCountState): void {
    this.current = state;
    for (const listener of [...this.listeners]) listener(state);
  }

  private abortInFlight(): void {
    if (!this.inFlight) return;
    this.inFlight.controller.abort();
    this.inFlight = undefined;
  }

  private clearDebounce(): void {
    if (this.debounce === undefined) return;
    clearTimeout(this.debounce);
    this.debounce = undefined;
  }

  private clearBackoff(): void {
    if (!this.backoff) return;
    clearTimeout(this.backoff.timer);
    this.backoff = undefined;
  }
}
