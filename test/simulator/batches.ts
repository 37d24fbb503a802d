// Message Batches (sheet §15). A batch's state is a function of the clock: in_progress until
// `processingMs` after creation (canceling after a cancel, for `cancelMs`), then ended; the requests
// run when the batch ends, so results reflect the simulator's model and cache at that moment.
import type {
  DeletedMessageBatch,
  MessageBatch,
  MessageBatchErroredResult,
  MessageBatchIndividualResponse,
  MessageBatchResult,
} from '@anthropic-ai/sdk/resources/messages/batches';
import { type SimulatedApiError, invalidRequest, newId, notFound } from './apiError';
import { parseLimit } from './files';

const CUSTOM_ID = /^[a-zA-Z0-9_-]{1,64}$/;
const DAY_MS = 24 * 60 * 60_000;
const RESULTS_KEPT_MS = 29 * DAY_MS;

export interface BatchLimits {
  /** Requests per batch: 100,000 on the real API. */
  maxBatchRequests: number;
  /** Bytes per batch-create body: 256 MB on the real API. */
  maxBatchBytes: number;
}

export const DEFAULT_BATCH_LIMITS: BatchLimits = { maxBatchRequests: 100_000, maxBatchBytes: 256 * 1024 * 1024 };

export interface BatchRequestContext {
  apiVersion: string;
  betas: readonly string[];
  /** The simulator's per-request overrides (x-simulator-* headers) sent with the create call. */
  headers: Record<string, string | undefined>;
}

interface BatchRequest {
  custom_id: string;
  params: Record<string, unknown>;
  /** Set when the params failed validation: the request ends `errored`. */
  error?: SimulatedApiError;
}

interface StoredBatch {
  id: string;
  serial: number;
  createdAt: number;
  processingMs: number;
  cancelMs: number;
  cancelInitiatedAt?: number;
  requests: BatchRequest[];
  context: BatchRequestContext;
  results?: MessageBatchIndividualResponse[];
}

export interface BatchRunner {
  /** Validates one request's params like /v1/messages; returns the error, if any. */
  validate(params: unknown, context: BatchRequestContext): SimulatedApiError | undefined;
  /** Runs one valid request to a succeeded (or errored) result. */
  run(params: Record<string, unknown>, context: BatchRequestContext): MessageBatchResult;
}

export interface BatchTiming {
  processingMs: number;
  cancelMs: number;
  /** Results in request order; otherwise shuffled (deterministically, per batch), as the API promises no order. */
  resultsInRequestOrder?: boolean;
}

const iso = (t: number): string => new Date(t).toISOString();

/**
 * The results in an order of their own (sheet §15: "in no particular order, so match on
 * custom_id"), the same for every download of one batch: a Fisher-Yates shuffle seeded from its id.
 */
function shuffledFor<T>(id: string, items: readonly T[]): T[] {
  const out = [...items];
  let seed = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) seed = Math.imul(seed ^ id.charCodeAt(i), 0x01000193) >>> 0;
  for (let i = out.length - 1; i > 0; i--) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    const j = seed % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

export class BatchStore {
  private readonly batches = new Map<string, StoredBatch>();
  private serial = 0;

  constructor(
    private readonly now: () => number,
    private readonly runner: BatchRunner,
    private readonly limits: () => BatchLimits,
    private readonly timing: () => BatchTiming,
  ) {}

  clear(): void {
    this.batches.clear();
  }

  create(body: unknown, context: BatchRequestContext): StoredBatch {
    const { maxBatchRequests } = this.limits();
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidRequest('The request body is not a JSON object.');
    const requests = (body as Record<string, unknown>).requests;
    if (requests === undefined) throw invalidRequest('requests: Field required');
    if (!Array.isArray(requests)) throw invalidRequest('requests: Input should be a valid list');
    if (requests.length === 0) throw invalidRequest('requests: List should have at least 1 item');
    if (requests.length > maxBatchRequests) {
      throw invalidRequest(`requests: List should have at most ${maxBatchRequests} items after validation, not ${requests.length}`);
    }
    const seen = new Set<string>();
    const stored: BatchRequest[] = requests.map((request: unknown, index) => {
      const path = `requests.${index}`;
      if (typeof request !== 'object' || request === null) throw invalidRequest(`${path}: Input should be a valid dictionary`);
      const { custom_id, params } = request as Record<string, unknown>;
      if (typeof custom_id !== 'string') throw invalidRequest(`${path}.custom_id: Field required`);
      if (!CUSTOM_ID.test(custom_id)) throw invalidRequest(`${path}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'`);
      if (seen.has(custom_id)) throw invalidRequest(`${path}.custom_id: Duplicate custom_id '${custom_id}'; custom_id must be unique within a batch.`);
      seen.add(custom_id);
      if (typeof params !== 'object' || params === null || Array.isArray(params)) throw invalidRequest(`${path}.params: Field required`);
      const error =
        (params as Record<string, unknown>).stream === true
          ? invalidRequest('stream: Batch requests cannot be streamed.')
          : this.runner.validate(params, context);
      return { custom_id, params: params as Record<string, unknown>, error };
    });
    const { processingMs, cancelMs } = this.timing();
    const batch: StoredBatch = {
      id: newId('msgbatch_01', 22),
      serial: this.serial++,
      createdAt: this.now(),
      processingMs,
      cancelMs,
      requests: stored,
      context,
    };
    this.batches.set(batch.id, batch);
    return batch;
  }

  get(id: string): StoredBatch {
    const batch = this.batches.get(id);
    if (!batch) throw notFound(`Message batch ${id} not found.`);
    return batch;
  }

  /** When the batch stops processing, and why. */
  private ending(batch: StoredBatch): { at: number; cause: 'done' | 'canceled' | 'expired' } {
    const done = batch.createdAt + batch.processingMs;
    const expires = batch.createdAt + DAY_MS;
    let ending: { at: number; cause: 'done' | 'canceled' | 'expired' } = { at: done, cause: 'done' };
    if (batch.cancelInitiatedAt !== undefined && batch.cancelInitiatedAt + batch.cancelMs < ending.at) {
      ending = { at: batch.cancelInitiatedAt + batch.cancelMs, cause: 'canceled' };
    }
    if (expires < ending.at) ending = { at: expires, cause: 'expired' };
    return ending;
  }

  private isEnded(batch: StoredBatch): boolean {
    return this.now() >= this.ending(batch).at;
  }

  /** The results, computed once when the batch has ended. */
  results(batch: StoredBatch): MessageBatchIndividualResponse[] | undefined {
    if (!this.isEnded(batch)) return undefined;
    if (!batch.results) {
      const { at, cause } = this.ending(batch);
      // Requests run in order; a cancel or the 24 h expiry stops the ones not reached yet.
      const share = cause === 'done' || batch.processingMs <= 0 ? 1 : Math.min(1, (at - batch.createdAt) / batch.processingMs);
      const processed = Math.floor(batch.requests.length * share);
      batch.results = batch.requests.map((request, index): MessageBatchIndividualResponse => {
        let result: MessageBatchResult;
        if (index >= processed) result = { type: cause === 'expired' ? 'expired' : 'canceled' };
        else if (request.error) result = { type: 'errored', error: request.error.body(null) as MessageBatchErroredResult['error'] };
        else result = this.runner.run(request.params, batch.context);
        return { custom_id: request.custom_id, result };
      });
    }
    return batch.results;
  }

  toApi(batch: StoredBatch, baseUrl: string): MessageBatch {
    const results = this.results(batch);
    const ended = results !== undefined;
    const counts = { processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
    if (results) for (const { result } of results) counts[result.type] += 1;
    else counts.processing = batch.requests.length;
    const now = this.now();
    return {
      id: batch.id,
      type: 'message_batch',
      processing_status: ended ? 'ended' : batch.cancelInitiatedAt !== undefined ? 'canceling' : 'in_progress',
      request_counts: counts,
      created_at: iso(batch.createdAt),
      expires_at: iso(batch.createdAt + DAY_MS),
      ended_at: ended ? iso(this.ending(batch).at) : null,
      cancel_initiated_at: batch.cancelInitiatedAt !== undefined ? iso(batch.cancelInitiatedAt) : null,
      archived_at: now >= batch.createdAt + RESULTS_KEPT_MS ? iso(batch.createdAt + RESULTS_KEPT_MS) : null,
      results_url: ended ? `${baseUrl}/v1/messages/batches/${batch.id}/results` : null,
    };
  }

  cancel(id: string): StoredBatch {
    const batch = this.get(id);
    if (!this.isEnded(batch) && batch.cancelInitiatedAt === undefined) batch.cancelInitiatedAt = this.now();
    return batch;
  }

  delete(id: string): DeletedMessageBatch {
    const batch = this.get(id);
    if (!this.isEnded(batch)) {
      throw invalidRequest(`Message batch ${id} is still ${batch.cancelInitiatedAt !== undefined ? 'canceling' : 'in progress'}; it can be deleted only once processing has ended. Cancel it first.`);
    }
    this.batches.delete(id);
    return { id, type: 'message_batch_deleted' };
  }

  /** JSONL results, or a 404 once the 29-day retention is over. */
  resultsJsonl(id: string): string {
    const batch = this.get(id);
    const results = this.results(batch);
    if (!results) throw invalidRequest(`Message batch ${id} has not finished processing; results are not available yet.`);
    if (this.now() >= batch.createdAt + RESULTS_KEPT_MS) throw notFound(`Results for message batch ${id} are no longer available.`);
    const ordered = this.timing().resultsInRequestOrder ? results : shuffledFor(batch.id, results);
    return ordered.map((line) => JSON.stringify(line)).join('\n') + '\n';
  }

  /** GET /v1/messages/batches: newest first, `Page` shaped (data, has_more, first_id, last_id). */
  list(query: URLSearchParams, baseUrl: string): { data: MessageBatch[]; has_more: boolean; first_id: string | null; last_id: string | null } {
    const limit = parseLimit(query.get('limit'), 20, 1000);
    const all = [...this.batches.values()].sort((a, b) => b.serial - a.serial);
    const afterId = query.get('after_id');
    const beforeId = query.get('before_id');
    let slice: StoredBatch[];
    let hasMore: boolean;
    if (beforeId) {
      const index = all.findIndex((b) => b.id === beforeId);
      const end = index < 0 ? 0 : index;
      slice = all.slice(Math.max(0, end - limit), end);
      hasMore = end - limit > 0;
    } else {
      const index = afterId ? all.findIndex((b) => b.id === afterId) : -1;
      const start = afterId ? (index < 0 ? all.length : index + 1) : 0;
      slice = all.slice(start, start + limit);
      hasMore = start + limit < all.length;
    }
    const data = slice.map((b) => this.toApi(b, baseUrl));
    return { data, has_more: hasMore, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
  }
}
