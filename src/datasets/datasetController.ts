// Run Prompt over Dataset…: picks the prompt and the dataset (the prompt's own `dataset`, the
// explorer's selection, or a file chosen now), keeps every path inside the workspace, makes the
// plan, shows it, and sends nothing until the user starts the job from the plan. Then it runs the
// job (core/dataset/datasetJob.ts), filling the grid live, and offers cancel, pause, retry of the
// failed rows and a CSV export. An unfinished job is remembered, so after a window reload the same
// command offers to resume it without sending its finished rows again.
import * as vscode from 'vscode';
import { randomUUID } from 'node:crypto';
import { requiredBetas } from '../core/models/requiredBetas';
import { realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import type Anthropic from '@anthropic-ai/sdk';
import type { MessageCreateParamsNonStreaming } from '@anthropic-ai/sdk/resources/messages';
import type { ApiConnection } from '../api/apiConnection';
import type { WorkbenchConfig } from '../config/workbenchConfig';
import { describeApiError } from '../core/api/apiErrors';
import { cacheReportOf } from '../core/caching/cacheReport';
import { DatasetJob, type JobProgress, type RowCall } from '../core/dataset/datasetJob';
import { planDataset, type DatasetPlan } from '../core/dataset/datasetPlan';
import { discardUnusedResultsFile, exportResultsCsv, latestStatuses, newResultsFile, readResultLines, resultsSlug, type RowResult } from '../core/dataset/datasetResults';
import { datasetFormatFor, type DatasetSource } from '../core/dataset/datasetSource';
import { isInside, writtenPathProblem } from '../core/files/namedFiles';
import { withJobUploads } from '../core/files/workspaceFileRefs';
import { formatUsd } from '../core/format';
import type { BilledJob } from '../core/spend/spendGate';
import { askModal, openWithConsent } from '../spend/spendConsent';
import { hasErrors, type PromptFile } from '../core/prompt/promptFile';
import type { RateLimits } from '../core/scheduler/rateLimitBuckets';
import { ConfinementError } from '../core/files/confinedFiles';
import { appendRunRecords, jobHistoryFile, promptHistoryFile, recordedError, RUN_RECORD_VERSION, type RunRecord } from '../core/run/runHistory';
import type { PriceEntry } from '../core/pricing/priceTable';
import type { Prices } from '../pricing/prices';
import { isPromptDocument, type PromptDocuments } from '../promptDocuments';
import { RememberedJobs } from '../jobs/rememberedJobs';
import { pickPromptFile } from '../promptPicker';
import type { SpendTracking } from '../spend/spendTracking';
import type { DatasetPanel } from './datasetPanel';
import type { BatchResultsView, GridRow, GridToHost, JobState, PlanView, ProgressView } from './datasetProtocol';

/** A planned job, as Submit as Batch hands it over: everything the batch needs, in core types. */
export interface PlannedDatasetJob {
  promptPath: string;
  prompt: PromptFile;
  promptValues: Record<string, string>;
  source: DatasetSource;
  plan: DatasetPlan;
  resultsPath: string;
  /** The workspace folder every path stays inside. */
  root: string;
}

/** What a job needs of the Files API feature: the single run's upload, deduplicated by content hash. */
export interface JobFiles {
  prepare(promptUri: vscode.Uri, request: Record<string, unknown>, client: Anthropic): Promise<{ request: Record<string, unknown> }>;
}

/** What Submit as Batch did: submitted (the batch ids), or why not, in words the panel shows. */
export type BatchSubmission = { submitted: true; message: string } | { submitted: false; message: string };

export interface DatasetDeps {
  documents: PromptDocuments;
  api: ApiConnection;
  config: WorkbenchConfig;
  prices: Prices;
  /** The one billed-call path (spend cap, monthly budget, ledger) and the rate limits seen. */
  spend: SpendTracking;
  panel: () => DatasetPanel;
  log: vscode.LogOutputChannel;
  workspaceState: vscode.Memento;
  /** The extension's workspace storage folder, for history kept there (`promptWorkbench.historyLocation`). */
  storagePath?: string;
  /** Submit as Batch: the batches feature (a bundle of its own) takes the planned job from here. */
  submitAsBatch?: (job: PlannedDatasetJob) => Promise<BatchSubmission>;
  /** The Files API feature (a bundle of its own): uploads the workspace files a prompt names, once per job. */
  files?: () => JobFiles;
}

/** What is remembered of a job so it can be resumed after a reload. */
interface RememberedJob {
  promptPath: string;
  datasetPath: string;
  resultsPath: string;
}

const REMEMBERED_KEY = 'promptWorkbench.datasetJobs';

interface Prepared {
  promptUri: vscode.Uri;
  prompt: PromptFile;
  promptValues: Record<string, string>;
  source: DatasetSource;
  root: string;
  resultsPath: string;
  plan: DatasetPlan;
}

export class DatasetController implements vscode.Disposable {
  private prepared: Prepared | undefined;
  private job: DatasetJob | undefined;
  private controller: AbortController | undefined;
  private running: Promise<void> | undefined;
  private state: JobState = 'planned';
  private lastProgress: JobProgress | undefined;
  /** Set while the panel shows a batch job's results: its Retry sends a new batch, not a run now. */
  private batchResults: { retry: () => Promise<void> } | undefined;

  /** Unfinished jobs, remembered so that after a reload the command offers to resume them. */
  private readonly rememberedJobs: RememberedJobs<RememberedJob>;

  constructor(private readonly deps: DatasetDeps) {
    this.rememberedJobs = new RememberedJobs<RememberedJob>(deps.workspaceState, REMEMBERED_KEY, ['datasetPath']);
  }

  /** The command. `target` is the explorer's selection: a prompt, or a dataset file. */
  async runOverDataset(target?: vscode.Uri): Promise<PlanView | undefined> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showErrorMessage('Prompts cannot be run in an untrusted workspace. Trust the workspace first (Manage Workspace Trust).');
      return undefined;
    }
    if (this.running) {
      void vscode.window.showWarningMessage('A dataset job is running. Cancel it first, or wait for it to end.');
      this.deps.panel().reveal();
      return undefined;
    }
    const targetIsPrompt = target !== undefined && target.path.endsWith('.prompt.json');
    const promptUri = targetIsPrompt ? target : await pickPromptFile('Run which prompt over the dataset?');
    if (!promptUri) return undefined;
    const document = await vscode.workspace.openTextDocument(promptUri);
    if (!isPromptDocument(document) || document.uri.scheme !== 'file') {
      void vscode.window.showErrorMessage('Run Prompt over Dataset needs a saved .prompt.json file.');
      return undefined;
    }
    const parsed = this.deps.documents.validateForSend(document);
    if (!parsed.prompt || hasErrors(parsed.diagnostics)) {
      void vscode.window.showErrorMessage('Not planned: this prompt has errors. Fix them first (see the Problems panel).');
      return undefined;
    }
    const prompt = parsed.prompt;
    const folder = vscode.workspace.getWorkspaceFolder(promptUri);
    const root = folder?.uri.scheme === 'file' ? folder.uri.fsPath : dirname(promptUri.fsPath);
    const datasetPath = await this.datasetPathFor(prompt, promptUri, root, targetIsPrompt ? undefined : target);
    if (!datasetPath) return undefined;
    let promptValues: Record<string, string>;
    try {
      promptValues = this.deps.documents.defaults(document, prompt, { fresh: true });
    } catch (error) {
      void vscode.window.showErrorMessage(`Not planned: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
    const isFolder = statSync(datasetPath).isDirectory();
    const format = datasetFormatFor(datasetPath, isFolder);
    if (!format) {
      void vscode.window.showErrorMessage(`${basename(datasetPath)} is not a dataset: use a .csv, .tsv, .jsonl, .ndjson or .json file, or a folder.`);
      return undefined;
    }
    const source: DatasetSource = { format, path: datasetPath, ...(prompt.dataset?.delimiter ? { delimiter: prompt.dataset.delimiter } : {}) };
    const resultsPath = await this.resultsPathFor(promptUri, prompt, datasetPath, root);
    if (!resultsPath) return undefined;
    if (!(await this.deps.api.hasKey())) {
      const stored = await vscode.commands.executeCommand<boolean>('promptWorkbench.setApiKey');
      if (!stored) {
        void vscode.window.showWarningMessage('Not planned: counting tokens needs an API key. Run "Prompt Workbench: Set API Key".');
        return undefined;
      }
    }
    const client = await this.deps.api.client();
    const price = this.deps.prices.find(prompt.request.model);
    // Workspace files are uploaded once for the whole job, before the counts: the plan, every row
    // sent now and a batch submitted from the plan all use the same file ids.
    let sendable: PromptFile;
    try {
      sendable = await withJobUploads(prompt, async (request) => {
        if (!this.deps.files) throw new Error('workspace files cannot be uploaded here.');
        return this.deps.files().prepare(promptUri, request, client);
      });
    } catch (error) {
      void vscode.window.showErrorMessage(`Not planned: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
    let plan: DatasetPlan;
    try {
      plan = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Planning ${prompt.name ?? basename(promptUri.fsPath)} over ${basename(datasetPath)}`, cancellable: true },
        async (_progress, token) => {
          const abort = new AbortController();
          token.onCancellationRequested(() => abort.abort());
          return planDataset({
            prompt: sendable,
            promptValues,
            source,
            binding: { map: prompt.dataset?.map, keyColumn: prompt.dataset?.keyColumn },
            price,
            limits: this.limitsSeen(prompt.request),
            maxConcurrency: this.deps.config.settings.datasetConcurrency,
            signal: abort.signal,
            countTokens: async (params, signal) => {
              const { data, response } = await client.messages.countTokens(params, { signal, maxRetries: 0 }).withResponse();
              return { inputTokens: data.input_tokens, headers: response.headers };
            },
          });
        },
      );
    } catch (error) {
      void vscode.window.showErrorMessage(`The plan could not be made: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
    this.discardUnused(resultsPath);
    this.prepared = { promptUri, prompt: sendable, promptValues, source, root, resultsPath, plan };
    this.batchResults = undefined;
    this.state = 'planned';
    const view = await this.planView(this.prepared);
    const panel = this.deps.panel();
    panel.show(`${plan.promptName} × ${basename(datasetPath)}`);
    panel.post({ type: 'plan', plan: view });
    panel.post({ type: 'state', state: 'planned' });
    panel.putRows(await this.gridRowsOf(resultsPath), true);
    return view;
  }

  /** Messages from the panel's buttons. */
  async handle(message: GridToHost): Promise<void> {
    switch (message.type) {
      case 'ready':
        return;
      case 'start':
        return this.batchResults ? undefined : this.start();
      case 'submitBatch':
        return this.batchResults ? undefined : this.submitBatch();
      case 'cancel':
        this.controller?.abort();
        return;
      case 'pause':
        this.job?.pause();
        return;
      case 'resume':
        this.job?.resume();
        return;
      case 'retryFailed':
        return this.batchResults ? this.batchResults.retry() : this.start({ retryFailed: true });
      case 'exportCsv':
        return this.batchResults ? undefined : this.exportCsv();
    }
  }

  /**
   * Shows a batch job's results file in the grid (opened from the Batches view), with the actual
   * cost against the estimate; the panel's Retry then calls `retry` (a new batch).
   */
  async showBatchResults(resultsPath: string, batch: BatchResultsView, retry: () => Promise<void>): Promise<void> {
    if (this.running) {
      void vscode.window.showWarningMessage('A dataset job is running in the dataset panel. Cancel it first, or wait for it to end, to open the batch results.');
      return;
    }
    this.batchResults = { retry };
    const panel = this.deps.panel();
    panel.show(batch.title);
    panel.post({ type: 'batchResults', batch });
    // The summary is in the page's header; the state line says what can be done with it.
    panel.post({ type: 'state', state: 'finished', message: batch.retryable > 0 ? `Ended: ${batch.retryable} failed rows can be retried as a new batch.` : 'Ended.' });
    panel.putRows(await this.gridRowsOf(resultsPath), true);
  }

  /** For tests: the state of the current job. */
  snapshot(): { state: JobState; progress?: JobProgress; resultsPath?: string; historyPath?: string } {
    return { state: this.state, progress: this.lastProgress, resultsPath: this.prepared?.resultsPath, historyPath: this.prepared ? this.jobHistory(this.prepared).file : undefined };
  }

  /** The job's history file (a record per call) and the folder it stays inside, by `promptWorkbench.historyLocation`. */
  private jobHistory(prepared: Prepared): { file: string; root: string } {
    const location = this.deps.config.settings.historyLocation;
    const inStorage = location === 'workspaceStorage' && this.deps.storagePath !== undefined;
    const promptHistory = promptHistoryFile(prepared.promptUri.fsPath, prepared.promptUri.toString(), location, this.deps.storagePath);
    return { file: jobHistoryFile(promptHistory, prepared.resultsPath), root: inStorage ? (this.deps.storagePath as string) : prepared.root };
  }

  /**
   * Records the job's calls in its history file, each as a run record like a single run's (with the
   * row it was for), and gives each record's id at once. The records are written in batches (at
   * most every 200 ms, and when the job ends) so history never holds up the job's requests; history
   * that cannot be written is said once and does not stop the job: the results file keeps the row.
   */
  private callRecorder(prepared: Prepared, simulated: boolean, key: string | undefined, betas: string[]): { record: (call: RowCall) => Promise<string>; close: () => Promise<void> } {
    const { file, root } = this.jobHistory(prepared);
    const { plan } = prepared;
    const promptPath = vscode.workspace.asRelativePath(prepared.promptUri);
    const results = relative(prepared.root, prepared.resultsPath);
    let pending: RunRecord[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    let writing: Promise<void> = Promise.resolve();
    let warned = false;
    const flush = (): Promise<void> => {
      if (timer) clearTimeout(timer);
      timer = undefined;
      const batch = pending;
      pending = [];
      writing = writing.then(async () => {
        try {
          await appendRunRecords(file, batch, key ? [key] : [], root);
        } catch (failure) {
          const reason = failure instanceof Error ? failure.message : String(failure);
          this.deps.log.error(`Could not write ${batch.length} calls to the dataset job's history: ${reason}`);
          if (!warned) {
            warned = true;
            void vscode.window.showWarningMessage(`Dataset job history not written${failure instanceof ConfinementError ? `: ${reason}` : ''}. The results file keeps every row.`);
          }
        }
      });
      return writing;
    };
    const record = async (call: RowCall): Promise<string> => {
      const recordId = randomUUID();
      const error = call.error !== undefined ? this.deps.api.redactor.redactDeep(describeApiError(call.error, { model: plan.model })) : undefined;
      pending.push({
        version: RUN_RECORD_VERSION,
        recordId,
        promptName: plan.promptName,
        promptPath,
        model: plan.model,
        startedAt: call.startedAt,
        ...(simulated ? { simulated } : {}),
        status: call.message ? 'completed' : 'failed',
        request: call.request,
        betas,
        ...(call.message ? { response: call.message } : {}),
        ...(error ? { error: recordedError(error) } : {}),
        ...(call.requestId ? { requestId: call.requestId } : {}),
        ...(typeof call.costUsd === 'number' ? { costUsd: call.costUsd, costText: formatUsd(call.costUsd) } : {}),
        timings: { durationMs: call.durationMs },
        dataset: { results, key: call.key, index: call.index, attempts: call.attempts },
      });
      timer ??= setTimeout(() => void flush(), 200);
      return recordId;
    };
    return { record, close: flush };
  }

  /** Resolves when the running job (if any) has ended. */
  async settled(): Promise<void> {
    await this.running;
  }

  private async start(options: { retryFailed?: boolean } = {}): Promise<void> {
    const prepared = this.prepared;
    if (!prepared || this.running) return;
    const { plan, prompt } = prepared;
    if (plan.errors.length > 0) {
      void vscode.window.showErrorMessage(`Not started: ${plan.errors[0]}`);
      return;
    }
    let onlyKeys: Set<string> | undefined;
    if (options.retryFailed) {
      const statuses = await latestStatuses(prepared.resultsPath);
      onlyKeys = new Set([...statuses].filter(([, status]) => status === 'errored').map(([key]) => key));
      if (onlyKeys.size === 0) {
        void vscode.window.showInformationMessage('No failed rows to retry.');
        return;
      }
    }
    // The whole job's worst case, against the spend cap and the monthly budget, before the first request.
    const gate = this.deps.spend.gate;
    const share = onlyKeys && plan.rows.runnable > 0 ? onlyKeys.size / plan.rows.runnable : 1;
    const billedJob = this.billedJob(plan, share);
    const consent = await openWithConsent(gate, billedJob, askModal('Start'));
    if (consent.kind === 'refused') {
      void vscode.window.showErrorMessage(consent.message);
      this.setState('stopped', consent.message);
      return;
    }
    if (consent.kind === 'declined') return;
    const billing = consent.handle;
    const { client, target } = await this.deps.api.connect();
    // A task budget or fast mode adds its beta, as a single run does.
    const betas = requiredBetas(prompt.request, prompt.betas ?? []).betas;
    const history = this.callRecorder(prepared, target.kind === 'simulator', target.key, betas);
    const price = this.deps.prices.find(plan.model);
    this.controller = new AbortController();
    const panel = this.deps.panel();
    let pending: GridRow[] = [];
    let flushTimer: ReturnType<typeof setTimeout> | undefined;
    const flush = (): void => {
      flushTimer = undefined;
      if (pending.length > 0) panel.putRows(pending);
      pending = [];
    };
    this.job = new DatasetJob({
      plan,
      prompt,
      promptValues: prepared.promptValues,
      resultsPath: prepared.resultsPath,
      price,
      billing,
      stopsJob: (error) => ((error as { name?: string }).name === 'SpendRefusedError' ? (error as Error).message : undefined),
      maxConcurrency: this.deps.config.settings.datasetConcurrency,
      initialLimits: this.limitsSeen(prompt.request),
      signal: this.controller.signal,
      ...(onlyKeys ? { onlyKeys } : {}),
      onCall: history.record,
      send: async (body, signal) => {
        const params = body as unknown as MessageCreateParamsNonStreaming;
        const { data, response } = betas.length > 0
          ? await (client as Anthropic).beta.messages.create({ ...params, betas } as never, { signal, maxRetries: 0 }).withResponse()
          : await client.messages.create(params, { signal, maxRetries: 0 }).withResponse();
        return { message: data as never, headers: response.headers };
      },
      onResult: (result) => {
        // Batched to the webview: at most one message per 100 ms however fast rows finish.
        pending.push(gridRowOf(result, price));
        flushTimer ??= setTimeout(flush, 100);
      },
      onProgress: (progress) => {
        this.lastProgress = progress;
        panel.post({ type: 'progress', progress: progressView(progress) });
      },
    });
    await this.rememberedJobs.remember({ promptPath: prepared.promptUri.fsPath, datasetPath: prepared.source.path, resultsPath: prepared.resultsPath });
    this.setState('running');
    const job = this.job;
    this.running = (async () => {
      try {
        const outcome = await job.run();
        if (flushTimer) clearTimeout(flushTimer);
        flush();
        if (outcome.cancelled) this.setState('cancelled', 'Cancelled: every finished row is kept. Run the command again to resume.');
        else if (outcome.stoppedReason) this.setState('stopped', outcome.stoppedReason);
        else {
          this.setState('finished', `${outcome.progress.succeeded} rows succeeded, ${outcome.progress.errored} failed.`);
          await this.rememberedJobs.forget(prepared.resultsPath);
        }
      } catch (error) {
        this.deps.log.error(`Dataset job failed: ${error instanceof Error ? error.message : String(error)}`);
        this.setState('failed', error instanceof Error ? error.message : String(error));
      } finally {
        await history.close();
        billing.close();
        this.running = undefined;
        this.job = undefined;
      }
    })();
  }

  /** Submit as Batch: only from a valid plan, only on the user's click; a refusal stays on the panel. */
  private async submitBatch(): Promise<void> {
    const prepared = this.prepared;
    if (!prepared || this.running || this.state !== 'planned') return;
    if (!this.deps.submitAsBatch) return;
    if (prepared.plan.errors.length > 0) {
      void vscode.window.showErrorMessage(`Not submitted: ${prepared.plan.errors[0]}`);
      return;
    }
    const outcome = await this.deps.submitAsBatch({
      promptPath: prepared.promptUri.fsPath,
      prompt: prepared.prompt,
      promptValues: prepared.promptValues,
      source: prepared.source,
      plan: prepared.plan,
      resultsPath: prepared.resultsPath,
      root: prepared.root,
    });
    // Submitted: the plan is spent (Start would send the rows twice). Refused: it stays startable.
    if (outcome.submitted) this.setState('submitted', outcome.message);
    else this.deps.panel().post({ type: 'state', state: this.state, message: outcome.message });
  }

  /**
   * The limits the user's calls last reported for the model's family (every billed call's headers
   * go to the board, kept between windows); a fast-mode prompt's tokens have fast mode's own limits.
   */
  private limitsSeen(request: PromptFile['request']): Partial<RateLimits> | undefined {
    const seen = this.deps.spend.rateLimits.forModel(request.model);
    if (!seen) return undefined;
    const [input, output] = request.speed === 'fast' ? [seen.fastInputTokens, seen.fastOutputTokens] : [seen.inputTokens, seen.outputTokens];
    return { requestsPerMinute: seen.requests?.limit, inputTokensPerMinute: input?.limit, outputTokensPerMinute: output?.limit };
  }

  /** The job as the spend gate sees it: its whole worst case (or the failed rows' share of it). */
  private billedJob(plan: DatasetPlan, share: number, options: { batch?: boolean } = {}): BilledJob {
    const worst = options.batch ? plan.cost.batch?.worstCaseUsd : plan.cost.now?.worstCaseUsd;
    const rows = Math.round(plan.rows.runnable * share);
    return {
      kind: options.batch ? 'batch' : 'dataset',
      ...(options.batch ? { batch: true } : {}),
      model: plan.model,
      promptName: plan.promptName,
      worstCaseUsd: worst === undefined ? undefined : worst * share,
      what: `${rows.toLocaleString('en-US')} rows${options.batch ? ' as a batch' : ''}, about ${Math.round(plan.tokens.total * share).toLocaleString('en-US')} input tokens + up to ${plan.maxTokens.toLocaleString('en-US')} output tokens each on ${plan.model}${worst === undefined ? '' : `, ${formatUsd(worst * share)} at worst`}`,
    };
  }

  private setState(state: JobState, message?: string): void {
    this.state = state;
    this.deps.panel().post({ type: 'state', state, ...(message ? { message } : {}) });
  }

  private async exportCsv(): Promise<void> {
    const prepared = this.prepared;
    if (!prepared) return;
    const target = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.file(prepared.resultsPath.replace(/\.results\.jsonl$/, '.results.csv')),
      filters: { CSV: ['csv'] },
    });
    if (!target) return;
    const count = await exportResultsCsv(prepared.resultsPath, prepared.source, prepared.plan.binding, prepared.plan.columns, target.fsPath);
    void vscode.window.showInformationMessage(`Exported ${count} rows to ${basename(target.fsPath)}.`);
  }

  /** The dataset: the explorer's selection, else the prompt's `dataset.path`, else chosen now. Always inside the workspace. */
  private async datasetPathFor(prompt: PromptFile, promptUri: vscode.Uri, root: string, selected: vscode.Uri | undefined): Promise<string | undefined> {
    let candidate: string | undefined;
    if (selected) {
      candidate = selected.fsPath;
    } else if (prompt.dataset?.path) {
      const problem = writtenPathProblem(prompt.dataset.path);
      if (problem) {
        void vscode.window.showErrorMessage(`The prompt's dataset path is refused: ${problem.message}`);
        return undefined;
      }
      candidate = join(dirname(promptUri.fsPath), prompt.dataset.path.replace(/\\/g, '/'));
    } else {
      const chosen = await vscode.window.showOpenDialog({
        title: 'Choose a dataset (CSV, JSON Lines, JSON array, or a folder of files)',
        defaultUri: vscode.Uri.file(dirname(promptUri.fsPath)),
        canSelectFiles: true,
        canSelectFolders: true,
        canSelectMany: false,
        filters: { Datasets: ['csv', 'tsv', 'jsonl', 'ndjson', 'json'] },
      });
      candidate = chosen?.[0]?.fsPath;
    }
    if (!candidate) return undefined;
    return this.insideWorkspace(candidate, root, 'dataset');
  }

  /** The real path (links followed) when it is inside the workspace folder, else an error and undefined. */
  private insideWorkspace(path: string, root: string, what: string): string | undefined {
    let real: string;
    try {
      real = realpathSync.native(path);
    } catch {
      void vscode.window.showErrorMessage(`The ${what} ${vscode.workspace.asRelativePath(path)} does not exist.`);
      return undefined;
    }
    let realRoot: string;
    try {
      realRoot = realpathSync.native(root);
    } catch {
      realRoot = root;
    }
    if (!isInside(realRoot, real)) {
      void vscode.window.showErrorMessage(`The ${what} must be inside the workspace folder (${basename(root)}); ${basename(path)} is not. Nothing was read.`);
      return undefined;
    }
    return real;
  }

  /** A remembered unfinished job for this prompt and dataset (offered for resume), or a new results file beside the dataset. */
  private async resultsPathFor(promptUri: vscode.Uri, prompt: PromptFile, datasetPath: string, root: string): Promise<string | undefined> {
    const remembered = this.rememberedJobs.all().find((job) => job.promptPath === promptUri.fsPath && job.datasetPath === datasetPath);
    if (remembered) {
      const statuses = await latestStatuses(remembered.resultsPath);
      // Modal: the command waits for this answer. As a notification it could go straight to the
      // notification centre (after a reload, a restarted extension host), and the command then
      // seemed to do nothing while it waited.
      const answer = await vscode.window.showInformationMessage(
        `An unfinished job of this prompt over this dataset has ${statuses.size} rows done. Resume it?`,
        { modal: true, detail: 'Resume sends only the rows not finished yet, into the same results file. Start Over begins a new results file.' },
        'Resume',
        'Start Over',
      );
      if (answer === 'Resume') return remembered.resultsPath;
      if (answer !== 'Start Over') return undefined;
      await this.rememberedJobs.forget(remembered.resultsPath);
    }
    const slug = resultsSlug(prompt.name ?? basename(promptUri.fsPath, '.prompt.json'));
    const folder = dirname(datasetPath);
    if (!isInside(root, join(folder, `${slug}.results.jsonl`))) return undefined;
    return newResultsFile(folder, slug);
  }

  private async planView(prepared: Prepared): Promise<PlanView> {
    const { plan } = prepared;
    const statuses = await latestStatuses(prepared.resultsPath);
    const decision = plan.errors.length > 0 ? { kind: 'refuse' as const, message: 'The plan has errors.' } : await this.deps.spend.gate.assess(this.billedJob(plan, 1));
    const batchDecision = plan.errors.length > 0 ? decision : await this.deps.spend.gate.assess(this.billedJob(plan, 1, { batch: true }));
    return {
      promptName: plan.promptName,
      model: plan.model,
      dataset: relative(prepared.root, plan.source.path) || basename(plan.source.path),
      results: relative(prepared.root, prepared.resultsPath),
      errors: plan.errors,
      warnings: plan.warnings,
      rows: plan.rows,
      skipped: plan.skipped,
      tokens: { method: plan.tokens.method, total: plan.tokens.total, counted: plan.tokens.counted, errorBound: plan.tokens.errorBound },
      cost: { known: plan.cost.known, reason: plan.cost.reason, now: plan.cost.now, batch: plan.cost.batch, notes: plan.cost.notes },
      time: { seconds: plan.time.seconds, boundBy: plan.time.boundBy, limits: plan.time.limits },
      limitsCheck: decision.kind === 'send' ? { kind: 'send' } : { kind: decision.kind, message: decision.message },
      batchLimitsCheck: !this.deps.submitAsBatch
        ? { kind: 'refuse', message: 'Batches are not available here.' }
        : batchDecision.kind === 'send'
          ? { kind: 'send' }
          : { kind: batchDecision.kind, message: batchDecision.message },
      alreadyDone: statuses.size,
    };
  }

  private async gridRowsOf(resultsPath: string): Promise<GridRow[]> {
    const latest = new Map<string, GridRow>();
    // The job line (first) names the model the rows' cache savings are priced with.
    let price: PriceEntry | undefined;
    for await (const line of readResultLines(resultsPath)) {
      if (line.type === 'job') price = this.deps.prices.find(line.model);
      else if (line.type === 'row') latest.set(line.key, gridRowOf(line, price));
    }
    return [...latest.values()];
  }

  /** The panel was closed: a plan never started leaves no empty results file. */
  panelClosed(): void {
    this.discardUnused();
  }

  /** Removes the current plan's results file if no job wrote into it (unless `keep` is that file). */
  private discardUnused(keep?: string): void {
    const path = this.prepared?.resultsPath;
    if (path && path !== keep && !this.running) void discardUnusedResultsFile(path);
  }

  dispose(): void {
    this.controller?.abort();
    this.discardUnused();
  }
}

/** A result as the grid shows it; `price` (the job's model) prices what the cache saved. */
export function gridRowOf(result: RowResult, price: PriceEntry | undefined): GridRow {
  return {
    key: result.key,
    index: result.index,
    ...(result.where ? { where: result.where } : {}),
    status: result.status,
    output: result.structured !== undefined ? JSON.stringify(result.structured, null, 2) : result.text,
    stopReason: result.stopReason,
    inputTokens: result.usage ? result.usage.input_tokens + (result.usage.cache_creation_input_tokens ?? 0) + (result.usage.cache_read_input_tokens ?? 0) : undefined,
    outputTokens: result.usage?.output_tokens,
    costUsd: result.costUsd,
    ...(result.requestId ? { requestId: result.requestId } : {}),
    ...(result.error ? { error: result.error.message } : {}),
    ...(result.error?.type ? { errorType: result.error.type } : {}),
    ...(result.usage ? { cache: cacheReportOf(result.usage, price) } : {}),
  };
}

function progressView(progress: JobProgress): ProgressView {
  return {
    toSend: progress.toSend,
    succeeded: progress.succeeded,
    errored: progress.errored,
    alreadyDone: progress.alreadyDone,
    costUsd: progress.costUsd,
    rowsPerMinute: progress.rowsPerMinute,
    inputTokensPerMinute: progress.inputTokensPerMinute,
    outputTokensPerMinute: progress.outputTokensPerMinute,
    ...(progress.etaMs !== undefined ? { etaMs: progress.etaMs } : {}),
    rateLimited: progress.rateLimited,
    limits: progress.limits,
    paused: progress.paused,
  };
}
