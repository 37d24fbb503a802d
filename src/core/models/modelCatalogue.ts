// Every fact the workbench keeps about a model, in one table: ids and dated aliases, context window
// and maximum output (../shared/anthropic-api.md §19), the tokenizer generation (§10), fast mode
// and the beta it needs (§13), forced tool choice (§6) and the price row with its date and source
// (§20), all as of 2026-11-25. The price table, the prompt checks, the offline estimate, the
// schema's model suggestions and the API simulator all read this table, so they cannot disagree.
// The Models API is preferred at run time for limits; this table is the fallback.

/** The date the bundled prices and limits were read (../shared/anthropic-api.md §19, §20). */
export const CATALOGUE_AS_OF = '2026-11-25';

/** Price columns, USD per million tokens. An undefined cache column means the price is unknown. */
export interface PriceRates {
  input: number;
  output: number;
  /** 5-minute cache write. */
  cacheWrite5m?: number;
  /** 1-hour cache write. */
  cacheWrite1h?: number;
  /** Cache read (hit). */
  cacheRead?: number;
}

/** A higher band that applies to the whole request once the prompt is longer than `thresholdTokens`. */
export interface LongPromptBand extends PriceRates {
  /** The band applies when input + cache read + cache write tokens exceed this (strictly). */
  thresholdTokens: number;
}

/** A model's bundled price row. */
export interface ModelPrice extends PriceRates {
  /** When the numbers were read. */
  asOf: string;
  /** Where the numbers came from, short enough for a tooltip. */
  source: string;
  longPromptBand?: LongPromptBand;
  /** Set where the reference sheet marks a figure of this row UNVERIFIED or conflicting. */
  unverified?: boolean;
}

/**
 * Which tokenizer a model counts with (§10): `claude-4.6` is the one of Claude 4.6 and earlier;
 * `claude-4.7` was introduced with Claude 4.7 and gives more tokens for the same text.
 */
export type TokenizerGeneration = 'claude-4.6' | 'claude-4.7';

/** `speed: "fast"` on a model that has it (§13). */
export interface FastMode {
  /** The price multiplier on every column; undefined = unknown (cost then reads as unknown). */
  multiplier?: number;
  /** The anthropic-beta name the model needs for fast mode; undefined = generally available. */
  beta?: string;
}

/**
 * The shortest prefix the model caches (§8). A shorter prefix is silently not cached: no error,
 * cache_creation_input_tokens is 0. The sheet's sources conflict and give nothing for the 5.5
 * generation, so a range is kept: `tokens` is the highest figure any source gives (a prefix this
 * long caches whichever source is right) and `lowest` the lowest (below it, it surely does not).
 */
export interface CacheMinimum {
  tokens: number;
  /** The lowest figure a source gives, when the sources conflict or give none. */
  lowest?: number;
  /** Where the figures came from, short enough for a diagnostic. */
  source: string;
  unverified?: boolean;
}

export interface ModelInfo {
  id: string;
  displayName: string;
  /** Context window in tokens (`max_input_tokens` in the Models API). */
  contextWindow: number;
  /** Maximum output tokens (`max_tokens` in the Models API). */
  maxOutputTokens: number;
  /** Model ids that resolve to this entry (dated snapshots). */
  aliases?: readonly string[];
  deprecated?: boolean;
  /** Release date (ISO), where the sheet or a dated alias gives one. */
  released?: string;
  tokenizer: TokenizerGeneration;
  /** Present on models with fast mode. */
  fastMode?: FastMode;
  /** Forced tool use (`tool_choice` any/tool) returns an error on this model (§6). */
  rejectsForcedToolChoice?: boolean;
  /** Undefined when the sheet gives no price for the model. */
  price?: ModelPrice;
  /** The minimum cacheable prefix (§8). */
  cacheMinimum: CacheMinimum;
}

/**
 * The beta `output_config.task_budget` needs (§14); the workbench adds it when a prompt sets a
 * task budget. Which models accept task budgets is only partly known (§14, §23): the API says.
 */
export const TASK_BUDGET_BETA = 'task-budgets-2026-03-13';

/** The beta Opus 5 and Opus 4.8 need for fast mode (§13). */
export const FAST_MODE_BETA = 'fast-mode-2026-02-01';

const M = 1_000_000;
const K = 1_000;
const asOf = CATALOGUE_AS_OF;
const pricingPage = '[DOCS] Anthropic pricing page';
const opus4Rates = { input: 5, cacheWrite5m: 6.25, cacheWrite1h: 10, cacheRead: 0.5, output: 25 } as const;
const fable5Rates = { input: 10, cacheWrite5m: 12.5, cacheWrite1h: 20, cacheRead: 1, output: 50 } as const;
// Minimum cacheable prefixes (§8): [DOCS-old/skill 2026-07] and [3P] figures, which conflict.
const cacheMinimumUnpublished: CacheMinimum = {
  tokens: 4096,
  lowest: 512,
  source: 'not published for this model (§8 UNVERIFIED); the range of every figure the sheet gives for other models',
  unverified: true,
};
const opus4Minimum: CacheMinimum = { tokens: 4096, source: '[DOCS skill 2026-07] and [3P] agree: 4,096 tokens' };
const fable5Minimum: CacheMinimum = { tokens: 2048, lowest: 512, source: '[DOCS skill 2026-07] 2,048 tokens; [3P] 512', unverified: true };
const fable51Rates = { input: 10, cacheWrite5m: 12.5, cacheWrite1h: 20, cacheRead: 0.25, output: 50 } as const;

/**
 * The bundled models, newest generation first. Mythos 5.2 and Mythos Preview are absent: the sheet
 * gives neither limits nor a price for them.
 */
export const KNOWN_MODELS: readonly ModelInfo[] = [
  {
    id: 'claude-opus-5-5',
    displayName: 'Claude Opus 5.5',
    contextWindow: M,
    maxOutputTokens: 128 * K,
    tokenizer: 'claude-4.7',
    // Fast-mode multiplier UNVERIFIED in the sheet: cost of a fast run reads as unknown.
    fastMode: {},
    rejectsForcedToolChoice: true,
    price: { input: 4, cacheWrite5m: 5, cacheWrite1h: 8, cacheRead: 0.2, output: 20, asOf, source: '[DOCS] Opus 5.5 overview page (zh-CN copy)' },
    cacheMinimum: cacheMinimumUnpublished,
  },
  {
    id: 'claude-sonnet-5-5',
    displayName: 'Claude Sonnet 5.5',
    contextWindow: M,
    maxOutputTokens: 128 * K,
    tokenizer: 'claude-4.7',
    rejectsForcedToolChoice: true,
    price: {
      input: 2,
      cacheWrite5m: 2.5,
      cacheWrite1h: 4,
      cacheRead: 0.1,
      output: 10,
      asOf,
      source: '[DOCS] Sonnet 5.5 page; cache read $0.10 since 2026-10-07 per three [3P] trackers (the older official copy shows $0.20)',
      unverified: true,
    },
    cacheMinimum: cacheMinimumUnpublished,
  },
  {
    id: 'claude-haiku-5-5',
    displayName: 'Claude Haiku 5.5',
    contextWindow: M,
    maxOutputTokens: 128 * K,
    released: '2026-10-07T00:00:00Z',
    tokenizer: 'claude-4.7',
    price: {
      input: 0.1,
      cacheWrite5m: 0.125,
      cacheWrite1h: 0.2,
      cacheRead: 0.01,
      output: 0.5,
      longPromptBand: { thresholdTokens: 100_000, input: 0.5, cacheWrite5m: 0.625, cacheWrite1h: 1, cacheRead: 0.05, output: 2.5 },
      asOf,
      source: '[DOCS] Haiku 5.5 page (input, output, 5m write, both bands); 1h write, read and "every token at the high band" from [3P]',
      unverified: true,
    },
    cacheMinimum: cacheMinimumUnpublished,
  },
  {
    id: 'claude-fable-5-2',
    displayName: 'Claude Fable 5.2',
    contextWindow: M,
    maxOutputTokens: 128 * K,
    released: '2026-11-09T00:00:00Z',
    tokenizer: 'claude-4.7',
    fastMode: {},
    price: {
      input: 8,
      output: 40,
      // Cache columns: UNVERIFIED in the sheet, so unknown here (a cached request reports cost unknown).
      asOf,
      source: '[3P] LaoZhang (2026-11-10) and Vercel AI Gateway; not confirmed by Anthropic; cache prices unknown',
      unverified: true,
    },
    cacheMinimum: cacheMinimumUnpublished,
  },
  {
    id: 'claude-fable-5-1',
    displayName: 'Claude Fable 5.1',
    contextWindow: M,
    maxOutputTokens: 128 * K,
    tokenizer: 'claude-4.7',
    rejectsForcedToolChoice: true,
    price: { ...fable51Rates, asOf, source: pricingPage },
    cacheMinimum: cacheMinimumUnpublished,
  },
  {
    id: 'claude-mythos-5-1',
    displayName: 'Claude Mythos 5.1',
    contextWindow: M,
    maxOutputTokens: 128 * K,
    tokenizer: 'claude-4.7',
    price: { ...fable51Rates, asOf, source: pricingPage },
    cacheMinimum: cacheMinimumUnpublished,
  },
  {
    id: 'claude-sonnet-5',
    displayName: 'Claude Sonnet 5',
    contextWindow: M,
    maxOutputTokens: 128 * K,
    released: '2026-06-30T00:00:00Z',
    tokenizer: 'claude-4.7',
    price: { input: 2, cacheWrite5m: 2.5, cacheWrite1h: 4, cacheRead: 0.2, output: 10, asOf, source: '[DOCS] Sonnet 5 page (Legacy)' },
    cacheMinimum: { tokens: 1024, source: '[3P] 1,024 tokens', unverified: true },
  },
  {
    id: 'claude-fable-5',
    displayName: 'Claude Fable 5',
    contextWindow: M,
    maxOutputTokens: 128 * K,
    released: '2026-06-09T00:00:00Z',
    tokenizer: 'claude-4.7',
    price: { ...fable5Rates, asOf, source: pricingPage },
    cacheMinimum: fable5Minimum,
  },
  {
    id: 'claude-mythos-5',
    displayName: 'Claude Mythos 5',
    contextWindow: M,
    maxOutputTokens: 128 * K,
    tokenizer: 'claude-4.7',
    price: { ...fable5Rates, asOf, source: pricingPage },
    cacheMinimum: fable5Minimum,
  },
  {
    id: 'claude-opus-5',
    displayName: 'Claude Opus 5',
    contextWindow: M,
    maxOutputTokens: 128 * K,
    released: '2026-07-24T00:00:00Z',
    tokenizer: 'claude-4.7',
    // 2x for fast mode is third-party only (Vercel AI Gateway, OpenRouter, ccsidekick).
    fastMode: { multiplier: 2, beta: FAST_MODE_BETA },
    price: { ...opus4Rates, asOf, source: '[DOCS] Opus 5 page and pricing page; fast mode 2x from [3P]' },
    cacheMinimum: { tokens: 512, source: '[3P] 512 tokens', unverified: true },
  },
  {
    id: 'claude-opus-4-8',
    displayName: 'Claude Opus 4.8',
    contextWindow: M,
    maxOutputTokens: 128 * K,
    tokenizer: 'claude-4.7',
    // The sheet's "about 2x" is third-party and the mode is being removed, so no multiplier is kept.
    fastMode: { beta: FAST_MODE_BETA },
    price: { ...opus4Rates, asOf, source: pricingPage },
    cacheMinimum: { tokens: 4096, lowest: 1024, source: '[DOCS skill 2026-07] 4,096 tokens; [3P] 1,024', unverified: true },
  },
  {
    id: 'claude-opus-4-7',
    displayName: 'Claude Opus 4.7',
    contextWindow: M,
    maxOutputTokens: 128 * K,
    tokenizer: 'claude-4.7',
    price: { ...opus4Rates, asOf, source: pricingPage },
    cacheMinimum: { tokens: 4096, lowest: 2048, source: '[DOCS skill 2026-07] 4,096 tokens; [3P] 2,048', unverified: true },
  },
  {
    id: 'claude-opus-4-6',
    displayName: 'Claude Opus 4.6',
    contextWindow: M,
    maxOutputTokens: 128 * K,
    tokenizer: 'claude-4.6',
    price: { ...opus4Rates, asOf, source: pricingPage },
    cacheMinimum: opus4Minimum,
  },
  {
    id: 'claude-sonnet-4-6',
    displayName: 'Claude Sonnet 4.6',
    contextWindow: M,
    // 128K per the skill, 64K per a third party: the smaller is the safe bound for a local check.
    maxOutputTokens: 64 * K,
    tokenizer: 'claude-4.6',
    price: {
      input: 3,
      cacheWrite5m: 3.75,
      cacheWrite1h: 6,
      cacheRead: 0.3,
      output: 15,
      asOf,
      source: '[DOCS] skill (input, output); cache columns derived with the standard 1.25x/2x/0.1x',
      unverified: true,
    },
    cacheMinimum: { tokens: 2048, lowest: 1024, source: '[DOCS skill 2026-07] 2,048 tokens; [3P] 1,024', unverified: true },
  },
  {
    id: 'claude-haiku-4-5',
    displayName: 'Claude Haiku 4.5',
    contextWindow: 200 * K,
    maxOutputTokens: 64 * K,
    aliases: ['claude-haiku-4-5-20251001'],
    released: '2025-10-01T00:00:00Z',
    tokenizer: 'claude-4.6',
    price: { input: 1, cacheWrite5m: 1.25, cacheWrite1h: 2, cacheRead: 0.1, output: 5, asOf, source: '[DOCS] model comparison tables; cache columns by the standard multipliers' },
    cacheMinimum: opus4Minimum,
  },
  {
    id: 'claude-opus-4-5',
    displayName: 'Claude Opus 4.5',
    contextWindow: 200 * K,
    maxOutputTokens: 64 * K,
    aliases: ['claude-opus-4-5-20251101'],
    deprecated: true,
    released: '2025-11-01T00:00:00Z',
    tokenizer: 'claude-4.6',
    price: { ...opus4Rates, asOf, source: pricingPage },
    cacheMinimum: opus4Minimum,
  },
  {
    id: 'claude-sonnet-4-5',
    displayName: 'Claude Sonnet 4.5',
    contextWindow: 200 * K,
    maxOutputTokens: 64 * K,
    aliases: ['claude-sonnet-4-5-20250929'],
    deprecated: true,
    released: '2025-09-29T00:00:00Z',
    tokenizer: 'claude-4.6',
    // No long-prompt band: the >200K premium applied only with the 1M-context beta, which the
    // workbench does not send; without it the window is 200K, so the band can never apply.
    price: { input: 3, cacheWrite5m: 3.75, cacheWrite1h: 6, cacheRead: 0.3, output: 15, asOf, source: '[DOCS-old] pricing page (2025)' },
    cacheMinimum: { tokens: 1024, source: '[DOCS skill 2026-07] and [3P] agree: 1,024 tokens' },
  },
];

const byId = new Map<string, ModelInfo>();
for (const model of KNOWN_MODELS) {
  byId.set(model.id, model);
  for (const alias of model.aliases ?? []) byId.set(alias, model);
}

/** The bundled entry for a model id or dated alias, or undefined for an id this table does not know. */
export function findModel(id: string): ModelInfo | undefined {
  return byId.get(id);
}

/** The models with fast mode, in the catalogue's order. */
export const FAST_MODE_MODELS: readonly ModelInfo[] = KNOWN_MODELS.filter((model) => model.fastMode !== undefined);

/** Retired families the catalogue no longer lists, all on the older tokenizer (Claude 3, Opus 4.0-4.2, Sonnet 4.0). */
const retiredOlderTokenizer = ['claude-3', 'claude-opus-4-1', 'claude-opus-4-0', 'claude-opus-4-2', 'claude-sonnet-4-0'];
const escape = (id: string): string => id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/**
 * Ids that start like an older-tokenizer model (a dated snapshot, a variant) count with the older
 * tokenizer too; the dated `claude-opus-4-YYYYMMDD` / `claude-sonnet-4-YYYYMMDD` ids are Claude 4.0.
 */
const olderTokenizerPrefix = new RegExp(
  `^(${[...KNOWN_MODELS.filter((m) => m.tokenizer === 'claude-4.6').map((m) => m.id), ...retiredOlderTokenizer].map(escape).join('|')}|claude-opus-4-\\d{8}|claude-sonnet-4-\\d{8})`,
);

/** The tokenizer a model id counts with; an id this table does not know is assumed new. */
export function tokenizerOf(id: string): TokenizerGeneration {
  const known = byId.get(id);
  if (known) return known.tokenizer;
  return olderTokenizerPrefix.test(id) ? 'claude-4.6' : 'claude-4.7';
}

/** One line per catalogue id and alias, as the schema's `model` suggestions show them. */
export function modelSuggestions(): { id: string; description: string }[] {
  const size = (tokens: number): string => (tokens >= M ? `${tokens / M}M` : `${tokens / K}K`);
  return KNOWN_MODELS.flatMap((model) => {
    const base = `${model.displayName}: ${size(model.contextWindow)} context, ${size(model.maxOutputTokens)} max output${model.deprecated ? ' (deprecated)' : ''}`;
    return [{ id: model.id, description: base }, ...(model.aliases ?? []).map((alias) => ({ id: alias, description: `${base} (dated id of ${model.id})` }))];
  });
}
