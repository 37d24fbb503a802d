// The pre-send worst case of one Messages request: the most it can cost, which the spend cap and
// the monthly budget check before anything is sent. It must never be lower than what the API can
// bill for the request; where the fact sheet gives no price for something the request uses, the
// worst case is unknown (and the guard asks) rather than a silently lower figure.
//
// What it adds up (anthropic-api.md §8, §13, §17, §20):
// - input: the counted prompt tokens, every one of them priced at the dearest rate the request can
//   bill it at: the 1-hour cache write when any breakpoint asks for 1h, the 5-minute write when any
//   breakpoint exists, the input rate otherwise. Which share of the prompt a breakpoint covers is
//   only estimated (tokenizers differ), so pricing the whole prompt at the write rate is the bound
//   that holds whatever the split.
// - output: max_tokens (thinking included).
// - fast mode (`speed: "fast"`): the model's fast multiplier on every column; unknown without one.
// - `inference_geo` other than "global": the data-residency multiplier is UNVERIFIED, so unknown.
// - server tools (web search, web fetch, code execution, tool search, MCP servers): their results
//   are read back as input tokens the count cannot know in advance, and their fees are priced
//   separately (web search $10 per 1,000 [DOCS-old], code execution per container-hour): unknown,
//   with the part that can be priced as a lower bound, so a run already above the cap is refused.

import { CODE_EXECUTION_PRICE_NOTE, estimateCost, UNKNOWN_MODEL_REASON, WEB_SEARCH_USD_PER_SEARCH, type PriceEntry } from './priceTable';


export interface WorstCaseInput {
  /** The resolved request as it will be sent (variables filled in). */
  request: Readonly<Record<string, unknown>>;
  /** The prompt's input tokens: system, tools and messages, cached or not. */
  inputTokens: number;
  /** false when the input was only estimated offline (count_tokens failed): the estimate can be low. */
  inputTokensExact?: boolean;
  /** From findPrice (with the user's overrides); undefined when the model has no price. */
  price: PriceEntry | undefined;
}

export type WorstCase =
  | {
      known: true;
      usd: number;
      /** What the figure assumes, for the cost details and the confirmation message. */
      notes: string[];
    }
  | {
      known: false;
      /** Why no upper bound can be given, in words for the user. */
      reason: string;
      /** A lower bound of the worst case when the part that can be priced is known. */
      atLeastUsd?: number;
      /** The model has no price at all (the fix is a price override). */
      priceMissing?: boolean;
      notes: string[];
    };

/** Tool types the client runs (one request stays one sampling pass, bounded by max_tokens). */
const CLIENT_TOOL_TYPE = /^(custom|bash_\d{8}|text_editor_\d{8}|memory_\d{8}|computer_\d{8})$/;

type CacheTtl = '5m' | '1h';

/** The TTLs of every cache_control marker anywhere in the request, top level included. */
export function cacheTtls(request: unknown): Set<CacheTtl> {
  const ttls = new Set<CacheTtl>();
  // Iterative: a hostile prompt may nest deeper than the call stack.
  const stack: unknown[] = [request];
  while (stack.length > 0) {
    const value = stack.pop();
    if (Array.isArray(value)) {
      for (const item of value) stack.push(item);
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, child] of Object.entries(value)) {
        if (key === 'cache_control' && typeof child === 'object' && child !== null && !Array.isArray(child)) {
          ttls.add((child as { ttl?: unknown }).ttl === '1h' ? '1h' : '5m');
        } else stack.push(child);
      }
    }
  }
  return ttls;
}

/** Why each server-side tool of the request makes the worst case unknown, and the fees that can be priced. */
function serverTools(request: Readonly<Record<string, unknown>>): { names: string[]; feesUsd: number; feeNotes: string[]; feesBounded: boolean } {
  const names: string[] = [];
  const feeNotes: string[] = [];
  let feesUsd = 0;
  let feesBounded = true;
  const tools = Array.isArray(request['tools']) ? (request['tools'] as unknown[]) : [];
  for (const tool of tools) {
    if (typeof tool !== 'object' || tool === null) continue;
    const type = (tool as { type?: unknown }).type;
    if (type === undefined || type === null || (typeof type === 'string' && CLIENT_TOOL_TYPE.test(type))) continue;
    const name = typeof type === 'string' ? type : JSON.stringify(type);
    names.push(name);
    if (typeof type === 'string' && type.startsWith('code_execution_')) {
      feeNotes.push(CODE_EXECUTION_PRICE_NOTE);
    } else if (typeof type === 'string' && type.startsWith('web_fetch_')) {
      feeNotes.push('web fetch: the price sheet gives no fee per fetch (only the fetched content, billed as input tokens)');
    }
    if (typeof type === 'string' && type.startsWith('web_search_')) {
      const maxUses = (tool as { max_uses?: unknown }).max_uses;
      if (typeof maxUses === 'number' && Number.isInteger(maxUses) && maxUses >= 0) {
        feesUsd += maxUses * WEB_SEARCH_USD_PER_SEARCH;
        feeNotes.push(`up to ${maxUses} web searches at $10 per 1,000 (UNVERIFIED)`);
      } else {
        feesBounded = false;
        feeNotes.push('web search without max_uses: the number of searches is not bounded');
      }
    }
  }
  if (Array.isArray(request['mcp_servers']) && request['mcp_servers'].length > 0) names.push('mcp_servers');
  return { names, feesUsd, feeNotes, feesBounded };
}

/** The most the request can cost, or unknown (with a lower bound where one exists). Never a lower figure. */
export function worstCaseCost(input: WorstCaseInput): WorstCase {
  const { request, price } = input;
  const maxTokens = request['max_tokens'];
  if (typeof maxTokens !== 'number' || !Number.isFinite(maxTokens) || maxTokens < 0) {
    return { known: false, reason: 'max_tokens is not a number, so the output is not bounded', notes: [] };
  }
  const notes: string[] = [];
  if (!price) return { known: false, reason: UNKNOWN_MODEL_REASON.replace(/^cost unknown: /, ''), priceMissing: true, notes };
  const fast = request['speed'] === 'fast';

  // The prompt at each rate it can be billed at; the worst is the dearest of them.
  const ttls = cacheTtls(request);
  const inputTokens = input.inputTokens;
  const scenarios = [estimateCost(price, { inputTokens, outputTokens: maxTokens, fast })];
  if (ttls.has('5m')) scenarios.push(estimateCost(price, { inputTokens: 0, cacheWrite5mTokens: inputTokens, outputTokens: maxTokens, fast }));
  if (ttls.has('1h')) scenarios.push(estimateCost(price, { inputTokens: 0, cacheWrite1hTokens: inputTokens, outputTokens: maxTokens, fast }));
  const unknown = scenarios.find((cost) => !cost.known);
  if (unknown && !unknown.known) return { known: false, reason: unknown.reason.replace(/^cost unknown: /, ''), notes };
  let tokensUsd = 0;
  for (const cost of scenarios) {
    if (!cost.known) continue;
    tokensUsd = Math.max(tokensUsd, cost.usd);
    for (const note of cost.notes) if (!notes.includes(note)) notes.push(note);
  }
  if (ttls.size > 0) notes.push(`cache writes: every input token priced at the ${ttls.has('1h') ? '1-hour' : '5-minute'} write rate`);
  // A task budget (§14) is advisory across a whole agentic loop; max_tokens stays the hard cap of
  // each reply, so it is what bounds this request. Said, so the budget is seen to be counted.
  const outputConfig = request['output_config'];
  const budget = typeof outputConfig === 'object' && outputConfig !== null ? (outputConfig as { task_budget?: { total?: unknown } }).task_budget : undefined;
  if (budget !== undefined && budget !== null) {
    const total = typeof budget.total === 'number' ? budget.total : undefined;
    notes.push(`task budget${total !== undefined ? ` of ${total} tokens` : ''}: advisory across the agentic loop; each reply is still capped by max_tokens (${maxTokens}), which this figure uses`);
  }

  const tools = serverTools(request);
  const usd = tokensUsd + tools.feesUsd;
  notes.push(...tools.feeNotes);

  const geo = request['inference_geo'];
  if (geo !== undefined && geo !== null && geo !== 'global') {
    return {
      known: false,
      reason: `inference_geo ${JSON.stringify(geo)}: the data-residency price multiplier is not known`,
      atLeastUsd: usd,
      notes,
    };
  }
  if (tools.names.length > 0) {
    return {
      known: false,
      reason: `server tools (${tools.names.join(', ')}) read their results back as input tokens that cannot be counted before sending${tools.feesBounded ? '' : ', and their fees are not bounded'}`,
      atLeastUsd: usd,
      notes,
    };
  }
  if (input.inputTokensExact === false) {
    return { known: false, reason: `the input was only estimated (${inputTokens} tokens) because the exact count failed`, atLeastUsd: usd, notes };
  }
  return { known: true, usd, notes };
}

/** The fields decideSpend takes from a worst case. */
export function spendCheckFields(worst: WorstCase): { worstCaseUsd: number | undefined; unknownReason?: string; atLeastUsd?: number } {
  if (worst.known) return { worstCaseUsd: worst.usd };
  return {
    worstCaseUsd: undefined,
    ...(worst.priceMissing ? {} : { unknownReason: worst.reason }),
    ...(worst.atLeastUsd !== undefined ? { atLeastUsd: worst.atLeastUsd } : {}),
  };
}
