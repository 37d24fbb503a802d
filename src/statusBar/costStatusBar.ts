import * as vscode from 'vscode';
import type { PromptServices } from '../promptServices';
import { requiredBetas } from '../core/models/requiredBetas';
import { escapeMarkdown, statusText, tooltipMarkdown, type CostSummary } from '../core/pricing/costReport';
import type { PromptFile } from '../core/prompt/promptFile';
import { TokenCountScheduler, type TokenCountState } from '../core/counting/tokenCountScheduler';
import type { MessageCountTokensParams } from '@anthropic-ai/sdk/resources/messages';
import { countInputTokens } from '../core/counting/countTokens';
import { countableRequest } from '../core/counting/tokenEstimate';
import { requestNamesWorkspaceFiles } from '../core/files/workspaceFileRefs';
import { isSimulatedResponse } from '../core/api/simulatedResponse';
import { isPromptDocument } from '../promptDocuments';
import { costSummaryFor, requestForCounting, restrictedCountReason, simulatorNote } from '../pricing/promptCost';

const largeDocumentChars = 2 * 1024 * 1024;
const largeDocumentPauseMs = 150;

export interface StatusBarSnapshot {
  visible: boolean;
  text: string;
  tooltip: string;
  warning: boolean;
}

/** `spend` also gives the month-to-date for the tooltip, from the ledger's running totals. */
export interface CostStatusDeps extends PromptServices {
  /** Told of each exact count request sent (the tests count them; absent in a user's session). */
  onCountSent?: () => void;
  /**
   * Workspace files a prompt names are counted by the file_id of their upload. The live count
   * never uploads (an upload is part of a run, or the Upload Prompt Files command): until a file
   * is uploaded, the count is the estimate and says why.
   */
  filesForCount?: (promptUri: vscode.Uri, request: Record<string, unknown>) => Promise<Record<string, unknown>>;
}

/**
 * Live token count and cost of the active .prompt.json. The offline estimate (marked ~) shows at
 * once; the exact count from the API's count_tokens endpoint follows after typing pauses.
 */
export class CostStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('promptWorkbench.cost', vscode.StatusBarAlignment.Right, 100);
  private readonly scheduler: TokenCountScheduler;
  private readonly listeners: vscode.Disposable[] = [];
  private readonly summaryChanged = new vscode.EventEmitter<void>();
  /** Fires when the figures for the active prompt change (the CodeLens listens). */
  readonly onDidChangeSummary = this.summaryChanged.event;
  private active: { document: vscode.TextDocument; prompt: PromptFile; request: Record<string, unknown> } | undefined;
  private visible = false;
  private largeEditTimer: ReturnType<typeof setTimeout> | undefined;
  private summary: { uri: string; value: CostSummary } | undefined;
  /** Counts and runs go to the local API simulator: the item says so. */
  private simulated = false;

  constructor(private readonly deps: CostStatusDeps) {
    this.item.name = 'Prompt Workbench: tokens and cost';
    this.item.command = 'promptWorkbench.showCostDetails';
    this.scheduler = new TokenCountScheduler({
      delayMs: deps.config.settings.countDelayMs,
      count: (params, signal, betas) => this.countExactly(params, signal, betas),
    });
    // Restricted Mode: no count_tokens, no Models API call, until the folder is trusted.
    if (!vscode.workspace.isTrusted) this.scheduler.hold(restrictedCountReason);
    this.listeners.push(
      { dispose: () => this.scheduler.dispose() },
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.scheduler.release()),
      this.scheduler.onDidUpdate((state) => this.render(state)),
      vscode.window.onDidChangeActiveTextEditor((editor) => this.follow(editor?.document)),
      vscode.workspace.onDidChangeTextDocument((event) => {
        if (event.document === vscode.window.activeTextEditor?.document) this.followEdit(event.document);
      }),
      deps.config.onDidChange((settings) => this.scheduler.setDelay(settings.countDelayMs)),
      deps.documents.onDidChangeNamedFiles(() => this.follow(vscode.window.activeTextEditor?.document)),
      deps.api.onDidChange(() => {
        this.scheduler.credentialsChanged();
        void this.followTarget();
      }),
      deps.limits.onDidChange(() => this.scheduler.state && this.render(this.scheduler.state)),
      deps.spend.onDidChange(() => this.scheduler.state && this.render(this.scheduler.state)),
    );
    this.follow(vscode.window.activeTextEditor?.document);
    void this.followTarget();
  }

  /** Re-reads whether the simulator is in use (a key set or cleared can change it). */
  private async followTarget(): Promise<void> {
    const simulated = await this.deps.api.isSimulated();
    if (simulated === this.simulated) return;
    this.simulated = simulated;
    if (this.scheduler.state) this.render(this.scheduler.state);
  }

  private async countExactly(params: MessageCountTokensParams, signal: AbortSignal, betas: readonly string[]): Promise<number> {
    // The scheduler is held in Restricted Mode; this is the last line of defence.
    if (!vscode.workspace.isTrusted) throw new Error(restrictedCountReason);
    // Without a key this throws NoApiKeyError, which the scheduler shows as "no API key".
    const client = await this.deps.api.client();
    const named = params as unknown as Record<string, unknown>;
    if (requestNamesWorkspaceFiles(named)) {
      const uri = this.active?.document.uri;
      if (!uri || !this.deps.filesForCount) throw new Error('workspace files are counted once uploaded');
      params = (await this.deps.filesForCount(uri, named)) as unknown as MessageCountTokensParams;
    }
    void this.deps.limits.refresh();
    this.deps.onCountSent?.();
    // No SDK retries: the scheduler backs off on 429 itself and shows why.
    return countInputTokens(client, params, betas, { signal, maxRetries: 0, onHeaders: (headers) => this.deps.spend.countedTokens(isSimulatedResponse(headers)) });
  }

  /**
   * Up to a few MB the estimate follows every keystroke (well inside a frame, see npm run bench);
   * a larger prompt is re-read once typing pauses briefly, so typing never waits for a parse.
   */
  private followEdit(document: vscode.TextDocument): void {
    clearTimeout(this.largeEditTimer);
    // The document's length without copying its text.
    const length = document.offsetAt(document.lineAt(document.lineCount - 1).range.end);
    if (length <= largeDocumentChars) {
      this.follow(document);
      return;
    }
    this.largeEditTimer = setTimeout(() => this.follow(document), largeDocumentPauseMs);
  }

  private follow(document: vscode.TextDocument | undefined): void {
    this.visible = isPromptDocument(document);
    if (!this.visible || !document) {
      this.active = undefined;
      this.item.hide();
      return;
    }
    const parsed = this.deps.documents.parse(document);
    if (!parsed.prompt) {
      this.active = undefined;
      const problems = parsed.diagnostics.filter((d) => d.severity === 'error').length;
      const tooLarge = parsed.diagnostics.some((d) => d.code === 'too-large-to-validate');
      this.item.text = tooLarge ? '$(symbol-numeric) too large to count live' : `$(warning) ${problems} problem${problems === 1 ? '' : 's'}: not counted`;
      this.item.tooltip = tooLarge
        ? 'This prompt is too large to count while typing. It is checked and counted in full before it is sent.'
        : 'Fix the problems in this prompt (see the Problems panel) to see its token count and cost.';
      this.item.backgroundColor = undefined;
      this.item.show();
      return;
    }
    const request = requestForCounting(this.deps.documents, document, parsed.prompt);
    this.active = { document, prompt: parsed.prompt, request };
    this.scheduler.request(countableRequest(request), requiredBetas(request, parsed.prompt.betas ?? []).betas);
    this.item.show();
  }

  private render(state: TokenCountState): void {
    if (!this.active) return;
    const summary = costSummaryFor(this.deps, this.active.prompt, this.active.request, state);
    this.summary = { uri: this.active.document.uri.toString(), value: summary };
    this.item.text = `$(symbol-numeric) ${statusText(summary)}${this.simulated ? ' · simulator' : ''}`;
    const tooltip = new vscode.MarkdownString(`${this.simulated ? `${simulatorNote}\n\n` : ''}${tooltipMarkdown(summary)}\n\n${escapeMarkdown(`Month to date: ${this.deps.spend.monthToDate()}`)}`);
    tooltip.supportThemeIcons = true;
    this.item.tooltip = tooltip;
    this.item.backgroundColor = summary.exceedsWindow ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.summaryChanged.fire();
  }

  /** The latest figures for a document, if it is the one the status bar follows. */
  summaryFor(document: vscode.TextDocument): CostSummary | undefined {
    return this.summary?.uri === document.uri.toString() ? this.summary.value : undefined;
  }

  snapshot(): StatusBarSnapshot {
    const tooltip = this.item.tooltip;
    return {
      visible: this.visible,
      text: this.item.text,
      tooltip: typeof tooltip === 'string' ? tooltip : (tooltip?.value ?? ''),
      warning: this.item.backgroundColor !== undefined,
    };
  }

  dispose(): void {
    clearTimeout(this.largeEditTimer);
    this.listeners.forEach((l) => l.dispose());
    this.summaryChanged.dispose();
    this.item.dispose();
  }
}
