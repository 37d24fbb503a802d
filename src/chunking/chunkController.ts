// Run Prompt over Chunks…: reads the prompt's chunked file (inside the workspace), cuts it into
// chunks sized by count_tokens (src/core/chunking), shows the preview (chunks, sizes, where each
// starts, the cost of the map and the reduce now and as a batch, the spend checks) and sends
// nothing until the user starts the job there. Then every chunk goes through the rate-limit
// scheduler and the one billed path, into a results file in the dataset format; a cancelled or
// interrupted job resumes from that file without sending a finished chunk again. The stitched
// output is recorded in the prompt's history and opens in the run panel like a run; the per-chunk
// results open in the results grid.
import * as vscode from 'vscode';
import type { PromptServices } from '../promptServices';
import { randomUUID } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import type Anthropic from '@anthropic-ai/sdk';
import type { Message, MessageCountTokensParams, MessageCreateParamsNonStreaming } from '@anthropic-ai/sdk/resources/messages';
import { describeApiError } from '../core/api/apiErrors';
import { isSimulatedResponse } from '../core/api/simulatedResponse';
import { chunkText, splitIntoChunks } from '../core/chunking/chunker';
import { countOverhead, defaultChunkTarget, PacedCounting, requestChunkCounter } from '../core/chunking/chunkCounting';
import { chunkedVariable, reduceOf, type ChunkedVariable, type ChunkReduce } from '../core/chunking/chunkDeclaration';
import { chunkKey, concatenateResults, reduceResults, runChunkMap, type MapChunk } from '../core/chunking/chunkMap';
import { chunkPlanPath, readChunkPlan, requestFingerprint, sha256, writeChunkPlan, type SavedChunkPlan } from '../core/chunking/chunkPlanFile';
import { previewChunkedRun, type ChunkPreview, type CostPair } from '../core/chunking/chunkPreview';
import { countTokensParams, countableRequest } from '../core/counting/tokenEstimate';
import { rowWorstCaseUsd } from '../core/dataset/datasetJob';
import { discardUnusedResultsFile, latestStatuses, newResultsFile, readResultLines, ResultsWriter, RESULTS_FORMAT_VERSION, resultsSlug, type RowResult } from '../core/dataset/datasetResults';
import { ConfinementError } from '../core/files/confinedFiles';
import { isInside, locateNamedFile, readNamedFile } from '../core/files/namedFiles';
import { withJobUploads } from '../core/files/workspaceFileRefs';
import { formatCount, formatUsd } from '../core/format';
import { requiredBetas } from '../core/models/requiredBetas';
import type { ApiUsage, PriceEntry } from '../core/pricing/priceTable';
import { hasErrors, type PromptFile } from '../core/prompt/promptFile';
import { resolveRequest } from '../core/prompt/template';
import { appendRunRecord, appendRunRecords, jobHistoryFile, promptHistoryFile, recordedError, RUN_RECORD_VERSION, type RunRecord } from '../core/run/runHistory';
import { SpendRefusedError, type BilledJob, type BilledJobHandle } from '../core/spend/spendGate';
import { askModal, openWithConsent } from '../spend/spendConsent';
import type { ChunkBatchJob } from '../batches/batchJobs';
import type { BatchSubmission, JobFiles } from '../datasets/datasetController';
import type { BatchResultsView } from '../datasets/datasetProtocol';
import { isPromptDocument } from '../promptDocuments';
import { RememberedJobs } from '../jobs/rememberedJobs';
import { pickPromptFile } from '../promptPicker';
import type { ChunkPreviewPanel } from './chunkPreviewPanel';
import type { ChunkJobState, ChunkPreviewView, ChunkProgressView, CostPairView, LimitsCheckView, PreviewToHost } from './chunkProtocol';

/** The largest chunked file read: far above what a prompt names (maxReferencedFileMB), well below a string's limit. */
export const MAX_CHUNKED_FILE_BYTES = 256 * 1024 * 1024;

/**
 * A planned chunk job, as Submit as Batch takes it over: what the batches feature takes (the same
 * chunks a run now sends, the results file, the workspace root), with the plan's own figures.
 */
export interface PlannedChunkJob extends ChunkBatchJob {
  /** The chunked variable and its file (absolute, inside `root`). */
  variable: string;
  sourcePath: string;
  fast: boolean;
  expectedOutputTokens: number;
  price: PriceEntry | undefined;
  preview: ChunkPreview;
}

export interface ChunkingDeps extends PromptServices {
  log: vscode.LogOutputChannel;
  workspaceState: vscode.Memento;
  /** The extension's workspace storage folder, for history kept there (`promptWorkbench.historyLocation`). */
  storagePath?: string;
  panel: () => ChunkPreviewPanel;
  /** Opens a run recorded in a prompt's history in the run panel (the runs bundle). */
  showRun: (promptUri: vscode.Uri, recordId: string) => Promise<void>;
  /** Opens a results file in the results grid (the datasets bundle). */
  showResults: (resultsPath: string, view: BatchResultsView, retry: () => Promise<void>) => Promise<void>;
  /** Submit as Batch: the chunk batch path takes the planned job from here once it is wired. */
  submitAsBatch?: (job: PlannedChunkJob) => Promise<BatchSubmission>;
  /** The Files API feature: the workspace files the prompt names are uploaded once for the whole run. */
  files?: () => JobFiles;
  /** Asks for the yes a job above `confirmAboveUsd` needs, after the user's click (a modal; tests answer it). */
  confirm?: (message: string, button: string) => Promise<boolean>;
}

/** What stitching an ended batch's chunks did: stitched, or not yet because the reduce needs the user's yes. */
export type ChunkStitch = { stitched: true } | { stitched: false; needsYes: string };

interface RememberedChunkJob {
  promptPath: string;
  sourcePath: string;
  resultsPath: string;
}

const REMEMBERED_KEY = 'promptWorkbench.chunkJobs';

/** The reduce step, ready to send. */
interface PreparedReduce {
  label: string;
  model: string;
  maxTokens: number;
  fast: boolean;
  betas: string[];
  price: PriceEntry | undefined;
  overheadTokens: number;
  maxInputTokens: number;
  requestFor(results: string): Record<string, unknown>;
}

interface Prepared {
  promptUri: vscode.Uri;
  prompt: PromptFile;
  promptName: string;
  root: string;
  variable: ChunkedVariable;
  sourcePath: string;
  sourceBytes: number;
  text: string;
  model: string;
  maxTokens: number;
  fast: boolean;
  betas: string[];
  price: PriceEntry | undefined;
  plan: SavedChunkPlan;
  targetFrom: 'declared' | 'default';
  /** count_tokens calls this preview made (0 when the saved plan was reused). */
  countCalls: number;
  mapChunks: MapChunk[];
  reduce: PreparedReduce | undefined;
  marker: string | undefined;
  resultsPath: string;
  preview: ChunkPreview;
  warnings: string[];
  errors: string[];
}

/** Thrown for a plain "cannot plan" reason: shown as it is. */
class NotPlanned extends Error {}

export class ChunkController implements vscode.Disposable {
  private prepared: Prepared | undefined;
  private controller: AbortController | undefined;
  private running: Promise<void> | undefined;
  private state: ChunkJobState = 'planned';
  private stateMessage: string | undefined;
  private lastProgress: ChunkProgressView | undefined;
  /** The last stitched output's record in the prompt's history, and its text (for tests). */
  private lastOutput: { recordId: string; text: string; historyPath: string } | undefined;

  /** Unfinished jobs, remembered so that after a reload the command offers to resume them. */
  private readonly rememberedJobs: RememberedJobs<RememberedChunkJob>;

  constructor(private readonly deps: ChunkingDeps) {
    this.rememberedJobs = new RememberedJobs<RememberedChunkJob>(deps.workspaceState, REMEMBERED_KEY, ['sourcePath']);
  }

  /** The command. `target` is the explorer's or the CodeLens' prompt. Returns the preview shown, or undefined. */
  async runOverChunks(target?: vscode.Uri): Promise<ChunkPreviewView | undefined> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showErrorMessage('Prompts cannot be run in an untrusted workspace. Trust the workspace first (Manage Workspace Trust).');
      return undefined;
    }
    if (this.running) {
      void vscode.window.showWarningMessage('A chunked job is running. Cancel it first, or wait for it to end.');
      this.deps.panel().show(this.prepared ? `${this.prepared.promptName}: chunks` : 'Chunks');
      return undefined;
    }
    const promptUri = target?.path.endsWith('.prompt.json') ? target : await pickPromptFile('Run which prompt over the chunks of its long input?');
    if (!promptUri) return undefined;
    try {
      const prepared = await this.prepare(promptUri);
      if (!prepared) return undefined;
      this.discardUnused(prepared.resultsPath);
      this.prepared = prepared;
      this.lastOutput = undefined;
      this.lastProgress = undefined;
      const view = await this.previewView(prepared);
      const panel = this.deps.panel();
      panel.show(`${prepared.promptName}: ${prepared.mapChunks.length} chunks`);
      panel.post({ type: 'preview', preview: view });
      this.setState('planned');
      return view;
    } catch (error) {
      if (error instanceof NotPlanned) void vscode.window.showErrorMessage(error.message);
      else if ((error as { name?: string }).name === 'AbortError' || (error as Error).message === 'Cancelled') return undefined;
      else {
        const reason = this.deps.api.redactor.errorText(error);
        this.deps.log.error(`Run over chunks: the preview could not be made: ${reason}`);
        void vscode.window.showErrorMessage(`The chunks could not be planned: ${reason}`);
      }
      return undefined;
    }
  }

  /** Messages from the preview's buttons. */
  async handle(message: PreviewToHost): Promise<void> {
    switch (message.type) {
      case 'ready':
        return;
      case 'start':
        return this.start();
      case 'startOver':
        return this.startOver();
      case 'cancel':
        this.controller?.abort();
        return;
      case 'submitBatch':
        return this.submitBatch();
      case 'openChunk':
        return this.openChunk(message.index);
      case 'showResults':
        return this.showResults();
      case 'showOutput':
        if (this.prepared && this.lastOutput) await this.deps.showRun(this.prepared.promptUri, this.lastOutput.recordId);
        return;
      default: {
        const unexpected: never = message;
        this.deps.log.warn(`Unknown chunk preview message ${JSON.stringify(unexpected)}`);
      }
    }
  }

  /** Resolves when the running job (if any) has ended. */
  async settled(): Promise<void> {
    await this.running;
  }

  /**
   * Stitches a job whose every chunk already has its result (a Message Batch that has ended, into
   * the results file the preview planned): no chunk is sent again; a reduce step is sent now,
   * through the spend gate. Throws, saying why, when it cannot.
   *
   * Unless the user `asked` (a click), nothing waits on a question: a reduce whose worst case needs
   * the user's yes is not sent, and the outcome says so, so the caller can offer the click.
   */
  async stitchFinished(promptPath: string, resultsPath: string, options: { asked: boolean }): Promise<ChunkStitch> {
    if (this.running) throw new Error('A chunked job is running: run Prompt over Chunks again once it has ended.');
    const prepared = await this.prepare(vscode.Uri.file(promptPath), { resultsPath });
    if (!prepared) throw new Error('the chunks were not planned again (cancelled).');
    const done = await this.finishedChunks(resultsPath);
    const left = prepared.mapChunks.length - done.size;
    if (left > 0) throw new Error(`${left} of ${prepared.mapChunks.length} chunks have no result yet.`);
    this.prepared = prepared;
    this.lastOutput = undefined;
    this.deps.panel().post({ type: 'preview', preview: await this.previewView(prepared) });
    this.setState('planned');
    let needsYes: string | undefined;
    const notAsked = async (message: string): Promise<boolean> => {
      needsYes = message;
      return false;
    };
    await this.start(options.asked ? undefined : notAsked);
    if (needsYes !== undefined) return { stitched: false, needsYes };
    await this.settled();
    if (this.state !== 'finished') throw new Error(this.stateMessage ?? `the job ended ${this.state}`);
    return { stitched: true };
  }

  /** For tests: the state of the current job. */
  snapshot(): { state: ChunkJobState; progress?: ChunkProgressView; resultsPath?: string; planPath?: string; mapHistoryPath?: string; output?: { recordId: string; text: string; historyPath: string } } {
    const prepared = this.prepared;
    return {
      state: this.state,
      ...(this.lastProgress ? { progress: this.lastProgress } : {}),
      ...(prepared ? { resultsPath: prepared.resultsPath, planPath: chunkPlanPath(prepared.resultsPath), mapHistoryPath: this.mapHistory(prepared).file } : {}),
      ...(this.lastOutput ? { output: this.lastOutput } : {}),
    };
  }

  // ----- planning

  private async prepare(promptUri: vscode.Uri, options: { startOver?: boolean; resultsPath?: string } = {}): Promise<Prepared | undefined> {
    const document = await vscode.workspace.openTextDocument(promptUri);
    if (!isPromptDocument(document) || document.uri.scheme !== 'file') throw new NotPlanned('Run Prompt over Chunks needs a saved .prompt.json file.');
    const parsed = this.deps.documents.validateForSend(document);
    if (!parsed.prompt || hasErrors(parsed.diagnostics)) throw new NotPlanned('Not planned: this prompt has errors. Fix them first (see the Problems panel).');
    const written = parsed.prompt;
    const promptName = written.name ?? basename(promptUri.fsPath, '.prompt.json');
    const variable = chunkedVariable(written);
    if (!variable) throw new NotPlanned(`${promptName} declares no chunked variable: add "chunk" to the variable that holds the long text (see the README, "Long inputs").`);
    if (variable.file === undefined) throw new NotPlanned(`The chunked variable "${variable.name}" needs a "file": the text to cut into chunks, relative to the prompt.`);
    const scope = this.deps.documents.files.scopeFor(document);
    if (!scope) throw new NotPlanned('Run Prompt over Chunks needs a prompt saved in a folder.');
    const root = scope.root;
    // The chunked file has its own, larger cap: it is read here, on the user's command, never while typing.
    const read = readNamedFile(variable.file, { ...scope, maxBytes: MAX_CHUNKED_FILE_BYTES, sizeLimitHint: '(the most a chunked file may hold)' });
    if (!read.ok) throw new NotPlanned(`The chunked file of "${variable.name}" cannot be used: ${read.problem.message}`);
    const text = read.text;
    if (text.length === 0) throw new NotPlanned(`${variable.file} is empty: there is nothing to cut into chunks.`);
    let values: Record<string, string>;
    try {
      values = this.deps.documents.defaults(document, written, { fresh: true });
    } catch (error) {
      throw new NotPlanned(`Not planned: ${error instanceof Error ? error.message : String(error)}`);
    }
    const missing = resolveRequest(written, { ...values, [variable.name]: '' }).missing;
    if (missing.length > 0) throw new NotPlanned(`Not planned: ${missing.map((name) => `{{${name}}}`).join(', ')} ${missing.length === 1 ? 'has' : 'have'} no value. Give ${missing.length === 1 ? 'it' : 'them'} a "default" (or a "file") in the prompt.`);

    const model = String(written.request.model);
    const maxTokens = Number(written.request.max_tokens);
    const fast = (written.request as Record<string, unknown>)['speed'] === 'fast';
    const betas = requiredBetas(written.request, written.betas ?? []).betas;
    const price = this.deps.prices.find(model);

    if (!(await this.deps.api.hasKey())) {
      const stored = await vscode.commands.executeCommand<boolean>('promptWorkbench.setApiKey');
      if (!stored) throw new NotPlanned('Not planned: sizing the chunks with count_tokens needs an API key. Run "Prompt Workbench: Set API Key".');
    }
    const client = await this.deps.api.client();
    // Workspace files the prompt names are uploaded once for the whole run: every chunk's request
    // (counted, sent now or as a batch) carries the same file ids.
    let prompt: PromptFile;
    try {
      prompt = await withJobUploads(written, async (request) => {
        if (!this.deps.files) throw new Error('workspace files cannot be uploaded here.');
        return this.deps.files().prepare(promptUri, request, client);
      });
    } catch (error) {
      throw new NotPlanned(`Not planned: ${error instanceof Error ? error.message : String(error)}`);
    }
    const requestFor = (chunk: string): Record<string, unknown> => resolveRequest(prompt, { ...values, [variable.name]: chunk }).request;
    const counting = new PacedCounting(
      async (params, signal) => {
        const { data, response } = betas.length > 0
          ? await (client as Anthropic).beta.messages.countTokens({ ...params, betas } as never, { maxRetries: 0, ...(signal ? { signal } : {}) }).withResponse()
          : await client.messages.countTokens(params, { maxRetries: 0, ...(signal ? { signal } : {}) }).withResponse();
        return { inputTokens: data.input_tokens, headers: response.headers };
      },
      { onHeaders: (headers) => this.deps.spend.countedTokens(isSimulatedResponse(headers)) },
    );
    const paramsFor = (chunk: string): MessageCountTokensParams => countTokensParams(countableRequest(requestFor(chunk)));
    const declaration = variable.declaration;
    const sourceSha = sha256(text);
    const requestSha = requestFingerprint({ request: requestFor('\u0000chunk\u0000'), declaration, betas });
    const { resultsPath, saved } = options.resultsPath
      ? await this.savedJob(options.resultsPath, { text, sha256: sourceSha }, requestSha)
      : await this.resultsPathFor(promptUri, promptName, read.realPath, root, { text, sha256: sourceSha }, requestSha, options.startOver === true);

    const window = this.deps.limits.get(model)?.contextWindow;
    const headroom = this.deps.config.settings.chunkingHeadroom;
    const warnings: string[] = [];
    const errors: string[] = [];
    const prepared = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Cutting ${basename(read.realPath)} into chunks (count_tokens)`, cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        const cancelled = token.onCancellationRequested(() => abort.abort());
        try {
          let plan = saved;
          let targetFrom: 'declared' | 'default' = declaration.targetTokens !== undefined ? 'declared' : 'default';
          if (!plan) {
            const overheadTokens = await countOverhead(counting, paramsFor, abort.signal);
            const fallback = window !== undefined ? defaultChunkTarget({ contextWindow: window, overheadTokens, maxTokens, headroom }) : undefined;
            const targetTokens = declaration.targetTokens ?? fallback;
            if (targetTokens === undefined) throw new NotPlanned(`The context window of ${model} is not known, so the chunk size cannot be chosen: give "chunk" a "targetTokens".`);
            if (targetTokens < 1) throw new NotPlanned(`${model}'s context window leaves no room for a chunk beside the prompt (${formatCount(overheadTokens)} tokens) and max_tokens (${formatCount(maxTokens)}).`);
            targetFrom = declaration.targetTokens !== undefined ? 'declared' : 'default';
            const overlapTokens = Math.min(declaration.overlapTokens ?? 0, Math.floor(targetTokens / 2));
            let found = 0;
            const result = await splitIntoChunks(text, {
              targetTokens,
              overlapTokens,
              boundary: declaration.boundary ?? 'paragraph',
              counter: requestChunkCounter({ model, paramsFor, overheadTokens, counting }),
              signal: abort.signal,
              onChunk: (chunk) => {
                found++;
                progress.report({ message: `${found} chunks, ${Math.round((chunk.end / text.length) * 100)}% of the text` });
              },
            });
            plan = { v: 1, sourceSha256: sourceSha, requestSha256: requestSha, targetTokens, overlapTokens, overheadTokens, countCalls: result.countCalls, chunks: result.chunks };
            await writeChunkPlan(chunkPlanPath(resultsPath), plan);
            // Remembered from the preview on: the same command reuses these chunks (and, once started, resumes the job).
            await this.rememberedJobs.remember({ promptPath: promptUri.fsPath, sourcePath: read.realPath, resultsPath });
          }
          if (window !== undefined && plan.targetTokens + plan.overheadTokens + maxTokens > window) {
            errors.push(`A chunk of ${formatCount(plan.targetTokens)} tokens, the prompt's ${formatCount(plan.overheadTokens)} and max_tokens (${formatCount(maxTokens)}) exceed ${model}'s context window (${formatCount(window)}): lower "targetTokens".`);
          }
          const reduce = await this.prepareReduce(document, prompt, reduceOf(declaration), values, model, counting, abort.signal);
          return { plan, targetFrom, reduce };
        } finally {
          cancelled.dispose();
        }
      },
    );
    const { plan, targetFrom, reduce } = prepared;
    if (reduce.warning) warnings.push(reduce.warning);
    const preview = previewChunkedRun({
      text,
      chunks: plan.chunks,
      targetTokens: plan.targetTokens,
      overheadTokens: plan.overheadTokens,
      maxTokens,
      expectedOutputTokens: Math.min(prompt.expectedOutputTokens ?? maxTokens, maxTokens),
      fast,
      price,
      ...(reduce.prepared
        ? { reduce: { price: reduce.prepared.price, overheadTokens: reduce.prepared.overheadTokens, maxTokens: reduce.prepared.maxTokens, expectedOutputTokens: reduce.prepared.maxTokens } }
        : {}),
    });
    const mapChunks: MapChunk[] = plan.chunks.map((chunk, i) => {
      const start = preview.chunks[i]!;
      return { index: chunk.index, request: requestFor(chunkText(text, chunk)), inputTokens: chunk.tokens + plan.overheadTokens, where: `line ${start.line + 1}, column ${start.character + 1}` };
    });
    const reduceDeclared = reduceOf(declaration);
    return {
      promptUri,
      prompt,
      promptName,
      root,
      variable,
      sourcePath: read.realPath,
      sourceBytes: Buffer.byteLength(text, 'utf8'),
      text,
      model,
      maxTokens,
      fast,
      betas,
      price,
      plan,
      targetFrom,
      countCalls: plan === saved ? 0 : plan.countCalls,
      mapChunks,
      reduce: reduce.prepared,
      marker: reduceDeclared.type === 'concatenate' ? reduceDeclared.marker : undefined,
      resultsPath,
      preview,
      warnings,
      errors,
    };
  }

  /** The reduce step of the declaration, counted (its request without results) and bounded by its model's window. */
  private async prepareReduce(
    document: vscode.TextDocument,
    prompt: PromptFile,
    reduce: ChunkReduce,
    values: Record<string, string>,
    mapModel: string,
    counting: PacedCounting,
    signal: AbortSignal,
  ): Promise<{ prepared?: PreparedReduce; warning?: string }> {
    if (reduce.type === 'concatenate') return {};
    let requestFor: (results: string) => Record<string, unknown>;
    let label: string;
    let betas: string[];
    if (reduce.type === 'request') {
      const template = { request: reduce.request } as Pick<PromptFile, 'request'>;
      requestFor = (results) => resolveRequest(template, { ...values, results }).request;
      label = 'the inline reduce request';
      betas = requiredBetas(reduce.request, prompt.betas ?? []).betas;
    } else {
      const scope = this.deps.documents.files.scopeFor(document);
      const located = scope ? locateNamedFile(reduce.path, scope) : undefined;
      if (!located?.ok) throw new NotPlanned(`The reduce prompt cannot be used: ${located ? located.problem.message : 'the prompt is not saved in a folder'}`);
      const reduceDocument = await vscode.workspace.openTextDocument(vscode.Uri.file(located.realPath));
      const parsed = this.deps.documents.validateForSend(reduceDocument);
      if (!parsed.prompt || hasErrors(parsed.diagnostics)) throw new NotPlanned(`The reduce prompt ${reduce.path} has errors: fix them first (open it and see the Problems panel).`);
      const reducePrompt = parsed.prompt;
      const reduceValues = this.deps.documents.defaults(reduceDocument, reducePrompt, { fresh: true });
      requestFor = (results) => resolveRequest(reducePrompt, { ...reduceValues, results }).request;
      label = basename(reduce.path);
      betas = requiredBetas(reducePrompt.request, reducePrompt.betas ?? []).betas;
    }
    const sample = requestFor('');
    const model = typeof sample['model'] === 'string' ? sample['model'] : mapModel;
    const maxTokens = typeof sample['max_tokens'] === 'number' ? sample['max_tokens'] : 0;
    if (!(maxTokens >= 1)) throw new NotPlanned(`The reduce request needs a "max_tokens" (a whole number, 1 or more).`);
    const missing = resolveRequest({ request: sample as PromptFile['request'] }, {}).missing;
    const overheadTokens = await countOverhead(counting, (results) => countTokensParams(countableRequest({ ...requestFor(results), model })), signal);
    const window = this.deps.limits.get(model)?.contextWindow;
    const headroom = this.deps.config.settings.chunkingHeadroom;
    const maxInputTokens = window !== undefined ? Math.floor(window - maxTokens - window * headroom) : 100_000;
    return {
      prepared: {
        label: `reduced by ${label} on ${model}`,
        model,
        maxTokens,
        fast: sample['speed'] === 'fast',
        betas,
        price: this.deps.prices.find(model),
        overheadTokens,
        maxInputTokens,
        requestFor: (results) => ({ ...requestFor(results), model }),
      },
      ...(missing.length > 0 ? { warning: `The reduce request uses ${missing.map((m) => `{{${m}}}`).join(', ')} without a value: it is sent as written.` } : {}),
    };
  }

  /** The job of a results file (one a batch filled), when its saved chunks still fit this text and prompt. */
  private async savedJob(resultsPath: string, source: { text: string; sha256: string }, requestSha: string): Promise<{ resultsPath: string; saved: SavedChunkPlan }> {
    const saved = await readChunkPlan(chunkPlanPath(resultsPath), source, requestSha);
    if (!saved) throw new NotPlanned(`The chunks of ${basename(resultsPath)} were cut from another text or prompt: run the prompt over its chunks again.`);
    return { resultsPath, saved };
  }

  /** A remembered unfinished job for this prompt and source whose saved chunks still fit, or a new results file beside the source. */
  private async resultsPathFor(
    promptUri: vscode.Uri,
    promptName: string,
    sourcePath: string,
    root: string,
    source: { text: string; sha256: string },
    requestSha: string,
    startOver: boolean,
  ): Promise<{ resultsPath: string; saved?: SavedChunkPlan }> {
    const remembered = this.rememberedJobs.all().find((job) => job.promptPath === promptUri.fsPath && job.sourcePath === sourcePath);
    // A job of this prompt over this text, previewed or started before and not finished: its chunks, and its results so far.
    if (remembered && !startOver) {
      const saved = await readChunkPlan(chunkPlanPath(remembered.resultsPath), source, requestSha);
      if (saved) return { resultsPath: remembered.resultsPath, saved };
    }
    if (remembered) await this.rememberedJobs.forget(remembered.resultsPath);
    const base = `${basename(sourcePath).replace(/\.[^.]*$/, '')}.${resultsSlug(promptName)}`;
    if (!isInside(root, join(dirname(sourcePath), `${base}.results.jsonl`))) throw new NotPlanned('The results file would fall outside the workspace folder.');
    return { resultsPath: await newResultsFile(dirname(sourcePath), base) };
  }

  private async previewView(prepared: Prepared): Promise<ChunkPreviewView> {
    const { preview } = prepared;
    const done = await this.finishedChunks(prepared.resultsPath);
    const known = preview.total.now.worstUsd !== undefined && preview.total.batch.worstUsd !== undefined;
    const blocked = prepared.errors.length > 0;
    const decision: LimitsCheckView = blocked ? { kind: 'refuse', message: 'The preview has errors.' } : this.check(await this.deps.spend.gate.assess(this.billedJob(prepared, done.size)));
    const batchDecision: LimitsCheckView = blocked ? decision : this.check(await this.deps.spend.gate.assess(this.billedJob(prepared, done.size, { batch: true })));
    const pair = (p: CostPair): CostPairView => ({ ...(p.expectedUsd !== undefined ? { expectedUsd: p.expectedUsd } : {}), ...(p.worstUsd !== undefined ? { worstUsd: p.worstUsd } : {}) });
    return {
      promptName: prepared.promptName,
      model: prepared.model,
      variable: prepared.variable.name,
      source: relative(prepared.root, prepared.sourcePath) || basename(prepared.sourcePath),
      sourceBytes: prepared.sourceBytes,
      results: relative(prepared.root, prepared.resultsPath),
      boundary: prepared.variable.declaration.boundary ?? 'paragraph',
      targetTokens: prepared.plan.targetTokens,
      targetFrom: prepared.targetFrom,
      overlapTokens: prepared.plan.overlapTokens,
      overheadTokens: prepared.plan.overheadTokens,
      maxTokens: prepared.maxTokens,
      countCalls: prepared.countCalls,
      chunks: preview.chunks.map((chunk) => ({
        index: chunk.index,
        tokens: chunk.tokens,
        line: chunk.line + 1,
        column: chunk.character + 1,
        characters: chunk.end - chunk.start,
        overlapCharacters: chunk.start - chunk.contextStart,
        withinTarget: chunk.withinTarget,
        done: done.has(chunk.index),
      })),
      stitch: prepared.reduce ? prepared.reduce.label : 'concatenated in order, each result under a chunk marker',
      cost: {
        known,
        ...(known ? {} : { reason: `No price is known for ${prepared.price ? (prepared.reduce?.model ?? prepared.model) : prepared.model}: add one in promptWorkbench.priceOverrides.` }),
        map: { now: pair(preview.map.now), batch: pair(preview.map.batch) },
        reduce: pair(preview.reduce),
        total: { now: pair(preview.total.now), batch: pair(preview.total.batch) },
      },
      limitsCheck: decision,
      batchLimitsCheck: !this.deps.submitAsBatch ? { kind: 'refuse', message: 'Submitting chunks as a batch is not available yet.' } : batchDecision,
      batch: this.deps.submitAsBatch ? { available: true } : { available: false, reason: 'Submitting chunks as a Message Batch is not available yet: start the job now.' },
      alreadyDone: done.size,
      warnings: prepared.warnings,
      errors: prepared.errors,
    };
  }

  private check(decision: { kind: 'send' | 'confirm' | 'refuse'; message?: string }): LimitsCheckView {
    return decision.kind === 'send' ? { kind: 'send' } : { kind: decision.kind, ...(decision.message ? { message: decision.message } : {}) };
  }

  /** The chunks a results file holds as succeeded (their latest line). */
  private async finishedChunks(resultsPath: string): Promise<Set<number>> {
    const statuses = await latestStatuses(resultsPath);
    const done = new Set<number>();
    for (const [key, status] of statuses) {
      const match = /^chunk-(\d+)$/.exec(key);
      if (match && status === 'succeeded') done.add(Number(match[1]) - 1);
    }
    return done;
  }

  /** The job as the spend gate sees it: the chunks still to send and the reduce, at their worst. */
  private billedJob(prepared: Prepared, alreadyDone: number, options: { batch?: boolean } = {}): BilledJob {
    const { preview } = prepared;
    const count = prepared.mapChunks.length;
    const share = count > 0 ? (count - alreadyDone) / count : 0;
    const map = options.batch ? preview.map.batch.worstUsd : preview.map.now.worstUsd;
    const reduce = preview.reduce.worstUsd;
    const worst = map === undefined || reduce === undefined ? undefined : map * share + reduce;
    const what =
      `${formatCount(count - alreadyDone)} chunks${options.batch ? ' as a batch' : ''} of up to ${formatCount(prepared.plan.targetTokens + prepared.plan.overheadTokens)} input tokens + up to ${formatCount(prepared.maxTokens)} output tokens each on ${prepared.model}` +
      `${prepared.reduce ? `, then the reduce on ${prepared.reduce.model}` : ''}${worst === undefined ? '' : `, ${formatUsd(worst)} at worst`}`;
    return {
      kind: options.batch ? 'batch' : 'chunk',
      ...(options.batch ? { batch: true } : {}),
      model: prepared.model,
      promptName: prepared.promptName,
      worstCaseUsd: worst,
      ...(worst === undefined ? { unknownReason: `no price is known for ${prepared.price ? (prepared.reduce?.model ?? prepared.model) : prepared.model}` } : {}),
      what,
    };
  }

  // ----- running

  private async startOver(): Promise<void> {
    const prepared = this.prepared;
    if (!prepared || this.running) return;
    const fresh = await this.prepare(prepared.promptUri, { startOver: true }).catch((error: unknown) => {
      void vscode.window.showErrorMessage(error instanceof Error ? error.message : String(error));
      return undefined;
    });
    if (!fresh) return;
    this.discardUnused(fresh.resultsPath);
    this.prepared = fresh;
    this.lastOutput = undefined;
    this.deps.panel().post({ type: 'preview', preview: await this.previewView(fresh) });
    this.setState('planned');
  }

  private askYes(message: string): Promise<boolean> {
    return this.deps.confirm ? this.deps.confirm(message, 'Start') : askModal('Start')(message);
  }

  /** Starts the planned job; `confirm` gives the yes above `confirmAboveUsd` (by default: ask, after the user's click). */
  private async start(confirm = (message: string): Promise<boolean> => this.askYes(message)): Promise<void> {
    const prepared = this.prepared;
    if (!prepared || this.running || this.state === 'running' || this.state === 'reducing') return;
    if (prepared.errors.length > 0) {
      void vscode.window.showErrorMessage(`Not started: ${prepared.errors[0]}`);
      return;
    }
    const done = await this.finishedChunks(prepared.resultsPath);
    const gate = this.deps.spend.gate;
    const job = this.billedJob(prepared, done.size);
    const consent = await openWithConsent(gate, job, confirm);
    if (consent.kind === 'refused') {
      void vscode.window.showErrorMessage(consent.message);
      this.setState('stopped', consent.message);
      return;
    }
    if (consent.kind === 'declined') return;
    const billing = consent.handle;
    this.controller = new AbortController();
    const signal = this.controller.signal;
    this.setState('running');
    this.running = (async () => {
      try {
        await this.runJob(prepared, billing, done.size, signal);
      } catch (error) {
        const reason = this.deps.api.redactor.errorText(error);
        if (signal.aborted) this.setState('cancelled', 'Cancelled: every finished chunk is kept. Start again (or run the command again) to resume.');
        else if (error instanceof SpendRefusedError) this.setState('stopped', error.message);
        else {
          this.deps.log.error(`Chunked job failed: ${reason}`);
          this.setState('failed', `${reason} Every finished chunk is kept: Resume sends only the others.`);
        }
      } finally {
        billing.close();
        this.running = undefined;
        this.controller = undefined;
      }
    })();
  }

  private async runJob(prepared: Prepared, billing: BilledJobHandle, alreadyDone: number, signal: AbortSignal): Promise<void> {
    // The stitched output's start and duration are this run's: from Start (or Resume) to the stitch.
    const jobStartedAt = new Date();
    const { client, target } = await this.deps.api.connect();
    const key = target.key;
    // The simulator marks its answers (a response header), however it was reached.
    let simulated = target.kind === 'simulator';
    const panel = this.deps.panel();
    const sendMessage = async (body: Record<string, unknown>, betas: string[], abort: AbortSignal): Promise<{ message: Message; headers: unknown }> => {
      const params = body as unknown as MessageCreateParamsNonStreaming;
      const { data, response } = betas.length > 0
        ? await (client as Anthropic).beta.messages.create({ ...params, betas } as never, { signal: abort, maxRetries: 0 }).withResponse()
        : await client.messages.create(params, { signal: abort, maxRetries: 0 }).withResponse();
      if (isSimulatedResponse(response.headers)) simulated = true;
      return { message: data as unknown as Message, headers: response.headers };
    };
    // A new results file is created empty when the job is planned (its name is taken then): the job line goes first.
    if (!existsSync(prepared.resultsPath) || statSync(prepared.resultsPath).size === 0) {
      const writer = await ResultsWriter.open(prepared.resultsPath);
      await writer.append({ type: 'job', v: RESULTS_FORMAT_VERSION, jobId: randomUUID(), promptName: prepared.promptName, promptPath: relative(prepared.root, prepared.promptUri.fsPath), datasetPath: relative(prepared.root, prepared.sourcePath), model: prepared.model, mode: 'now', startedAt: new Date().toISOString() });
      await writer.close();
    }
    await this.rememberedJobs.remember({ promptPath: prepared.promptUri.fsPath, sourcePath: prepared.sourcePath, resultsPath: prepared.resultsPath });

    // ---- map
    const sent = new Map<number, { message: Message; startedAt: string; durationMs: number }>();
    const history = this.mapHistory(prepared);
    const records: RunRecord[] = [];
    const progress: ChunkProgressView = { toSend: prepared.mapChunks.length - alreadyDone, succeeded: 0, errored: 0, alreadyDone, reduceRequests: 0, costUsd: 0 };
    const postProgress = (): void => {
      this.lastProgress = { ...progress };
      panel.post({ type: 'progress', progress: this.lastProgress });
    };
    postProgress();
    const chunkByIndex = new Map(prepared.mapChunks.map((chunk) => [chunk.index, chunk]));
    const outcome = await runChunkMap({
      chunks: prepared.mapChunks,
      model: prepared.model,
      maxTokens: prepared.maxTokens,
      fast: prepared.fast,
      price: prepared.price,
      resultsPath: prepared.resultsPath,
      billing,
      stopsJob: (error) => ((error as { name?: string }).name === 'SpendRefusedError' ? (error as Error).message : undefined),
      maxConcurrency: this.deps.config.settings.datasetConcurrency,
      signal,
      send: async (body, abort) => {
        const index = prepared.mapChunks.find((chunk) => chunk.request === body)?.index;
        const startedAt = new Date();
        const result = await sendMessage(body, prepared.betas, abort);
        if (index !== undefined) sent.set(index, { message: result.message, startedAt: startedAt.toISOString(), durationMs: Date.now() - startedAt.getTime() });
        return result;
      },
      onResult: (result) => {
        if (result.status === 'succeeded') {
          progress.succeeded++;
          progress.costUsd += result.costUsd ?? 0;
        } else progress.errored++;
        const chunk = chunkByIndex.get(result.index);
        if (chunk) records.push(this.mapRecord(prepared, chunk, result, sent.get(result.index), simulated));
        postProgress();
      },
    });
    await this.writeRecords(history, records, key, 'the chunk calls');
    if (outcome.cancelled || signal.aborted) {
      this.setState('cancelled', `Cancelled: ${outcome.texts.size} of ${prepared.mapChunks.length} chunks are finished and kept. Resume sends only the others.`);
      return;
    }
    if (outcome.stoppedReason) {
      this.setState('stopped', outcome.stoppedReason);
      return;
    }
    const missing = prepared.mapChunks.filter((chunk) => !outcome.texts.has(chunk.index));
    if (missing.length > 0) {
      this.setState('stopped', `${missing.length} of ${prepared.mapChunks.length} chunks failed (see the per-chunk results); nothing was stitched. Resume sends only the failed chunks again.`);
      return;
    }
    const texts = prepared.mapChunks.map((chunk) => outcome.texts.get(chunk.index) ?? '');

    // ---- stitch
    const mapUsage = await this.summedUsage(prepared.resultsPath, prepared.model);
    let stitched: { text: string; requests: number; levels: number; request: Record<string, unknown>; message?: Message; costUsd: number; model: string };
    if (!prepared.reduce) {
      stitched = { text: concatenateResults(texts, prepared.marker), requests: 0, levels: 0, request: prepared.prompt.request as Record<string, unknown>, costUsd: mapUsage.costUsd, model: prepared.model };
    } else {
      this.setState('reducing');
      const reduce = prepared.reduce;
      const counted = new Map<string, number>();
      let last: { request: Record<string, unknown>; message: Message } | undefined;
      let reduceCost = 0;
      const reduceRecords: RunRecord[] = [];
      const countTokens = async (request: Record<string, unknown>): Promise<number> => {
        const keyOf = JSON.stringify(request);
        const known = counted.get(keyOf);
        if (known !== undefined) return known;
        const params = countTokensParams(countableRequest(request));
        const { data, response } = reduce.betas.length > 0
          ? await (client as Anthropic).beta.messages.countTokens({ ...params, betas: reduce.betas } as never, { signal, maxRetries: 2 }).withResponse()
          : await client.messages.countTokens(params, { signal, maxRetries: 2 }).withResponse();
        this.deps.spend.countedTokens(isSimulatedResponse(response.headers));
        counted.set(keyOf, data.input_tokens);
        return data.input_tokens;
      };
      const reduced = await reduceResults(texts, {
        requestFor: reduce.requestFor,
        countTokens,
        maxInputTokens: reduce.maxInputTokens,
        ...(prepared.marker !== undefined ? { marker: prepared.marker } : {}),
        send: async (request, level) => {
          const inputTokens = await countTokens(request);
          const startedAt = new Date();
          const billed = await billing.call({ model: reduce.model, worstCaseUsd: rowWorstCaseUsd(reduce.price, inputTokens, reduce.maxTokens, reduce.fast), promptName: `${prepared.promptName} (reduce)` }, async () => {
            const { message, headers } = await sendMessage(request, reduce.betas, signal);
            const requestId = (message as { _request_id?: string | null })._request_id ?? undefined;
            return { result: message, usage: message.usage, headers, ...(requestId ? { requestId } : {}) };
          });
          const message = billed.result;
          reduceCost += billed.entry?.costUsd ?? 0;
          mapUsage.add(message.usage, reduce.model);
          progress.reduceRequests++;
          progress.costUsd += billed.entry?.costUsd ?? 0;
          postProgress();
          last = { request, message };
          reduceRecords.push(this.reduceRecord(prepared, request, message, level, billed.entry?.costUsd, startedAt, simulated));
          return message.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
        },
      });
      await this.writeRecords(history, reduceRecords, key, 'the reduce calls');
      const top = last as { request: Record<string, unknown>; message: Message } | undefined;
      stitched = { text: reduced.text, requests: reduced.requests, levels: reduced.levels, request: top?.request ?? reduce.requestFor(''), ...(top ? { message: top.message } : {}), costUsd: mapUsage.costUsd + reduceCost, model: reduce.model };
    }

    // ---- the stitched output: a run in the prompt's history, opened in the run panel
    const recordId = randomUUID();
    const usage = mapUsage.sameModel(stitched.model) ? mapUsage.usage : (stitched.message?.usage ?? mapUsage.usage);
    const response: Message = {
      id: stitched.message?.id ?? `chunked-${recordId}`,
      type: 'message',
      role: 'assistant',
      model: stitched.model,
      content: [{ type: 'text', text: stitched.text, citations: null }],
      stop_reason: stitched.message?.stop_reason ?? 'end_turn',
      stop_sequence: null,
      usage: usage as Message['usage'],
    } as Message;
    const promptHistory = this.promptHistory(prepared);
    const record: RunRecord = {
      version: RUN_RECORD_VERSION,
      recordId,
      promptName: `${prepared.promptName} (${prepared.mapChunks.length} chunks)`,
      promptPath: vscode.workspace.asRelativePath(prepared.promptUri),
      model: stitched.model,
      startedAt: jobStartedAt.toISOString(),
      ...(simulated ? { simulated } : {}),
      status: 'completed',
      request: stitched.request,
      betas: prepared.reduce?.betas ?? prepared.betas,
      response,
      costUsd: stitched.costUsd,
      costText: `${formatUsd(stitched.costUsd)} (${prepared.mapChunks.length} chunk calls${stitched.requests > 0 ? ` + ${stitched.requests} reduce` : ''})`,
      sendNotes: [
        `Stitched from ${prepared.mapChunks.length} chunks of ${relative(prepared.root, prepared.sourcePath)}${stitched.requests > 0 ? `, reduced in ${stitched.requests} request${stitched.requests === 1 ? '' : 's'} over ${stitched.levels} level${stitched.levels === 1 ? '' : 's'}` : ', concatenated under chunk markers'}. The per-chunk results are in ${relative(prepared.root, prepared.resultsPath)}`,
      ],
      timings: { durationMs: Date.now() - jobStartedAt.getTime() },
      chunked: { results: relative(prepared.root, prepared.resultsPath), source: relative(prepared.root, prepared.sourcePath), chunks: prepared.mapChunks.length, reduceRequests: stitched.requests, levels: stitched.levels },
    };
    await this.writeRecords(promptHistory, [record], key, 'the stitched output');
    this.lastOutput = { recordId, text: stitched.text, historyPath: promptHistory.file };
    await this.rememberedJobs.forget(prepared.resultsPath);
    this.setState('finished', `${prepared.mapChunks.length} chunks${alreadyDone > 0 ? ` (${alreadyDone} from the earlier run)` : ''}, stitched${stitched.requests > 0 ? ` by ${stitched.requests} reduce request${stitched.requests === 1 ? '' : 's'}` : ''}: ${formatUsd(stitched.costUsd)} in all.`);
    await this.deps.showRun(prepared.promptUri, recordId);
  }

  /** The map calls' usage summed from the results file (this run's and earlier runs'), and their cost. */
  private async summedUsage(resultsPath: string, mapModel: string): Promise<{ usage: ApiUsage; costUsd: number; add(usage: ApiUsage, model: string): void; sameModel(model: string): boolean }> {
    const latest = new Map<string, RowResult>();
    for await (const line of readResultLines(resultsPath)) if (line.type === 'row') latest.set(line.key, line);
    const usage = { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
    let costUsd = 0;
    for (const line of latest.values()) {
      if (line.status !== 'succeeded') continue;
      costUsd += line.costUsd ?? 0;
      usage.input_tokens += line.usage?.input_tokens ?? 0;
      usage.output_tokens += line.usage?.output_tokens ?? 0;
      usage.cache_creation_input_tokens += line.usage?.cache_creation_input_tokens ?? 0;
      usage.cache_read_input_tokens += line.usage?.cache_read_input_tokens ?? 0;
    }
    const models = new Set<string>([mapModel]);
    const summed = {
      usage: usage as ApiUsage,
      costUsd,
      add: (more: ApiUsage, model: string) => {
        models.add(model);
        usage.input_tokens += more.input_tokens ?? 0;
        usage.output_tokens += more.output_tokens ?? 0;
        usage.cache_creation_input_tokens += more.cache_creation_input_tokens ?? 0;
        usage.cache_read_input_tokens += more.cache_read_input_tokens ?? 0;
      },
      sameModel: (model: string) => [...models].every((m) => m === model),
    };
    return summed;
  }

  private mapRecord(prepared: Prepared, chunk: MapChunk, result: RowResult, sent: { message: Message; startedAt: string; durationMs: number } | undefined, simulated: boolean): RunRecord {
    const error = result.error ? this.deps.api.redactor.redactDeep(describeApiError(Object.assign(new Error(result.error.message), result.error), { model: prepared.model })) : undefined;
    return {
      version: RUN_RECORD_VERSION,
      recordId: randomUUID(),
      promptName: prepared.promptName,
      promptPath: vscode.workspace.asRelativePath(prepared.promptUri),
      model: prepared.model,
      startedAt: sent?.startedAt ?? result.time,
      ...(simulated ? { simulated } : {}),
      status: result.status === 'succeeded' ? 'completed' : 'failed',
      request: chunk.request,
      betas: prepared.betas,
      ...(sent ? { response: sent.message } : {}),
      ...(error ? { error: recordedError(error) } : {}),
      ...(result.requestId ? { requestId: result.requestId } : {}),
      ...(typeof result.costUsd === 'number' ? { costUsd: result.costUsd, costText: formatUsd(result.costUsd) } : {}),
      timings: { durationMs: sent?.durationMs ?? 0 },
      dataset: { results: relative(prepared.root, prepared.resultsPath), key: chunkKey(chunk.index), index: chunk.index, attempts: result.attempts ?? 1 },
    };
  }

  private reduceRecord(prepared: Prepared, request: Record<string, unknown>, message: Message, level: number, costUsd: number | null | undefined, startedAt: Date, simulated: boolean): RunRecord {
    const requestId = (message as { _request_id?: string | null })._request_id ?? undefined;
    return {
      version: RUN_RECORD_VERSION,
      recordId: randomUUID(),
      promptName: `${prepared.promptName} (reduce, level ${level})`,
      promptPath: vscode.workspace.asRelativePath(prepared.promptUri),
      model: String(request['model']),
      startedAt: startedAt.toISOString(),
      ...(simulated ? { simulated } : {}),
      status: 'completed',
      request,
      betas: prepared.reduce?.betas ?? [],
      response: message,
      ...(requestId ? { requestId } : {}),
      ...(typeof costUsd === 'number' ? { costUsd, costText: formatUsd(costUsd) } : {}),
      timings: { durationMs: Date.now() - startedAt.getTime() },
    };
  }

  private async writeRecords(history: { file: string; root: string }, records: RunRecord[], key: string | undefined, what: string): Promise<void> {
    try {
      if (records.length === 1) await appendRunRecord(history.file, records[0]!, key ? [key] : [], history.root);
      else await appendRunRecords(history.file, records, key ? [key] : [], history.root);
    } catch (failure) {
      const reason = failure instanceof Error ? failure.message : String(failure);
      this.deps.log.error(`Could not write ${what} to the history: ${reason}`);
      void vscode.window.showWarningMessage(`History of ${what} not written${failure instanceof ConfinementError ? `: ${reason}` : ''}. The results file keeps every chunk.`);
    }
  }

  /** The prompt's own history file and the folder it stays inside, by `promptWorkbench.historyLocation`. */
  private promptHistory(prepared: Prepared): { file: string; root: string } {
    const location = this.deps.config.settings.historyLocation;
    const inStorage = location === 'workspaceStorage' && this.deps.storagePath !== undefined;
    return { file: promptHistoryFile(prepared.promptUri.fsPath, prepared.promptUri.toString(), location, this.deps.storagePath), root: inStorage ? (this.deps.storagePath as string) : prepared.root };
  }

  /** The job's own history file (a record per chunk call and reduce call), beside the prompt's. */
  private mapHistory(prepared: Prepared): { file: string; root: string } {
    const prompt = this.promptHistory(prepared);
    return { file: jobHistoryFile(prompt.file, prepared.resultsPath), root: prompt.root };
  }

  private async submitBatch(): Promise<void> {
    const prepared = this.prepared;
    if (!prepared || this.running || this.state !== 'planned' || !this.deps.submitAsBatch) return;
    if (prepared.errors.length > 0) {
      void vscode.window.showErrorMessage(`Not submitted: ${prepared.errors[0]}`);
      return;
    }
    const outcome = await this.deps.submitAsBatch({
      promptPath: prepared.promptUri.fsPath,
      promptName: prepared.promptName,
      prompt: prepared.prompt,
      model: prepared.model,
      maxTokens: prepared.maxTokens,
      betas: prepared.betas,
      chunks: prepared.mapChunks,
      resultsPath: prepared.resultsPath,
      root: prepared.root,
      variable: prepared.variable.name,
      sourcePath: prepared.sourcePath,
      fast: prepared.fast,
      expectedOutputTokens: Math.min(prepared.prompt.expectedOutputTokens ?? prepared.maxTokens, prepared.maxTokens),
      price: prepared.price,
      preview: prepared.preview,
    });
    // Submitted: the plan is spent (Start would send the chunks twice). Refused: it stays startable.
    if (outcome.submitted) this.setState('submitted', outcome.message);
    else this.deps.panel().post({ type: 'state', state: this.state, message: outcome.message });
  }

  /** Opens the source file where a chunk's own text starts. */
  private async openChunk(index: number): Promise<void> {
    const prepared = this.prepared;
    const chunk = prepared?.preview.chunks[index];
    if (!prepared || !chunk) return;
    const document = await vscode.workspace.openTextDocument(vscode.Uri.file(prepared.sourcePath));
    const start = new vscode.Position(chunk.line, chunk.character);
    await vscode.window.showTextDocument(document, { selection: new vscode.Range(start, start), viewColumn: vscode.ViewColumn.Beside, preview: true });
  }

  private async showResults(): Promise<void> {
    const prepared = this.prepared;
    if (!prepared) return;
    const latest = new Map<string, RowResult>();
    for await (const line of readResultLines(prepared.resultsPath)) if (line.type === 'row') latest.set(line.key, line);
    const rows = [...latest.values()];
    const succeeded = rows.filter((r) => r.status === 'succeeded').length;
    const cost = rows.reduce((sum, r) => sum + (r.costUsd ?? 0), 0);
    await this.deps.showResults(
      prepared.resultsPath,
      {
        title: `${prepared.promptName}: ${prepared.mapChunks.length} chunks of ${basename(prepared.sourcePath)}`,
        batchIds: [],
        summary: `${succeeded} of ${prepared.mapChunks.length} chunks succeeded, ${rows.length - succeeded} failed · ${formatUsd(cost)} · resume from the chunk preview`,
        retryable: 0,
        invalidRequests: 0,
      },
      async () => undefined,
    );
  }

  private setState(state: ChunkJobState, message?: string): void {
    this.state = state;
    this.stateMessage = message;
    this.deps.panel().post({ type: 'state', state, ...(message ? { message } : {}) });
  }

  /** The panel was closed: a preview never started leaves no empty results file. */
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

