// The rate limits in force, read from the `anthropic-ratelimit-*` headers of the user's own calls
// (fact sheet §5). Per-tier numbers for current models are unverified, so nothing here is a
// hard-coded limit: every figure shown comes from a response.
import { responseHeader } from '../api/responseHeaders';
import { formatCount } from '../format';
import { escapeMarkdown } from '../pricing/costReport';

/** The usage tiers the fact sheet names (§5); the API does not say which one an organization is on. */
export const USAGE_TIER_NAMES = ['Evaluation', 'Start', 'Build', 'Scale', 'Custom'] as const;

export interface RateLimitBucket {
  limit: number;
  remaining: number;
  /** ISO time the bucket is full again. */
  reset?: string;
}

/** One response's limits. */
export interface RateLimitSnapshot {
  /** The model family the limits apply to, e.g. `opus` (limits are per model class). */
  family: string;
  /** The model of the call that reported them. */
  model: string;
  /** When the response was received (ISO). */
  seenAt: string;
  requests?: RateLimitBucket;
  /** The most restrictive token limit in effect (remaining rounded to the nearest thousand). */
  tokens?: RateLimitBucket;
  inputTokens?: RateLimitBucket;
  outputTokens?: RateLimitBucket;
  /** Fast mode's own limits, when the call used fast mode. */
  fastInputTokens?: RateLimitBucket;
  fastOutputTokens?: RateLimitBucket;
}

const buckets = {
  requests: 'anthropic-ratelimit-requests',
  tokens: 'anthropic-ratelimit-tokens',
  inputTokens: 'anthropic-ratelimit-input-tokens',
  outputTokens: 'anthropic-ratelimit-output-tokens',
  fastInputTokens: 'anthropic-fast-input-tokens',
  fastOutputTokens: 'anthropic-fast-output-tokens',
} as const;

/** A snapshot's bucket fields, in the order the headers are read. */
export const RATE_LIMIT_BUCKET_FIELDS = Object.keys(buckets) as (keyof typeof buckets)[];

/** The family of a model id: `claude-opus-5-5` → `opus`, `claude-haiku-4-5-20251001` → `haiku`. */
export function modelFamily(model: string): string {
  const name = model.replace(/^claude-/, '').split('-').find((part) => /^[a-z]+$/.test(part));
  return name ?? model;
}

function bucket(headers: unknown, prefix: string): RateLimitBucket | undefined {
  const limit = Number(responseHeader(headers, `${prefix}-limit`));
  const remaining = Number(responseHeader(headers, `${prefix}-remaining`));
  if (!Number.isFinite(limit) || !Number.isFinite(remaining) || responseHeader(headers, `${prefix}-limit`) === undefined) return undefined;
  const reset = responseHeader(headers, `${prefix}-reset`);
  const parsed = reset !== undefined ? Date.parse(reset) : NaN;
  return { limit, remaining, ...(Number.isNaN(parsed) ? {} : { reset: new Date(parsed).toISOString() }) };
}

/** The limits a response (or an error's headers) reports; undefined when it carries none. */
export function readRateLimits(headers: unknown, model: string, now = Date.now()): RateLimitSnapshot | undefined {
  const snapshot: RateLimitSnapshot = { family: modelFamily(model), model, seenAt: new Date(now).toISOString() };
  let any = false;
  for (const [field, prefix] of Object.entries(buckets) as [keyof typeof buckets, string][]) {
    const found = bucket(headers, prefix);
    if (found) {
      snapshot[field] = found;
      any = true;
    }
  }
  return any ? snapshot : undefined;
}

/** The latest limits seen per model family. */
export class RateLimitBoard {
  private readonly latest = new Map<string, RateLimitSnapshot>();
  private readonly listeners = new Set<(snapshot: RateLimitSnapshot) => void>();

  observe(headers: unknown, model: string, now = Date.now()): RateLimitSnapshot | undefined {
    const snapshot = readRateLimits(headers, model, now);
    if (!snapshot) return undefined;
    this.latest.set(snapshot.family, snapshot);
    for (const listener of this.listeners) listener(snapshot);
    return snapshot;
  }

  forModel(model: string): RateLimitSnapshot | undefined {
    return this.latest.get(modelFamily(model));
  }

  /**
   * Takes the limits an earlier window saw (see rateLimitStore), for the families this window has
   * not seen yet: a dataset plan can then estimate its time before the first response. A bucket
   * refills fully within a minute, so an older snapshot's buckets are full and have no reset time.
   */
  restore(snapshots: readonly RateLimitSnapshot[], now = Date.now()): void {
    for (const snapshot of snapshots) {
      if (this.latest.has(snapshot.family)) continue;
      const stale = now - Date.parse(snapshot.seenAt) >= 60_000;
      const restored: RateLimitSnapshot = { family: snapshot.family, model: snapshot.model, seenAt: snapshot.seenAt };
      for (const field of RATE_LIMIT_BUCKET_FIELDS) {
        const b = snapshot[field];
        if (b) restored[field] = stale ? { limit: b.limit, remaining: b.limit } : b;
      }
      this.latest.set(snapshot.family, restored);
    }
  }

  all(): RateLimitSnapshot[] {
    return [...this.latest.values()].sort((a, b) => a.family.localeCompare(b.family));
  }

  onDidObserve(listener: (snapshot: RateLimitSnapshot) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }
}

const whole = (n: number): string => formatCount(Math.round(n));

function describeBucket(name: string, b: RateLimitBucket | undefined, now: number): string | undefined {
  if (!b) return undefined;
  const resetIn = b.reset ? Math.max(0, Math.ceil((Date.parse(b.reset) - now) / 1000)) : undefined;
  return `| ${name} | ${whole(b.limit)} | ${whole(b.remaining)} | ${resetIn === undefined ? '—' : resetIn === 0 ? 'now' : `${resetIn} s`} |`;
}

/** A Markdown table of one family's limits, for the cost details. */
export function rateLimitMarkdown(snapshot: RateLimitSnapshot | undefined, now = Date.now()): string {
  const tiers = USAGE_TIER_NAMES.join(', ');
  if (!snapshot) {
    return `No rate limits seen yet for this model family: they are read from the \`anthropic-ratelimit-*\` headers of your own calls, after the first run. Usage tiers: ${tiers}.`;
  }
  const rows = [
    describeBucket('Requests per minute', snapshot.requests, now),
    describeBucket('Input tokens per minute', snapshot.inputTokens, now),
    describeBucket('Output tokens per minute', snapshot.outputTokens, now),
    describeBucket('Tokens per minute (most restrictive)', snapshot.tokens, now),
    describeBucket('Fast mode input tokens per minute', snapshot.fastInputTokens, now),
    describeBucket('Fast mode output tokens per minute', snapshot.fastOutputTokens, now),
  ].filter((row): row is string => row !== undefined);
  return [
    `Limits for the **${escapeMarkdown(snapshot.family)}** family, from the response headers of your call at ${snapshot.seenAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}:`,
    '',
    '| limit | per minute | remaining | full again in |',
    '| --- | ---: | ---: | ---: |',
    ...rows,
    '',
    `Your organization's usage tier (${tiers}) sets these; the API reports the limits, not the tier name.`,
  ].join('\n');
}
