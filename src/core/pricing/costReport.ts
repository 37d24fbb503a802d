// What the status bar, its tooltip, the details view and the CodeLens say about a request's tokens
// and cost. Pure functions over a CostSummary; the feature modules only put the strings on screen.
import { formatCount, formatPercent, formatUsd } from '../format';
import { estimateCost, type CostEstimate, type PriceEntry } from './priceTable';
import { worstCaseCost, type WorstCase } from './worstCase';
import type { TokenCountState } from '../counting/tokenCountScheduler';
import type { CachePlan } from '../counting/tokenEstimate';

/**
 * Output tokens assumed for the "expected" cost when the caller has no better figure: a typical
 * reply is far shorter than max_tokens, and 1,024 is a round, visible placeholder (the tooltip
 * says it was assumed). Callers with run history should pass `expectedOutputTokens` instead.
 */
export const DEFAULT_EXPECTED_OUTPUT_TOKENS = 1_024;

export interface CostSummaryInput {
  /** The count for the request's model: exact, or the estimate and why. */
  count: TokenCountState;
  /** The request's max_tokens. */
  maxTokens: number;
  /** Output tokens to price the expected cost at; default min(max_tokens, 1,024). */
  expectedOutputTokens?: number;
  /** From findPrice; undefined makes every cost "unknown". */
  price: PriceEntry | undefined;
  /** The model's context window (Models API max_input_tokens, else the bundled catalogue). */
  contextWindow?: number;
  /** From cacheBreakpoints, when the request has cache_control markers. */
  cachePlan?: CachePlan;
  /** The request uses `speed: 'fast'`. */
  fast?: boolean;
  /**
   * The resolved request: the worst case then takes in everything the guard checks before a run
   * (cache writes, fast mode, server tools, inference_geo). Without it, input plus max_tokens.
   */
  request?: Readonly<Record<string, unknown>>;
}

export interface CachingCost {
  write5mTokens: number;
  write1hTokens: number;
  readTokens: number;
  /** Every breakpoint misses: the prefix is written. */
  firstRun: CostEstimate;
  /** Sent again within the TTL: the prefix is read. */
  repeatRun: CostEstimate;
  tooManyBreakpoints: boolean;
}

export interface CostSummary {
  model: string;
  inputTokens: number;
  exact: boolean;
  /** Why the count is an estimate (undefined when exact). */
  estimateReason?: string;
  maxTokens: number;
  expectedOutputTokens: number;
  /** The expected output length is DEFAULT_EXPECTED_OUTPUT_TOKENS, not the caller's figure. */
  expectedOutputAssumed: boolean;
  /** Input, uncached, plus the expected output. */
  expected: CostEstimate;
  /** Input plus max_tokens of output, and all else the request may bill (worstCaseCost): what the guard checks. */
  worstCase: WorstCase;
  /** The expected cost through the Message Batches API. */
  batch: CostEstimate;
  caching?: CachingCost;
  contextWindow?: number;
  /** Input tokens as a percentage of the context window. */
  windowUsePercent?: number;
  /** input + max_tokens is larger than the context window. */
  exceedsWindow: boolean;
  price?: { asOf: string; source: string; unverified: boolean };
}

/** Every cost figure for one request and one model. */
export function buildCostSummary(input: CostSummaryInput): CostSummary {
  const { count, maxTokens, price } = input;
  const inputTokens = count.inputTokens;
  const expectedOutputTokens = input.expectedOutputTokens ?? Math.min(maxTokens, DEFAULT_EXPECTED_OUTPUT_TOKENS);
  const fast = input.fast ?? false;
  const summary: CostSummary = {
    model: count.model,
    inputTokens,
    exact: count.kind === 'exact',
    maxTokens,
    expectedOutputTokens,
    expectedOutputAssumed: input.expectedOutputTokens === undefined,
    expected: estimateCost(price, { inputTokens, outputTokens: expectedOutputTokens, fast }),
    worstCase: input.request
      ? worstCaseCost({ request: input.request, inputTokens, inputTokensExact: count.kind === 'exact', price })
      : asWorstCase(estimateCost(price, { inputTokens, outputTokens: maxTokens, fast })),
    batch: estimateCost(price, { inputTokens, outputTokens: expectedOutputTokens, fast, batch: true }),
    exceedsWindow: input.contextWindow !== undefined && inputTokens + maxTokens > input.contextWindow,
  };
  if (count.kind === 'estimate') summary.estimateReason = count.reason;
  if (input.contextWindow !== undefined && input.contextWindow > 0) {
    summary.contextWindow = input.contextWindow;
    summary.windowUsePercent = (inputTokens / input.contextWindow) * 100;
  }
  if (price) summary.price = { asOf: price.asOf, source: price.source, unverified: price.unverified ?? false };

  const plan = input.cachePlan;
  if (plan && plan.breakpoints.length > 0) {
    const write5mTokens = Math.round(inputTokens * plan.write5mShare);
    const write1hTokens = Math.round(inputTokens * plan.write1hShare);
    const readTokens = Math.min(inputTokens, write5mTokens + write1hTokens);
    const uncached = inputTokens - readTokens;
    summary.caching = {
      write5mTokens,
      write1hTokens,
      readTokens,
      firstRun: estimateCost(price, { inputTokens: uncached, cacheWrite5mTokens: write5mTokens, cacheWrite1hTokens: write1hTokens, outputTokens: expectedOutputTokens, fast }),
      repeatRun: estimateCost(price, { inputTokens: uncached, cacheReadTokens: readTokens, outputTokens: expectedOutputTokens, fast }),
      tooManyBreakpoints: plan.tooManyBreakpoints,
    };
  }
  return summary;
}

function asWorstCase(cost: CostEstimate): WorstCase {
  return cost.known ? { known: true, usd: cost.usd, notes: cost.notes } : { known: false, reason: cost.reason.replace(/^cost unknown: /, ''), notes: [] };
}

// ---------------------------------------------------------------------------------------------
// Text for the status bar, its tooltip and the details view

function costText(cost: CostEstimate): string {
  if (cost.known) return formatUsd(cost.usd);
  return cost.refused ? 'no fast mode on this model' : 'cost unknown';
}

/** The status bar text: `12,480 tok · $0.037 · 1.2% ctx`, `~` before an estimated count. */
export function statusText(summary: CostSummary): string {
  const parts = [`${summary.exact ? '' : '~'}${formatCount(summary.inputTokens)} tok`, costText(summary.expected)];
  if (summary.windowUsePercent !== undefined) parts.push(`${formatPercent(summary.windowUsePercent)} ctx`);
  return parts.join(' · ');
}

/**
 * Escapes text for a Markdown string (tooltip, details view): a backslash before every character
 * that opens Markdown syntax inline (links and images start at the escaped bracket, so parentheses
 * stay as they are; code, emphasis, HTML, entities, table cells, headings), and line breaks
 * become spaces (a break would end a table row or open a new block).
 * Model ids, tool types and anything else a prompt names pass through here.
 */
export function escapeMarkdown(text: string): string {
  return text.replace(/\r\n|[\r\n\u2028\u2029]/g, ' ').replace(/[\\`*_[\]|<>~!#&]/g, '\\$&');
}

/** A model id (or other prompt string) as inline code when it is plainly an id, else as escaped text. */
export function markdownId(text: string): string {
  return /^[A-Za-z0-9][A-Za-z0-9._:@/-]*$/.test(text) ? `\`${text}\`` : escapeMarkdown(text);
}

function costCell(cost: CostEstimate): string {
  if (!cost.known) return escapeMarkdown(cost.reason);
  return formatUsd(cost.usd);
}

function worstCaseCell(worst: WorstCase): string {
  if (worst.known) return formatUsd(worst.usd);
  const floor = worst.atLeastUsd !== undefined ? `at least ${formatUsd(worst.atLeastUsd)}, ` : '';
  return escapeMarkdown(`unknown (${floor}${worst.reason})`);
}

function countLine(summary: CostSummary): string {
  const tokens = `${summary.exact ? '' : '~'}${formatCount(summary.inputTokens)}`;
  const how = summary.exact ? 'exact count from the API' : `offline estimate: ${summary.estimateReason ?? 'not counted yet'}`;
  return `**${escapeMarkdown(tokens)} input tokens** for ${markdownId(summary.model)} (${escapeMarkdown(how)})`;
}

function costRows(summary: CostSummary): string[] {
  const output = `${formatCount(summary.expectedOutputTokens)} output tokens${summary.expectedOutputAssumed ? ', assumed' : ''}`;
  const rows = [
    '| | Cost |',
    '| --- | ---: |',
    `| Expected (${escapeMarkdown(output)}) | ${costCell(summary.expected)} |`,
    `| Worst case (max\\_tokens ${formatCount(summary.maxTokens)} of output) | ${worstCaseCell(summary.worstCase)} |`,
    `| Batch (expected, x0.5) | ${costCell(summary.batch)} |`,
  ];
  const caching = summary.caching;
  if (caching) {
    const written = formatCount(caching.write5mTokens + caching.write1hTokens);
    rows.push(
      `| Cached, first run (writes ${written} tokens) | ${costCell(caching.firstRun)} |`,
      `| Cached, repeat run within the TTL (reads ${formatCount(caching.readTokens)} tokens) | ${costCell(caching.repeatRun)} |`,
    );
  }
  return rows;
}

function windowLine(summary: CostSummary): string | undefined {
  if (summary.contextWindow === undefined || summary.windowUsePercent === undefined) return undefined;
  const line = `Context window: ${formatPercent(summary.windowUsePercent)} of ${formatCount(summary.contextWindow)} tokens`;
  if (!summary.exceedsWindow) return escapeMarkdown(line);
  return `${escapeMarkdown(line)}  \n**Input plus max\\_tokens (${formatCount(summary.inputTokens + summary.maxTokens)}) is larger than the window**: lower max\\_tokens or shorten the prompt.`;
}

function priceLines(summary: CostSummary): string[] {
  const lines: string[] = [];
  if (summary.price) {
    const verified = summary.price.unverified ? ' Some figures are unverified.' : '';
    lines.push(escapeMarkdown(`Prices as of ${summary.price.asOf}; source: ${summary.price.source}.${verified}`));
  } else if (!summary.expected.known) {
    lines.push(escapeMarkdown(`${summary.expected.reason}. Add its prices in the price overrides setting.`));
  }
  const notes = new Set<string>();
  for (const note of summary.worstCase.notes) notes.add(note);
  for (const cost of [summary.expected, summary.batch, summary.caching?.firstRun, summary.caching?.repeatRun]) {
    if (!cost) continue;
    if (cost.known) cost.notes.forEach((note) => notes.add(note));
    // A missing cache price only shows in the caching rows; say why there.
    else if (summary.expected.known || cost.reason !== summary.expected.reason) notes.add(cost.reason);
  }
  for (const note of notes) lines.push(escapeMarkdown(`Note: ${note}.`));
  if (summary.caching?.tooManyBreakpoints) lines.push('**More than 4 cache breakpoints**: the API rejects this request.');
  return lines;
}

/** The status bar tooltip: the token count and how it was obtained, every cost figure, window use, price date and source. */
export function tooltipMarkdown(summary: CostSummary): string {
  const blocks = [countLine(summary), costRows(summary).join('\n'), windowLine(summary), priceLines(summary).join('  \n')];
  return blocks.filter((block): block is string => block !== undefined && block !== '').join('\n\n');
}

/** The details view: the tooltip's content plus a what-if table, one row per model, each counted on its own. */
export function detailsMarkdown(summary: CostSummary, whatIf: readonly CostSummary[]): string {
  const blocks = [`## Tokens and cost: ${markdownId(summary.model)}`, tooltipMarkdown(summary)];
  if (whatIf.length > 0) {
    const rows = [
      '| Model | Input tokens | Expected | Worst case | Batch | Repeat run (cached) | Window |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...whatIf.map((row) => {
        const tokens = `${row.exact ? '' : '\\~'}${formatCount(row.inputTokens)}`;
        const repeat = row.caching ? whatIfCell(row.caching.repeatRun) : 'no breakpoints';
        const window = row.windowUsePercent === undefined ? 'unknown' : `${escapeMarkdown(formatPercent(row.windowUsePercent))}${row.exceedsWindow ? ' (too large)' : ''}`;
        return `| ${markdownId(row.model)} | ${tokens} | ${whatIfCell(row.expected)} | ${row.worstCase.known ? formatUsd(row.worstCase.usd) : 'unknown'} | ${whatIfCell(row.batch)} | ${repeat} | ${window} |`;
      }),
    ];
    const estimated = whatIf.filter((row) => !row.exact).map((row) => `${markdownId(row.model)}: ${escapeMarkdown(row.estimateReason ?? 'not counted yet')}`);
    const sources = whatIf.map((row) =>
      row.price ? `${markdownId(row.model)}: ${escapeMarkdown(`as of ${row.price.asOf}, ${row.price.source}`)}` : `${markdownId(row.model)}: not in the price table`,
    );
    blocks.push('### What if: other models', 'Each model counted on its own (tokenizers differ by model).', rows.join('\n'));
    if (estimated.length > 0) blocks.push(`Estimated (\\~) counts: ${estimated.join('; ')}`);
    blocks.push(`Prices: ${sources.join('; ')}`);
  }
  return blocks.join('\n\n');
}

function whatIfCell(cost: CostEstimate): string {
  return cost.known ? formatUsd(cost.usd) : 'unknown';
}
