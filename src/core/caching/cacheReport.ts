// What the prompt cache did for a run (or a whole dataset job): reads, 5-minute and 1-hour writes,
// the hit rate and the money saved against sending the same input uncached; why a run missed the
// cache, in the API's words (cache diagnostics, §8) and by a local diff of the request against the
// previous run of the same prompt, so the block that changed is named even without diagnostics.
import { formatCount, formatUsd } from '../format';
import { estimateCost, tokenUsageFromApi, type ApiUsage, type PriceEntry } from '../pricing/priceTable';

export interface CacheReport {
  readTokens: number;
  write5mTokens: number;
  write1hTokens: number;
  /** Input tokens neither read nor written. */
  uncachedTokens: number;
  /** Reads over every prompt token (0..1). */
  hitRate: number;
  /**
   * The input at the plain input price, minus what it cost with the cache: positive when reads
   * paid off, negative on a run that only wrote. Undefined when a needed price is unknown.
   */
  savedUsd?: number;
}

/** The cache figures of one response's usage, priced with the model's rates. */
export function cacheReportOf(usage: ApiUsage, price: PriceEntry | undefined): CacheReport {
  const tokens = tokenUsageFromApi(usage);
  const read = tokens.cacheReadTokens ?? 0;
  const write5m = tokens.cacheWrite5mTokens ?? 0;
  const write1h = tokens.cacheWrite1hTokens ?? 0;
  const prompt = tokens.inputTokens + read + write5m + write1h;
  const report: CacheReport = { readTokens: read, write5mTokens: write5m, write1hTokens: write1h, uncachedTokens: tokens.inputTokens, hitRate: prompt > 0 ? read / prompt : 0 };
  const common = { outputTokens: 0, ...(tokens.batch ? { batch: true } : {}), ...(tokens.fast ? { fast: true } : {}) };
  const plain = estimateCost(price, { inputTokens: prompt, ...common });
  const actual = estimateCost(price, { inputTokens: tokens.inputTokens, cacheReadTokens: read, cacheWrite5mTokens: write5m, cacheWrite1hTokens: write1h, ...common });
  if (plain.known && actual.known) report.savedUsd = plain.usd - actual.usd;
  return report;
}

/** The sum of many runs' reports (a dataset job's totals), as RunningCacheTotals keeps it. */
export function sumCacheReports(reports: readonly CacheReport[]): CacheReport {
  const totals = new RunningCacheTotals();
  for (const report of reports) totals.replace(undefined, report);
  return totals.total();
}

/**
 * A job's cache totals in one line for the results grid ("cache: 48,000 read, 4,000 written (5m),
 * 0 written (1h), 92% hit rate, saved $0.13 against uncached input"); undefined when no row read
 * or wrote the cache, so a job without caching shows nothing.
 */
export function cacheTotalsText(reports: readonly CacheReport[]): string | undefined {
  return cacheTotalLine(sumCacheReports(reports));
}

function cacheTotalLine(total: CacheReport): string | undefined {
  if (total.readTokens + total.write5mTokens + total.write1hTokens === 0) return undefined;
  return `cache: ${formatCount(total.readTokens)} read, ${formatCount(total.write5mTokens)} written (5m), ${formatCount(total.write1hTokens)} written (1h), ${Math.round(total.hitRate * 100)}% hit rate, ${describeSaving(total.savedUsd)}`;
}

/**
 * A job's cache totals kept as its rows arrive, so a grid of many rows is never summed again:
 * a row seen again (a retry) takes its earlier report out and its new one in, so it counts once.
 */
export class RunningCacheTotals {
  private readonly sum = { readTokens: 0, write5mTokens: 0, write1hTokens: 0, uncachedTokens: 0, savedUsd: 0 };
  /** Reports in the totals whose saving is unknown: while any is, the total saving is unknown too. */
  private unknownSavings = 0;

  /** A row's report replaced: `previous` (the row's earlier report, if any) out, `next` (if any) in. */
  replace(previous: CacheReport | undefined, next: CacheReport | undefined): void {
    if (previous) this.add(previous, -1);
    if (next) this.add(next, 1);
  }

  clear(): void {
    Object.assign(this.sum, { readTokens: 0, write5mTokens: 0, write1hTokens: 0, uncachedTokens: 0, savedUsd: 0 });
    this.unknownSavings = 0;
  }

  /** The totals as sumCacheReports gives them for the same reports. */
  total(): CacheReport {
    const { readTokens, write5mTokens, write1hTokens, uncachedTokens, savedUsd } = this.sum;
    const prompt = readTokens + write5mTokens + write1hTokens + uncachedTokens;
    return { readTokens, write5mTokens, write1hTokens, uncachedTokens, hitRate: prompt > 0 ? readTokens / prompt : 0, ...(this.unknownSavings === 0 ? { savedUsd } : {}) };
  }

  /** The grid's cache line (cacheTotalsText of the same reports). */
  text(): string | undefined {
    return cacheTotalLine(this.total());
  }

  private add(report: CacheReport, sign: 1 | -1): void {
    this.sum.readTokens += sign * report.readTokens;
    this.sum.write5mTokens += sign * report.write5mTokens;
    this.sum.write1hTokens += sign * report.write1hTokens;
    this.sum.uncachedTokens += sign * report.uncachedTokens;
    if (report.savedUsd === undefined) this.unknownSavings += sign;
    else this.sum.savedUsd += sign * report.savedUsd;
  }
}

/** "saved $0.012" or "cost $0.0031 more (cache writes)". */
export function describeSaving(savedUsd: number | undefined): string {
  if (savedUsd === undefined) return 'saving unknown (a cache price is not known)';
  if (Math.abs(savedUsd) < 1e-12) return 'no saving';
  return savedUsd > 0 ? `saved ${formatUsd(savedUsd)} against uncached input` : `cost ${formatUsd(-savedUsd)} more than uncached input (cache writes)`;
}

/** `cache_miss_reason` as the API sends it (the SDK's CacheMissReason, fields optional). */
export interface CacheMissReasonLike {
  type: string;
  cache_missed_input_tokens?: number;
}

/**
 * The API's cache miss reason in words, e.g. "system changed: 9,812 tokens missed", or undefined
 * when there was no miss to explain (null: no divergence, the first run, or still pending).
 */
export function describeCacheMiss(reason: CacheMissReasonLike | null | undefined): string | undefined {
  if (!reason) return undefined;
  const missed = reason.cache_missed_input_tokens !== undefined ? `: ${formatCount(reason.cache_missed_input_tokens)} tokens missed` : '';
  switch (reason.type) {
    case 'model_changed':
      return `model or speed changed${missed}`;
    case 'system_changed':
      return `system changed${missed}`;
    case 'tools_changed':
      return `tools changed${missed}`;
    case 'messages_changed':
      return `an earlier message changed${missed}`;
    case 'previous_message_not_found':
      return 'the API has no record of the previous run to compare with (too old, or another workspace)';
    case 'unavailable':
      return 'no diagnosis: model, system and tools match, but another setting that shapes the prompt changed (thinking, tool_choice…)';
    default:
      return `${reason.type.replace(/_/g, ' ')}${missed}`;
  }
}

type Json = Record<string, unknown>;

/** The request's prefix items in cache order, each named and serialized: model and speed, tools, system, message blocks. */
function prefixItems(request: Json): [label: string, value: string][] {
  const items: [string, string][] = [[`model`, JSON.stringify([request['model'], request['speed'] ?? 'standard'])]];
  const tools = Array.isArray(request['tools']) ? (request['tools'] as unknown[]) : [];
  tools.forEach((tool, i) => items.push([`tools[${i}]`, JSON.stringify(tool)]));
  const system = request['system'];
  if (Array.isArray(system)) system.forEach((block, i) => items.push([`system[${i}]`, JSON.stringify(block)]));
  else if (system !== undefined && system !== null) items.push(['system', JSON.stringify(system)]);
  const messages = Array.isArray(request['messages']) ? (request['messages'] as unknown[]) : [];
  messages.forEach((message, m) => {
    const content = (message as Json | null)?.['content'];
    if (Array.isArray(content)) content.forEach((block, b) => items.push([`messages[${m}].content[${b}]`, JSON.stringify(block)]));
    else items.push([`messages[${m}]`, JSON.stringify(content)]);
  });
  return items;
}

/**
 * The first block of the prompt's prefix (model, tools, system, messages, in cache order) that
 * differs from the previous run's request, in words: "system[1] changed since the last run", or
 * undefined when the new request only appends to the old one.
 */
export function firstChangedBlock(previous: Json, current: Json): string | undefined {
  const before = prefixItems(previous);
  const after = prefixItems(current);
  for (let i = 0; i < before.length; i++) {
    const [label, value] = before[i] as [string, string];
    const now = after[i];
    if (!now) return `${label} and what follows were removed since the last run`;
    if (now[0] !== label) return `${label} became ${now[0]} since the last run (a block was added or removed before it)`;
    if (now[1] !== value) {
      if (label === 'model') {
        return previous['model'] === current['model']
          ? `the speed changed since the last run (${String(previous['speed'] ?? 'standard')} → ${String(current['speed'] ?? 'standard')})`
          : `the model changed since the last run (${String(previous['model'])} → ${String(current['model'])})`;
      }
      return `${label} changed since the last run`;
    }
  }
  return undefined;
}

/** The cache report as the panel and history show it. */
export interface CacheReportView {
  readTokens: number;
  write5mTokens: number;
  write1hTokens: number;
  uncachedTokens: number;
  /** Reads over every prompt token, in percent. */
  hitRatePercent: number;
  /** "saved $0.012 against uncached input", or what the writes cost more. */
  savedText: string;
  savedUsd?: number;
  /** The API's cache_miss_reason in words (cache diagnostics). */
  missReason?: string;
  /** The local diff: the first prefix block that changed since the last run of the prompt. */
  changedSinceLastRun?: string;
}

/** The view of a run's cache use, or undefined when the run used no cache and nothing explains a miss. */
export function cacheReportView(
  usage: ApiUsage | undefined,
  price: PriceEntry | undefined,
  explain: { diagnostics?: { cache_miss_reason?: CacheMissReasonLike | null } | null; changedSinceLastRun?: string } = {},
): CacheReportView | undefined {
  if (!usage) return undefined;
  const report = cacheReportOf(usage, price);
  const missReason = describeCacheMiss(explain.diagnostics?.cache_miss_reason);
  const used = report.readTokens + report.write5mTokens + report.write1hTokens > 0;
  if (!used && missReason === undefined && explain.changedSinceLastRun === undefined) return undefined;
  return {
    readTokens: report.readTokens,
    write5mTokens: report.write5mTokens,
    write1hTokens: report.write1hTokens,
    uncachedTokens: report.uncachedTokens,
    hitRatePercent: report.hitRate * 100,
    savedText: describeSaving(report.savedUsd),
    ...(report.savedUsd !== undefined ? { savedUsd: report.savedUsd } : {}),
    ...(missReason !== undefined ? { missReason } : {}),
    ...(explain.changedSinceLastRun !== undefined ? { changedSinceLastRun: explain.changedSinceLastRun } : {}),
  };
}

/** One line for a history entry: "cache 92% read, saved $0.012; system changed: 9,812 tokens missed". */
export function cacheSummaryText(view: CacheReportView): string {
  const parts = [`cache ${Math.round(view.hitRatePercent)}% read`];
  if (view.savedUsd !== undefined && Math.abs(view.savedUsd) >= 1e-12) parts.push(view.savedUsd > 0 ? `saved ${formatUsd(view.savedUsd)}` : `writes cost ${formatUsd(-view.savedUsd)} more`);
  const why = view.missReason ?? view.changedSinceLastRun;
  return why ? `${parts.join(', ')}; ${why}` : parts.join(', ');
}

/**
 * The request with cache diagnostics asked for (§8): when the user opted in (the setting, or a
 * `diagnostics` object in the prompt), `previous_message_id` is the last reply to this prompt,
 * or null on its first run (an id the prompt names itself stands in for an unknown last reply; a
 * recorded request sent again compares with the prompt's latest run, not the one it recorded).
 */
export function withCacheDiagnostics(request: Record<string, unknown>, optedIn: boolean, previousMessageId: string | undefined): Record<string, unknown> {
  const written = request['diagnostics'];
  const inPrompt = typeof written === 'object' && written !== null && !Array.isArray(written);
  if (!optedIn && !inPrompt) return request;
  const own = inPrompt ? (written as { previous_message_id?: unknown }).previous_message_id : undefined;
  const previous = previousMessageId ?? (typeof own === 'string' && own !== '' ? own : null);
  return { ...request, diagnostics: { previous_message_id: previous } };
}
