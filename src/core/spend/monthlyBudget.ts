// The monthly budget as the user sees it: month-to-date against the budget, and a warning the
// first time each threshold (50/80/100% by default) is crossed.
import { formatUsd } from '../format';
import type { LedgerLine, SpendTotals } from './spendLedger';

export const DEFAULT_WARNING_PERCENTS: readonly number[] = [50, 80, 100];

export interface BudgetSettings {
  /** USD; 0 means no budget. */
  monthlyBudgetUsd: number;
  warningPercents: readonly number[];
}

/** A threshold the month's spend has just crossed. */
export interface ThresholdCrossing {
  month: string;
  percent: number;
  budgetUsd: number;
  monthToDateUsd: number;
  message: string;
}

/** "$12.40 this month of a $50.00 budget (24.8%), $37.60 left" or "$12.40 this month (no budget set)". */
export function monthToDateText(totals: SpendTotals, budgetUsd: number): string {
  const spent = formatUsd(totals.usd);
  const simulated = totals.simulated.calls > 0 ? `; simulated apart: ${totals.simulated.calls} call${totals.simulated.calls === 1 ? '' : 's'}, ${formatUsd(totals.simulated.usd)}` : '';
  const unpriced = totals.unpricedCalls > 0 ? `; ${totals.unpricedCalls} call${totals.unpricedCalls === 1 ? '' : 's'} of unknown cost not included` : '';
  if (budgetUsd <= 0) return `${spent} this month (no monthly budget set)${unpriced}${simulated}`;
  const percent = (totals.usd / budgetUsd) * 100;
  const left = Math.max(0, budgetUsd - totals.usd);
  return `${spent} this month of a ${formatUsd(budgetUsd)} budget (${percent.toFixed(1)}%), ${formatUsd(left)} left${unpriced}${simulated}`;
}

/**
 * Fires each threshold once per month. Lines are observed in file order as the ledger reads them;
 * a crossing is announced only by the window that wrote the crossing line, so two windows never
 * both warn. Thresholds already behind month-to-date when a window starts count as announced.
 */
export class ThresholdWatch {
  private readonly fired = new Set<string>();

  constructor(
    private readonly writer: string,
    private readonly settings: () => BudgetSettings,
  ) {}

  /** Observes one ledger line with the totals after it; returns the crossings this window should announce. */
  observe(line: LedgerLine, totals: SpendTotals): ThresholdCrossing[] {
    if (line.type !== 'call' || line.simulated || line.costUsd === null) return [];
    const { monthlyBudgetUsd: budget, warningPercents } = this.settings();
    if (budget <= 0) return [];
    const after = totals.usd;
    const before = after - line.costUsd;
    const crossings: ThresholdCrossing[] = [];
    for (const percent of [...warningPercents].sort((a, b) => a - b)) {
      const key = `${totals.month}:${percent}`;
      const threshold = (budget * percent) / 100;
      if (after < threshold || this.fired.has(key)) continue;
      this.fired.add(key);
      if (before >= threshold || line.writer !== this.writer) continue;
      crossings.push({
        month: totals.month,
        percent,
        budgetUsd: budget,
        monthToDateUsd: after,
        message:
          percent >= 100
            ? `This month's API spend, ${formatUsd(after)}, has reached your monthly budget of ${formatUsd(budget)}. Sends whose worst case would go further are refused; raise promptWorkbench.monthlyBudgetUsd to continue.`
            : `This month's API spend, ${formatUsd(after)}, has passed ${percent}% of your monthly budget of ${formatUsd(budget)}.`,
      });
    }
    return crossings;
  }
}
