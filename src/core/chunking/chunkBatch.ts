// The map of a chunked run sent as Message Batches, at half price. The chunks are the ones the map
// sends now (the same MapChunk list, the same request for each); each becomes one batch request
// whose custom_id is its chunk key and whose mapping row is the chunk, so the batch join
// (collectBatchResults) writes the same lines to the same results file as runChunkMap: key
// `chunk-N`, index, where, text, usage and cost (at batch prices). Either way, what the results
// file already holds is not sent again: a map cancelled now can finish as a batch, and the chunks
// a batch could not do can be sent again now or as a new batch. Once every chunk is in, the same
// stitch runs on chunkResultTexts: concatenation, or the reduce, which is sent now (it needs every
// result, and a second batch would add hours for a single request).
import { createHash } from 'node:crypto';
import { batchParams } from '../batch/batchElementTemplate';
import { ENVELOPE_BYTES, type BatchLimits, type BatchRequestRecord } from '../batch/batchRequests';
import { CustomIdAllocator } from '../batch/batchCustomIds';
import type { BatchEstimate } from '../batch/batchRecord';
import { submitBatchRequests, type BatchJobSource, type SubmitBatchRequestsOptions, type SubmittedBatchJob } from '../batch/batchSubmit';
import { promptHashOf } from '../batch/batchRecord';
import { readResultLines, type RowResult, type RowStatus } from '../dataset/datasetResults';
import { formatUsd } from '../format';
import { estimateCost, type PriceEntry } from '../pricing/priceTable';
import type { PromptFile } from '../prompt/promptFile';
import type { BilledJob } from '../spend/spendGate';
import { chunkKey, type MapChunk } from './chunkMap';

/** A chunk of the run whose result is not (yet) a success, and what became of it. */
export interface UnfinishedChunk {
  index: number;
  key: string;
  /** Its latest result's status; undefined when the results file has none. */
  status?: RowStatus;
  error?: string;
}

export interface ChunkResults {
  /** Succeeded texts by chunk index (the latest line of each chunk wins). */
  texts: Map<number, string>;
  /** In chunk order, the chunks of 0..count-1 that have not succeeded. */
  unfinished: UnfinishedChunk[];
  /** Every chunk's text in order, when none is unfinished: what the stitch takes. */
  ordered?: string[];
}

/**
 * What a chunked run's results file holds for its `count` chunks, whether they were sent now, as a
 * batch, or some of each. One pass over the file.
 */
export async function chunkResultTexts(resultsPath: string, count: number): Promise<ChunkResults> {
  const latest = new Map<string, RowResult>();
  for await (const line of readResultLines(resultsPath)) if (line.type === 'row') latest.set(line.key, line);
  const texts = new Map<number, string>();
  const unfinished: UnfinishedChunk[] = [];
  for (let index = 0; index < count; index++) {
    const key = chunkKey(index);
    const line = latest.get(key);
    if (line?.status === 'succeeded') texts.set(index, line.text ?? '');
    else unfinished.push({ index, key, ...(line ? { status: line.status } : {}), ...(line?.error ? { error: line.error.message } : {}) });
  }
  const ordered = unfinished.length === 0 ? Array.from({ length: count }, (_, index) => texts.get(index) ?? '') : undefined;
  return { texts, unfinished, ...(ordered ? { ordered } : {}) };
}

/** The chunks as batch requests, in order: custom_id from the chunk key, the request as the map sends it (without `stream`). */
export async function* chunkBatchRequests(chunks: Iterable<MapChunk>, limits: BatchLimits, ids = new CustomIdAllocator()): AsyncGenerator<BatchRequestRecord> {
  for (const chunk of chunks) {
    const key = chunkKey(chunk.index);
    const row = { index: chunk.index, key, where: chunk.where };
    const customId = ids.next(key);
    const json = JSON.stringify({ custom_id: customId, params: batchParams(chunk.request) });
    const bytes = Buffer.byteLength(json, 'utf8');
    if (bytes + ENVELOPE_BYTES > limits.maxBytes) {
      yield { kind: 'skipped', row, reason: `the chunk's request is ${bytes.toLocaleString('en-US')} bytes, more than a whole batch may hold (${limits.maxBytes.toLocaleString('en-US')} bytes): lower the chunk's target size` };
      continue;
    }
    yield { kind: 'request', customId, row, json, bytes };
  }
}

export interface ChunkBatchCost {
  model: string;
  maxTokens: number;
  /** Output the expected cost assumes per chunk (the prompt's expectedOutputTokens, or max_tokens). */
  expectedOutputTokens: number;
  fast: boolean;
  price: PriceEntry | undefined;
}

/** The chunks' map cost at batch prices (×0.5): expected and worst case, as the preview's `map.batch` prices it. */
export function chunkBatchEstimate(chunks: readonly MapChunk[], cost: ChunkBatchCost): BatchEstimate {
  let expectedUsd = 0;
  let worstCaseUsd = 0;
  for (const chunk of chunks) {
    const expected = estimateCost(cost.price, { inputTokens: chunk.inputTokens, outputTokens: cost.expectedOutputTokens, fast: cost.fast, batch: true });
    const worst = estimateCost(cost.price, { inputTokens: chunk.inputTokens, outputTokens: cost.maxTokens, fast: cost.fast, batch: true });
    if (!expected.known || !worst.known) return { rows: chunks.length, unknownReason: `${cost.model} has no price` };
    expectedUsd += expected.usd;
    worstCaseUsd += worst.usd;
  }
  return { rows: chunks.length, expectedUsd, worstCaseUsd };
}

/** The chunks' map as the spend gate checks it before the first batch: the whole worst case at batch prices. */
export function chunkBatchBilledJob(chunks: readonly MapChunk[], cost: ChunkBatchCost & { promptName: string }): BilledJob {
  const estimate = chunkBatchEstimate(chunks, cost);
  const worst = estimate.worstCaseUsd;
  const input = chunks.reduce((sum, chunk) => sum + chunk.inputTokens, 0);
  return {
    kind: 'chunk',
    batch: true,
    model: cost.model,
    promptName: cost.promptName,
    worstCaseUsd: worst,
    ...(worst === undefined ? { unknownReason: estimate.unknownReason ?? 'the batch cost is not known' } : {}),
    what: `${chunks.length.toLocaleString('en-US')} chunks as a batch, ${input.toLocaleString('en-US')} input tokens in all + up to ${cost.maxTokens.toLocaleString('en-US')} output tokens each on ${cost.model} at batch prices (×0.5)${worst === undefined ? '' : `, ${formatUsd(worst)} at worst`}`,
  };
}

export interface SubmitChunkBatchOptions extends Omit<SubmitBatchRequestsOptions, 'source'>, ChunkBatchCost {
  /** Every chunk of the run, as the map now would send them. */
  chunks: readonly MapChunk[];
  /** The prompt (its betas, its structured output, its hash). */
  prompt: PromptFile;
  /** The betas the map sends with (default the prompt's): the beta client is used when there are any. */
  betas?: readonly string[];
  promptName: string;
  /** The values the prompt supplies itself, for the record's prompt hash. */
  promptValues?: Readonly<Record<string, string>>;
  /** The chunked variable. */
  variable: string;
  /** The chunked document. */
  sourcePath: string;
  /** Only these chunk keys (a retry of the failed chunks); default every chunk not finished in the results file. */
  onlyKeys?: ReadonlySet<string>;
}

/** Chunks the results file already holds as succeeded are left out: a batch never pays twice for a chunk. */
export async function chunksToSend(chunks: readonly MapChunk[], resultsPath: string, onlyKeys?: ReadonlySet<string>): Promise<MapChunk[]> {
  const finished = (await chunkResultTexts(resultsPath, chunks.reduce((max, chunk) => Math.max(max, chunk.index + 1), 0))).texts;
  return chunks.filter((chunk) => !finished.has(chunk.index) && (!onlyKeys || onlyKeys.has(chunkKey(chunk.index))));
}

/**
 * Submits the chunks not yet finished in the results file as Message Batches, through the spend
 * gate (the whole worst case at batch prices is checked and reserved before the first batch; each
 * create goes through the job's handle). Watch and join the job like any batch job
 * (refreshBatchJob, collectBatchResults: costs recorded through the handle's recordResults), then
 * stitch chunkResultTexts. Throws when no chunk is left to send.
 */
export async function submitChunkBatch(options: SubmitChunkBatchOptions): Promise<SubmittedBatchJob> {
  const { chunks, prompt, betas, onlyKeys, variable, sourcePath, promptName, promptValues, model, maxTokens, expectedOutputTokens, fast, price, ...rest } = options;
  const sending = await chunksToSend(chunks, options.resultsPath, onlyKeys);
  if (sending.length === 0) throw new Error('Every chunk already has its result in the results file: nothing to submit. Stitch the results instead.');
  const cost = { model, maxTokens, expectedOutputTokens, fast, price };
  const source: BatchJobSource = {
    promptName,
    sourcePath,
    model,
    betas: betas ?? prompt.betas ?? [],
    promptHash: promptHashOf(prompt, promptValues ?? {}),
    // What was sent is the chunks' requests: their hash says whether a retry sends the same ones.
    sourceHash: async () => {
      const hash = createHash('sha256');
      for (const chunk of sending) hash.update(`${chunk.index}\n${JSON.stringify(chunk.request)}\n`);
      return hash.digest('hex');
    },
    structured: (prompt.request.output_config as { format?: unknown } | undefined)?.format !== undefined,
    estimate: chunkBatchEstimate(sending, cost),
    billedJob: chunkBatchBilledJob(sending, { ...cost, promptName }),
    requests: (limits) => chunkBatchRequests(sending, limits),
    chunked: { variable, chunks: chunks.length },
  };
  return submitBatchRequests({ ...rest, source });
}
