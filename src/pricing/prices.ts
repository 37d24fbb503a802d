import type * as vscode from 'vscode';
import { BUNDLED_PRICES, findPrice, mergePriceOverrides, type PriceEntry, type PriceTable } from '../core/pricing/priceTable';
import type { WorkbenchConfig } from '../config/workbenchConfig';

/** The bundled price table with the user's promptWorkbench.priceOverrides applied. */
export class Prices implements vscode.Disposable {
  private table: PriceTable = BUNDLED_PRICES;
  private readonly listener: vscode.Disposable;

  constructor(
    config: WorkbenchConfig,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.apply(config.settings.priceOverrides);
    this.listener = config.onDidChange((settings) => this.apply(settings.priceOverrides));
  }

  private apply(overrides: Record<string, Record<string, unknown>>): void {
    const merged = mergePriceOverrides(BUNDLED_PRICES, overrides);
    this.table = merged.table;
    for (const problem of merged.problems) this.log.warn(`promptWorkbench.priceOverrides: ${problem.message}`);
  }

  find(model: string): PriceEntry | undefined {
    return findPrice(this.table, model);
  }

  dispose(): void {
    this.listener.dispose();
  }
}
