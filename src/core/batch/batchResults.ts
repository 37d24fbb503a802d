// Joining a batch's results back to the rows they answer. The results stream from the SDK's
// `batches.results()` iterator (JSONL, in no particular order) and are never held whole; each line
// is matched to its row through the job's custom_id mapping, and written to the job's results file
// in the same format as a run made now (RowResult lines), so the same grid shows it. Each
// succeeded row's actual cost, at batch prices, is recorded in the spend ledger through the job's
// billed handle, and written on its line.
//
// A line is joined only when the mapping passed its hash check, knows the custom_id, and puts it
// in this batch; every other line is reported and kept, raw, in an `.unjoined.jsonl` file beside
// the results, so nothing is lost and nothing lands on the wrong row. An interrupted join resumes
// without writing (or billing) a row twice.
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Message } from '@anthropic-ai/sdk/resources/messages';
import type { MessageBatchIndividualResponse } from '@anthropic-ai/sdk/resources/messages/batches';
import { readResultLines, ResultsWriter, type RowResult } from '../dataset/datasetResults';
import type { ApiUsage } from '../pricing/priceTable';
import type { CallSpec, RecordedResult } from '../spend/spendGate';
import { monthOf, type LedgerLine } from '../spend/spendLedger';
import { readMapping, type MappingRead } from './batchMapping';
import { batchesApi, type BatchesClient } from './batchesApi';
import { emptyTotals, type BatchPartRecord, type BatchRecord, type BatchTotals } from './batchRecord';

/** A batch row's result line: a RowResult, plus which batch and custom_id it came from. */
export interface BatchRowResult extends RowResult {
  batchId: string;
  customId: string;
  /** Errored with invalid_request_error: the request must be fixed before it is sent again. */
  fixFirst?: true;
}

/**
 * Records results' actual costs, many at a time (one ledger line per group of results alike),
 * and prices one without recording it: BilledJobHandle has this shape.
 */
export interface BatchResultBilling {
  recordResults(results: readonly { spec: CallSpec; sent: RecordedResult }[]): Promise<readonly { costUsd: number | null }[]>;
  costOfResult(spec: CallSpec, sent: RecordedResult): number | null;
}

export const FIX_FIRST_PREFIX = 'Fix the request first: ';

/** The file beside the results that keeps result lines that could not be joined, as they came. */
export function unjoinedPathFor(resultsPath: string): string {
  return resultsPath.replace(/(\.results)?\.jsonl$/, '') + '.unjoined.jsonl';
}

/** Lines joined and recorded together: the ledger writes them as one append. Bounds memory too. */
const GROUP = 1_000;
const MAX_PROBLEMS = 20;

function replyText(message: Message): string {
  let text = '';
  for (const block of message.content) if (block.type === 'text') text += block.text;
  return text;
}

interface JoinState {
  totals: BatchTotals;
  unjoined?: WriteStream;
  unjoinedPath: string;
}

function problem(totals: BatchTotals, message: string): void {
  if (totals.problems.length < MAX_PROBLEMS) totals.problems.push(message);
}

async function keepUnjoined(state: JoinState, line: MessageBatchIndividualResponse, batchId: string): Promise<void> {
  state.totals.unjoined++;
  state.unjoined ??= createWriteStream(state.unjoinedPath, { flags: 'a', mode: 0o600 });
  const stream = state.unjoined;
  if (!stream.write(`${JSON.stringify({ batchId, ...line })}\n`)) await new Promise<void>((resolve) => stream.once('drain', () => resolve()));
}

export interface JoinBatchPartOptions {
  record: BatchRecord;
  part: BatchPartRecord;
  /** The batch's result lines, as the SDK's results() iterator yields them. */
  lines: AsyncIterable<MessageBatchIndividualResponse>;
  mapping: MappingRead;
  billing: BatchResultBilling;
  writer: ResultsWriter;
  /** custom_ids of this batch already in the results file (an interrupted join); skipped. */
  alreadyJoined?: ReadonlySet<string>;
  /** Message ids of this batch already in the spend ledger, with their cost (an interrupted join): not recorded again. */
  alreadyBilled?: ReadonlyMap<string, number | null | 'grouped'>;
  totals?: BatchTotals;
  now?: () => number;
  onResult?: (result: BatchRowResult) => void;
}

/** Joins one batch's result lines to their rows. Returns the totals, added to `options.totals` when given. */
export async function joinBatchPart(options: JoinBatchPartOptions): Promise<BatchTotals> {
  const { record, part, mapping, billing, writer } = options;
  const state: JoinState = { totals: options.totals ?? emptyTotals(), unjoinedPath: unjoinedPathFor(record.resultsPath) };
  const totals = state.totals;
  const now = options.now ?? Date.now;
  const index = mapping.ok ? mapping.entries : undefined;
  // Which of the mapping's entries came back: one byte per entry of this batch.
  const seen = new Uint8Array(index?.size ?? 0);
  if (!mapping.ok) problem(totals, `Results of batch ${part.id} not joined: ${mapping.problem}. They are kept in ${state.unjoinedPath}.`);

  // A group's lines, and the results among them to record (index into lines, and what to record).
  let lines: BatchRowResult[] = [];
  let toRecord: { line: BatchRowResult; spec: CallSpec; sent: RecordedResult }[] = [];
  // One time stamp per group: the lines of a group are written together.
  let time: string | undefined;
  // One CallSpec per model, shared by its results (a batch's results are one model, as a rule): the billing only reads it.
  let lastSpec: CallSpec | undefined;
  const specFor = (model: string): CallSpec => (lastSpec?.model === model ? lastSpec : (lastSpec = { model, worstCaseUsd: undefined }));
  // The group being recorded and written, if any.
  let flushing: Promise<void> | undefined;
  const flush = async (): Promise<void> => {
    time = undefined;
    const pending = lines;
    const recording = toRecord;
    lines = [];
    toRecord = [];
    // The costs are recorded before the lines are written, so a join interrupted between the two
    // finds them in the ledger when it resumes (alreadyBilled) and neither loses nor repeats one.
    const costs = await billing.recordResults(recording);
    for (let i = 0; i < recording.length; i++) recording[i]!.line.costUsd = costs[i]?.costUsd ?? null;
    for (const line of pending) {
      if (line.status !== 'succeeded') continue;
      if (line.costUsd === null || line.costUsd === undefined) totals.unpriced++;
      else totals.costUsd += line.costUsd;
    }
    // Handed to the file as one write.
    await writer.appendAll(pending);
    if (options.onResult) for (const line of pending) options.onResult(line);
  };

  try {
    for await (const line of options.lines) {
      const customId = line.custom_id;
      if (!index) {
        await keepUnjoined(state, line, part.id);
        continue;
      }
      const ordinal = index.find(customId);
      const entry = ordinal < 0 || seen[ordinal] === 1 ? undefined : index.entryAt(ordinal);
      if (!entry || entry.part !== part.part) {
        problem(
          totals,
          ordinal < 0
            ? `Batch ${part.id} returned a result for custom_id ${JSON.stringify(customId)}, which the mapping does not know for this batch: not joined.`
            : seen[ordinal] === 1
              ? `Batch ${part.id} returned custom_id ${customId} twice: the second is not joined.`
              : !entry
                ? `Batch ${part.id} returned custom_id ${customId}, whose line in the mapping is damaged: not joined.`
                : `Batch ${part.id} returned custom_id ${customId}, which the mapping puts in another batch: not joined.`,
        );
        await keepUnjoined(state, line, part.id);
        continue;
      }
      seen[ordinal] = 1;
      if (options.alreadyJoined?.has(customId)) continue;
      time ??= new Date(now()).toISOString();
      const result = line.result;
      switch (result.type) {
        case 'succeeded': {
          const message = result.message;
          const text = replyText(message);
          let structured: unknown;
          if (record.structured) {
            try {
              structured = JSON.parse(text);
            } catch {
              structured = undefined;
            }
          }
          const usage = message.usage as ApiUsage;
          totals.succeeded++;
          totals.inputTokens += usage.input_tokens + (usage.cache_creation_input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0);
          totals.outputTokens += usage.output_tokens;
          const row: BatchRowResult = { type: 'row', key: entry.key, index: entry.index, where: entry.where, batchId: part.id, customId, time, status: 'succeeded', text, stopReason: message.stop_reason, usage, costUsd: null };
          if (structured !== undefined) row.structured = structured;
          lines.push(row);
          // The message id goes in the ledger line's request ids: a resumed join finds it there.
          const spec = specFor(message.model || record.model);
          const sent: RecordedResult = { usage, batchId: part.id, requestId: message.id, isBatchResult: true, simulated: record.simulated };
          const billed = options.alreadyBilled?.get(message.id);
          // Recorded already (an interrupted join): its cost as recorded, or as the ledger's group priced it.
          if (billed !== undefined) row.costUsd = billed === 'grouped' ? billing.costOfResult(spec, sent) : billed;
          else toRecord.push({ line: row, spec, sent });
          break;
        }
        case 'errored': {
          const error = result.error?.error as { type?: string; message?: string } | undefined;
          const fixFirst = error?.type === 'invalid_request_error';
          totals.errored++;
          if (fixFirst) totals.fixFirst++;
          const message = error?.message ?? 'The request failed.';
          const requestId = (result.error as { request_id?: string | null } | undefined)?.request_id ?? undefined;
          const row: BatchRowResult = { type: 'row', key: entry.key, index: entry.index, where: entry.where, batchId: part.id, customId, time, status: 'errored', error: { message: fixFirst ? `${FIX_FIRST_PREFIX}${message}` : message, ...(error?.type ? { type: error.type } : {}) } };
          if (requestId) row.requestId = requestId;
          if (fixFirst) row.fixFirst = true;
          lines.push(row);
          break;
        }
        case 'canceled':
          totals.canceled++;
          lines.push({ type: 'row', key: entry.key, index: entry.index, where: entry.where, batchId: part.id, customId, time, status: 'canceled', error: { message: 'Canceled before it was processed.' } });
          break;
        case 'expired':
          totals.expired++;
          lines.push({ type: 'row', key: entry.key, index: entry.index, where: entry.where, batchId: part.id, customId, time, status: 'expired', error: { message: 'Expired: the batch did not reach it within 24 hours.' } });
          break;
        default: {
          problem(totals, `Batch ${part.id} returned a result of an unknown type for custom_id ${customId}: not joined.`);
          await keepUnjoined(state, line, part.id);
        }
      }
      if (lines.length >= GROUP) {
        // The group is recorded and written while the next one is read: one group in flight at a
        // time, in order. (A join waited on each group's ledger and file writes, a tenth of its time.)
        if (flushing) await flushing;
        flushing = flush();
        // Its failure is thrown where it is awaited (next group, or the end), not left unhandled meanwhile.
        flushing.catch(() => undefined);
      }
    }
    if (flushing) await flushing;
    flushing = undefined;
    await flush();
    if (index) {
      // Rows the batch held that came back with no line at all: say so on the row, so a retry takes them.
      let missing = 0;
      for (let ordinal = 0; ordinal < index.size; ordinal++) {
        if (seen[ordinal] === 1) continue;
        const entry = index.entryAt(ordinal);
        if (!entry || entry.part !== part.part) continue;
        missing++;
        totals.missing++;
        const line: BatchRowResult = { type: 'row', key: entry.key, index: entry.index, where: entry.where, batchId: part.id, customId: entry.customId, status: 'errored', error: { message: `Batch ${part.id} returned no result for this row.` }, time: new Date(now()).toISOString() };
        await writer.append(line);
        options.onResult?.(line);
      }
      if (missing > 0) problem(totals, `Batch ${part.id} returned no result for ${missing} row(s): they are marked errored.`);
    }
  } finally {
    // A group still being written when the stream failed: finished before the results file is closed.
    if (flushing) await flushing.catch(() => undefined);
    const stream = state.unjoined;
    if (stream) await new Promise<void>((resolve) => stream.end(() => resolve()));
  }
  return totals;
}

/** custom_ids of one batch already written to the results file. */
async function joinedIds(resultsPath: string, batchId: string): Promise<Set<string>> {
  const ids = new Set<string>();
  for await (const line of readResultLines(resultsPath)) {
    const row = line as Partial<BatchRowResult>;
    if (row.type === 'row' && row.batchId === batchId && typeof row.customId === 'string') ids.add(row.customId);
  }
  return ids;
}

/** The part of the spend ledger a resumed join reads: SpendLedger has this shape. */
export interface BatchLedgerReader {
  readMonth(month: string): Promise<LedgerLine[]>;
}

/**
 * Message ids of one batch already recorded in the ledger, in the months since it was created:
 * with its cost for a line of its own, or 'grouped' for one of a group's request ids (the line
 * holds only the group's sum; the join prices the row again, at the same price).
 */
export async function billedResults(ledger: BatchLedgerReader, batchId: string, since: string, now: number): Promise<Map<string, number | null | 'grouped'>> {
  const billed = new Map<string, number | null | 'grouped'>();
  const end = monthOf(now);
  for (let month = monthOf(Date.parse(since)); month <= end; month = nextMonth(month)) {
    for (const line of await ledger.readMonth(month)) {
      if (line.type !== 'call' || line.batchId !== batchId) continue;
      if (line.requestId) billed.set(line.requestId, line.costUsd);
      for (const id of line.requestIds ?? []) billed.set(id, 'grouped');
    }
  }
  return billed;
}

function nextMonth(month: string): string {
  const [year, m] = month.split('-').map(Number) as [number, number];
  return m === 12 ? `${year + 1}-01` : `${year}-${String(m + 1).padStart(2, '0')}`;
}

export interface CollectBatchResultsOptions {
  client: BatchesClient;
  record: BatchRecord;
  billing: BatchResultBilling;
  /** The spend ledger: a join interrupted part-way reads which results it already recorded. */
  ledger?: BatchLedgerReader;
  signal?: AbortSignal;
  now?: () => number;
  onResult?: (result: BatchRowResult) => void;
  /** Called with the record as each batch's join starts and ends, so it can be saved. */
  onRecord?: (record: BatchRecord) => void | Promise<void>;
}

/**
 * Streams and joins the results of every batch of the job that has ended and is not joined yet.
 * Returns the updated record (its `totals` hold the actual cost against `estimate`).
 */
export async function collectBatchResults(options: CollectBatchResultsOptions): Promise<BatchRecord> {
  const api = batchesApi(options.client, options.record.betas);
  const record: BatchRecord = structuredClone(options.record);
  const waiting = record.parts.filter((p) => p.processingStatus === 'ended' && p.joined !== 'done');
  if (waiting.length === 0) return record;
  record.totals ??= emptyTotals();
  const writer = await ResultsWriter.open(record.resultsPath);
  try {
    for (const part of waiting) {
      options.signal?.throwIfAborted();
      const resuming = part.joined === 'started';
      const alreadyJoined = resuming ? await joinedIds(record.resultsPath, part.id) : undefined;
      const alreadyBilled = resuming && options.ledger ? await billedResults(options.ledger, part.id, part.createdAt, (options.now ?? Date.now)()) : undefined;
      part.joined = 'started';
      await options.onRecord?.(structuredClone(record));
      // The entries of this batch only: what the join holds is bounded by a batch's size.
      const mapping = await readMapping(record.mapping.path, record.mapping.sha256, part.part);
      const lines = await api.results(part.id, options.signal);
      await joinBatchPart({
        record,
        part,
        lines,
        mapping,
        billing: options.billing,
        writer,
        totals: record.totals,
        ...(alreadyJoined ? { alreadyJoined } : {}),
        ...(alreadyBilled ? { alreadyBilled } : {}),
        ...(options.now ? { now: options.now } : {}),
        ...(options.onResult ? { onResult: options.onResult } : {}),
      });
      part.joined = 'done';
      await options.onRecord?.(structuredClone(record));
    }
  } finally {
    await writer.close();
  }
  return record;
}
