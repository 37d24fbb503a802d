import * as vscode from 'vscode';
import { DEFAULT_WARNING_PERCENTS, monthToDateText, ThresholdWatch } from '../core/spend/monthlyBudget';
import { keyFingerprint, readOrCreateSalt } from '../core/spend/keyFingerprint';
import { RateLimitBoard } from '../core/spend/rateLimitHeaders';
import { readRateLimitFile, writeRateLimitFile } from '../core/spend/rateLimitStore';
import type { CallTarget, SpendGate } from '../core/spend/spendGate';
import { SpendLedger, type SpendTotals } from '../core/spend/spendLedger';
import type { ApiConnection } from '../api/apiConnection';
import type { WorkbenchConfig } from '../config/workbenchConfig';
import type { Prices } from '../pricing/prices';
import type * as SpendGateFeatureModule from './spendGateFeature';

export interface SpendTrackingDeps {
  /** The extension's global storage: the ledger is per user, not per workspace. */
  globalStorageUri: vscode.Uri;
  config: WorkbenchConfig;
  prices: Prices;
  api: ApiConnection;
  log: vscode.LogOutputChannel;
}

/** Free counting calls are written to the ledger in one line at most this often. */
const countFlushMs = 60_000;
/** A busy job reports limits on every response: they are written at most this often. */
const rateLimitWriteDelayMs = 2_000;

/**
 * The window's spend services: the ledger in global storage, the gate every billed call goes
 * through, the rate limits seen, and the threshold warnings.
 */
export class SpendTracking implements vscode.Disposable {
  readonly ledger: SpendLedger;
  private builtGate: SpendGate | undefined;
  readonly rateLimits = new RateLimitBoard();
  private readonly changed = new vscode.EventEmitter<SpendTotals>();
  /** Fires after lines (this window's or another's) were read into the month's totals. */
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private readonly salt: Promise<string>;
  private countTimer: ReturnType<typeof setInterval> | undefined;
  /** Threshold warnings shown (for tests). */
  readonly warningsShown: string[] = [];

  constructor(private readonly deps: SpendTrackingDeps) {
    const folder = vscode.Uri.joinPath(deps.globalStorageUri, 'spend').fsPath;
    this.ledger = new SpendLedger({ folder });
    this.salt = readOrCreateSalt(`${folder}/fingerprint-salt`);
    const watch = new ThresholdWatch(this.ledger.writer, () => ({
      monthlyBudgetUsd: deps.config.settings.monthlyBudgetUsd,
      warningPercents: deps.config.settings.budgetWarningPercents.length ? deps.config.settings.budgetWarningPercents : DEFAULT_WARNING_PERCENTS,
    }));
    let pendingChange: ReturnType<typeof setTimeout> | undefined;
    const lines = this.ledger.onLine((line, totals) => {
      for (const crossing of watch.observe(line, totals)) this.warn(crossing.message);
      // Many lines read at once (a first read, a busy job) make one change event.
      pendingChange ??= setTimeout(() => {
        pendingChange = undefined;
        this.changed.fire(this.ledger.totals);
      }, 0);
    });
    this.disposables.push({ dispose: () => lines.dispose() }, { dispose: () => clearTimeout(pendingChange) });
    // Thresholds already behind this month's spend when the window opens are not news.
    void this.ledger.refresh();
    this.keepRateLimits(`${folder}/rate-limits.json`);
  }

  /**
   * The limits seen are kept between windows: restored when the window opens (a plan can estimate
   * its time before the first response), written a moment after a response reports new ones.
   */
  private keepRateLimits(path: string): void {
    void readRateLimitFile(path).then((snapshots) => this.rateLimits.restore(snapshots));
    let pendingWrite: ReturnType<typeof setTimeout> | undefined;
    const write = (): void => {
      pendingWrite = undefined;
      void writeRateLimitFile(path, this.rateLimits.all()).catch((error: unknown) => this.deps.log.warn(`Rate limits not kept: ${String(error)}`));
    };
    const observed = this.rateLimits.onDidObserve(() => {
      pendingWrite ??= setTimeout(write, rateLimitWriteDelayMs);
    });
    this.disposables.push(observed, {
      dispose: () => {
        if (pendingWrite === undefined) return;
        clearTimeout(pendingWrite);
        write();
      },
    });
  }

  /**
   * The gate every billed call goes through. Its code is a sibling bundle (dist/spendGate.js),
   * required on the first billed call; the one gate built then holds every job's reservations.
   */
  get gate(): SpendGate {
    this.builtGate ??= this.buildGate();
    return this.builtGate;
  }

  /** Whether the gate (and its bundle) has been built: the tests' check that the edit path never loads it. */
  get gateLoaded(): boolean {
    return this.builtGate !== undefined;
  }

  private buildGate(): SpendGate {
    const deps = this.deps;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('./spendGateFeature') as typeof SpendGateFeatureModule).createSpendGate({
      ledger: this.ledger,
      limits: () => {
        const s = deps.config.settings;
        return { confirmAboveUsd: s.confirmAboveUsd, maxRunCostUsd: s.maxRunCostUsd, monthlyBudgetUsd: s.monthlyBudgetUsd };
      },
      prices: (model) => deps.prices.find(model),
      target: () => this.target(),
      rateLimits: this.rateLimits,
    });
  }

  private async target(): Promise<CallTarget> {
    const key = await this.deps.api.currentKey();
    let host: string;
    try {
      host = new URL(this.deps.config.settings.apiBaseUrl).host;
    } catch {
      host = 'unknown';
    }
    return { keyFingerprint: key ? keyFingerprint(key, await this.salt) : 'none', baseUrlHost: host };
  }

  private warn(message: string): void {
    this.warningsShown.push(message);
    void vscode.window.showWarningMessage(message, 'Show Spend', 'Open Settings').then((choice) => {
      if (choice === 'Show Spend') void vscode.commands.executeCommand('promptWorkbench.showSpend');
      else if (choice === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'promptWorkbench.monthlyBudgetUsd');
    });
  }

  /** Month-to-date against the budget, from the running totals (no disk read). */
  monthToDate(): string {
    return monthToDateText(this.ledger.totals, this.deps.config.settings.monthlyBudgetUsd);
  }

  /** Counts a free count_tokens call; the number is written to the ledger now and then. */
  countedTokens(simulated: boolean): void {
    this.ledger.countCall(simulated);
    this.countTimer ??= setTimeout(() => {
      this.countTimer = undefined;
      void this.ledger.flushCounts().catch((error: unknown) => this.deps.log.warn(`Spend ledger: ${String(error)}`));
    }, countFlushMs);
  }

  dispose(): void {
    if (this.countTimer) {
      clearTimeout(this.countTimer);
      void this.ledger.flushCounts().catch(() => undefined);
    }
    this.disposables.forEach((d) => d.dispose());
  }
}
