import * as vscode from 'vscode';
import type { PromptServices } from '../promptServices';
import { requiredBetas } from '../core/models/requiredBetas';
import { detailsMarkdown, type CostSummary } from '../core/pricing/costReport';
import { classifyCountError, explainCountFailure, type TokenCountState } from '../core/counting/tokenCountScheduler';
import { countInputTokens } from '../core/counting/countTokens';
import { countableRequest, countTokensParams, estimateInputTokens } from '../core/counting/tokenEstimate';
import { rateLimitMarkdown } from '../core/spend/rateLimitHeaders';
import { escapeMarkdown } from '../core/pricing/costReport';
import { isSimulatedResponse } from '../core/api/simulatedResponse';
import { requestNamesWorkspaceFiles } from '../core/files/workspaceFileRefs';
import { isPromptDocument } from '../promptDocuments';
import { costSummaryFor, requestForCounting, restrictedCountReason, simulatorNote } from '../pricing/promptCost';

const scheme = 'prompt-workbench-cost';

export interface CostDetailsDeps extends PromptServices {
  /** Called each time the details are shown (the walkthrough's "read the cost" step). */
  onShown?: () => void;
  /** A request whose workspace files are replaced by their uploads' file ids (as the status bar counts it); throws until uploaded. */
  filesForCount?: (promptUri: vscode.Uri, request: Record<string, unknown>) => Promise<Record<string, unknown>>;
}

/** Counts one request for one model, with the prompt's betas: exactly when a key works, else the offline estimate and why. */
async function countFor(deps: CostDetailsDeps, promptUri: vscode.Uri, request: Record<string, unknown>, model: string, betas: readonly string[]): Promise<TokenCountState> {
  const { api, spend } = deps;
  const withModel = countableRequest({ ...request, model });
  // Restricted Mode: the details make no network call at all.
  if (!vscode.workspace.isTrusted) return { kind: 'estimate', inputTokens: estimateInputTokens(withModel), model, cause: 'held', reason: restrictedCountReason };
  try {
    const client = await api.client();
    let params = countTokensParams(withModel);
    // The API knows uploaded files by id, never by workspace path: count what a run would send.
    if (requestNamesWorkspaceFiles(params as unknown as Record<string, unknown>)) {
      if (!deps.filesForCount) throw new Error('workspace files are counted once uploaded');
      params = (await deps.filesForCount(promptUri, params as unknown as Record<string, unknown>)) as unknown as typeof params;
    }
    const inputTokens = await countInputTokens(client, params, betas, { maxRetries: 0, onHeaders: (headers) => spend.countedTokens(isSimulatedResponse(headers)) });
    return { kind: 'exact', inputTokens, model };
  } catch (error) {
    // Sorted and worded as the status bar's scheduler does it, so the two never disagree.
    const failure = classifyCountError(error);
    const { cause, reason } = failure.kind === 'aborted' ? { cause: 'pending' as const, reason: 'count cancelled' } : explainCountFailure(failure);
    return { kind: 'estimate', inputTokens: estimateInputTokens(withModel), model, cause, reason };
  }
}

export interface CostDetails extends vscode.Disposable {
  /** Counts the prompt (the given one, or the active editor's) for each model and shows the details; returns the Markdown shown. */
  show(uri?: vscode.Uri): Promise<string | undefined>;
  /** The Markdown last shown (for tests). */
  lastDetails(): string | undefined;
}

/**
 * The details view behind the status bar item and the CodeLens: every figure, and a what-if across
 * models. A sibling bundle (dist/costDetails.js): features.ts registers the command and builds this
 * on its first use.
 */
export function createCostDetails(deps: CostDetailsDeps): CostDetails {
  let last: string | undefined;
  const changed = new vscode.EventEmitter<vscode.Uri>();
  const contents = new Map<string, string>();
  const provider: vscode.TextDocumentContentProvider = {
    onDidChange: changed.event,
    provideTextDocumentContent: (uri) => contents.get(uri.toString()) ?? '',
  };

  const show = async (uri?: vscode.Uri): Promise<string | undefined> => {
    const document = uri ? await vscode.workspace.openTextDocument(uri) : vscode.window.activeTextEditor?.document;
    if (!isPromptDocument(document)) {
      void vscode.window.showInformationMessage('Open a .prompt.json file to see its token count and cost.');
      return undefined;
    }
    const parsed = deps.documents.parse(document);
    if (!parsed.prompt) {
      void vscode.window.showWarningMessage('This prompt has problems (see the Problems panel); fix them to count it.');
      return undefined;
    }
    const prompt = parsed.prompt;
    const request = requestForCounting(deps.documents, document, prompt);
    const model = String(request['model']);
    const models = [model, ...deps.config.settings.whatIfModels.filter((m) => m !== model)];
    const summaries: CostSummary[] = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'Counting tokens for each model…' },
      () => Promise.all(models.map(async (m) => costSummaryFor(deps, prompt, { ...request, model: m }, await countFor(deps, document.uri, request, m, requiredBetas({ ...request, model: m }, prompt.betas ?? []).betas)))),
    );
    const [main, ...others] = summaries;
    if (!main) return undefined;
    await deps.spend.ledger.refresh();
    const simulated = await deps.api.isSimulated();
    last = [
      // The preview renders no theme icons, so the note loses its icon here.
      ...(simulated ? [simulatorNote.replace('$(beaker) ', '')] : []),
      detailsMarkdown(main, [main, ...others]),
      '### Spend this month',
      escapeMarkdown(deps.spend.monthToDate()),
      '### Rate limits',
      rateLimitMarkdown(deps.spend.rateLimits.forModel(model)),
    ].join('\n\n');
    const name = (prompt.name ?? document.uri.path.split('/').pop() ?? 'prompt').replace(/[^\w.-]+/g, '-');
    const target = vscode.Uri.from({ scheme, path: `/Cost of ${name}.md` });
    contents.set(target.toString(), last);
    deps.onShown?.();
    changed.fire(target);
    try {
      await vscode.commands.executeCommand('markdown.showPreviewToSide', target);
    } catch {
      await vscode.window.showTextDocument(target, { viewColumn: vscode.ViewColumn.Beside, preview: true });
    }
    return last;
  };

  const disposable = vscode.Disposable.from(changed, vscode.workspace.registerTextDocumentContentProvider(scheme, provider));
  return { show, lastDetails: () => last, dispose: () => disposable.dispose() };
}
