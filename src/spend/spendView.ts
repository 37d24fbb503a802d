import * as vscode from 'vscode';
import { ledgerCsv, buildSpendReport, type SpendReport } from '../core/spend/spendReport';
import type { WorkbenchConfig } from '../config/workbenchConfig';
import { createNonce, panelHtml } from '../panel/panelHtml';
import type { SpendTracking } from './spendTracking';
import { asSpendViewMessage, type HostToSpendView } from './spendViewProtocol';

export const spendViewType = 'promptWorkbench.spend';

export interface SpendViewDeps {
  extensionUri: vscode.Uri;
  spend: SpendTracking;
  config: WorkbenchConfig;
  log: vscode.LogOutputChannel;
}

/**
 * The spend view: this month's spend per day as a chart, by model and by prompt, cache and batch
 * savings, the rate limits seen, and Export to CSV. Its own webview bundle (dist/spendView.js),
 * the same strict CSP with a nonce as the run panel. Its host is a sibling bundle too
 * (dist/spendPanel.js): features.ts registers Show Spend and Export Spend as CSV and builds the view
 * on the first of them.
 */
export class SpendView implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private ready = false;
  private lastReport: SpendReport | undefined;
  private readonly disposables: vscode.Disposable[];
  private readonly panelListeners: vscode.Disposable[] = [];

  constructor(private readonly deps: SpendViewDeps) {
    const rateLimits = deps.spend.rateLimits.onDidObserve(() => this.update());
    this.disposables = [
      deps.spend.onDidChange(() => this.update()),
      deps.config.onDidChange(() => this.update()),
      { dispose: () => rateLimits.dispose() },
    ];
  }

  /** Opens (or reveals) the view with a fresh read of the ledger; returns the report it shows. */
  async show(): Promise<SpendReport> {
    await this.deps.spend.ledger.refresh();
    if (this.panel) {
      this.panel.reveal(vscode.ViewColumn.Active);
    } else {
      const panel = vscode.window.createWebviewPanel(spendViewType, 'Prompt Workbench Spend', vscode.ViewColumn.Active, {
        enableScripts: true,
        localResourceRoots: [vscode.Uri.joinPath(this.deps.extensionUri, 'dist'), vscode.Uri.joinPath(this.deps.extensionUri, 'media')],
      });
      this.attach(panel);
    }
    return this.update();
  }

  private attach(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    this.ready = false;
    const webview = panel.webview;
    webview.html = panelHtml({
      cspSource: webview.cspSource,
      nonce: createNonce(),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(this.deps.extensionUri, 'dist', 'spendView.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(this.deps.extensionUri, 'media', 'spend.css')).toString(),
      title: 'Prompt Workbench Spend',
    });
    this.panelListeners.push(
      webview.onDidReceiveMessage((raw: unknown) => {
        const message = asSpendViewMessage(raw);
        if (!message) {
          this.deps.log.warn('Spend view: ignored a message of unknown shape.');
          return;
        }
        switch (message.type) {
          case 'ready':
            this.ready = true;
            this.post();
            return;
          case 'exportCsv':
            void this.exportCsv();
            return;
          case 'openSettings':
            void vscode.commands.executeCommand('workbench.action.openSettings', 'promptWorkbench.monthlyBudgetUsd');
            return;
          default: {
            const unexpected: never = message;
            this.deps.log.warn(`Spend view: unknown message ${JSON.stringify(unexpected)}`);
          }
        }
      }),
      panel.onDidDispose(() => {
        this.panel = undefined;
        this.ready = false;
        this.panelListeners.splice(0).forEach((l) => l.dispose());
      }),
    );
  }

  private update(): SpendReport {
    const settings = this.deps.config.settings;
    this.lastReport = buildSpendReport(this.deps.spend.ledger.totals, { budgetUsd: settings.monthlyBudgetUsd, warningPercents: settings.budgetWarningPercents }, this.deps.spend.rateLimits.all());
    this.post();
    return this.lastReport;
  }

  private post(): void {
    if (!this.panel || !this.ready || !this.lastReport) return;
    void this.panel.webview.postMessage({ type: 'report', report: this.lastReport } satisfies HostToSpendView);
  }

  /** Writes this month's billed calls as CSV to `target`, or where the user picks. Returns the file, or undefined when cancelled. */
  async exportCsv(target?: vscode.Uri): Promise<vscode.Uri | undefined> {
    const month = this.deps.spend.ledger.totals.month;
    const uri =
      target ??
      (await vscode.window.showSaveDialog({
        title: 'Export spend as CSV',
        saveLabel: 'Export',
        filters: { CSV: ['csv'] },
        ...(vscode.workspace.workspaceFolders?.[0] ? { defaultUri: vscode.Uri.joinPath(vscode.workspace.workspaceFolders[0].uri, `prompt-workbench-spend-${month}.csv`) } : {}),
      }));
    if (!uri) return undefined;
    const csv = ledgerCsv(await this.deps.spend.ledger.readMonth(month));
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(csv));
    if (!target) void vscode.window.showInformationMessage(`Spend for ${month} exported to ${vscode.workspace.asRelativePath(uri)}.`);
    return uri;
  }

  /** The report the view shows (for tests). */
  report(): SpendReport | undefined {
    return this.lastReport;
  }

  isOpen(): boolean {
    return this.panel !== undefined;
  }

  dispose(): void {
    this.panel?.dispose();
    this.panelListeners.forEach((l) => l.dispose());
    this.disposables.forEach((d) => d.dispose());
  }
}
