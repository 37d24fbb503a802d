// The map and the stitch of a chunked run. The map sends one request per chunk through the
// rate-limit scheduler (the dataset jobs' engine) and the one billed-call path, appending each
// result to a results file in the dataset jobs' format, so the results grid shows the chunks and
// an interrupted run resumes without sending a finished chunk again. The stitch concatenates the
// results under chunk markers, or sends them to a reduce request in {{results}}; when the results
// are too long for one reduce request, they are reduced in groups first, and the groups' results
// reduced again, until one request holds them all.
import type { Message } from '@anthropic-ai/sdk/resources/messages';
import type { RowBilling, SendMessage } from '../dataset/datasetJob';
import { rowWorstCaseUsd } from '../dataset/datasetJob';
import { latestStatuses, readResultLines, ResultsWriter, type RowResult } from '../dataset/datasetResults';
import type { PriceEntry } from '../pricing/priceTable';
import type { RateLimits } from '../scheduler/rateLimitBuckets';
import { RateLimitScheduler, type ScheduledRequest, type SchedulerClock, type SchedulerSummary } from '../scheduler/rateLimitScheduler';
import { chunkMarker } from './chunkDeclaration';

/** One chunk as the map sends it. */
export interface MapChunk {
  index: number;
  /** The request with the chunk's text bound to the chunked variable. */
  request: Record<string, unknown>;
  /** Its counted input tokens (the whole request). */
  inputTokens: number;
  /** Where the chunk is in the source ("line 120, characters 48,210–96,400"). */
  where: string;
}

export interface ChunkMapOptions {
  chunks: readonly MapChunk[];
  model: string;
  maxTokens: number;
  fast: boolean;
  price: PriceEntry | undefined;
  resultsPath: string;
  send: SendMessage;
  billing: RowBilling;
  stopsJob?: (error: unknown) => string | undefined;
  maxConcurrency: number;
  initialLimits?: Partial<RateLimits>;
  clock?: SchedulerClock;
  signal?: AbortSignal;
  onResult?: (result: RowResult) => void;
}

export interface ChunkMapOutcome extends SchedulerSummary {
  /** The succeeded results by chunk index, this run's and earlier runs' (resumed). */
  texts: Map<number, string>;
  /** Chunks finished by an earlier run and not sent again. */
  resumed: number;
  costUsd: number;
}

/** The key of a chunk's line in the results file. */
export function chunkKey(index: number): string {
  return `chunk-${index + 1}`;
}

function replyText(message: Message): string {
  return message.content
    .filter((block): block is Extract<Message['content'][number], { type: 'text' }> => block.type === 'text')
    .map((block) => block.text)
    .join('');
}

function errorOf(error: unknown): NonNullable<RowResult['error']> {
  const e = error as { status?: unknown; message?: unknown };
  return { message: typeof e.message === 'string' ? e.message : String(error), ...(typeof e.status === 'number' ? { status: e.status } : {}) };
}

/** The succeeded texts already in a results file, by chunk index. */
async function finishedTexts(resultsPath: string): Promise<Map<number, string>> {
  const texts = new Map<number, string>();
  const statuses = await latestStatuses(resultsPath);
  for await (const line of readResultLines(resultsPath)) {
    if (line.type === 'row' && line.status === 'succeeded' && statuses.get(line.key) === 'succeeded') texts.set(line.index, line.text ?? '');
  }
  return texts;
}

interface ChunkValue {
  message: Message;
  costUsd: number | null | undefined;
  requestId?: string;
}

/** Sends every chunk not already finished in the results file; finished results survive a cancel. */
export async function runChunkMap(options: ChunkMapOptions): Promise<ChunkMapOutcome> {
  const texts = await finishedTexts(options.resultsPath);
  const resumed = texts.size;
  const writer = await ResultsWriter.open(options.resultsPath);
  let costUsd = 0;
  const now = (): string => new Date().toISOString();
  const requests: (ScheduledRequest<ChunkValue> & { chunk: MapChunk })[] = options.chunks
    .filter((chunk) => !texts.has(chunk.index))
    .map((chunk) => ({
      id: String(chunk.index),
      chunk,
      inputTokens: chunk.inputTokens,
      maxOutputTokens: options.maxTokens,
      send: async (signal) => {
        const worstCaseUsd = rowWorstCaseUsd(options.price, chunk.inputTokens, options.maxTokens, options.fast);
        const billed = await options.billing.call({ model: options.model, worstCaseUsd }, async () => {
          const { message, headers } = await options.send(chunk.request, signal);
          const requestId = (message as { _request_id?: string | null })._request_id ?? undefined;
          return { result: { message, headers }, usage: message.usage, headers, ...(requestId ? { requestId } : {}) };
        });
        const { message, headers } = billed.result;
        const requestId = (message as { _request_id?: string | null })._request_id ?? undefined;
        return { value: { message, costUsd: billed.entry?.costUsd, ...(requestId ? { requestId } : {}) }, headers, usage: message.usage };
      },
    }));
  const scheduler = new RateLimitScheduler<ChunkValue>({
    maxConcurrency: options.maxConcurrency,
    tokenLimits: options.fast ? 'fast' : 'standard',
    ...(options.initialLimits ? { initialLimits: options.initialLimits } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.stopsJob ? { stopsJob: options.stopsJob } : {}),
    async onOutcome(outcome) {
      const chunk = (outcome.request as ScheduledRequest<ChunkValue> & { chunk: MapChunk }).chunk;
      const base = { type: 'row' as const, key: chunkKey(chunk.index), index: chunk.index, where: chunk.where, attempts: outcome.attempts, time: now() };
      let result: RowResult;
      if (outcome.kind === 'done') {
        const { message, costUsd: cost, requestId } = outcome.value;
        const text = replyText(message);
        texts.set(chunk.index, text);
        costUsd += cost ?? 0;
        result = { ...base, status: 'succeeded', text, stopReason: message.stop_reason, usage: message.usage, costUsd: cost ?? null, ...(requestId ? { requestId } : {}) };
      } else {
        result = { ...base, status: 'errored', error: errorOf(outcome.error) };
      }
      await writer.append(result);
      options.onResult?.(result);
    },
  });
  try {
    const summary = await scheduler.run(requests);
    return { ...summary, texts, resumed, costUsd };
  } finally {
    await writer.close();
  }
}

/** The results in chunk order, each under its marker line. */
export function concatenateResults(texts: readonly string[], marker?: string): string {
  return texts.map((text, index) => `${chunkMarker(marker, index, texts.length)}\n${text}`).join('\n\n');
}

export interface ReduceOptions {
  /** The reduce request with the given text in {{results}}. */
  requestFor(results: string): Record<string, unknown>;
  /** Input tokens of a request (count_tokens). */
  countTokens(request: Record<string, unknown>): Promise<number>;
  /** The most input tokens one reduce request may hold (context window less max_tokens and headroom). */
  maxInputTokens: number;
  /** Sends one reduce request through the billed path; gives the reply's text. */
  send(request: Record<string, unknown>, level: number): Promise<string>;
  marker?: string;
}

export interface ReduceOutcome {
  text: string;
  /** Reduce requests sent, at every level. */
  requests: number;
  /** Levels of reduction (1 when every result fit one request). */
  levels: number;
}

/**
 * Reduces the results to one text. When all of them (under their markers) fit one request, that is
 * one call. Otherwise consecutive results are grouped so each group's request fits, each group is
 * reduced, and the groups' results are reduced the same way, one level up.
 */
export async function reduceResults(texts: readonly string[], options: ReduceOptions): Promise<ReduceOutcome> {
  let current = [...texts];
  let requests = 0;
  for (let level = 1; ; level++) {
    const all = options.requestFor(concatenateResults(current, options.marker));
    if ((await options.countTokens(all)) <= options.maxInputTokens) {
      requests++;
      return { text: await options.send(all, level), requests, levels: level };
    }
    const groups: string[][] = [];
    let group: string[] = [];
    for (const text of current) {
      const candidate = [...group, text];
      if (group.length > 0 && (await options.countTokens(options.requestFor(concatenateResults(candidate, options.marker)))) > options.maxInputTokens) {
        groups.push(group);
        group = [text];
      } else group = candidate;
    }
    if (group.length > 0) groups.push(group);
    if (groups.length >= current.length && groups.every((g) => g.length === 1)) {
      throw new Error('A single chunk result is larger than one reduce request may hold: lower max_tokens of the map prompt, or use concatenation.');
    }
    const next: string[] = [];
    for (const g of groups) {
      requests++;
      next.push(await options.send(options.requestFor(concatenateResults(g, options.marker)), level));
    }
    current = next;
  }
}
