// What is kept of a submitted batch job (the VS Code side saves it in workspace storage, so
// polling and joining resume after a reload): the ids of its batches (a job over 100,000 rows or
// 256 MB is several), what it was made from (hashes of the prompt and of the dataset), where its
// mapping and results are and the mapping's hash, its times, the estimate, and the last known
// state of each batch. Plain JSON: no class, no Map, so it survives any storage round trip.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, opendir } from 'node:fs/promises';
import { join } from 'node:path';
import type { MessageBatch } from '@anthropic-ai/sdk/resources/messages/batches';
import type { DatasetSource } from '../dataset/datasetSource';
import type { PromptFile } from '../prompt/promptFile';
import type { MappingSummary } from './batchMapping';

export const BATCH_RECORD_VERSION = 1;

export type BatchProcessingStatus = MessageBatch['processing_status'];

export interface BatchRequestCounts {
  processing: number;
  succeeded: number;
  errored: number;
  canceled: number;
  expired: number;
}

/** One Message Batch of the job, as last retrieved. */
export interface BatchPartRecord {
  /** 0-based position in the job; the mapping names it for each row. */
  part: number;
  /** msgbatch_… */
  id: string;
  requests: number;
  /** Bytes of its create body. */
  bytes: number;
  processingStatus: BatchProcessingStatus;
  requestCounts: BatchRequestCounts;
  createdAt: string;
  expiresAt: string;
  endedAt: string | null;
  cancelInitiatedAt: string | null;
  archivedAt: string | null;
  /** Its results in the results file: being written (an interrupted join resumes), or all written. */
  joined?: 'started' | 'done';
}

/** The plan's estimate at batch prices, for the job's rows (a retry: its share). */
export interface BatchEstimate {
  rows: number;
  expectedUsd?: number;
  worstCaseUsd?: number;
  /** Why the cost is unknown. */
  unknownReason?: string;
}

/** Actual results against the estimate, once results are joined (summed over parts joined so far). */
export interface BatchTotals {
  succeeded: number;
  errored: number;
  /** Errored with invalid_request_error: resending unchanged fails again. */
  fixFirst: number;
  canceled: number;
  expired: number;
  inputTokens: number;
  outputTokens: number;
  /** Actual cost at batch prices, USD (rows whose price is unknown count in `unpriced`). */
  costUsd: number;
  unpriced: number;
  /** Result lines not joined: a custom_id the mapping lacks, another batch's id, or a mapping that failed its check. */
  unjoined: number;
  /** Rows of a batch with no result line. */
  missing: number;
  /** The first problems, in words. */
  problems: string[];
}

export interface BatchRecord {
  v: number;
  /** Our id for the job (several batches); also in the results file's job line and the mapping header. */
  jobId: string;
  promptName: string;
  promptPath?: string;
  datasetPath: string;
  model: string;
  /** Sent as `betas` through the beta client (and used again for retrieve, cancel and results). */
  betas: string[];
  /** SHA-256 of the prompt's request, betas and own values: what every row's request was built from. */
  promptHash: string;
  /** SHA-256 of the dataset's bytes (a folder: its names, sizes and times). */
  datasetHash: string;
  /** The prompt asks for structured output: results parse the reply's JSON. */
  structured: boolean;
  mapping: MappingSummary;
  resultsPath: string;
  /** The first batch's creation and the last batch's expiry. */
  createdAt: string;
  expiresAt: string;
  estimate: BatchEstimate;
  parts: BatchPartRecord[];
  /** Rows not in any batch: skipped when built (bad rows, missing values, too large), or in a batch that could not be created. */
  notSent: { skipped: number; failed: number; failure?: string };
  /** The API answered as the project's simulator: its results are recorded apart. */
  simulated: boolean;
  /** Host of the API the batches went to: they can only be polled there. */
  baseUrlHost?: string;
  /** The job whose failed rows this one retries. */
  retryOf?: string;
  totals?: BatchTotals;
  /** The job is the map of a chunked run (src/core/chunking/chunkBatch.ts): its rows are chunks, stitched once all are in. */
  chunked?: ChunkedBatch;
}

/** What a chunked run's batch keeps for the stitch that follows it. */
export interface ChunkedBatch {
  /** The chunked variable. */
  variable: string;
  /** Chunks of the whole run (this job may send only those not already finished). */
  chunks: number;
}

export function emptyTotals(): BatchTotals {
  return { succeeded: 0, errored: 0, fixFirst: 0, canceled: 0, expired: 0, inputTokens: 0, outputTokens: 0, costUsd: 0, unpriced: 0, unjoined: 0, missing: 0, problems: [] };
}

/** A batch as the API reports it, into the record's part. */
export function partFromApi(part: number, batch: MessageBatch, sent: { requests: number; bytes: number }, previous?: BatchPartRecord): BatchPartRecord {
  return {
    part,
    id: batch.id,
    requests: sent.requests,
    bytes: sent.bytes,
    processingStatus: batch.processing_status,
    requestCounts: { ...batch.request_counts },
    createdAt: batch.created_at,
    expiresAt: batch.expires_at,
    endedAt: batch.ended_at,
    cancelInitiatedAt: batch.cancel_initiated_at,
    archivedAt: batch.archived_at,
    ...(previous?.joined ? { joined: previous.joined } : {}),
  };
}

/** The job's state across its batches: in progress while any is, then canceling while any is, then ended. */
export function jobProcessingStatus(record: Pick<BatchRecord, 'parts'>): BatchProcessingStatus {
  if (record.parts.some((p) => p.processingStatus === 'in_progress')) return 'in_progress';
  if (record.parts.some((p) => p.processingStatus === 'canceling')) return 'canceling';
  return 'ended';
}

/** The request counts of all the job's batches together. */
export function jobRequestCounts(record: Pick<BatchRecord, 'parts'>): BatchRequestCounts {
  const sum: BatchRequestCounts = { processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
  for (const part of record.parts) for (const key of Object.keys(sum) as (keyof BatchRequestCounts)[]) sum[key] += part.requestCounts[key];
  return sum;
}

/** Every batch has ended and its results are in the results file. */
export function isJobSettled(record: Pick<BatchRecord, 'parts'>): boolean {
  return record.parts.every((p) => p.processingStatus === 'ended' && p.joined === 'done');
}

/** SHA-256 of what the prompt gives every row's request: the request, the betas and its own values. */
export function promptHashOf(prompt: PromptFile, promptValues: Readonly<Record<string, string>>): string {
  const values = Object.fromEntries(Object.entries(promptValues).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return createHash('sha256').update(JSON.stringify({ request: prompt.request, betas: prompt.betas ?? [], values })).digest('hex');
}

/** SHA-256 of a dataset: a file's bytes, streamed; a folder's file names, sizes and modification times. */
export async function datasetHashOf(source: DatasetSource): Promise<string> {
  const hash = createHash('sha256');
  if (source.format === 'folder') {
    const names: string[] = [];
    for await (const entry of await opendir(source.path)) names.push(entry.name);
    names.sort();
    for (const name of names) {
      const info = await lstat(join(source.path, name));
      hash.update(`${JSON.stringify([name, info.size, info.mtimeMs])}\n`);
    }
    return hash.digest('hex');
  }
  for await (const chunk of createReadStream(source.path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
