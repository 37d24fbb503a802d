// Prompt caching (sheet §8): a byte-exact prefix cache keyed on the segments before each
// cache_control breakpoint, with a 5-minute or 1-hour TTL refreshed on every hit, a 20-block
// lookback for entries written by earlier requests, and a minimum cacheable prefix.
import { createHash, type Hash } from 'node:crypto';
import type { CacheTtl, PromptSegment } from './tokenizer';

const TTL_MS: Record<CacheTtl, number> = { '5m': 5 * 60_000, '1h': 60 * 60_000 };
const LOOKBACK_BLOCKS = 20;

/** How a request's input tokens split between uncached, cache writes and cache reads. */
export interface CacheOutcome {
  inputTokens: number;
  cacheReadTokens: number;
  cacheWrite5mTokens: number;
  cacheWrite1hTokens: number;
  /** Applies the writes and the TTL refresh; the server calls it once the request is accepted. */
  commit(): void;
}

interface Entry {
  expiresAt: number;
  ttl: CacheTtl;
}

export class PromptCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly now: () => number,
    /** Prefixes shorter than this are not cached; no error, the write is just 0 (sheet §8). */
    private readonly minCacheableTokens: () => number,
  ) {}

  clear(): void {
    this.entries.clear();
  }

  /**
   * Plans the cache use of one request. `autoBreakpoint` is the top-level `cache_control`: a breakpoint
   * on the last cacheable segment.
   */
  plan(segments: readonly PromptSegment[], autoBreakpoint?: CacheTtl): CacheOutcome {
    const breakpoints: { index: number; ttl: CacheTtl }[] = [];
    segments.forEach((segment, index) => {
      if (segment.cacheTtl) breakpoints.push({ index, ttl: segment.cacheTtl });
    });
    if (autoBreakpoint && segments.length > 0) {
      const last = segments.length - 1;
      if (!breakpoints.some((b) => b.index === last)) breakpoints.push({ index: last, ttl: autoBreakpoint });
    }

    const total = segments.reduce((sum, s) => sum + s.tokens, 0);
    const prefixTokens: number[] = [];
    let running = 0;
    for (const segment of segments) prefixTokens.push((running += segment.tokens));

    // Digest of the prefix ending at each position that a breakpoint or its lookback can reach.
    const wanted = new Set<number>();
    for (const { index } of breakpoints) for (let i = index; i >= 0 && i > index - LOOKBACK_BLOCKS; i--) wanted.add(i);
    const digests = new Map<number, string>();
    const hash: Hash = createHash('sha256');
    segments.forEach((segment, index) => {
      hash.update(segment.key);
      hash.update('\u0000');
      if (wanted.has(index)) digests.set(index, hash.copy().digest('hex'));
    });

    const now = this.now();
    const minimum = this.minCacheableTokens();
    const live = (digest: string | undefined): Entry | undefined => {
      const entry = digest === undefined ? undefined : this.entries.get(digest);
      return entry && entry.expiresAt > now ? entry : undefined;
    };

    // The longest cached prefix any breakpoint can see (itself or up to 20 blocks back).
    let readIndex = -1;
    for (const { index } of breakpoints) {
      for (let i = index; i >= 0 && i > index - LOOKBACK_BLOCKS; i--) {
        if (i > readIndex && live(digests.get(i))) {
          readIndex = i;
          break;
        }
      }
    }
    const cacheReadTokens = readIndex >= 0 ? (prefixTokens[readIndex] ?? 0) : 0;

    // Writes: every breakpoint beyond the read point whose prefix is long enough. The tokens between
    // two written breakpoints take the TTL of the later one.
    const writes = breakpoints.filter((b) => b.index > readIndex && (prefixTokens[b.index] ?? 0) >= minimum);
    let cacheWrite5mTokens = 0;
    let cacheWrite1hTokens = 0;
    let written = cacheReadTokens;
    for (const { index, ttl } of writes) {
      const upTo = prefixTokens[index] ?? 0;
      if (upTo <= written) continue;
      if (ttl === '1h') cacheWrite1hTokens += upTo - written;
      else cacheWrite5mTokens += upTo - written;
      written = upTo;
    }

    return {
      inputTokens: total - cacheReadTokens - cacheWrite5mTokens - cacheWrite1hTokens,
      cacheReadTokens,
      cacheWrite5mTokens,
      cacheWrite1hTokens,
      commit: () => {
        const at = this.now();
        if (readIndex >= 0) {
          const digest = digests.get(readIndex);
          const entry = live(digest);
          if (digest !== undefined && entry) entry.expiresAt = at + TTL_MS[entry.ttl];
        }
        for (const { index, ttl } of writes) {
          const digest = digests.get(index);
          if (digest !== undefined) this.entries.set(digest, { ttl, expiresAt: at + TTL_MS[ttl] });
        }
      },
    };
  }
}
