// The cache advisor: from a prompt's layout (cacheLayout.ts), the prefix that stays the same from
// one run (or dataset row) to the next, whether it is long enough to cache on the model, where a
// cache_control breakpoint would go, what it saves, and the breakpoints that cannot work.
//
// What varies: a {{variable}} the prompt does not supply itself (asked at each run, or bound to a
// dataset column) changes on every run or row, and a variable declared with `chunk` changes on
// every chunk whatever its file or default holds; so does every block after them, since the cache
// is a byte-exact prefix (§8). Other defaults, file variables and the values file are the same each time.
// Sizes are estimates from the source length (values substituted), at the offline estimate's
// characters per token and the model's tokenizer factor: the diagnostics say "about".
import { formatCount, formatUsd } from '../format';
import { findModel, type CacheMinimum } from '../models/modelCatalogue';
import { CHARS_PER_TOKEN, MAX_CACHE_BREAKPOINTS, tokenizerFactor } from '../counting/tokenEstimate';
import { estimateCost, type PriceEntry } from '../pricing/priceTable';
import type { PlaceholderOccurrence } from '../prompt/promptFormat';
import type { CacheLayout, CacheSegment, CacheSegments, WrittenBreakpoint } from './cacheLayout';

/** The tool-use system prompt the API adds to the prefix when tools are present (see tokenEstimate's OVERHEAD). */
const TOOL_PREAMBLE_TOKENS = 340;

export interface CacheAdviceInput {
  layout: CacheLayout;
  /** The values the prompt supplies itself (defaults, file variables, values file). */
  ownValues: Readonly<Record<string, string>>;
  /** From findPrice with the user's overrides; without it no saving is given. */
  price?: PriceEntry;
  /** Runs or rows the job figure is for (a dataset's rows); default none (per repeat run only). */
  rows?: number;
  /** Requests in flight at once: parallel identical requests all pay for a write (§8). Default 1. */
  concurrency?: number;
  /** Multiplies every estimated size, e.g. an exact count over the estimate of the same request. */
  tokenScale?: number;
}

/** What caching a prefix saves, priced with the model's rates (fast mode included). */
export interface CacheSaving {
  /** Tokens read instead of sent on each run after the first. */
  tokens: number;
  ttl: '5m' | '1h';
  /** Input price minus cache read price of the prefix, per run after the first. */
  perRepeatUsd: number;
  /** Cache write price minus input price: what the first run pays extra. */
  writePremiumUsd: number;
  /** rows × saving less the writes, when `rows` was given. */
  job?: { rows: number; writes: number; usd: number };
}

export interface CacheSuggestion {
  /** Index into layout.segments of the block to mark. */
  index: number;
  segment: CacheSegment;
  /** Estimated tokens up to and including the block. */
  prefixTokens: number;
  /** Above the lowest published minimum but below the highest: it may not be cached. */
  mayBeTooShort: boolean;
  saving?: CacheSaving;
  /** The sentence a diagnostic shows. */
  message: string;
}

export type CacheWarningCode = 'cache-prefix-too-short' | 'cache-breakpoint-never-hits';

export interface CacheWarning {
  code: CacheWarningCode;
  severity: 'warning' | 'info';
  offset: number;
  length: number;
  message: string;
}

/** An existing breakpoint: the prefix it caches and what that saves. */
export interface WrittenBreakpointAdvice {
  index: number;
  segment: CacheSegment;
  prefixTokens: number;
  /** It sits on or after a block that changes every run: it is written each time and never read. */
  neverHits: boolean;
  tooShort: boolean;
  saving?: CacheSaving;
}

export interface CacheAdvice {
  /** Blocks 0 .. stableCount-1 are the same on every run. */
  stableCount: number;
  /** The first block that changes, and the variable that changes it. */
  firstVarying?: { index: number; segment: CacheSegment; variable: string };
  /** Estimated tokens up to and including each block. */
  prefixTokens: Float64Array;
  /** Estimated tokens of the stable prefix. */
  stableTokens: number;
  minimum?: CacheMinimum;
  /** Where to add a breakpoint, when one would help and the limit allows it. */
  suggestion?: CacheSuggestion;
  breakpoints: WrittenBreakpointAdvice[];
  warnings: CacheWarning[];
}

/**
 * The variables declared with `chunk`: a chunked run sends another piece of their value in every
 * request, so whatever the prompt supplies (a file, a default) is never the same twice.
 */
export function chunkedVariables(layout: Pick<CacheLayout, 'variablesDeclared'>): Set<string> {
  const chunked = new Set<string>();
  const declared = layout.variablesDeclared;
  if (typeof declared !== 'object' || declared === null || Array.isArray(declared)) return chunked;
  for (const [name, declaration] of Object.entries(declared as Record<string, unknown>)) {
    const chunk = typeof declaration === 'object' && declaration !== null ? (declaration as { chunk?: unknown }).chunk : undefined;
    if (typeof chunk === 'object' && chunk !== null && !Array.isArray(chunk)) chunked.add(name);
  }
  return chunked;
}

/**
 * What the advisor needs the prompt's own values of: its declared variables without the chunked
 * ones (whose value varies anyway), so a chunked file, however large, is never read for advice.
 */
export function ownValuesSource(layout: Pick<CacheLayout, 'variablesDeclared' | 'valuesFile'>): { variables?: Record<string, unknown>; valuesFile?: string } {
  const declared = layout.variablesDeclared;
  const chunked = chunkedVariables(layout);
  const variables = typeof declared === 'object' && declared !== null && !Array.isArray(declared) ? Object.fromEntries(Object.entries(declared as Record<string, unknown>).filter(([name]) => !chunked.has(name))) : undefined;
  return { ...(variables ? { variables } : {}), ...(layout.valuesFile !== undefined ? { valuesFile: layout.valuesFile } : {}) };
}

/** Which variables change from run to run (or row to row, or chunk to chunk). */
export function varyingVariables(layout: CacheLayout, ownValues: Readonly<Record<string, string>>): (name: string) => boolean {
  const mapped = new Set(layout.dataset?.mapped ?? []);
  const chunked = chunkedVariables(layout);
  return (name) => mapped.has(name) || chunked.has(name) || !Object.prototype.hasOwnProperty.call(ownValues, name);
}

function describeSaving(saving: CacheSaving): string {
  const job = saving.job
    ? `; ${formatUsd(saving.job.usd)} over ${formatCount(saving.job.rows)} rows after ${saving.job.writes === 1 ? 'the write' : `${formatCount(saving.job.writes)} parallel writes`}`
    : '';
  return `saves about ${formatUsd(saving.perRepeatUsd)} per repeat run within ${saving.ttl === '1h' ? 'an hour' : '5 minutes'} (the first run pays ${formatUsd(saving.writePremiumUsd)} more to write it)${job}`;
}

function partsOf(segments: CacheSegments, upTo: number): string {
  const parts: string[] = [];
  for (let i = 0; i <= upTo; i++) {
    const part = segments.part(i);
    if (!parts.includes(part)) parts.push(part);
  }
  return parts.join(', ');
}

/** The advice for one prompt on its model. */
export function adviseCaching(input: CacheAdviceInput): CacheAdvice {
  const { layout, ownValues } = input;
  const segments = layout.segments;
  const count = segments.count;
  const placeholders = segments.placeholders;
  const varies = varyingVariables(layout, ownValues);
  const chunked = chunkedVariables(layout);
  const model = layout.model;
  const factor = (model !== undefined ? tokenizerFactor(model) : 1) * (input.tokenScale ?? 1);
  const minimum = model !== undefined ? findModel(model)?.cacheMinimum : undefined;

  // Sizes, and where the stable prefix ends. One pass over the blocks and their placeholders,
  // with a memo per variable name (a conversation repeats the same few names thousands of times).
  const prefixTokens = new Float64Array(count);
  let running = count > 0 && segments.part(0) === 'tools' ? TOOL_PREAMBLE_TOKENS * factor : 0;
  let firstVarying = -1;
  let firstVariable = '';
  const modelVaries = layout.modelVariables.some(varies);
  const extraOf = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    let chars = segments.length(i);
    for (let p = segments.firstPlaceholder(i); p < segments.endPlaceholder(i); p++) {
      const placeholder = placeholders[p] as PlaceholderOccurrence;
      let extra = extraOf.get(placeholder.name);
      if (extra === undefined) {
        const value = ownValues[placeholder.name];
        // A varying value's size is unknown: its placeholder stands for it.
        extra = varies(placeholder.name) || value === undefined ? Number.NaN : value.length;
        extraOf.set(placeholder.name, extra);
      }
      if (Number.isNaN(extra)) {
        if (firstVarying === -1) {
          firstVarying = i;
          firstVariable = placeholder.name;
        }
      } else chars += extra - placeholder.length;
    }
    running += (Math.max(0, chars) / CHARS_PER_TOKEN) * factor;
    prefixTokens[i] = Math.round(running);
  }
  const tokensAt = (i: number): number => prefixTokens[i] as number;
  const stableCount = modelVaries ? 0 : firstVarying === -1 ? count : firstVarying;
  const stableTokens = stableCount > 0 ? tokensAt(stableCount - 1) : 0;
  const firstVaryingLabel = firstVarying >= 0 ? segments.segment(firstVarying).label : undefined;
  const unit = layout.dataset ? 'row' : 'run';
  // What the first varying part changes with: a chunked variable, with every chunk.
  const firstUnit = chunked.has(firstVariable) ? 'chunk' : unit;

  const saving = (tokens: number, ttl: '5m' | '1h'): CacheSaving | undefined => {
    const price = input.price;
    if (!price || tokens <= 0) return undefined;
    const fast = layout.fast;
    const plain = estimateCost(price, { inputTokens: tokens, outputTokens: 0, fast });
    const read = estimateCost(price, { inputTokens: 0, cacheReadTokens: tokens, outputTokens: 0, fast });
    const write = estimateCost(price, { inputTokens: 0, ...(ttl === '1h' ? { cacheWrite1hTokens: tokens } : { cacheWrite5mTokens: tokens }), outputTokens: 0, fast });
    if (!plain.known || !read.known || !write.known) return undefined;
    const result: CacheSaving = { tokens, ttl, perRepeatUsd: plain.usd - read.usd, writePremiumUsd: write.usd - plain.usd };
    if (input.rows !== undefined && input.rows > 0) {
      const writes = Math.min(input.rows, Math.max(1, input.concurrency ?? 1));
      result.job = { rows: input.rows, writes, usd: (input.rows - writes) * result.perRepeatUsd - writes * result.writePremiumUsd };
    }
    return result;
  };
  const surelyTooShort = (tokens: number): boolean => minimum !== undefined && tokens < (minimum.lowest ?? minimum.tokens);
  const mayBeTooShort = (tokens: number): boolean => minimum !== undefined && !surelyTooShort(tokens) && tokens < minimum.tokens;
  const minimumWords = (m: CacheMinimum): string =>
    m.lowest !== undefined ? `${formatCount(m.lowest)} to ${formatCount(m.tokens)} tokens (${m.source})` : `${formatCount(m.tokens)} tokens (${m.source})`;

  // The breakpoints written in the file.
  const warnings: CacheWarning[] = [];
  const breakpoints: WrittenBreakpointAdvice[] = [];
  for (const index of segments.withBreakpoints()) {
    const segment = segments.segment(index);
    const marker = segment.breakpoint as WrittenBreakpoint;
    const tokens = tokensAt(index);
    const neverHits = index >= stableCount;
    const tooShort = surelyTooShort(tokens);
    const advice: WrittenBreakpointAdvice = { index, segment, prefixTokens: tokens, neverHits, tooShort };
    const s = neverHits || tooShort ? undefined : saving(tokens, marker.ttl);
    if (s) advice.saving = s;
    breakpoints.push(advice);
    if (neverHits) {
      const cause = modelVaries
        ? `the model is {{${layout.modelVariables.find(varies) ?? ''}}}, which can change every run`
        : `${firstVaryingLabel ?? 'an earlier block'} holds {{${firstVariable}}}, which changes on every ${firstUnit}`;
      warnings.push({
        code: 'cache-breakpoint-never-hits',
        severity: 'warning',
        offset: marker.offset,
        length: marker.length,
        message: `This cache breakpoint can never be read: ${cause}, so the prefix up to here differs each time and is written (at ${marker.ttl === '1h' ? '2x' : '1.25x'} the input price) without ever being read. Put the breakpoint on the last block before ${firstVaryingLabel ?? 'the variable'}.`,
      });
    } else if (tooShort && minimum) {
      warnings.push({
        code: 'cache-prefix-too-short',
        severity: 'warning',
        offset: marker.offset,
        length: marker.length,
        message: `This cache breakpoint is on a prefix of about ${formatCount(tokens)} tokens, below ${model ?? 'the model'}'s minimum cacheable length of ${minimumWords(minimum)}: it is not cached (no error, no write). Move it later, after more stable content, or remove it.`,
      });
    } else if (mayBeTooShort(tokens) && minimum) {
      warnings.push({
        code: 'cache-prefix-too-short',
        severity: 'info',
        offset: marker.offset,
        length: marker.length,
        message: `This cache breakpoint is on a prefix of about ${formatCount(tokens)} tokens; ${model ?? 'the model'}'s minimum cacheable length is ${minimumWords(minimum)}, so it may not be cached. The run's cache report shows whether it was written.`,
      });
    }
  }
  const auto = layout.automatic;
  if (auto && count > 0) {
    const last = count - 1;
    if (last >= stableCount) {
      warnings.push({
        code: 'cache-breakpoint-never-hits',
        severity: 'warning',
        offset: auto.offset,
        length: auto.length,
        message: `Automatic caching puts the breakpoint on the last block (${segments.segment(last).label}), after ${firstVaryingLabel ? `{{${firstVariable}}} in ${firstVaryingLabel}` : 'a part'} that changes on every ${firstUnit}: it is written each time and never read across runs. Put an explicit breakpoint on the last block before it instead.`,
      });
    } else if (surelyTooShort(tokensAt(last)) && minimum) {
      warnings.push({
        code: 'cache-prefix-too-short',
        severity: 'warning',
        offset: auto.offset,
        length: auto.length,
        message: `Automatic caching would cache the whole prompt, about ${formatCount(tokensAt(last))} tokens, below ${model ?? 'the model'}'s minimum cacheable length of ${minimumWords(minimum)}: nothing is cached.`,
      });
    }
  }

  const advice: CacheAdvice = { stableCount, prefixTokens, stableTokens, breakpoints, warnings };
  if (firstVarying >= 0 && !modelVaries) advice.firstVarying = { index: firstVarying, segment: segments.segment(firstVarying), variable: firstVariable };
  if (minimum) advice.minimum = minimum;

  // Where a breakpoint would help: the last block of the stable prefix that can carry one.
  let target = -1;
  for (let i = stableCount - 1; i >= 0; i--) {
    if (segments.kind(i) !== 'none') {
      target = i;
      break;
    }
  }
  const covered = breakpoints.some((b) => !b.neverHits && b.index >= target) || (auto !== undefined && count - 1 < stableCount);
  const written = breakpoints.length + (auto ? 1 : 0);
  if (target >= 0 && !covered && written < MAX_CACHE_BREAKPOINTS && model !== undefined) {
    const tokens = tokensAt(target);
    if (!surelyTooShort(tokens)) {
      const segment = segments.segment(target);
      const s = saving(tokens, '5m');
      const where = stableCount < count ? `do not change between ${firstUnit}s` : 'hold no variables';
      const unsure = mayBeTooShort(tokens) && minimum ? ` It may be below ${model}'s minimum cacheable length of ${minimumWords(minimum)}.` : '';
      advice.suggestion = {
        index: target,
        segment,
        prefixTokens: tokens,
        mayBeTooShort: mayBeTooShort(tokens),
        ...(s ? { saving: s } : {}),
        message: `The first ~${formatCount(tokens)} tokens (${partsOf(segments, target)}, up to ${segment.label}) ${where}: a cache_control breakpoint on ${segment.label} ${s ? describeSaving(s) : 'lets repeat runs read them from the cache'}.${unsure}`,
      };
    }
  }
  return advice;
}

/** A breakpoint's saving in words, for a hover. */
export function describeBreakpoint(advice: WrittenBreakpointAdvice, model: string | undefined): string {
  if (advice.neverHits) return `Caches nothing across runs: a block at or before it changes every run (about ${formatCount(advice.prefixTokens)} tokens written each time).`;
  if (advice.tooShort) return `About ${formatCount(advice.prefixTokens)} tokens: below ${model ?? 'the model'}'s minimum cacheable length, so nothing is cached.`;
  const head = `Caches about ${formatCount(advice.prefixTokens)} tokens (${advice.segment.label} and everything before it)`;
  return advice.saving ? `${head}: ${describeSaving(advice.saving)}.` : `${head}.`;
}
