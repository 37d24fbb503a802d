// The batch jobs of this workspace and what the user can do with them: submit a dataset plan as
// Message Batches (only on the plan's button, through the spend gate), watch them (one poller for
// all, core's backoff), join their results into the same results file a run made now writes,
// cancel them, open their results in the dataset grid, and send their failed rows again as a new
// batch. Everything that is not editor glue (building and splitting the requests, custom_ids and
// their mapping, submission, refresh, the join with its tamper check, costs, retry sets, the delay
// policy) is core's (src/core/batch); this file decides when, asks the user, and shows.
import * as vscode from 'vscode';
import { randomUUID } from 'node:crypto';
import { basename, dirname, resolve } from 'node:path';
import type { ApiConnection } from '../api/apiConnection';
import { describeApiError } from '../core/api/apiErrors';
import { collectBatchResults } from '../core/batch/batchResults';
import { cancelBatchJob, DEFAULT_POLL_POLICY, nextPollDelay, refreshBatchJob, type PollPolicy } from '../core/batch/batchPolling';
import { isJobSettled, jobProcessingStatus, promptHashOf, type BatchRecord } from '../core/batch/batchRecord';
import { retrySetOf } from '../core/batch/batchRetry';
import { batchBilledJob, billedJobOfRecord, submitBatchJob, type BatchJobBilling, type SubmitBatchRequestsOptions, type SubmittedBatchJob } from '../core/batch/batchSubmit';
import { chunkBatchBilledJob, chunkResultTexts, chunksToSend, submitChunkBatch } from '../core/chunking/chunkBatch';
import { chunkedVariable } from '../core/chunking/chunkDeclaration';
import type { MapChunk } from '../core/chunking/chunkMap';
import { formatUsd } from '../core/format';
import type { PriceEntry } from '../core/pricing/priceTable';
import { hasErrors, type PromptFile } from '../core/prompt/promptFile';
import { withJobUploads } from '../core/files/workspaceFileRefs';
import { SpendRefusedError, type BilledJob } from '../core/spend/spendGate';
import type { BatchSubmission, JobFiles, PlannedDatasetJob } from '../datasets/datasetController';
import type { BatchResultsView } from '../datasets/datasetProtocol';
import type { PromptDocuments } from '../promptDocuments';
import type { SpendTracking } from '../spend/spendTracking';
import { BatchJobStore, type BatchJobInputs, type ChunkJobInputs } from './batchJobStore';
import { BatchPoller } from './batchPoller';
import type { BatchJobView } from './batchesTree';

export interface BatchesDeps {
  api: ApiConnection;
  /** The one billed-call path: submission checks and reserves there; results record their costs there. */
  spend: SpendTracking;
  documents: PromptDocuments;
  log: vscode.LogOutputChannel;
  workspaceState: vscode.Memento;
  /** The extension's workspace storage (context.storageUri); batches need it for their mappings. */
  storageUri: vscode.Uri | undefined;
  /** Opens the dataset grid on a results file (the datasets feature's panel, handed in by features.ts). */
  showResults(resultsPath: string, view: BatchResultsView, retry: () => Promise<void>): Promise<void>;
  /** Tests shorten the delays; users get core's policy. */
  pollPolicy?: PollPolicy;
  /** Prices with the user's overrides (a chunk job's estimate). */
  findPrice?(model: string): PriceEntry | undefined;
  /**
   * Stitches a chunked run whose every chunk's result is in its results file (the chunking
   * feature: concatenate, or the reduce sent now, then the output in the run panel). Unless the
   * user `asked` (a click), a reduce that needs the user's yes is not sent: the outcome says so.
   */
  stitchChunks?(record: BatchRecord, options: { asked: boolean }): Promise<{ stitched: true } | { stitched: false; needsYes: string }>;
  /** The Files API feature: a retry's re-read prompt gets the same uploads' file ids the submitted one had. */
  files?: () => JobFiles;
}

/**
 * A chunked run's map, as Submit as Batch in the chunk preview hands it over: the same chunks the
 * map sends now. What is not given is taken from the prompt.
 */
export interface ChunkBatchJob {
  promptPath: string;
  promptName: string;
  prompt: PromptFile;
  model: string;
  maxTokens: number;
  betas: string[];
  chunks: readonly MapChunk[];
  resultsPath: string;
  root: string;
  variable?: string;
  sourcePath?: string;
  fast?: boolean;
  expectedOutputTokens?: number;
}

/** The test window onto the jobs. */
export interface BatchesSnapshot {
  jobs: BatchRecord[];
  views: BatchJobView[];
  /** Notifications shown (ended jobs, problems), in order. */
  notices: string[];
  polls: number;
  /** When each unsettled job is next polled (epoch ms). */
  due: Record<string, number>;
}

const runReduce = 'Run Reduce…';
const untrustedMessage = 'Batches are not submitted, polled or cancelled in an untrusted workspace. Trust the workspace first (Manage Workspace Trust).';

export class BatchJobs implements vscode.Disposable {
  private readonly store: BatchJobStore | undefined;
  private readonly poller: BatchPoller;
  /** Each unsettled job's next poll and the delay that led to it (not persisted: a new window polls at once). */
  private readonly schedule = new Map<string, { at: number; delayMs?: number }>();
  /** Open billed jobs: results record their costs through them. Adopted again after a reload. */
  private readonly billing = new Map<string, BatchJobBilling>();
  private readonly problems = new Map<string, string>();
  private readonly notices: string[] = [];
  private readonly disposables: vscode.Disposable[] = [];
  private readonly policy: PollPolicy;

  constructor(
    private readonly deps: BatchesDeps,
    /** Called whenever what the Batches view shows may have changed. */
    private readonly onChange: () => void,
  ) {
    this.policy = deps.pollPolicy ?? DEFAULT_POLL_POLICY;
    this.store = deps.storageUri?.scheme === 'file' ? new BatchJobStore(deps.workspaceState, deps.storageUri.fsPath) : undefined;
    this.poller = new BatchPoller(
      {
        due: () => [...this.schedule].map(([jobId, { at }]) => ({ jobId, at })),
        poll: (jobId) => this.poll(jobId),
        allowed: () => vscode.workspace.isTrusted,
      },
      (jobId, error) => this.pollFailed(jobId, error),
    );
    this.disposables.push(
      this.poller,
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        this.problems.clear();
        this.changed();
        this.poller.wake();
      }),
    );
    // Every unsettled job of an earlier window is polled again now (this runs after activation).
    for (const record of this.store?.all() ?? []) if (!isJobSettled(record)) this.schedule.set(record.jobId, { at: Date.now() });
    this.changed();
    this.poller.wake();
  }

  // ----- submitting

  /** Submit as Batch, from the dataset plan's button. */
  async submit(job: PlannedDatasetJob): Promise<BatchSubmission> {
    const refusal = this.cannotSend();
    if (refusal) return this.refused(refusal);
    return this.submitRows({ inputs: { prompt: job.prompt, promptValues: job.promptValues, plan: job.plan, root: job.root }, promptPath: job.promptPath, resultsPath: job.resultsPath });
  }

  private cannotSend(): string | undefined {
    if (!vscode.workspace.isTrusted) return untrustedMessage;
    if (!this.store) return 'Batches need a folder open in VS Code: their records and mappings are kept in its workspace storage.';
    return undefined;
  }

  private refused(message: string): BatchSubmission {
    void vscode.window.showErrorMessage(message);
    return { submitted: false, message };
  }

  /** Submit as Batch, from the chunk preview: the chunks not yet finished in the run's results file. */
  async submitChunks(job: ChunkBatchJob): Promise<BatchSubmission> {
    const refusal = this.cannotSend();
    if (refusal) return this.refused(refusal);
    return this.submitChunkRows(chunkJobInputs(job), job.resultsPath);
  }

  private async submitChunkRows(inputs: ChunkJobInputs, resultsPath: string, retry?: { onlyKeys: ReadonlySet<string>; retryOf: string }): Promise<BatchSubmission> {
    const price = this.deps.findPrice?.(inputs.model);
    const cost = { model: inputs.model, maxTokens: inputs.maxTokens, expectedOutputTokens: inputs.expectedOutputTokens, fast: inputs.fast, price };
    const sending = await chunksToSend(inputs.chunks, resultsPath, retry?.onlyKeys);
    if (sending.length === 0) return this.refused(`Not submitted: every chunk of ${inputs.promptName} already has its result in ${basename(resultsPath)}.`);
    return this.submitJob({
      billedJob: chunkBatchBilledJob(sending, { ...cost, promptName: inputs.promptName }),
      title: `Submitting ${sending.length.toLocaleString('en-US')} chunks of ${inputs.promptName} as a Message Batch`,
      unit: 'chunks',
      saveInputs: (store, jobId) => store.saveChunkInputs(jobId, inputs),
      submit: (common) =>
        submitChunkBatch({
          ...common,
          ...cost,
          chunks: inputs.chunks,
          prompt: inputs.prompt,
          promptName: inputs.promptName,
          betas: inputs.betas,
          variable: inputs.variable,
          sourcePath: inputs.sourcePath,
          promptPath: inputs.promptPath,
          resultsPath,
          ...(retry ? retry : {}),
        }),
    });
  }

  private async submitRows(options: { inputs: BatchJobInputs; promptPath: string; resultsPath: string; onlyKeys?: ReadonlySet<string>; retryOf?: string }): Promise<BatchSubmission> {
    const { plan, prompt, promptValues } = options.inputs;
    if (plan.errors.length > 0) return this.refused(`Not submitted: ${plan.errors[0]}`);
    const rows = options.onlyKeys ? options.onlyKeys.size : plan.rows.runnable;
    return this.submitJob({
      billedJob: batchBilledJob(plan, rows),
      title: `Submitting ${rows.toLocaleString('en-US')} rows of ${plan.promptName} as a Message Batch`,
      unit: 'rows',
      saveInputs: (store, jobId) => store.saveInputs(jobId, options.inputs),
      submit: (common) =>
        submitBatchJob({
          ...common,
          plan,
          prompt,
          promptValues,
          promptPath: options.promptPath,
          resultsPath: options.resultsPath,
          ...(options.onlyKeys ? { onlyKeys: options.onlyKeys } : {}),
          ...(options.retryOf ? { retryOf: options.retryOf } : {}),
        }),
    });
  }

  /** The steps every submission takes: the spend check on the whole job, the user's word, the batches, the record saved as each is made. */
  private async submitJob(job: {
    billedJob: BilledJob;
    title: string;
    unit: 'rows' | 'chunks';
    saveInputs(store: BatchJobStore, jobId: string): Promise<void>;
    submit(common: Pick<SubmitBatchRequestsOptions, 'client' | 'gate' | 'confirmed' | 'mappingPath' | 'jobId' | 'baseUrlHost' | 'signal' | 'onRecord'>): Promise<SubmittedBatchJob>;
  }): Promise<BatchSubmission> {
    const store = this.store;
    if (!store) return this.refused('Batches need a folder open in VS Code.');
    // The whole job's worst case at batch prices, against the spend cap and the monthly budget, before anything is sent.
    const gate = this.deps.spend.gate;
    const decision = await gate.assess(job.billedJob);
    if (decision.kind === 'refuse') return this.refused(decision.message);
    if (decision.kind === 'confirm') {
      const answer = await vscode.window.showWarningMessage(decision.message, { modal: true }, 'Submit Batch');
      if (answer !== 'Submit Batch') return { submitted: false, message: 'Not submitted.' };
    }
    let connection;
    try {
      connection = await this.deps.api.connect();
    } catch (error) {
      return this.refused(`Not submitted: ${describeApiError(error).message}`);
    }
    const jobId = `b${Date.now().toString(36)}${randomUUID().slice(0, 8)}`;
    try {
      const submitted = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: job.title, cancellable: true },
        async (_progress, token) => {
          const abort = new AbortController();
          const cancel = token.onCancellationRequested(() => abort.abort());
          try {
            await job.saveInputs(store, jobId);
            return await job.submit({
              client: connection.client,
              gate,
              confirmed: decision.kind === 'confirm',
              mappingPath: store.mappingPath(jobId),
              jobId,
              baseUrlHost: hostOf(connection.target.baseURL),
              signal: abort.signal,
              // Saved as each batch is created: a window closed mid-submission still knows them.
              onRecord: async (record) => {
                if (record.parts.length > 0) await store.save(record);
                this.changed();
              },
            });
          } finally {
            cancel.dispose();
          }
        },
      );
      const { record, billing } = submitted;
      if (record.parts.length === 0) {
        await store.forget(jobId);
        return this.refused(`Nothing was submitted: ${record.notSent.skipped} ${job.unit} could not be sent (see the results file).`);
      }
      this.billing.set(jobId, billing);
      this.schedule.set(jobId, { at: Date.now() + this.policy.firstMs });
      this.changed();
      this.poller.wake();
      const ids = record.parts.map((p) => p.id).join(', ');
      const requests = record.parts.reduce((sum, p) => sum + p.requests, 0);
      const failure = record.notSent.failure ? ` ${record.notSent.failure}` : '';
      const then = record.chunked ? ' The chunks are stitched when it ends.' : '';
      const message = `Submitted ${requests.toLocaleString('en-US')} ${job.unit} as ${record.parts.length === 1 ? 'a Message Batch' : `${record.parts.length} Message Batches`} (${ids}). Watch it in the Batches view; results usually arrive within an hour (at most 24 h).${then}${failure}`;
      this.deps.log.info(`Batch job ${jobId}: ${message}`);
      void vscode.window.showInformationMessage(message, 'Show Batches').then((action) => action && vscode.commands.executeCommand('promptWorkbench.showBatches'));
      return { submitted: true, message };
    } catch (error) {
      await store.forget(jobId).catch(() => undefined);
      if (error instanceof SpendRefusedError) return this.refused(error.message);
      const view = describeApiError(error);
      this.deps.log.error(`Batch job ${jobId} was not submitted: ${view.title}: ${view.message}${view.requestId ? ` (request ${view.requestId})` : ''}`);
      return this.refused(`The batch was not submitted: ${view.message}`);
    }
  }

  // ----- watching

  /** Polls one job: retrieves its batches while any is processing, then joins the results. */
  private async poll(jobId: string): Promise<void> {
    const store = this.store;
    const record = store?.get(jobId);
    if (!store || !record || isJobSettled(record)) {
      this.schedule.delete(jobId);
      return;
    }
    const { client, target } = await this.deps.api.connect();
    if (record.baseUrlHost && record.baseUrlHost !== hostOf(target.baseURL)) {
      // Batches live in the API they were created on; asking another one would only fail (and show it the ids).
      this.schedule.delete(jobId);
      this.problems.set(jobId, `Its batches were created at ${record.baseUrlHost}, but the API is now ${hostOf(target.baseURL)}: switch back to poll them.`);
      this.changed();
      return;
    }
    let current = record;
    const previous = this.schedule.get(jobId);
    if (jobProcessingStatus(current) !== 'ended') {
      const outcome = await refreshBatchJob(client, current);
      current = outcome.record;
      await store.save(current);
      this.problems.delete(jobId);
      const delay = nextPollDelay(previous?.delayMs, outcome.changed, outcome.ended, this.policy);
      if (delay !== undefined) this.schedule.set(jobId, { at: Date.now() + delay, delayMs: delay });
      this.changed();
      if (!outcome.ended) return;
    }
    // Every batch has ended: stream the results into the results file, recording their costs.
    const joined = await collectBatchResults({
      client,
      record: current,
      billing: this.billingFor(current),
      onRecord: async (next) => {
        await store.save(next);
        this.changed();
      },
    });
    await store.save(joined);
    this.schedule.delete(jobId);
    this.billing.get(jobId)?.close();
    this.billing.delete(jobId);
    this.changed();
    this.announceEnd(joined);
    if (joined.chunked) await this.stitchChunks(joined, { asked: false });
  }

  /**
   * A chunked run's batch has ended (or the user clicked Stitch Chunks): its chunks are stitched
   * once every one has a result. When the batch ends, nothing is asked: a reduce above the
   * confirmation threshold waits for the user's click on Run Reduce… (or Stitch Chunks in the view).
   */
  private async stitchChunks(record: BatchRecord, options: { asked: boolean }): Promise<void> {
    const chunks = record.chunked?.chunks ?? 0;
    const title = jobTitle(record);
    const results = await chunkResultTexts(record.resultsPath, chunks);
    if (results.unfinished.length > 0) {
      const statuses = [...new Set(results.unfinished.map((u) => u.status ?? 'not sent'))].join(', ');
      const message = `${results.unfinished.length} of ${chunks} chunks of ${title} have no result (${statuses}), so nothing was stitched. Retry Failed Rows sends them again as a batch, or Run Prompt over Chunks sends them now; either way the finished chunks are kept.`;
      this.note(message);
      void vscode.window.showWarningMessage(message);
      return;
    }
    if (!this.deps.stitchChunks) {
      this.note(`Every chunk of ${title} has its result in ${basename(record.resultsPath)}: Run Prompt over Chunks stitches them without sending a chunk again.`);
      return;
    }
    try {
      const outcome = await this.deps.stitchChunks(record, options);
      if (!outcome.stitched) {
        const message = `Every chunk of ${title} is in. The reduce is not sent until you click ${runReduce} (${outcome.needsYes})`;
        this.note(message);
        void vscode.window.showInformationMessage(message, runReduce).then((action) => {
          if (action === runReduce) void this.stitch(record.jobId);
        });
        return;
      }
      this.note(`Batch job ${title}: the ${chunks} chunks are stitched.`);
    } catch (error) {
      const message = `The chunks of ${title} are all in, but stitching them failed: ${this.deps.api.redactor.errorText(error)} Run Prompt over Chunks stitches them again without sending a chunk.`;
      this.deps.log.error(message);
      this.note(message);
      void vscode.window.showErrorMessage(message);
    }
  }

  /** The job's open billed handle, or (after a reload) one adopted back from the record. */
  private billingFor(record: BatchRecord): BatchJobBilling {
    const open = this.billing.get(record.jobId);
    if (open) return open;
    const adopted = this.deps.spend.gate.adopt(billedJobOfRecord(record));
    this.billing.set(record.jobId, adopted);
    return adopted;
  }

  private announceEnd(record: BatchRecord): void {
    const totals = record.totals;
    const title = jobTitle(record);
    const counts = totals ? `${totals.succeeded} succeeded, ${totals.errored} errored, ${totals.canceled} canceled, ${totals.expired} expired` : 'no results';
    const cost = totals ? ` ${formatUsd(totals.costUsd)} at batch prices${record.estimate.expectedUsd !== undefined ? ` (estimate ${formatUsd(record.estimate.expectedUsd)})` : ''}${record.simulated ? ', simulated' : ''}.` : '';
    const message = `Batch job ${title} ended: ${counts}.${cost}`;
    this.note(message);
    void vscode.window.showInformationMessage(message, 'Open Results').then((action) => action && this.openResults(record.jobId));
    if (totals && totals.problems.length > 0) {
      const problem = `Batch job ${title}: ${totals.problems[0]}${totals.problems.length > 1 ? ` (and ${totals.problems.length - 1} more problems; see the log)` : ''}`;
      for (const line of totals.problems) this.deps.log.warn(`Batch job ${record.jobId}: ${line}`);
      this.note(problem);
      void vscode.window.showWarningMessage(problem);
      this.changed();
    }
  }

  private pollFailed(jobId: string, error: unknown): void {
    const view = describeApiError(error);
    this.problems.set(jobId, `Polling failed: ${view.message}`);
    this.deps.log.warn(`Batch job ${jobId}: polling failed: ${view.title}: ${view.message}${view.requestId ? ` (request ${view.requestId})` : ''}`);
    this.changed();
  }

  private note(message: string): void {
    this.notices.push(message);
    if (this.notices.length > 100) this.notices.shift();
  }

  // ----- actions

  /** Stitch Chunks (the notification's Run Reduce…, the view, the palette): the user's click, so the reduce may ask for its yes. */
  async stitch(jobId: string): Promise<void> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage(untrustedMessage);
      return;
    }
    const record = this.store?.get(jobId);
    if (!record?.chunked || !isJobSettled(record)) {
      void vscode.window.showInformationMessage('Only a chunked run\'s batch job whose results are in can be stitched.');
      return;
    }
    await this.stitchChunks(record, { asked: true });
  }

  /** Polls every unsettled job now (Refresh Batches), and resolves when done. */
  async refresh(): Promise<void> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage(untrustedMessage);
      return;
    }
    await this.poller.idle();
    for (const [jobId, entry] of this.schedule) this.schedule.set(jobId, { ...entry, at: 0 });
    await this.poller.tick();
  }

  async cancel(jobId: string): Promise<void> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage(untrustedMessage);
      return;
    }
    const store = this.store;
    const record = store?.get(jobId);
    if (!store || !record) return;
    if (jobProcessingStatus(record) === 'ended') {
      void vscode.window.showInformationMessage(`Batch job ${jobTitle(record)} has already ended.`);
      return;
    }
    await this.poller.idle();
    try {
      const { client } = await this.deps.api.connect();
      const next = await cancelBatchJob(client, record);
      await store.save(next);
      this.deps.log.info(`Batch job ${jobId}: cancel requested for ${next.parts.filter((p) => p.processingStatus === 'canceling').map((p) => p.id).join(', ')}`);
    } catch (error) {
      void vscode.window.showErrorMessage(`The batch could not be cancelled: ${describeApiError(error).message}`);
      return;
    }
    // Canceling takes a moment; the requests not reached end `canceled` and the join marks their rows.
    this.schedule.set(jobId, { at: Date.now() + Math.min(this.policy.firstMs, 2_000) });
    this.changed();
    this.poller.wake();
  }

  async openResults(jobId: string): Promise<void> {
    const record = this.store?.get(jobId);
    if (!record) return;
    if (!record.parts.some((p) => p.joined)) {
      void vscode.window.showInformationMessage(`Batch job ${jobTitle(record)} has no results yet: they are joined when its batches end.`);
      return;
    }
    let retryable = 0;
    let fixFirst = record.totals?.fixFirst ?? 0;
    if (isJobSettled(record)) {
      const set = await retrySetOf(record);
      retryable = set.keys.size - set.fixFirst;
      fixFirst = set.fixFirst;
    }
    const totals = record.totals;
    const estimate = record.estimate.expectedUsd !== undefined ? ` against an estimate of ${formatUsd(record.estimate.expectedUsd)} (worst case ${formatUsd(record.estimate.worstCaseUsd ?? 0)})` : '';
    const summary = totals
      ? `${totals.succeeded} succeeded · ${totals.errored} errored · ${totals.canceled} canceled · ${totals.expired} expired · ${formatUsd(totals.costUsd)} at batch prices (×0.5)${estimate}${record.simulated ? ' · simulated' : ''}`
      : 'No results joined yet.';
    await this.deps.showResults(
      record.resultsPath,
      { title: `${record.promptName} × ${basename(record.datasetPath)} (batch)`, batchIds: record.parts.map((p) => p.id), summary, retryable, invalidRequests: fixFirst },
      () => this.retryFailed(jobId),
    );
  }

  /** Sends the job's errored, expired and canceled rows again as a new batch (appending to the same results file). */
  async retryFailed(jobId: string): Promise<void> {
    const refusal = this.cannotSend();
    if (refusal) {
      void vscode.window.showErrorMessage(refusal);
      return;
    }
    const store = this.store;
    const record = store?.get(jobId);
    if (!store || !record) return;
    if (!isJobSettled(record)) {
      void vscode.window.showInformationMessage('Retry the failed rows once every batch of the job has ended and its results are in.');
      return;
    }
    if (record.chunked) {
      await this.retryChunks(store, record);
      return;
    }
    const stored = await store.inputs(jobId);
    if (!stored) {
      void vscode.window.showErrorMessage(`What batch job ${jobTitle(record)} was made from is no longer in the workspace storage: run the prompt over the dataset again.`);
      return;
    }
    const inputs = await this.currentInputs(record, stored);
    const set = await retrySetOf(record);
    let keys = set.keys;
    if (set.fixFirst > 0 && !inputs.promptChanged) {
      // Invalid requests fail again unchanged: they are sent only once the prompt has changed.
      keys = new Set(await retrySetOf(record, { skipFixFirst: true }).then((s) => s.keys));
      if (keys.size === 0) {
        void vscode.window.showWarningMessage(`The ${set.fixFirst} failed rows of ${jobTitle(record)} were rejected as invalid requests: fix the prompt or the rows first, then retry.`);
        return;
      }
      void vscode.window.showInformationMessage(`${set.fixFirst} rows rejected as invalid requests are left out until the prompt changes.`);
    }
    if (keys.size === 0) {
      void vscode.window.showInformationMessage(`Batch job ${jobTitle(record)} has no failed rows to retry.`);
      return;
    }
    await this.submitRows({ inputs: inputs.inputs, promptPath: record.promptPath ?? '', resultsPath: record.resultsPath, onlyKeys: keys, retryOf: jobId });
  }

  /** A chunk job's failed chunks, sent again as a new batch of the same requests (invalid ones need the prompt fixed and the run planned again). */
  private async retryChunks(store: BatchJobStore, record: BatchRecord): Promise<void> {
    const inputs = await store.chunkInputs(record.jobId);
    if (!inputs) {
      void vscode.window.showErrorMessage(`What batch job ${jobTitle(record)} was made from is no longer in the workspace storage: run the prompt over chunks again.`);
      return;
    }
    const set = await retrySetOf(record, { skipFixFirst: true });
    if (set.fixFirst > 0) void vscode.window.showInformationMessage(`${set.fixFirst} chunks rejected as invalid requests are left out: fix the prompt, then run it over chunks again.`);
    if (set.keys.size === 0) {
      void vscode.window.showInformationMessage(`Batch job ${jobTitle(record)} has no failed chunks to retry.`);
      return;
    }
    await this.submitChunkRows(inputs, record.resultsPath, { onlyKeys: set.keys, retryOf: record.jobId });
  }

  /** The prompt as it is now when it still parses without errors (the user may have fixed it), else as submitted. */
  private async currentInputs(record: BatchRecord, stored: BatchJobInputs): Promise<{ inputs: BatchJobInputs; promptChanged: boolean }> {
    if (!record.promptPath) return { inputs: stored, promptChanged: false };
    try {
      const document = await vscode.workspace.openTextDocument(vscode.Uri.file(record.promptPath));
      const parsed = this.deps.documents.validateForSend(document);
      if (!parsed.prompt || hasErrors(parsed.diagnostics)) return { inputs: stored, promptChanged: false };
      const promptValues = this.deps.documents.defaults(document, parsed.prompt, { fresh: true });
      // The submitted prompt carried its workspace files' ids (uploaded once when planned): so does this one.
      const files = this.deps.files;
      const prompt = await withJobUploads(parsed.prompt, async (request) => {
        if (!files) throw new Error('workspace files cannot be uploaded here.');
        return files().prepare(document.uri, request, await this.deps.api.client());
      });
      if (promptHashOf(prompt, promptValues) === record.promptHash) return { inputs: stored, promptChanged: false };
      return { inputs: { ...stored, prompt, promptValues }, promptChanged: true };
    } catch {
      return { inputs: stored, promptChanged: false };
    }
  }

  async forget(jobId: string): Promise<void> {
    const record = this.store?.get(jobId);
    if (!record) return;
    if (!isJobSettled(record)) {
      void vscode.window.showWarningMessage('Cancel the batch job first, or wait for it to end: only ended jobs can be removed.');
      return;
    }
    await this.store?.forget(jobId);
    this.problems.delete(jobId);
    this.changed();
  }

  /** The jobs, for a quick pick when a command runs from the palette. */
  records(): BatchRecord[] {
    return this.store?.all() ?? [];
  }

  // ----- views

  /** The jobs as the Batches view shows them. */
  views(): BatchJobView[] {
    const untrusted = !vscode.workspace.isTrusted;
    return this.records().map((record) => {
      const settled = isJobSettled(record);
      // A join's problems (a tampered mapping, unknown custom_ids) are in the record: they outlive a reload.
      const problem = this.problems.get(record.jobId) ?? record.totals?.problems[0] ?? (untrusted && !settled ? 'Not polled: this workspace is not trusted.' : undefined);
      const failed = record.totals ? record.totals.errored - record.totals.fixFirst + record.totals.canceled + record.totals.expired : 0;
      return {
        jobId: record.jobId,
        promptName: record.promptName,
        dataset: record.chunked ? `${basename(record.datasetPath)} (${record.chunked.chunks} chunks)` : basename(record.datasetPath),
        batches: record.parts.map((p) => ({
          id: p.id,
          status: p.processingStatus,
          counts: p.requestCounts,
          createdAt: p.createdAt,
          expiresAt: p.expiresAt,
          ...(p.endedAt ? { endedAt: p.endedAt } : {}),
        })),
        joined: settled,
        retryable: settled ? failed + (record.totals?.missing ?? 0) : 0,
        ...(record.chunked ? { chunked: true } : {}),
        ...(record.estimate.expectedUsd !== undefined ? { estimateUsd: record.estimate.expectedUsd } : {}),
        ...(record.totals ? { actualUsd: record.totals.costUsd } : {}),
        ...(problem ? { problem } : {}),
      };
    });
  }

  private changed(): void {
    this.onChange();
    const records = this.records();
    void vscode.commands.executeCommand('setContext', 'promptWorkbench.batches.any', records.length > 0);
    void vscode.commands.executeCommand('setContext', 'promptWorkbench.batches.unfinished', records.some((r) => jobProcessingStatus(r) !== 'ended'));
    void vscode.commands.executeCommand('setContext', 'promptWorkbench.batches.withResults', records.some((r) => r.parts.some((p) => p.joined)));
    void vscode.commands.executeCommand('setContext', 'promptWorkbench.batches.stitchable', records.some((r) => r.chunked !== undefined && isJobSettled(r)));
    void vscode.commands.executeCommand('setContext', 'promptWorkbench.batches.retryable', records.some((r) => isJobSettled(r) && (r.totals ? r.totals.errored + r.totals.canceled + r.totals.expired + r.totals.missing > 0 : false)));
  }

  snapshot(): BatchesSnapshot {
    return {
      jobs: this.records(),
      views: this.views(),
      notices: [...this.notices],
      polls: this.poller.pollCount,
      due: Object.fromEntries([...this.schedule].map(([jobId, { at }]) => [jobId, at])),
    };
  }

  /** Resolves once no poll is running (tests). */
  idle(): Promise<void> {
    return this.poller.idle();
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
    // Reservations are this window's: a new window adopts the jobs again.
    for (const billing of this.billing.values()) billing.close();
    this.billing.clear();
  }
}

/** A chunk job's inputs, what the preview did not give taken from the prompt. */
function chunkJobInputs(job: ChunkBatchJob): ChunkJobInputs {
  const declared = chunkedVariable(job.prompt);
  const file = declared?.file;
  return {
    promptPath: job.promptPath,
    promptName: job.promptName,
    prompt: job.prompt,
    model: job.model,
    maxTokens: job.maxTokens,
    expectedOutputTokens: job.expectedOutputTokens ?? Math.min(job.prompt.expectedOutputTokens ?? job.maxTokens, job.maxTokens),
    fast: job.fast ?? (job.prompt.request as { speed?: unknown }).speed === 'fast',
    betas: job.betas,
    variable: job.variable ?? declared?.name ?? 'input',
    sourcePath: job.sourcePath ?? (file !== undefined ? resolve(dirname(job.promptPath), file) : job.promptPath),
    chunks: [...job.chunks],
    root: job.root,
  };
}

function hostOf(baseURL: string): string {
  try {
    return new URL(baseURL).host;
  } catch {
    return baseURL;
  }
}

function jobTitle(record: BatchRecord): string {
  return `"${record.promptName} × ${basename(record.datasetPath)}"`;
}
