// Watching a batch job: when to look again, looking (retrieve each batch not yet ended), and
// cancelling. Most batches take minutes to an hour, and the API keeps every count but
// `processing` at 0 until a batch ends (anthropic-api.md §15), so polling starts brisk, backs off
// while nothing changes, snaps back when something does, and stops when the job has ended.
import { batchesApi, type BatchesClient } from './batchesApi';
import { jobProcessingStatus, partFromApi, type BatchPartRecord, type BatchRecord } from './batchRecord';

export interface PollPolicy {
  /** The first delay, and the delay after any change. */
  firstMs: number;
  /** The longest delay. */
  maxMs: number;
  /** Growth of the delay per poll that saw no change. */
  factor: number;
}

export const DEFAULT_POLL_POLICY: PollPolicy = { firstMs: 10_000, maxMs: 5 * 60_000, factor: 1.6 };

/**
 * The delay before the next poll, or undefined when there is nothing left to poll (every batch has
 * ended). `previousMs` is the delay used before this poll (undefined for the first); `changed`
 * says whether this poll saw any change of status or counts.
 */
export function nextPollDelay(previousMs: number | undefined, changed: boolean, ended: boolean, policy: PollPolicy = DEFAULT_POLL_POLICY): number | undefined {
  if (ended) return undefined;
  if (previousMs === undefined || changed) return policy.firstMs;
  return Math.min(policy.maxMs, Math.max(policy.firstMs, Math.round(previousMs * policy.factor)));
}

/** What a poll compares: each batch's status and counts. */
export function progressFingerprint(record: Pick<BatchRecord, 'parts'>): string {
  return record.parts.map((p) => `${p.id}:${p.processingStatus}:${p.requestCounts.processing}/${p.requestCounts.succeeded}/${p.requestCounts.errored}/${p.requestCounts.canceled}/${p.requestCounts.expired}`).join('|');
}

export interface RefreshOutcome {
  /** A new record (the one passed in is not changed). */
  record: BatchRecord;
  /** Any batch's status or counts changed. */
  changed: boolean;
  /** Every batch has ended. */
  ended: boolean;
}

/** Retrieves every batch of the job that has not ended and updates the record from the API. */
export async function refreshBatchJob(client: BatchesClient, record: BatchRecord, signal?: AbortSignal): Promise<RefreshOutcome> {
  const api = batchesApi(client, record.betas);
  const parts: BatchPartRecord[] = [];
  for (const part of record.parts) {
    if (part.processingStatus === 'ended') {
      parts.push(part);
      continue;
    }
    const batch = await api.retrieve(part.id, signal);
    parts.push(partFromApi(part.part, batch, part, part));
  }
  const next: BatchRecord = { ...record, parts };
  return { record: next, changed: progressFingerprint(next) !== progressFingerprint(record), ended: jobProcessingStatus(next) === 'ended' };
}

/**
 * Asks the API to cancel every batch of the job still in progress. Cancelling is not immediate:
 * each goes `canceling`, then ends with the requests it had not reached as `canceled` results,
 * which the join marks on their rows.
 */
export async function cancelBatchJob(client: BatchesClient, record: BatchRecord, signal?: AbortSignal): Promise<BatchRecord> {
  const api = batchesApi(client, record.betas);
  const parts: BatchPartRecord[] = [];
  for (const part of record.parts) {
    if (part.processingStatus !== 'in_progress') {
      parts.push(part);
      continue;
    }
    const batch = await api.cancel(part.id, signal);
    parts.push(partFromApi(part.part, batch, part, part));
  }
  return { ...record, parts };
}
