// Submitting a planned dataset job as Message Batches, through the one billed-call path. Before
// the first batch, the spend gate checks the whole job's worst case at batch prices against the
// spend cap and the monthly budget and reserves it (`gate.open`); each batch is then created
// through the job's handle (`call`, which re-checks the remaining worst case against spend other
// windows made meanwhile). A create bills nothing by itself: the actual costs are recorded from
// each result's usage when the results are joined (batchResults.ts, `recordResults`), and the
// handle's `close` releases what the reservation did not use.
//
// A job's requests come from a BatchJobSource: a dataset plan's rows (datasetBatchSource), or the
// chunks of a chunked run (src/core/chunking/chunkBatch.ts); the rest below is the same for both.
// The rows stream from the dataset into the batches' bodies (batchRequests.ts); the mapping of
// custom_ids back to rows is written on the way, and rows that cannot be sent (bad rows, missing
// values, a request larger than a batch) are written to the results file as skipped, as a run
// made now writes them.
import { randomUUID } from 'node:crypto';
import { join, dirname, basename } from 'node:path';
import { isSimulatedResponse } from '../api/simulatedResponse';
import type { DatasetPlan } from '../dataset/datasetPlan';
import { ResultsWriter, RESULTS_FORMAT_VERSION, type RowResult } from '../dataset/datasetResults';
import { formatUsd } from '../format';
import type { PromptFile } from '../prompt/promptFile';
import type { BilledJob, BilledJobHandle, CallSpec, SentCall } from '../spend/spendGate';
import { MappingWriter, readMapping } from './batchMapping';
import { BATCH_LIMITS, BatchSplitter, buildBatchRequests, type BatchLimits, type BatchRequestRecord, type BatchRowRef } from './batchRequests';
import { batchesApi, type BatchesClient } from './batchesApi';
import { BATCH_RECORD_VERSION, datasetHashOf, partFromApi, promptHashOf, type BatchEstimate, type BatchRecord } from './batchRecord';

/** The spend gate as submission uses it: SpendGate has this shape. */
export interface BatchSpendGate {
  open(job: BilledJob, options?: { confirmed?: boolean }): Promise<BatchJobBilling>;
}

/** An open billed job: SpendGate's BilledJobHandle has this shape. */
export interface BatchJobBilling {
  call<T>(spec: CallSpec, send: () => Promise<SentCall<T>>): Promise<SentCall<T>>;
  recordResult: BilledJobHandle['recordResult'];
  recordResults: BilledJobHandle['recordResults'];
  costOfResult: BilledJobHandle['costOfResult'];
  close(): void;
}

/** The job as the spend gate sees it: all its rows (a retry: its share) at batch prices. */
export function batchBilledJob(plan: DatasetPlan, rows = plan.rows.runnable): BilledJob {
  const estimate = batchEstimate(plan, rows);
  const worst = estimate.worstCaseUsd;
  return {
    kind: 'batch',
    batch: true,
    model: plan.model,
    promptName: plan.promptName,
    worstCaseUsd: worst,
    ...(worst === undefined && estimate.unknownReason ? { unknownReason: estimate.unknownReason } : {}),
    what: `a batch of ${rows.toLocaleString('en-US')} rows, about ${Math.round(plan.rows.runnable > 0 ? (plan.tokens.total * rows) / plan.rows.runnable : 0).toLocaleString('en-US')} input tokens + up to ${plan.maxTokens.toLocaleString('en-US')} output tokens each on ${plan.model} at batch prices (×0.5)${worst === undefined ? '' : `, ${formatUsd(worst)} at worst`}`,
  };
}

/**
 * The billed job of a submitted record, for `gate.adopt` after a reload: what the job may still
 * cost is its worst case less what its joined results already cost.
 */
export function billedJobOfRecord(record: BatchRecord): BilledJob {
  const worst = record.estimate.worstCaseUsd;
  const outstanding = worst === undefined ? undefined : Math.max(0, worst - (record.totals?.costUsd ?? 0));
  return {
    kind: record.chunked ? 'chunk' : 'batch',
    batch: true,
    model: record.model,
    promptName: record.promptName,
    worstCaseUsd: outstanding,
    ...(outstanding === undefined ? { unknownReason: record.estimate.unknownReason ?? 'the batch cost is not known' } : {}),
    what: `a batch of ${record.estimate.rows.toLocaleString('en-US')} ${record.chunked ? 'chunks' : 'rows'} on ${record.model} at batch prices (×0.5), submitted ${record.createdAt}${outstanding === undefined ? '' : `, ${formatUsd(outstanding)} still possible at worst`}`,
  };
}

/** The plan's batch cost for `rows` of its runnable rows. */
export function batchEstimate(plan: DatasetPlan, rows = plan.rows.runnable): BatchEstimate {
  const share = plan.rows.runnable > 0 ? rows / plan.rows.runnable : 0;
  const line = plan.cost.known ? plan.cost.batch : undefined;
  if (!line) return { rows, unknownReason: plan.cost.reason ?? 'the batch cost is not known' };
  return { rows, expectedUsd: line.expectedUsd * share, worstCaseUsd: line.worstCaseUsd * share };
}

/** Where a job's mapping goes by default: beside its results file. */
export function defaultMappingPath(resultsPath: string, jobId: string): string {
  return join(dirname(resultsPath), `${basename(resultsPath).replace(/\.results\.jsonl$|\.jsonl$/, '')}.batch-${jobId}.mapping.jsonl`);
}

/**
 * What a batch job is made of, whatever its requests come from: a dataset plan's rows
 * (datasetBatchSource), or the chunks of a chunked run (src/core/chunking/chunkBatch.ts). The
 * requests stream into the batches; the rest goes into the record and the spend gate.
 */
export interface BatchJobSource {
  promptName: string;
  /** The file the requests were made from (a dataset, a chunked document): the record's datasetPath. */
  sourcePath: string;
  model: string;
  betas: readonly string[];
  /** promptHashOf the prompt and its own values. */
  promptHash: string;
  /** SHA-256 of what the requests were made from, taken before they are built. */
  sourceHash(): Promise<string>;
  /** The prompt asks for structured output: the join parses each reply's JSON. */
  structured: boolean;
  estimate: BatchEstimate;
  /** The whole job's worst case at batch prices, for the spend gate's check before the first batch. */
  billedJob: BilledJob;
  /** The requests (and rows not sent), in order, built as they are read. */
  requests(limits: BatchLimits, signal?: AbortSignal): AsyncIterable<BatchRequestRecord>;
  /** Kept in the record as it is (a chunked run's stitch). */
  chunked?: BatchRecord['chunked'];
}

/** A dataset plan's rows (a retry: only `onlyKeys`) as a batch job source. */
export function datasetBatchSource(plan: DatasetPlan, prompt: PromptFile, promptValues: Readonly<Record<string, string>>, onlyKeys?: ReadonlySet<string>): BatchJobSource {
  const rows = onlyKeys ? onlyKeys.size : plan.rows.runnable;
  return {
    promptName: plan.promptName,
    sourcePath: plan.source.path,
    model: plan.model,
    betas: prompt.betas ?? [],
    promptHash: promptHashOf(prompt, promptValues),
    sourceHash: () => datasetHashOf(plan.source),
    structured: (prompt.request.output_config as { format?: unknown } | undefined)?.format !== undefined,
    estimate: batchEstimate(plan, rows),
    billedJob: batchBilledJob(plan, rows),
    requests: (limits, signal) => buildBatchRequests({ plan, prompt, promptValues, limits, ...(onlyKeys ? { onlyKeys } : {}), ...(signal ? { signal } : {}) }),
  };
}

export interface SubmitBatchRequestsOptions {
  client: BatchesClient;
  gate: BatchSpendGate;
  /** The user confirmed the gate's `confirm` decision (assess first, as for a run). */
  confirmed?: boolean;
  source: BatchJobSource;
  promptPath?: string;
  /** The results file (same format as a run made now); a retry appends to the job's own. */
  resultsPath: string;
  /** Default: beside the results file (defaultMappingPath). */
  mappingPath?: string;
  retryOf?: string;
  /** Host of the API base URL, kept in the record. */
  baseUrlHost?: string;
  /** Default: 100,000 requests and 256 MB per batch. */
  limits?: BatchLimits;
  jobId?: string;
  now?: () => number;
  signal?: AbortSignal;
  /** Called with the record after each batch is created, so it can be saved before the next. */
  onRecord?: (record: BatchRecord) => void | Promise<void>;
}

export interface SubmitBatchJobOptions extends Omit<SubmitBatchRequestsOptions, 'source'> {
  plan: DatasetPlan;
  prompt: PromptFile;
  promptValues: Readonly<Record<string, string>>;
  /** Only these row keys (a retry of failed rows). */
  onlyKeys?: ReadonlySet<string>;
}

export interface SubmittedBatchJob {
  record: BatchRecord;
  /** The open billed job: keep it to record the results' costs; close it when they are joined. */
  billing: BatchJobBilling;
}

/**
 * Submits the job. Throws SpendRefusedError (from the gate) before anything is sent when the job's
 * worst case does not fit, and rethrows the first create's error (nothing was sent). When a later
 * batch cannot be created, the batches already created stand: the record says so in
 * `notSent.failure`, and the rows left out are written to the results file as errored, so a retry
 * picks them up.
 */
export async function submitBatchJob(options: SubmitBatchJobOptions): Promise<SubmittedBatchJob> {
  const { plan, prompt, promptValues, onlyKeys, ...rest } = options;
  if (plan.errors.length > 0) throw new Error(`The plan has errors: ${plan.errors.join(' ')}`);
  return submitBatchRequests({ ...rest, source: datasetBatchSource(plan, prompt, promptValues, onlyKeys) });
}

/** Submits any batch job source: the same checks, splitting, mapping and record as submitBatchJob. */
export async function submitBatchRequests(options: SubmitBatchRequestsOptions): Promise<SubmittedBatchJob> {
  const { source } = options;
  const now = options.now ?? Date.now;
  const billing = await options.gate.open(source.billedJob, { confirmed: options.confirmed ?? false });
  const jobId = options.jobId ?? `b${now().toString(36)}${randomUUID().slice(0, 8)}`;
  const mappingPath = options.mappingPath ?? defaultMappingPath(options.resultsPath, jobId);
  const betas = [...source.betas];
  const api = batchesApi(options.client, betas);
  const limits = options.limits ?? BATCH_LIMITS;
  const iso = (): string => new Date(now()).toISOString();

  const record: BatchRecord = {
    v: BATCH_RECORD_VERSION,
    jobId,
    promptName: source.promptName,
    ...(options.promptPath ? { promptPath: options.promptPath } : {}),
    datasetPath: source.sourcePath,
    model: source.model,
    betas,
    promptHash: source.promptHash,
    datasetHash: '',
    structured: source.structured,
    mapping: { path: mappingPath, sha256: '', rows: 0 },
    resultsPath: options.resultsPath,
    createdAt: iso(),
    expiresAt: iso(),
    estimate: source.estimate,
    parts: [],
    notSent: { skipped: 0, failed: 0 },
    simulated: false,
    ...(options.baseUrlHost ? { baseUrlHost: options.baseUrlHost } : {}),
    ...(options.retryOf ? { retryOf: options.retryOf } : {}),
    ...(source.chunked ? { chunked: source.chunked } : {}),
  };

  let mapping: MappingWriter | undefined;
  let results: ResultsWriter | undefined;
  try {
    record.datasetHash = await source.sourceHash();
    mapping = await MappingWriter.open(mappingPath, jobId);
    results = await ResultsWriter.open(options.resultsPath);
    await results.append({ type: 'job', v: RESULTS_FORMAT_VERSION, jobId, promptName: source.promptName, ...(options.promptPath ? { promptPath: options.promptPath } : {}), datasetPath: source.sourcePath, model: source.model, mode: 'batch', startedAt: iso() });
    const writer = results;
    const map = mapping;
    const rowLine = (row: BatchRowRef, fields: Pick<RowResult, 'status' | 'error'>): RowResult => ({ type: 'row', key: row.key, index: row.index, where: row.where, ...fields, time: iso() });

    const splitter = new BatchSplitter(
      source.requests(limits, options.signal),
      limits,
      {
        onRequest: (request, part) => map.append({ customId: request.customId, part, ...request.row }),
        onSkipped: async (skipped) => {
          record.notSent.skipped++;
          await writer.append(rowLine(skipped.row, { status: 'skipped', error: { message: skipped.reason } }));
        },
      },
    );

    for (;;) {
      options.signal?.throwIfAborted();
      const next = await splitter.next();
      if (!next) break;
      let created;
      try {
        created = await billing.call({ model: source.model, worstCaseUsd: undefined }, async () => {
          const { batch, headers } = await api.create(next.body, options.signal);
          return { result: batch, headers, batchId: batch.id };
        });
      } catch (error) {
        if (record.parts.length === 0) throw error;
        // Later batches: the ones created stand; every row left out is written as errored.
        record.notSent.failure = `Batch ${next.part + 1} could not be created: ${messageOf(error)}`;
        await map.flush();
        const leftOut = { message: `Not sent: ${record.notSent.failure}` };
        for await (const request of splitter.drain()) {
          await map.append({ customId: request.customId, part: next.part, ...request.row });
        }
        const written = await mapping.close();
        mapping = undefined;
        record.mapping = written;
        const check = await readMapping(written.path, written.sha256);
        if (check.ok) {
          for (const entry of check.entries.values()) {
            if (entry.part < next.part) continue;
            record.notSent.failed++;
            await writer.append(rowLine(entry, { status: 'errored', error: leftOut }));
          }
        }
        break;
      }
      const batch = created.result;
      if (record.parts.length === 0) {
        record.simulated = isSimulatedResponse(created.headers);
        record.createdAt = batch.created_at;
      }
      record.parts.push(partFromApi(next.part, batch, next.tally()));
      record.expiresAt = batch.expires_at;
      await options.onRecord?.(structuredClone(record));
    }
    if (mapping) {
      record.mapping = await mapping.close();
      mapping = undefined;
    }
  } catch (error) {
    billing.close();
    throw error;
  } finally {
    if (mapping) await mapping.close().catch(() => undefined);
    await results?.close();
  }
  if (record.parts.length === 0) billing.close();
  await options.onRecord?.(structuredClone(record));
  return { record, billing };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
