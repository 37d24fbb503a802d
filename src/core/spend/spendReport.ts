// What the spend view shows, built from the ledger's running totals (no re-read), and the CSV
// export of a month's lines. Pure: shared by the view, its tests and a future CLI.
import type { RateLimitSnapshot } from './rateLimitHeaders';
import { USAGE_TIER_NAMES } from './rateLimitHeaders';
import { callsOf, type LedgerLine, type LedgerUsage, type SpendTotals } from './spendLedger';

export interface SpendShare {
  name: string;
  usd: number;
  calls: number;
}

/** Everything the spend view draws, for one month. Real spend only; simulated apart. */
export interface SpendReport {
  /** 'YYYY-MM' (UTC). */
  month: string;
  totalUsd: number;
  calls: number;
  unpricedCalls: number;
  /** 0 when no budget is set. */
  budgetUsd: number;
  warningPercents: number[];
  /** USD per UTC day, index 0 = the 1st. */
  byDay: number[];
  byModel: SpendShare[];
  byPrompt: SpendShare[];
  cacheSavingsUsd: number;
  batchSavingsUsd: number;
  tokens: LedgerUsage;
  simulated: { usd: number; calls: number };
  countCalls: number;
  rateLimits: RateLimitSnapshot[];
  tierNames: string[];
}

function shares(map: ReadonlyMap<string, { usd: number; calls: number }>): SpendShare[] {
  return [...map.entries()].map(([name, v]) => ({ name, usd: v.usd, calls: v.calls })).sort((a, b) => b.usd - a.usd || b.calls - a.calls || a.name.localeCompare(b.name));
}

export function buildSpendReport(totals: SpendTotals, settings: { budgetUsd: number; warningPercents: readonly number[] }, rateLimits: readonly RateLimitSnapshot[]): SpendReport {
  return {
    month: totals.month,
    totalUsd: totals.usd,
    calls: totals.calls,
    unpricedCalls: totals.unpricedCalls,
    budgetUsd: settings.budgetUsd,
    warningPercents: [...settings.warningPercents],
    byDay: [...totals.byDay],
    byModel: shares(totals.byModel),
    byPrompt: shares(totals.byPrompt),
    cacheSavingsUsd: totals.cacheSavingsUsd,
    batchSavingsUsd: totals.batchSavingsUsd,
    tokens: { ...totals.tokens },
    simulated: { ...totals.simulated },
    countCalls: totals.countCalls,
    rateLimits: [...rateLimits],
    tierNames: [...USAGE_TIER_NAMES],
  };
}

const CSV_COLUMNS = [
  'time',
  'kind',
  'model',
  'prompt',
  'input_tokens',
  'output_tokens',
  'cache_write_5m_tokens',
  'cache_write_1h_tokens',
  'cache_read_tokens',
  'cost_usd',
  'price_as_of',
  'estimated',
  'simulated',
  'cache_savings_usd',
  'batch_savings_usd',
  'request_id',
  'batch_id',
  'key_fingerprint',
  'base_url_host',
  'calls',
] as const;

/**
 * One CSV field. Prompt names and ids come from files someone else may have written, so a cell a
 * spreadsheet would read as a formula (= + - @, tab, CR) is prefixed with an apostrophe.
 */
export function csvField(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * The billed calls of a month as CSV (header row, CRLF line ends as RFC 4180 says). A line that
 * groups calls (a batch's results) is one row: `calls` says how many, the tokens and costs are
 * their sums, and it has no single request id.
 */
export function ledgerCsv(lines: readonly LedgerLine[]): string {
  const rows: string[] = [CSV_COLUMNS.join(',')];
  for (const line of lines) {
    if (line.type !== 'call') continue;
    rows.push(
      [
        line.time,
        line.kind,
        line.model,
        line.promptName,
        line.usage.inputTokens,
        line.usage.outputTokens,
        line.usage.cacheWrite5mTokens,
        line.usage.cacheWrite1hTokens,
        line.usage.cacheReadTokens,
        line.costUsd,
        line.priceAsOf,
        line.estimated === true,
        line.simulated,
        line.cacheSavingsUsd ?? 0,
        line.batchSavingsUsd ?? 0,
        line.requestId,
        line.batchId,
        line.keyFingerprint,
        line.baseUrlHost,
        callsOf(line),
      ]
        .map(csvField)
        .join(','),
    );
  }
  return `${rows.join('\r\n')}\r\n`;
}
