// Building a dataset job's Message Batch requests as a stream, and splitting them into batches
// the API accepts. The plan's rows are read again from disk and bound one at a time; each becomes
// one `{custom_id, params}` element, serialised once, and flows straight into the request body of
// its batch (the SDK sends an async-iterable body as it is produced), so neither the rows nor a
// batch's body are ever held whole: a 200 MB dataset becomes batches of up to 256 MB with memory
// to spare. A batch ends before the request that would take it past 100,000 requests or 256 MB of
// body (anthropic-api.md §15); both limits are options so tests can split small jobs.
import { bindRow, missingValues, rowKey, rowLookup } from '../dataset/datasetBinding';
import type { DatasetPlan } from '../dataset/datasetPlan';
import { describeLocation, readDataset } from '../dataset/datasetSource';
import type { PromptFile } from '../prompt/promptFile';
import { CustomIdAllocator } from './batchCustomIds';
import { compileElementTemplate, serialiseElement } from './batchElementTemplate';

export interface BatchLimits {
  /** Requests per batch: 100,000 on the API. */
  maxRequests: number;
  /** Bytes of one batch-create body: 256 MB on the API. */
  maxBytes: number;
}

export const BATCH_LIMITS: BatchLimits = { maxRequests: 100_000, maxBytes: 256 * 1024 * 1024 };

/** A row of the dataset, as the results file and the mapping name it. */
export interface BatchRowRef {
  /** 0-based position among the source's records (stable across reads). */
  index: number;
  /** The key column's value, or the index. */
  key: string;
  /** "line 12", "file a.txt". */
  where: string;
}

export type BatchRequestRecord =
  | {
      kind: 'request';
      customId: string;
      row: BatchRowRef;
      /** The element of `requests` as sent: `{"custom_id":…,"params":…}`. */
      json: string;
      /** UTF-8 bytes of `json`. */
      bytes: number;
    }
  /** A row that is not sent: unreadable, a bound column without a value, or too large for any batch. */
  | { kind: 'skipped'; row: BatchRowRef; reason: string };

export interface BuildBatchRequestsOptions {
  /** What building needs of the plan: where the rows are and how they bind. */
  plan: Pick<DatasetPlan, 'source' | 'binding' | 'errors'>;
  prompt: PromptFile;
  promptValues: Readonly<Record<string, string>>;
  /** Only the rows with these keys (a retry): their skipped rows are not reported again. */
  onlyKeys?: ReadonlySet<string>;
  limits?: BatchLimits;
  ids?: CustomIdAllocator;
  signal?: AbortSignal;
}

const BODY_HEAD = '{"requests":[';
const BODY_TAIL = ']}';
/** Bytes of a batch body around its elements. */
export const ENVELOPE_BYTES = BODY_HEAD.length + BODY_TAIL.length;

/**
 * Every row of the plan's dataset as a batch request (or as a skipped row), in dataset order, one
 * at a time. A request whose element alone would not fit in a batch is skipped with the reason.
 */
export async function* buildBatchRequests(options: BuildBatchRequestsOptions): AsyncGenerator<BatchRequestRecord> {
  const { plan, prompt, promptValues, onlyKeys } = options;
  const limits = options.limits ?? BATCH_LIMITS;
  const ids = options.ids ?? new CustomIdAllocator();
  if (plan.errors.length > 0) throw new Error(`The plan has errors: ${plan.errors.join(' ')}`);
  // The request serialised once with a gap per variable; rows fill the gaps (see batchElementTemplate).
  const template = compileElementTemplate(prompt.request);
  for await (const record of readDataset(plan.source, options.signal)) {
    if (record.kind === 'bad') {
      if (!onlyKeys) yield { kind: 'skipped', row: { index: record.bad.index, key: String(record.bad.index), where: describeLocation(record.bad) }, reason: record.bad.message };
      continue;
    }
    const key = rowKey(record.row, plan.binding);
    if (onlyKeys && !onlyKeys.has(key)) continue;
    const row: BatchRowRef = { index: record.row.index, key, where: describeLocation(record.row) };
    const missing = missingValues(record.row, plan.binding);
    if (missing !== undefined) {
      yield { kind: 'skipped', row, reason: missing };
      continue;
    }
    const customId = ids.next(key);
    let json = template?.element(customId, rowLookup(record.row, plan.binding, promptValues));
    if (json === undefined) {
      const bound = bindRow(prompt, record.row, plan.binding, promptValues);
      if (bound.kind === 'skipped') throw new Error(`row ${row.where} was bound and then skipped: ${bound.reason}`);
      json = serialiseElement(customId, bound.request);
    }
    const bytes = Buffer.byteLength(json, 'utf8');
    if (bytes + ENVELOPE_BYTES > limits.maxBytes) {
      yield { kind: 'skipped', row, reason: `the request is ${bytes.toLocaleString('en-US')} bytes, more than a whole batch may hold (${limits.maxBytes.toLocaleString('en-US')} bytes)` };
      continue;
    }
    yield { kind: 'request', customId, row, json, bytes };
  }
}

/** What one batch holds, known once its body has been read to the end. */
export interface BatchPartTally {
  /** 0-based position of the batch in the job. */
  part: number;
  requests: number;
  /** Bytes of the whole create body. */
  bytes: number;
}

/** Bytes handed to the HTTP body at a time: large enough that 100,000 small rows are a few hundred chunks. */
const CHUNK_BYTES = 64 * 1024;

/**
 * Splits a stream of batch requests into batch bodies. `next()` gives the next batch's body as an
 * async iterable of bytes (for the SDK's create call), or undefined when no request is left; read
 * each body to its end before asking for the next. The request that would overflow a batch starts
 * the next one. Skipped rows and every request placed in a batch are reported as they pass.
 */
export class BatchSplitter {
  private readonly source: AsyncIterator<BatchRequestRecord>;
  private pending: Extract<BatchRequestRecord, { kind: 'request' }> | undefined;
  private exhausted = false;
  private parts = 0;

  constructor(
    records: AsyncIterable<BatchRequestRecord>,
    private readonly limits: BatchLimits,
    private readonly hooks: {
      /** A request placed in batch `part` (before its bytes are handed on). */
      onRequest?: (request: Extract<BatchRequestRecord, { kind: 'request' }>, part: number) => void | Promise<void>;
      onSkipped?: (skipped: Extract<BatchRequestRecord, { kind: 'skipped' }>) => void | Promise<void>;
    } = {},
  ) {
    this.source = records[Symbol.asyncIterator]();
  }

  /** The next request, reporting the skipped rows on the way; undefined at the end. */
  private async pull(): Promise<Extract<BatchRequestRecord, { kind: 'request' }> | undefined> {
    if (this.pending) {
      const request = this.pending;
      this.pending = undefined;
      return request;
    }
    while (!this.exhausted) {
      const { value, done } = await this.source.next();
      if (done) {
        this.exhausted = true;
        return undefined;
      }
      if (value.kind === 'request') return value;
      const reported = this.hooks.onSkipped?.(value);
      if (reported) await reported;
    }
    return undefined;
  }

  /** The next batch: its body and, once the body is read, its tally. Undefined when nothing is left. */
  async next(): Promise<{ part: number; body: AsyncIterable<Uint8Array>; tally: () => BatchPartTally } | undefined> {
    const first = await this.pull();
    if (!first) return undefined;
    const part = this.parts++;
    const tally: BatchPartTally = { part, requests: 0, bytes: ENVELOPE_BYTES };
    return { part, body: this.body(first, tally), tally: () => ({ ...tally }) };
  }

  /** One batch's body: `{"requests":[` then its elements, in chunks, until a limit, then `]}`. */
  private async *body(first: Extract<BatchRequestRecord, { kind: 'request' }>, tally: BatchPartTally): AsyncGenerator<Uint8Array> {
    // Each element is encoded once, straight into the chunk (Buffer.write): no joined string to flatten and copy.
    let chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    let used = chunk.write(BODY_HEAD, 0, 'latin1');
    let request: Extract<BatchRequestRecord, { kind: 'request' }> | undefined = first;
    while (request) {
      const placed = this.hooks.onRequest?.(request, tally.part);
      if (placed) await placed;
      const needed = request.bytes + 1;
      if (used + needed > chunk.length) {
        if (used > 0) yield chunk.subarray(0, used);
        chunk = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, needed + BODY_TAIL.length));
        used = 0;
      }
      if (tally.requests > 0) chunk[used++] = 0x2c; // ','
      used += chunk.write(request.json, used, 'utf8');
      tally.bytes += request.bytes + (tally.requests === 0 ? 0 : 1);
      tally.requests++;
      if (tally.requests >= this.limits.maxRequests) break;
      request = await this.pull();
      if (request && tally.bytes + 1 + request.bytes > this.limits.maxBytes) {
        this.pending = request;
        break;
      }
    }
    if (used + BODY_TAIL.length > chunk.length) {
      yield chunk.subarray(0, used);
      chunk = Buffer.allocUnsafe(BODY_TAIL.length);
      used = 0;
    }
    used += chunk.write(BODY_TAIL, used, 'latin1');
    yield chunk.subarray(0, used);
  }

  /** Reads what is left without sending it: the rows of a job whose next batch could not be created. */
  async *drain(): AsyncGenerator<Extract<BatchRequestRecord, { kind: 'request' }>> {
    for (;;) {
      const request = await this.pull();
      if (!request) return;
      yield request;
    }
  }
}
