// The price table and the cost arithmetic. Prices are USD per million tokens for the first-party
// Claude API; the bundled rows come from the model catalogue (../models/modelCatalogue.ts, copied
// from ../shared/anthropic-api.md §20 with the source of each row). A price the sheet does not give
// is left undefined, so it reads as "unknown", never as $0. Users can add or override prices through
// a setting (mergePriceOverrides), so a model released after this table needs no update of the extension.
import { formatCount } from '../format';
import { CATALOGUE_AS_OF, KNOWN_MODELS, type LongPromptBand, type PriceRates } from '../models/modelCatalogue';

/** The date the bundled prices were read (../shared/anthropic-api.md §20). */
export const PRICES_AS_OF = CATALOGUE_AS_OF;

export interface PriceEntry extends PriceRates {
  /** The model id, e.g. `claude-sonnet-5-5`. */
  model: string;
  /** Other ids billed the same (dated snapshots). A `-YYYYMMDD` suffix is also matched by findPrice. */
  aliases?: readonly string[];
  /** When the numbers were read, or `user setting`. */
  asOf: string;
  /** Where the numbers came from, short enough for a tooltip. */
  source: string;
  longPromptBand?: LongPromptBand;
  /** Multiplier on every column when `speed: 'fast'` is used; undefined = unknown. */
  fastMultiplier?: number;
  /** The catalogue says the model has no fast mode: `speed: 'fast'` is refused, not priced. */
  noFastMode?: boolean;
  /** Set where the reference sheet marks a figure of this row UNVERIFIED or conflicting. */
  unverified?: boolean;
}

export type PriceTable = readonly PriceEntry[];

/** The price columns a user setting may give for one model. Every field is optional in an override. */
export type PriceEntryInput = {
  input: number;
  output: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  cacheRead: number;
  aliases: string[];
  source: string;
  asOf: string;
  fastMultiplier: number;
  longPromptBand: { thresholdTokens: number; input: number; output: number; cacheWrite5m?: number; cacheWrite1h?: number; cacheRead?: number };
};

/** The bundled prices: one row per catalogue model that has a price, in the catalogue's order. */
export const BUNDLED_PRICES: PriceTable = KNOWN_MODELS.flatMap((model): PriceEntry[] => {
  if (!model.price) return [];
  const fastMultiplier = model.fastMode?.multiplier;
  return [
    {
      model: model.id,
      ...(model.aliases ? { aliases: model.aliases } : {}),
      ...model.price,
      ...(fastMultiplier !== undefined ? { fastMultiplier } : {}),
      ...(model.fastMode === undefined ? { noFastMode: true } : {}),
    },
  ];
});

const datedSuffix = /-\d{8}$/;

/**
 * The price entry for a model id: exact id, then an alias, then the id without a `-YYYYMMDD`
 * suffix. Only a date suffix is stripped: `claude-opus-5-7` must not be priced as `claude-opus-5`.
 */
export function findPrice(table: PriceTable, model: string): PriceEntry | undefined {
  const lookup = (id: string): PriceEntry | undefined =>
    table.find((entry) => entry.model === id) ?? table.find((entry) => entry.aliases?.includes(id) ?? false);
  const found = lookup(model);
  if (found || !datedSuffix.test(model)) return found;
  return lookup(model.replace(datedSuffix, ''));
}

// ---------------------------------------------------------------------------------------------
// Overrides from a user setting

/** One override field that was ignored, with a message the settings UI can show as is. */
export interface PriceOverrideProblem {
  model: string;
  field?: string;
  message: string;
}

export interface MergedPrices {
  table: PriceTable;
  problems: PriceOverrideProblem[];
}

/** The `priceOverrides` setting: model id to a Partial<PriceEntryInput>, validated field by field. */
export type PriceOverrides = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

const rateFields = ['input', 'output', 'cacheWrite5m', 'cacheWrite1h', 'cacheRead'] as const;
type RateField = (typeof rateFields)[number];

function isPrice(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * The base table with a user's prices merged in. An override of a known model replaces only the
 * columns it gives; an unknown id adds a model (it needs at least `input` and `output`). A field
 * that is not a finite number >= 0 is ignored and reported, so one typo never zeroes a price.
 */
export function mergePriceOverrides(base: PriceTable, overrides: PriceOverrides | undefined): MergedPrices {
  const problems: PriceOverrideProblem[] = [];
  const table = base.map((entry) => ({ ...entry }));
  if (overrides === undefined || overrides === null) return { table, problems };
  if (typeof overrides !== 'object' || Array.isArray(overrides)) {
    problems.push({ model: '*', message: `price overrides must be an object keyed by model id, got ${describe(overrides)}; ignored` });
    return { table, problems };
  }

  for (const [model, raw] of Object.entries(overrides)) {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      problems.push({ model, message: `${model}: expected an object of prices, got ${describe(raw)}; ignored` });
      continue;
    }
    const flag = (field: string, expected: string): void => {
      problems.push({ model, field, message: `${model}.${field}: expected ${expected}, got ${describe(raw[field])}; ignored` });
    };

    const rates: Partial<Record<RateField, number>> = {};
    const changed: string[] = [];
    for (const field of rateFields) {
      if (!(field in raw)) continue;
      if (isPrice(raw[field])) {
        rates[field] = raw[field];
        changed.push(field);
      } else flag(field, 'a number of USD per million tokens (>= 0)');
    }

    let aliases: string[] | undefined;
    if ('aliases' in raw) {
      if (Array.isArray(raw.aliases) && raw.aliases.every((a) => typeof a === 'string')) aliases = raw.aliases as string[];
      else flag('aliases', 'a list of model ids');
    }
    let fastMultiplier: number | undefined;
    if ('fastMultiplier' in raw) {
      if (isPrice(raw.fastMultiplier) && raw.fastMultiplier > 0) fastMultiplier = raw.fastMultiplier;
      else flag('fastMultiplier', 'a positive number');
    }
    const text = (field: 'source' | 'asOf'): string | undefined => {
      if (!(field in raw)) return undefined;
      if (typeof raw[field] === 'string' && raw[field] !== '') return raw[field];
      flag(field, 'a non-empty string');
      return undefined;
    };
    const source = text('source');
    const asOf = text('asOf');
    let band: LongPromptBand | undefined;
    if ('longPromptBand' in raw) {
      band = parseBand(raw.longPromptBand);
      if (!band) flag('longPromptBand', 'an object with numbers thresholdTokens, input and output (cache columns optional)');
    }
    for (const field of Object.keys(raw)) {
      if (!knownOverrideFields.has(field)) {
        problems.push({ model, field, message: `${model}.${field}: not a price field (${[...knownOverrideFields].join(', ')}); ignored` });
      }
    }

    const existing = table.findIndex((entry) => entry.model === model || (entry.aliases?.includes(model) ?? false));
    const extras = {
      ...(aliases ? { aliases } : {}),
      ...(fastMultiplier !== undefined ? { fastMultiplier } : {}),
      ...(band ? { longPromptBand: band } : {}),
    };
    if (existing >= 0) {
      const entry = table[existing] as PriceEntry;
      if (changed.length === 0 && Object.keys(extras).length === 0 && !source && !asOf) continue;
      const what = [...changed, ...Object.keys(extras)].join(', ');
      table[existing] = {
        ...entry,
        ...rates,
        ...extras,
        asOf: asOf ?? (what ? 'user setting' : entry.asOf),
        source: source ?? (what ? `user setting (${what}); otherwise ${entry.source}` : entry.source),
      };
      continue;
    }
    const { input, output } = rates;
    if (input === undefined || output === undefined) {
      problems.push({ model, message: `${model}: a new model needs at least numeric "input" and "output" prices; ignored` });
      continue;
    }
    table.push({
      ...rates,
      input,
      output,
      ...extras,
      model,
      asOf: asOf ?? 'user setting',
      source: source ?? 'user setting',
    });
  }
  return { table, problems };
}

const knownOverrideFields = new Set(['input', 'output', 'cacheWrite5m', 'cacheWrite1h', 'cacheRead', 'aliases', 'source', 'asOf', 'fastMultiplier', 'longPromptBand']);

function parseBand(value: unknown): LongPromptBand | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const band = value as Record<string, unknown>;
  if (!isPrice(band.thresholdTokens) || !isPrice(band.input) || !isPrice(band.output)) return undefined;
  const result: LongPromptBand = { thresholdTokens: band.thresholdTokens, input: band.input, output: band.output };
  for (const field of ['cacheWrite5m', 'cacheWrite1h', 'cacheRead'] as const) {
    if (field in band) {
      if (!isPrice(band[field])) return undefined;
      result[field] = band[field];
    }
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Cost arithmetic

/** Token counts for one request, by how they bill. */
export interface TokenUsage {
  /** Uncached input tokens. */
  inputTokens: number;
  outputTokens: number;
  cacheWrite5mTokens?: number;
  cacheWrite1hTokens?: number;
  cacheReadTokens?: number;
  /** Sent through the Message Batches API (half price). */
  batch?: boolean;
  /** `speed: 'fast'` (fast mode), priced by the entry's fastMultiplier. */
  fast?: boolean;
}

/** USD for each kind of token, after band, batch and fast-mode multipliers. */
export interface CostBreakdown {
  input: number;
  output: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  cacheRead: number;
}

export type CostEstimate =
  | {
      known: true;
      usd: number;
      breakdown: CostBreakdown;
      /** `long-prompt` when the Haiku 5.5 style >100K band applied to the whole request. */
      band: 'standard' | 'long-prompt';
      batch: boolean;
      /** Assumptions the figure rests on, for the tooltip. */
      notes: string[];
      asOf: string;
      source: string;
      unverified: boolean;
    }
  | {
      known: false;
      reason: string;
      /** The API refuses the request as written (fast mode on a model without it): an error, not a missing price. */
      refused?: boolean;
    };

/** Why batch multiplies every column by 0.5: see BATCH_DISCOUNT_NOTE. */
export const BATCH_MULTIPLIER = 0.5;

/**
 * The sheet gives the batch discount for input and output [DOCS] and leaves cache columns
 * UNVERIFIED. We halve the cache columns too: the sheet's own cost formula halves the whole sum,
 * and Anthropic's pricing docs have described the batch and caching discounts as stacking.
 */
export const BATCH_DISCOUNT_NOTE = 'batch discount (x0.5) applied to cache writes and reads too (UNVERIFIED)';

export const UNKNOWN_MODEL_REASON = `cost unknown: model not in the price table (as of ${PRICES_AS_OF})`;

const columnNames: Record<Exclude<RateField, 'input' | 'output'>, string> = {
  cacheWrite5m: '5-minute cache write',
  cacheWrite1h: '1-hour cache write',
  cacheRead: 'cache read',
};

const TOKEN_FIELDS = ['input', 'output', 'cacheWrite5m', 'cacheWrite1h', 'cacheRead'] as const;

/** The token counts estimateCost prices, by column (a missing cache column is 0). */
function countsOf(usage: TokenUsage): Record<(typeof TOKEN_FIELDS)[number], number> {
  return {
    input: usage.inputTokens,
    output: usage.outputTokens,
    cacheWrite5m: usage.cacheWrite5mTokens ?? 0,
    cacheWrite1h: usage.cacheWrite1hTokens ?? 0,
    cacheRead: usage.cacheReadTokens ?? 0,
  };
}

function isCount(count: number): boolean {
  return Number.isFinite(count) && count >= 0;
}

/** Whether the prompt's tokens fall in the entry's long-prompt band. */
function inLongPromptBand(price: PriceEntry, input: number, cacheWrite5m: number, cacheWrite1h: number, cacheRead: number): boolean {
  const band = price.longPromptBand;
  return band !== undefined && input + cacheWrite5m + cacheWrite1h + cacheRead > band.thresholdTokens;
}

/** The sheet's formula: token x rate summed first and divided once, so hand-checkable figures come out exact. */
function usdAt(rates: PriceRates, multiplier: number, input: number, output: number, cacheWrite5m: number, cacheWrite1h: number, cacheRead: number): number {
  return ((input * rates.input + output * rates.output + cacheWrite5m * (rates.cacheWrite5m ?? 0) + cacheWrite1h * (rates.cacheWrite1h ?? 0) + cacheRead * (rates.cacheRead ?? 0)) * multiplier) / 1e6;
}

/**
 * estimateCost's `usd` alone, or undefined where it is not known: the same checks and the same
 * formula (usdAt) without the breakdown, notes and reasons. A batch's results are priced a hundred
 * thousand at a time, three times each (actual, uncached, synchronous), so this one builds no object.
 */
export function estimateUsd(price: PriceEntry | undefined, usage: TokenUsage): number | undefined {
  if (!price) return undefined;
  const input = usage.inputTokens;
  const output = usage.outputTokens;
  const cacheWrite5m = usage.cacheWrite5mTokens ?? 0;
  const cacheWrite1h = usage.cacheWrite1hTokens ?? 0;
  const cacheRead = usage.cacheReadTokens ?? 0;
  if (!isCount(input) || !isCount(output) || !isCount(cacheWrite5m) || !isCount(cacheWrite1h) || !isCount(cacheRead)) return undefined;
  const rates: PriceRates = inLongPromptBand(price, input, cacheWrite5m, cacheWrite1h, cacheRead) ? price.longPromptBand! : price;
  let multiplier = 1;
  if (usage.batch) multiplier *= BATCH_MULTIPLIER;
  if (usage.fast) {
    if (price.fastMultiplier === undefined) return undefined;
    multiplier *= price.fastMultiplier;
  }
  if ((cacheWrite5m > 0 && rates.cacheWrite5m === undefined) || (cacheWrite1h > 0 && rates.cacheWrite1h === undefined) || (cacheRead > 0 && rates.cacheRead === undefined)) return undefined;
  return usdAt(rates, multiplier, input, output, cacheWrite5m, cacheWrite1h, cacheRead);
}

/** The cost of one request at a price entry; `known: false` (never $0) when a needed price is missing. */
export function estimateCost(price: PriceEntry | undefined, usage: TokenUsage): CostEstimate {
  if (!price) return { known: false, reason: UNKNOWN_MODEL_REASON };
  const tokens = countsOf(usage);
  // Field by field, not Object.entries: a batch's results are priced a hundred thousand at a time.
  for (const field of TOKEN_FIELDS) {
    const count = tokens[field];
    if (!isCount(count)) return { known: false, reason: `cost unknown: ${field} token count ${count} is not a count` };
  }

  const band = price.longPromptBand;
  const highBand = inLongPromptBand(price, tokens.input, tokens.cacheWrite5m, tokens.cacheWrite1h, tokens.cacheRead);
  const rates: PriceRates = highBand ? band! : price;

  let multiplier = 1;
  const notes: string[] = [];
  if (usage.batch) multiplier *= BATCH_MULTIPLIER;
  if (usage.fast) {
    if (price.noFastMode && price.fastMultiplier === undefined) {
      return { known: false, refused: true, reason: `cost unknown: ${price.model} has no fast mode, so the API refuses "speed": "fast"` };
    }
    if (price.fastMultiplier === undefined) {
      return { known: false, reason: `cost unknown: no fast-mode price for ${price.model} (as of ${price.asOf})` };
    }
    multiplier *= price.fastMultiplier;
    notes.push(`fast mode x${price.fastMultiplier}`);
  }

  const usdFor = (count: number, rate: number | undefined): number => (count === 0 ? 0 : (count * (rate as number) * multiplier) / 1e6);
  for (const field of ['cacheWrite5m', 'cacheWrite1h', 'cacheRead'] as const) {
    if (tokens[field] > 0 && rates[field] === undefined) {
      return { known: false, reason: `cost unknown: ${columnNames[field]} price for ${price.model} is not known (as of ${price.asOf})` };
    }
  }
  const breakdown: CostBreakdown = {
    input: usdFor(tokens.input, rates.input),
    output: usdFor(tokens.output, rates.output),
    cacheWrite5m: usdFor(tokens.cacheWrite5m, rates.cacheWrite5m),
    cacheWrite1h: usdFor(tokens.cacheWrite1h, rates.cacheWrite1h),
    cacheRead: usdFor(tokens.cacheRead, rates.cacheRead),
  };
  const usd = usdAt(rates, multiplier, tokens.input, tokens.output, tokens.cacheWrite5m, tokens.cacheWrite1h, tokens.cacheRead);

  if (highBand) notes.push(`prompt over ${formatCount(band!.thresholdTokens)} tokens: every token at the long-prompt band`);
  if (usage.batch && tokens.cacheWrite5m + tokens.cacheWrite1h + tokens.cacheRead > 0) notes.push(BATCH_DISCOUNT_NOTE);
  return {
    known: true,
    usd,
    breakdown,
    band: highBand ? 'long-prompt' : 'standard',
    batch: usage.batch ?? false,
    notes,
    asOf: price.asOf,
    source: price.source,
    unverified: price.unverified ?? false,
  };
}

/** The `usage` object of a Message or batch result (the SDK's `Usage`, fields optional). */
export interface ApiUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation?: { ephemeral_5m_input_tokens?: number | null; ephemeral_1h_input_tokens?: number | null } | null;
  service_tier?: string | null;
  speed?: string | null;
  /** Server tool calls the request made (billed per call, on top of the tokens). */
  server_tool_use?: { web_search_requests?: number | null; web_fetch_requests?: number | null } | null;
}

/** Web search fee, USD per search: $10 per 1,000 searches (anthropic-api.md §20, [DOCS-old], UNVERIFIED now). */
export const WEB_SEARCH_USD_PER_SEARCH = 10 / 1000;

/**
 * Code execution (anthropic-api.md §17, DOCS 2026-07, UNVERIFIED now): $0.05 per container-hour
 * after 1,550 free hours a month per organization, free alongside web search or web fetch. The
 * response reports no container time and the free hours left are the organization's, so the fee
 * can be neither foreseen nor read back: it is named, never added as $0.
 */
export const CODE_EXECUTION_USD_PER_CONTAINER_HOUR = 0.05;
export const CODE_EXECUTION_FREE_HOURS_PER_MONTH = 1550;
export const CODE_EXECUTION_PRICE_NOTE = `code execution: $${CODE_EXECUTION_USD_PER_CONTAINER_HOUR} per container-hour after ${CODE_EXECUTION_FREE_HOURS_PER_MONTH.toLocaleString('en-US')} free hours a month per organization, free alongside web search or web fetch (UNVERIFIED); the API reports no container time, so it is not in this figure`;

/** Converts API usage to TokenUsage per the sheet's cost formula (§20). */
export function tokenUsageFromApi(usage: ApiUsage, options: { isBatchResult?: boolean } = {}): TokenUsage {
  const w1h = usage.cache_creation?.ephemeral_1h_input_tokens ?? 0;
  // Without the split, every cache write is taken as 5-minute (the default TTL).
  const w5m = usage.cache_creation?.ephemeral_5m_input_tokens ?? Math.max(0, (usage.cache_creation_input_tokens ?? 0) - w1h);
  return {
    inputTokens: usage.input_tokens,
    outputTokens: usage.output_tokens,
    cacheWrite5mTokens: w5m,
    cacheWrite1hTokens: w1h,
    cacheReadTokens: usage.cache_read_input_tokens ?? 0,
    batch: usage.service_tier === 'batch' || (options.isBatchResult ?? false),
    fast: usage.speed === 'fast',
  };
}

/** The cost of a finished request from its `usage` (§20 cost formula). */
export function costFromUsage(price: PriceEntry | undefined, usage: ApiUsage, options: { isBatchResult?: boolean; ranCode?: boolean } = {}): CostEstimate {
  const estimated = estimateCost(price, tokenUsageFromApi(usage, options));
  if (!estimated.known) return estimated;
  // Code ran in a container (Message.container): its time is billed apart and not reported.
  const cost = options.ranCode ? { ...estimated, notes: [...estimated.notes, CODE_EXECUTION_PRICE_NOTE] } : estimated;
  // Server tools bill per call on top of the tokens. No discount is applied to the fee: whether
  // batch halves it is UNVERIFIED (§23), and the recorded spend must not come out low.
  const fetches = usage.server_tool_use?.web_fetch_requests ?? 0;
  if (fetches > 0) return { known: false, reason: `cost unknown: ${fetches} web fetch request${fetches === 1 ? '' : 's'}, whose fee the price sheet does not give` };
  const searches = usage.server_tool_use?.web_search_requests ?? 0;
  if (searches <= 0) return cost;
  return { ...cost, usd: cost.usd + searches * WEB_SEARCH_USD_PER_SEARCH, notes: [...cost.notes, `${searches} web search${searches === 1 ? '' : 'es'} at $10 per 1,000 (UNVERIFIED)`] };
}

/**
 * What a run's cost line adds in words about server tools: the search fee it includes (UNVERIFIED)
 * and the code execution time it cannot include. Empty when no server tool billed.
 */
export function serverToolCostSuffix(notes: readonly string[]): string {
  const parts: string[] = [];
  for (const note of notes) {
    if (note === CODE_EXECUTION_PRICE_NOTE) {
      parts.push(`plus code execution container time, not reported by the API: $${CODE_EXECUTION_USD_PER_CONTAINER_HOUR} per container-hour after ${CODE_EXECUTION_FREE_HOURS_PER_MONTH.toLocaleString('en-US')} free hours a month (UNVERIFIED)`);
    } else if (/^\d+ web search/.test(note)) parts.push(`includes ${note}`);
  }
  return parts.length > 0 ? ` (${parts.join('; ')})` : '';
}
