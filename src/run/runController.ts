import * as vscode from 'vscode';
import { randomUUID } from 'node:crypto';
import { basename, dirname } from 'node:path';
import type { Message, MessageStreamParams } from '@anthropic-ai/sdk/resources/messages/messages';
import { ConfinementError } from '../core/files/confinedFiles';
import { describeApiError } from '../core/api/apiErrors';
import { errorActionLabel, type ErrorAction } from '../core/api/runError';
import { isSimulatedResponse } from '../core/api/simulatedResponse';
import { continueMessages, toolResultMessages, toolRoundsUsed, type ToolResultInput } from '../core/run/conversation';
import { containerOf, safeLinkUrl } from '../core/run/serverToolResults';
import { requestNamesWorkspaceFiles } from '../core/files/workspaceFileRefs';
import type { PreparedUploads } from '../core/files/workspaceUploads';
import type Anthropic from '@anthropic-ai/sdk';
import { formatCount, formatUsd } from '../core/format';
import { spendCheckFields, worstCaseCost } from '../core/pricing/worstCase';
import { blockKind, runMessage, type MessageRunResult, type RunSink } from '../core/run/messageRunner';
import { costFromUsage, serverToolCostSuffix, type ApiUsage } from '../core/pricing/priceTable';
import type { BilledJob, BilledJobHandle } from '../core/spend/spendGate';
import { askModal, openWithConsent } from '../spend/spendConsent';
import { hasErrors, type PromptFile } from '../core/prompt/promptFile';
import { chunkedVariable } from '../core/chunking/chunkDeclaration';
import { appendRunRecord, errorViewOf, promptHistoryFile, readRunRecords, recordedError, recordedRequestErrors, responsePreview, RUN_RECORD_VERSION, type RunRecord } from '../core/run/runHistory';
import { explainStopReason } from '../core/run/stopReasons';
import { requiredBetas } from '../core/models/requiredBetas';
import { cacheReportView, cacheSummaryText, firstChangedBlock, withCacheDiagnostics } from '../core/caching/cacheReport';
import { StreamBatcher } from '../core/run/streamBatcher';
import { checkStructuredOutput, outputSchema } from '../core/run/structuredOutput';
import { countInputTokens } from '../core/counting/countTokens';
import { countableRequest, countTokensParams, estimateInputTokens, textTokens } from '../core/counting/tokenEstimate';
import type { ApiConnection } from '../api/apiConnection';
import type { WorkbenchConfig } from '../config/workbenchConfig';
import type { RunPanel } from '../panel/runPanel';
import type { Prices } from '../pricing/prices';
import type { ApiCitation, BlockKind, HistoryEntryView, PanelToHost, RunOutcomeView, RunView, ToolUseView, UsageView } from '../protocol';
import { isPromptDocument, type PromptDocuments } from '../promptDocuments';
import { resolveVariables, type RecentVariableValues } from '../variables/variableValues';
import type { SpendTracking } from '../spend/spendTracking';
import type { ResponseChannel } from './responseChannel';
import { appendTurnsToPrompt, writeContinuedPrompt } from './promptEdits';

/** What runs need of the Files API feature (a sibling bundle, loaded on first use). */
export interface RunFiles {
  /** Uploads (once) the workspace files the request names; the request with file ids. */
  prepare(promptUri: vscode.Uri, request: Record<string, unknown>, client: Anthropic): Promise<PreparedUploads>;
  /** After a run failed on an expired or deleted file: forget it, so the next run uploads it again. */
  afterRunError(request: Record<string, unknown>, error: unknown): Promise<boolean>;
  /** Saves a file the reply's code produced (`content`: the reply's blocks) into the workspace through a save dialog. */
  download(fileId: string, content: readonly unknown[]): Promise<vscode.Uri | undefined>;
}

export interface RunDeps {
  files: () => RunFiles;
  documents: PromptDocuments;
  api: ApiConnection;
  config: WorkbenchConfig;
  prices: Prices;
  recent: RecentVariableValues;
  panel: () => RunPanel;
  output: ResponseChannel;
  log: vscode.LogOutputChannel;
  storageUri: vscode.Uri | undefined;
  /** The spend gate every billed call goes through, and the ledger it records into. */
  spend: SpendTracking;
  /** Told of every finished run (the tests read the last; absent in a user's session). */
  onRunFinished?: (summary: RunSummary) => void;
  /** Asks before sending a run whose worst case needs confirming (a modal; the tests answer it). */
  confirmSend?: (message: string) => Promise<boolean>;
}

/** What a finished run left behind, for Retry, Continue and tool results. */
interface RunContext {
  runId: string;
  promptUri: vscode.Uri;
  promptName: string;
  request: Record<string, unknown>;
  betas: string[];
  message?: Message;
  record?: RunRecord;
}

export interface RunSummary {
  runId: string;
  status: RunRecord['status'];
  outcome: RunOutcomeView;
  text: string;
}

function usageView(message: Message | undefined): UsageView | undefined {
  const u = message?.usage;
  if (!u) return undefined;
  const view: UsageView = {
    inputTokens: u.input_tokens ?? 0,
    outputTokens: u.output_tokens ?? 0,
    cacheReadTokens: u.cache_read_input_tokens ?? 0,
    cacheWriteTokens: u.cache_creation_input_tokens ?? 0,
  };
  const thinking = u.output_tokens_details?.thinking_tokens;
  if (typeof thinking === 'number') view.thinkingTokens = thinking;
  return view;
}

/**
 * A failed count whose cause fails the run as well, before anything is billed: the request is
 * invalid, the key or permission is refused, the model does not exist, or the request never left
 * (fetch refused a header value, e.g. a key with a newline). A network error, a rate limit or an
 * overloaded API is not one: the run itself may still go through, and be billed.
 */
function sendWouldFailToo(error: unknown): boolean {
  const e = error as { status?: unknown; name?: unknown };
  if (typeof e.status === 'number') return e.status === 400 || e.status === 401 || e.status === 403 || e.status === 404;
  return e.name === 'TypeError';
}

/** Below this much streaming time, no tokens-per-second figure is shown. */
const minRateSeconds = 0.25;

/** Output tokens of a partial message, estimated from its text, thinking and tool input. */
function partialOutputTokens(message: Message): number {
  let tokens = 0;
  for (const block of message.content) {
    if (block.type === 'text') tokens += textTokens(block.text);
    else if (block.type === 'thinking') tokens += textTokens(block.thinking);
    else if (block.type === 'tool_use') tokens += textTokens(JSON.stringify(block.input ?? {}));
  }
  return Math.ceil(tokens);
}

/**
 * The usage the ledger records for a run: the final one, or for a stopped stream the partial
 * one with its output estimated from what arrived (billed all the same). Nothing when no
 * message started (nothing was billed).
 */
function billedUsage(run: MessageRunResult): { usage?: ApiUsage; usageEstimated?: boolean } {
  const usage = run.message?.usage;
  if (!usage || !run.message) return {};
  if (run.status === 'completed') return { usage };
  return { usage: { ...usage, output_tokens: Math.max(usage.output_tokens ?? 0, partialOutputTokens(run.message)) }, usageEstimated: true };
}

function messageText(message: Message | undefined): string {
  return (message?.content ?? []).map((block) => (block.type === 'text' ? block.text : '')).join('');
}

function pendingTools(message: Message | undefined): ToolUseView[] {
  return (message?.content ?? [])
    .filter((block) => block.type === 'tool_use')
    .map((block) => {
      const tool = block as { id: string; name: string; input: unknown };
      return { id: tool.id, name: tool.name, inputJson: JSON.stringify(tool.input, null, 2) };
    });
}

/** A history entry's one-line cache summary, when the run used the cache or missed it for a reason. */
function cacheTextOf(record: RunRecord, price: ReturnType<Prices['find']>): { cacheText?: string } {
  const view = cacheReportView(record.response?.usage, price, {
    diagnostics: (record.response as { diagnostics?: { cache_miss_reason?: { type: string; cache_missed_input_tokens?: number } | null } | null } | undefined)?.diagnostics ?? null,
    ...(record.cacheChange !== undefined ? { changedSinceLastRun: record.cacheChange } : {}),
  });
  return view ? { cacheText: cacheSummaryText(view) } : {};
}

/** Runs prompts: checks, variables, key, spend cap, streaming, history, and the follow-ups. */
export class RunController implements vscode.Disposable {
  private readonly runs = new Map<string, RunContext>();
  private readonly active = new Map<string, AbortController>();
  private historyPrompt: vscode.Uri | undefined;
  /** Each prompt's last sent request and the id of its reply: for cache diagnostics and the local diff. */
  private readonly lastSent = new Map<string, { request: Record<string, unknown>; messageId?: string }>();
  /** The last refusal by the spend cap or the budget (for tests). */
  lastRefusal: string | undefined;

  constructor(private readonly deps: RunDeps) {}

  /** The Run Prompt command. Returns what happened, or undefined when nothing was sent. */
  async run(target?: vscode.Uri): Promise<RunSummary | undefined> {
    if (this.refusedUntrusted()) return undefined;
    const document = target ? await vscode.workspace.openTextDocument(target) : vscode.window.activeTextEditor?.document;
    if (!isPromptDocument(document)) {
      void vscode.window.showInformationMessage('Open a .prompt.json file to run it.');
      return undefined;
    }
    const parsed = this.deps.documents.validateForSend(document);
    if (parsed.prompt && chunkedVariable(parsed.prompt)) {
      // Its long input is meant to go in chunks: one request with the whole file is not this prompt.
      void vscode.window
        .showInformationMessage(`${parsed.prompt.name ?? basename(document.uri.path)} cuts {{${chunkedVariable(parsed.prompt)?.name}}} into chunks: run it with Run Prompt over Chunks, which shows the chunks and their cost first.`, 'Run Prompt over Chunks…')
        .then((choice) => choice && vscode.commands.executeCommand('promptWorkbench.runOverChunks', document.uri));
      return undefined;
    }
    if (!parsed.prompt || hasErrors(parsed.diagnostics)) {
      const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
      const first = errors[0];
      // Not awaited: the command returns now; the button works whenever the user clicks it.
      void vscode.window
        .showErrorMessage(`Not sent: this prompt has ${errors.length} error${errors.length === 1 ? '' : 's'}${first ? ` (first: ${first.message})` : ''}.`, 'Show Problems')
        .then((choice) => choice && vscode.commands.executeCommand('workbench.actions.view.problems'));
      return undefined;
    }
    let ownValues: Record<string, string>;
    try {
      // validateForSend has just read every named file afresh.
      ownValues = this.deps.documents.defaults(document, parsed.prompt);
    } catch (error) {
      void vscode.window.showErrorMessage(`Not sent: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
    const resolved = await resolveVariables(ownValues, parsed.prompt, this.deps.recent, true);
    if (!resolved) return undefined;
    return this.send(document.uri, parsed.prompt, resolved.request);
  }

  /** Whether the workspace is untrusted, in which case nothing is sent (said once to the user). */
  private refusedUntrusted(): boolean {
    if (vscode.workspace.isTrusted) return false;
    void vscode.window.showErrorMessage('Prompts cannot be run in an untrusted workspace. Trust the workspace first (Manage Workspace Trust).');
    return true;
  }

  /** Sends a recorded request again, after the checks Run makes: trust, validation, then send's key and spend checks. */
  private async rerun(promptUri: vscode.Uri, record: RunRecord): Promise<RunSummary | undefined> {
    if (this.refusedUntrusted()) return undefined;
    const errors = recordedRequestErrors(record, (text) => this.deps.documents.validateText(text).diagnostics);
    if (errors.length > 0) {
      void vscode.window.showErrorMessage(`Not sent: the recorded request has ${errors.length} error${errors.length === 1 ? '' : 's'} (first: ${errors[0]?.message ?? ''}).`);
      return undefined;
    }
    return this.send(promptUri, { name: record.promptName, betas: record.betas }, record.request);
  }

  /** Sends a resolved request after the trust, key and spend checks; streams it; records it. */
  private async send(promptUri: vscode.Uri, prompt: Pick<PromptFile, 'name' | 'betas'>, resolvedRequest: Record<string, unknown>): Promise<RunSummary | undefined> {
    let request = resolvedRequest;
    if (this.refusedUntrusted()) return undefined;
    if (!(await this.deps.api.hasKey())) {
      const stored = await vscode.commands.executeCommand<boolean>('promptWorkbench.setApiKey');
      if (!stored) {
        void vscode.window.showWarningMessage('Not sent: an API key is needed. Run "Prompt Workbench: Set API Key".');
        return undefined;
      }
    }
    const client = await this.deps.api.client();
    const model = String(request['model']);
    const maxTokens = Number(request['max_tokens']);
    // Betas the request needs are added (a task budget, fast mode where it needs one), and said.
    const { betas, notes: sendNotes } = requiredBetas(request, prompt.betas ?? []);
    // Cache diagnostics when opted in, against this prompt's previous run; and the local diff.
    const previous = await this.previousRun(promptUri);
    request = withCacheDiagnostics(request, this.deps.config.settings.cacheDiagnostics, previous?.messageId);
    const cacheChange = previous ? firstChangedBlock(previous.request, request) : undefined;

    // The spend cap and the monthly budget: counted input plus max_tokens of output, before anything is sent.
    const price = this.deps.prices.find(model);
    const promptName = prompt.name ?? basename(promptUri.path, '.prompt.json');
    const gate = this.deps.spend.gate;
    // max_tokens of output alone is a floor of the worst case: when even that cannot be afforded,
    // refuse without a single request (not even the free count).
    const outputOnly = worstCaseCost({ request, inputTokens: 0, price });
    const floorUsd = outputOnly.known ? outputOnly.usd : outputOnly.atLeastUsd;
    if (floorUsd !== undefined) {
      const early = await gate.assess({ kind: 'run', model, promptName, worstCaseUsd: floorUsd, what: `up to ${formatCount(maxTokens)} output tokens on ${model}, before counting the input` });
      if (early.kind === 'refuse') {
        this.refuseSpend(early.message);
        return undefined;
      }
    }
    // Workspace files are uploaded (once; deduplicated by content) before the count, so the
    // count, the guard and the run all see the documents by file_id.
    if (requestNamesWorkspaceFiles(request)) {
      try {
        request = (await this.deps.files().prepare(promptUri, request, client)).request;
      } catch (error) {
        void vscode.window.showErrorMessage(`Not sent: ${this.deps.api.redactor.errorText(error)}`);
        return undefined;
      }
    }
    let inputTokens: number;
    let counted = true;
    try {
      inputTokens = await countInputTokens(client, countTokensParams(countableRequest(request)), betas, { maxRetries: 1, onHeaders: (headers) => this.deps.spend.countedTokens(isSimulatedResponse(headers)) });
    } catch (error) {
      // A count the API refused (bad key, unknown model, invalid request) or that never left (a key
      // fetch cannot put in a header) means the run fails the same way, unbilled: it goes ahead on
      // the estimate so the user sees the real error. Otherwise (network, overload) the estimate
      // could be low, so the worst case is unknown and the guard asks.
      counted = sendWouldFailToo(error);
      inputTokens = estimateInputTokens(countableRequest(request));
      this.deps.log.warn(`Token count failed before sending (${(error as { status?: number }).status ?? 'network'}); the spend check uses the estimate ${inputTokens}${counted ? '' : ', so the worst case is unknown'}.`);
    }
    const worst = worstCaseCost({ request, inputTokens, inputTokensExact: counted, price });
    const what = `${formatCount(inputTokens)} input tokens + up to ${formatCount(maxTokens)} output tokens on ${model}`;
    const job: BilledJob = { kind: 'run', model, promptName, ...spendCheckFields(worst), what, inputTokens, maxTokens };
    const consent = await openWithConsent(gate, job, this.deps.confirmSend ?? askModal('Send'));
    if (consent.kind === 'refused') {
      this.refuseSpend(consent.message);
      return undefined;
    }
    if (consent.kind === 'declined') return undefined;
    const billed = consent.handle;
    try {
      return await this.stream(promptUri, promptName, request, betas, billed, job.worstCaseUsd, { sendNotes, ...(cacheChange !== undefined ? { cacheChange } : {}) });
    } finally {
      billed.close();
    }
  }

  /** A send the spend cap or the budget refused: nothing went out; say why and where to change it. */
  private refuseSpend(message: string): void {
    this.lastRefusal = message;
    this.deps.log.info(message);
    void vscode.window.showErrorMessage(message, 'Open Settings').then((choice) => {
      if (choice) void vscode.commands.executeCommand('workbench.action.openSettings', message.includes('monthlyBudgetUsd') ? 'promptWorkbench.monthlyBudgetUsd' : 'promptWorkbench.maxRunCostUsd');
    });
  }

  /** This prompt's previous run: in memory since it ran, else the newest record of its history. */
  private async previousRun(promptUri: vscode.Uri): Promise<{ request: Record<string, unknown>; messageId?: string } | undefined> {
    const key = promptUri.toString();
    const known = this.lastSent.get(key);
    if (known) return known;
    try {
      const [record] = await readRunRecords(this.historyFile(promptUri).fsPath, 1, this.historyRoot(promptUri));
      if (!record) return undefined;
      const previous = { request: record.request, ...(record.response?.id ? { messageId: record.response.id } : {}) };
      this.lastSent.set(key, previous);
      return previous;
    } catch {
      return undefined;
    }
  }

  private async stream(
    promptUri: vscode.Uri,
    promptName: string,
    request: Record<string, unknown>,
    betas: string[],
    billed: BilledJobHandle,
    worstCaseUsd: number | undefined,
    sent: { sendNotes: string[]; cacheChange?: string },
  ): Promise<RunSummary> {
    // The label comes from the client the run is sent with, so it cannot disagree with where it went.
    const { client, target } = await this.deps.api.connect();
    const simulated = target.kind === 'simulator';
    const runId = randomUUID();
    const model = String(request['model']);
    const startedAt = new Date().toISOString();
    const panel = this.deps.panel();
    panel.reveal();
    const header = { runId, promptName, promptPath: vscode.workspace.asRelativePath(promptUri), model, startedAt, ...(simulated ? { simulated } : {}) };
    panel.post({ type: 'runStarted', header });
    this.deps.output.startRun(`${promptName} · ${model} · ${startedAt}${simulated ? ' · simulator (not Claude, not billed)' : ''}`);

    const controller = new AbortController();
    this.active.set(runId, controller);
    const kinds = new Map<number, BlockKind>();
    const batcher = new StreamBatcher((batch) => {
      panel.post({ type: 'runProgress', runId, starts: batch.starts, appends: batch.appends });
      for (const append of batch.appends) {
        if (kinds.get(append.index) === 'text') this.deps.output.append(append.text);
      }
    });
    const sink: RunSink = {
      blockStart: (start) => {
        kinds.set(start.index, start.kind);
        batcher.blockStart(start);
      },
      append: (index, text) => batcher.append(index, text),
    };

    // The one billed path: the gate records the actual cost and reads the rate-limit headers.
    const billedCall = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Running ${promptName} on ${model}`, cancellable: true },
      (_progress, token) => {
        token.onCancellationRequested(() => controller.abort());
        return billed.call({ model, worstCaseUsd }, async () => {
          const run = await runMessage(client, request as unknown as MessageStreamParams, sink, { signal: controller.signal, betas });
          return { result: run, ...billedUsage(run), ...(run.headers !== undefined ? { headers: run.headers } : {}), ...(run.requestId ? { requestId: run.requestId } : {}) };
        });
      },
    );
    const result: MessageRunResult = billedCall.result;
    batcher.flush();
    batcher.dispose();
    this.active.delete(runId);

    this.lastSent.set(promptUri.toString(), { request, ...(result.message?.id ? { messageId: result.message.id } : {}) });
    // The error view goes to the panel, the notification, the log and history: redact it once here.
    const outcome = this.deps.api.redactor.redactDeep(await this.outcome(request, result, sent));
    // An absolute time, so the panel's countdown is still right after it reloads.
    if (outcome.error?.retryAfterSeconds !== undefined) outcome.error.retryAt = result.endedAt + outcome.error.retryAfterSeconds * 1000;
    panel.post({ type: 'runFinished', runId, outcome });
    const partialKept = (result.message?.content.length ?? 0) > 0 ? '; partial output kept' : '';
    this.deps.output.endRun(
      outcome.status === 'completed' ? `(${outcome.stopReason ?? 'done'}; ${outcome.costText ?? ''})` : `(${outcome.status}${outcome.error ? `: ${outcome.error.title}` : ''}${partialKept})`,
    );
    this.deps.log.info(`Run ${runId} ${outcome.status}; request id ${result.requestId ?? 'none'}; ${outcome.costText ?? ''}`);
    if (outcome.error && result.error !== undefined && JSON.stringify(request['messages'] ?? []).includes('"file_id"')) {
      // A file the run sent expired or was deleted: forgotten, so the next run uploads it again.
      await this.deps.files().afterRunError(request, result.error).catch((error: unknown) => this.deps.log.warn(`Could not update the uploads: ${String(error)}`));
    }
    if (outcome.error) {
      this.deps.log.error(`Run ${runId}: ${outcome.error.title}: ${outcome.error.message} (request id ${outcome.error.requestId ?? 'none'})`);
      void this.notifyError(runId, outcome);
    }

    const record: RunRecord = {
      version: RUN_RECORD_VERSION,
      recordId: runId,
      promptName,
      promptPath: vscode.workspace.asRelativePath(promptUri),
      model,
      startedAt,
      ...(simulated ? { simulated } : {}),
      status: result.status,
      request,
      betas,
      ...(result.message ? { response: result.message } : {}),
      ...(outcome.error ? { error: recordedError(outcome.error) } : {}),
      ...(result.requestId ? { requestId: result.requestId } : {}),
      ...(outcome.costText ? { costText: outcome.costText } : {}),
      ...(sent.cacheChange !== undefined ? { cacheChange: sent.cacheChange } : {}),
      ...(sent.sendNotes.length > 0 ? { sendNotes: sent.sendNotes } : {}),
      timings: {
        durationMs: result.endedAt - result.startedAt,
        ...(outcome.timeToFirstTokenMs !== undefined ? { timeToFirstTokenMs: outcome.timeToFirstTokenMs } : {}),
        ...(outcome.outputTokensPerSecond !== undefined ? { outputTokensPerSecond: outcome.outputTokensPerSecond } : {}),
      },
    };
    // Only a finished run has the API's own usage; a stopped one keeps its estimate in costText.
    const entry = billedCall.entry;
    if (entry && !entry.estimated && entry.costUsd !== null) record.costUsd = entry.costUsd;
    this.runs.set(runId, { runId, promptUri, promptName, request, betas, ...(result.message ? { message: result.message } : {}), record });
    this.historyPrompt = promptUri;
    try {
      const key = await this.deps.api.currentKey();
      await appendRunRecord(this.historyFile(promptUri).fsPath, record, key ? [key] : [], this.historyRoot(promptUri));
      await this.postHistory();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.deps.log.error(`Could not write the run history: ${reason}`);
      if (error instanceof ConfinementError) void vscode.window.showWarningMessage(`Run history not written: ${reason}.`);
    }
    const summary = { runId, status: result.status, outcome, text: messageText(result.message) };
    this.deps.onRunFinished?.(summary);
    return summary;
  }

  private async outcome(request: Record<string, unknown>, result: MessageRunResult, sent: { sendNotes?: string[]; cacheChange?: string } = {}): Promise<RunOutcomeView> {
    const message = result.message;
    const model = String(request['model']);
    const usage = usageView(message);
    const hasOutput = (message?.content.length ?? 0) > 0;
    const outcome: RunOutcomeView = { status: result.status, canContinue: false, durationMs: result.endedAt - result.startedAt };
    if (sent.sendNotes && sent.sendNotes.length > 0) outcome.sendNotes = sent.sendNotes;
    const cache = cacheReportView(message?.usage, this.deps.prices.find(model), {
      diagnostics: (message as { diagnostics?: { cache_miss_reason?: { type: string; cache_missed_input_tokens?: number } | null } | null } | undefined)?.diagnostics ?? null,
      ...(sent.cacheChange !== undefined ? { changedSinceLastRun: sent.cacheChange } : {}),
    });
    if (cache) outcome.cache = cache;
    const details = message?.stop_details;
    if (message?.stop_reason === 'refusal' && details) outcome.refusal = { category: details.category ?? null, explanation: details.explanation ?? null };
    if (result.requestId) outcome.requestId = result.requestId;
    if (usage && message?.usage) {
      const price = this.deps.prices.find(model);
      if (result.status === 'completed') {
        const cost = costFromUsage(price, message.usage, { ranCode: containerOf(message) !== undefined });
        outcome.costText = cost.known ? `${formatUsd(cost.usd)}${serverToolCostSuffix(cost.notes)}` : cost.reason;
      } else {
        // Stopped before message_delta: the usage on hand is message_start's, whose output count
        // is a placeholder. Estimate the output from what arrived, and say it is an estimate.
        usage.outputTokens = Math.max(usage.outputTokens, partialOutputTokens(message));
        usage.outputEstimated = true;
        const cost = costFromUsage(price, { ...message.usage, output_tokens: usage.outputTokens });
        outcome.costText = cost.known ? `~${formatUsd(cost.usd)} (estimated)` : cost.reason;
      }
      outcome.usage = usage;
    }
    if (result.firstTokenAt !== undefined) {
      outcome.timeToFirstTokenMs = result.firstTokenAt - result.startedAt;
      const streamingSeconds = (result.endedAt - result.firstTokenAt) / 1000;
      // A rate over a few milliseconds says nothing (a tiny reply would read as 100,000 tok/s).
      if (usage && !usage.outputEstimated && streamingSeconds >= minRateSeconds) outcome.outputTokensPerSecond = usage.outputTokens / streamingSeconds;
    }
    if (result.status === 'failed') {
      outcome.error = describeApiError(result.error, { partial: hasOutput, model });
      return outcome;
    }
    if (result.status === 'cancelled') return outcome;
    const stopReason = message?.stop_reason ?? undefined;
    if (stopReason) outcome.stopReason = stopReason;
    outcome.stopExplanation = explainStopReason(stopReason, Number(request['max_tokens']));
    const schema = outputSchema(request);
    if (schema && message) outcome.structured = await checkStructuredOutput(messageText(message), schema);
    const messages = (request['messages'] as Record<string, unknown>[] | undefined) ?? [];
    const rounds = toolRoundsUsed(messages);
    if (stopReason === 'tool_use') {
      outcome.pendingTools = pendingTools(message);
      const maxToolRounds = this.deps.config.settings.maxToolRounds;
      outcome.toolRounds = { used: rounds + 1, max: maxToolRounds };
      outcome.canContinue = rounds + 1 < maxToolRounds;
    } else {
      outcome.canContinue = stopReason !== 'refusal' && stopReason !== 'model_context_window_exceeded';
    }
    return outcome;
  }

  private async notifyError(runId: string, outcome: RunOutcomeView): Promise<void> {
    const error = outcome.error;
    if (!error) return;
    const choice = await vscode.window.showErrorMessage(`${error.title}: ${error.message}`, ...error.actions.map(errorActionLabel));
    const action = error.actions.find((a) => errorActionLabel(a) === choice);
    if (action) await this.errorAction(runId, action);
  }

  /** An error's action, for the run it belongs to (a live run, or one opened from the history). */
  private async errorAction(runId: string, action: ErrorAction): Promise<void> {
    if (action === 'retry') await this.retry(runId);
    else if (action === 'setKey') await vscode.commands.executeCommand('promptWorkbench.setApiKey');
    else if (action === 'openSettings') await vscode.commands.executeCommand('workbench.action.openSettings', 'promptWorkbench');
    else if (action === 'chooseModel') {
      const promptUri = this.runs.get(runId)?.promptUri ?? ((await this.records()).some((r) => r.recordId === runId) ? this.historyPrompt : undefined);
      if (promptUri) await vscode.window.showTextDocument(promptUri);
      else this.deps.log.warn(`Choose model: run ${runId} is not known (any more); nothing was opened.`);
    }
  }

  /** Sends the same resolved request again (after the spend check). */
  async retry(runId: string): Promise<RunSummary | undefined> {
    const context = this.runs.get(runId);
    if (!context) return undefined;
    return this.send(context.promptUri, { name: context.promptName, betas: context.betas }, context.request);
  }

  stop(runId?: string): void {
    if (runId) this.active.get(runId)?.abort();
    else this.active.forEach((controller) => controller.abort());
  }

  /** Appends the reply and the user's next message to the prompt (in place or in a new file) and runs it. */
  async continueRun(runId: string, nextMessage: string, mode: 'inPlace' | 'newFile'): Promise<RunSummary | undefined> {
    const context = this.runs.get(runId);
    if (!context?.message) return undefined;
    const turns = continueMessages([], context.message, nextMessage);
    // Code ran in a container: the next turn reuses it (its files and state), anthropic-api.md §17.
    const container = containerOf(context.message);
    const fields = container ? { container } : {};
    const target = mode === 'inPlace' ? await appendTurnsToPrompt(context.promptUri, turns, fields) : await writeContinuedPrompt(context.promptUri, turns, fields);
    if (!target) return undefined;
    return this.run(target);
  }

  /** Answers a tool_use turn with the user's tool results and runs the next turn (bounded). */
  async submitToolResults(runId: string, results: ToolResultInput[]): Promise<RunSummary | undefined> {
    const context = this.runs.get(runId);
    if (!context?.message) return undefined;
    const messages = (context.request['messages'] as Record<string, unknown>[] | undefined) ?? [];
    const maxToolRounds = this.deps.config.settings.maxToolRounds;
    if (toolRoundsUsed(messages) + 1 >= maxToolRounds) {
      void vscode.window.showWarningMessage(`Stopped: this conversation reached the limit of ${maxToolRounds} tool rounds. Raise the promptWorkbench.maxToolRounds setting to go on.`);
      return undefined;
    }
    let turns: Record<string, unknown>[];
    try {
      turns = toolResultMessages([], context.message, results);
    } catch (error) {
      void vscode.window.showErrorMessage(this.deps.api.redactor.errorText(error));
      return undefined;
    }
    const container = containerOf(context.message);
    const target = await appendTurnsToPrompt(context.promptUri, turns, container ? { container } : {});
    return target ? this.run(target) : undefined;
  }

  private historyFile(promptUri: vscode.Uri): vscode.Uri {
    return vscode.Uri.file(promptHistoryFile(promptUri.fsPath, promptUri.toString(), this.deps.config.settings.historyLocation, this.deps.storageUri?.fsPath));
  }

  /** The folder history stays inside: no link below it is followed (the prompt's workspace folder, or the extension's storage). */
  private historyRoot(promptUri: vscode.Uri): string {
    if (this.deps.config.settings.historyLocation === 'workspaceStorage' && this.deps.storageUri) return this.deps.storageUri.fsPath;
    const folder = vscode.workspace.getWorkspaceFolder(promptUri);
    return folder?.uri.scheme === 'file' ? folder.uri.fsPath : dirname(promptUri.fsPath);
  }

  private async records(): Promise<RunRecord[]> {
    return this.historyPrompt ? readRunRecords(this.historyFile(this.historyPrompt).fsPath, 200, this.historyRoot(this.historyPrompt)) : [];
  }

  private async postHistory(): Promise<void> {
    const entries: HistoryEntryView[] = (await this.records()).map((r) => ({
      recordId: r.recordId,
      promptName: r.promptName,
      model: r.model,
      startedAt: r.startedAt,
      ...(r.simulated ? { simulated: true } : {}),
      status: r.status,
      ...(r.costText ? { costText: r.costText } : {}),
      ...cacheTextOf(r, this.deps.prices.find(r.model)),
      preview: responsePreview(r.response),
    }));
    this.deps.panel().post({ type: 'history', entries });
  }

  private async runView(recordId: string): Promise<RunView | undefined> {
    const record = (await this.records()).find((r) => r.recordId === recordId);
    if (!record) return undefined;
    const outcome = await this.outcome(record.request, {
      status: record.status,
      ...(record.response ? { message: record.response } : {}),
      ...(record.requestId ? { requestId: record.requestId } : {}),
      startedAt: 0,
      endedAt: record.timings.durationMs,
    }, { ...(record.sendNotes ? { sendNotes: record.sendNotes } : {}), ...(record.cacheChange !== undefined ? { cacheChange: record.cacheChange } : {}) });
    if (record.error) outcome.error = this.deps.api.redactor.redactDeep(errorViewOf(record.error));
    return {
      header: {
        runId: record.recordId,
        promptName: record.promptName,
        promptPath: record.promptPath,
        model: record.model,
        startedAt: record.startedAt,
        ...(record.simulated ? { simulated: true } : {}),
      },
      blocks: (record.response?.content ?? []).map((block, index) => {
        const kind = blockKind(block.type);
        return {
          index,
          kind,
          ...(block.type === 'server_tool_use' ? { name: block.name, id: block.id } : kind === 'server_tool_result' || kind === 'other' ? { name: block.type } : {}),
          ...(block.type === 'text' && block.citations?.length ? { citations: block.citations as unknown as ApiCitation[] } : {}),
          text:
            block.type === 'text' ? block.text : block.type === 'thinking' ? block.thinking : block.type === 'tool_use' || block.type === 'server_tool_use' ? JSON.stringify(block.input) : JSON.stringify(block, null, 2),
        };
      }),
      status: record.status,
      outcome,
    };
  }

  /** Everything the panel can ask for. */
  async handle(message: PanelToHost): Promise<void> {
    switch (message.type) {
      case 'ready':
        return;
      case 'stop':
        return this.stop(message.runId);
      case 'retry':
        await this.retry(message.runId);
        return;
      case 'continue':
        await this.continueRun(message.runId, message.message, message.mode);
        return;
      case 'submitToolResults':
        await this.submitToolResults(message.runId, message.results);
        return;
      case 'listHistory':
        return this.postHistory();
      case 'openRun': {
        const run = await this.runView(message.recordId);
        if (run) this.deps.panel().post({ type: 'showRun', run });
        return;
      }
      case 'compareRuns': {
        const [left, right] = await Promise.all([this.runView(message.leftRecordId), this.runView(message.rightRecordId)]);
        if (left && right) this.deps.panel().post({ type: 'compare', left, right });
        return;
      }
      case 'rerun': {
        const record = (await this.records()).find((r) => r.recordId === message.recordId);
        if (record?.chunked && this.historyPrompt) {
          await vscode.commands.executeCommand('promptWorkbench.runOverChunks', this.historyPrompt);
          return;
        }
        if (record && this.historyPrompt) await this.rerun(this.historyPrompt, record);
        return;
      }
      case 'errorAction':
        return this.errorAction(message.runId, message.action);
      case 'openLink': {
        // Links come from web pages and the model: only http(s), opened by the editor (which asks first for unknown sites).
        const url = safeLinkUrl(message.url);
        if (url) await vscode.env.openExternal(vscode.Uri.parse(url, true));
        else this.deps.log.warn('A link that is not http(s) was not opened.');
        return;
      }
      case 'downloadFile':
        return this.downloadProducedFile(message.runId, message.fileId);
      default: {
        const unexpected: never = message;
        this.deps.log.warn(`Unknown panel message ${JSON.stringify(unexpected)}`);
      }
    }
  }

  /** Saves a file the run's code produced; only ids that run's reply names can be asked for. */
  private async downloadProducedFile(runId: string, fileId: string): Promise<void> {
    const content = this.runs.get(runId)?.message?.content ?? (await this.records()).find((r) => r.recordId === runId)?.response?.content ?? [];
    try {
      await this.deps.files().download(fileId, content);
    } catch (error) {
      void vscode.window.showErrorMessage(`Download failed: ${this.deps.api.redactor.errorText(error)}`);
    }
  }

  /** Shows the panel with the run history of a prompt (the active one, or the last run's). */
  async showHistory(promptUri: vscode.Uri | undefined): Promise<void> {
    if (promptUri?.path.endsWith('.prompt.json')) this.historyPrompt = promptUri;
    this.deps.panel().reveal();
    await this.postHistory();
  }

  /** Shows a run recorded in a prompt's history (a stitched chunked output) in the panel, with that prompt's history. */
  async showRecord(promptUri: vscode.Uri, recordId: string): Promise<void> {
    this.historyPrompt = promptUri;
    this.deps.panel().reveal();
    await this.postHistory();
    const run = await this.runView(recordId);
    if (run) this.deps.panel().post({ type: 'showRun', run });
  }

  historyFileFor(promptUri: vscode.Uri): vscode.Uri {
    return this.historyFile(promptUri);
  }

  isRunning(): boolean {
    return this.active.size > 0;
  }

  dispose(): void {
    this.stop();
  }
}
