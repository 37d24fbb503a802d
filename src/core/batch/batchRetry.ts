// The rows of a finished batch job worth sending again as a new batch: those whose latest result
// is errored, expired or canceled. Rows that errored with invalid_request_error are counted apart
// (`fixFirst`): sent again unchanged they fail again, so the caller can say so (or leave them out)
// before the user submits. The retry itself is submitBatchJob with `onlyKeys` and `retryOf`,
// appending to the same results file, where the newer line of a row wins.
import { readResultLines, type RowStatus } from '../dataset/datasetResults';
import { isJobSettled, type BatchRecord } from './batchRecord';
import type { BatchRowResult } from './batchResults';

export const RETRYABLE_STATUSES: readonly RowStatus[] = ['errored', 'expired', 'canceled'];

export interface RetrySet {
  /** Row keys to send again (onlyKeys of submitBatchJob). */
  keys: Set<string>;
  errored: number;
  expired: number;
  canceled: number;
  /** Of `errored`: invalid_request_error, which needs the request fixed first. */
  fixFirst: number;
}

export interface RetryOptions {
  /** Leave out rows that errored with invalid_request_error. Default false: the user may have fixed the prompt. */
  skipFixFirst?: boolean;
}

/**
 * The rows of the job's results file to retry. Throws while a batch of the job has not ended or
 * its results are not joined yet: until then a row's latest status is not its last.
 */
export async function retrySetOf(record: BatchRecord, options: RetryOptions = {}): Promise<RetrySet> {
  if (!isJobSettled(record)) throw new Error('The batch job has not finished: retry its failed rows once every batch has ended and its results are in.');
  const latest = new Map<string, { status: RowStatus; fixFirst: boolean }>();
  for await (const line of readResultLines(record.resultsPath)) {
    if (line.type !== 'row') continue;
    latest.set(line.key, { status: line.status, fixFirst: (line as Partial<BatchRowResult>).fixFirst === true });
  }
  const set: RetrySet = { keys: new Set(), errored: 0, expired: 0, canceled: 0, fixFirst: 0 };
  for (const [key, { status, fixFirst }] of latest) {
    if (!RETRYABLE_STATUSES.includes(status)) continue;
    if (status === 'errored' && fixFirst) {
      set.fixFirst++;
      if (options.skipFixFirst) continue;
    }
    set.keys.add(key);
    if (status === 'errored') set.errored++;
    else if (status === 'expired') set.expired++;
    else set.canceled++;
  }
  return set;
}
