// What a chunked run will cost before anything is sent: each chunk's counted size and where it
// starts in the source (a line and column the editor can jump to), the cost of every map call and
// of the reduce step, now and as a Message Batch (half price), expected and worst case. The money
// limits are then checked by the one billed-call path on the worst case (the glue's job).
import { estimateCost, type PriceEntry } from '../pricing/priceTable';
import type { TextChunk } from './chunker';

export interface ChunkStart {
  index: number;
  /** Counted tokens of the chunk as sent (overlap included), without the prompt around it. */
  tokens: number;
  /** 0-based line and UTF-16 column of the chunk's own start in the source text. */
  line: number;
  character: number;
  /** Where the context (overlap) starts, as an offset. */
  contextStart: number;
  start: number;
  end: number;
  withinTarget: boolean;
}

export interface CostPair {
  /** undefined when a price is unknown. */
  expectedUsd: number | undefined;
  worstUsd: number | undefined;
}

export interface ChunkPreview {
  chunks: ChunkStart[];
  targetTokens: number;
  /** The prompt's own tokens, added to every chunk's request. */
  overheadTokens: number;
  mapInputTokens: number;
  /** The map calls now, and as a batch. */
  map: { now: CostPair; batch: CostPair };
  /** The reduce step (none for concatenation), now and as a batch of the map (the reduce is always sent now). */
  reduce: CostPair;
  total: { now: CostPair; batch: CostPair };
}

export interface ChunkPreviewInput {
  text: string;
  chunks: readonly TextChunk[];
  targetTokens: number;
  overheadTokens: number;
  maxTokens: number;
  /** Output the expected cost assumes per call (the prompt's expectedOutputTokens, or max_tokens). */
  expectedOutputTokens: number;
  fast: boolean;
  price: PriceEntry | undefined;
  /** The reduce request's price, its fixed tokens and max_tokens; undefined for concatenation. */
  reduce?: { price: PriceEntry | undefined; overheadTokens: number; maxTokens: number; expectedOutputTokens: number };
}

/** Line and column of each offset, in one pass over the text (offsets ascending). */
export function lineColumns(text: string, offsets: readonly number[]): { line: number; character: number }[] {
  const result: { line: number; character: number }[] = [];
  let line = 0;
  let lineStart = 0;
  let scanned = 0;
  for (const offset of offsets) {
    for (let i = text.indexOf('\n', scanned); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
      line++;
      lineStart = i + 1;
    }
    scanned = Math.max(scanned, offset);
    result.push({ line, character: offset - lineStart });
  }
  return result;
}

function costOf(price: PriceEntry | undefined, inputTokens: number, outputTokens: number, fast: boolean, batch: boolean): number | undefined {
  const estimate = estimateCost(price, { inputTokens, outputTokens, fast, batch });
  return estimate.known ? estimate.usd : undefined;
}

function sum(values: readonly (number | undefined)[]): number | undefined {
  let total = 0;
  for (const value of values) {
    if (value === undefined) return undefined;
    total += value;
  }
  return total;
}

export function previewChunkedRun(input: ChunkPreviewInput): ChunkPreview {
  const positions = lineColumns(input.text, input.chunks.map((chunk) => chunk.start));
  const chunks = input.chunks.map((chunk, i) => ({
    index: chunk.index,
    tokens: chunk.tokens,
    ...positions[i]!,
    contextStart: chunk.contextStart,
    start: chunk.start,
    end: chunk.end,
    withinTarget: chunk.withinTarget,
  }));
  const mapCost = (batch: boolean, output: number): number | undefined =>
    sum(input.chunks.map((chunk) => costOf(input.price, chunk.tokens + input.overheadTokens, output, input.fast, batch)));
  const map = {
    now: { expectedUsd: mapCost(false, input.expectedOutputTokens), worstUsd: mapCost(false, input.maxTokens) },
    batch: { expectedUsd: mapCost(true, input.expectedOutputTokens), worstUsd: mapCost(true, input.maxTokens) },
  };
  let reduce: CostPair = { expectedUsd: 0, worstUsd: 0 };
  if (input.reduce) {
    // The reduce reads every result: expected outputs, or max_tokens each in the worst case.
    const r = input.reduce;
    const count = input.chunks.length;
    reduce = {
      expectedUsd: costOf(r.price, r.overheadTokens + count * input.expectedOutputTokens, r.expectedOutputTokens, false, false),
      worstUsd: costOf(r.price, r.overheadTokens + count * input.maxTokens, r.maxTokens, false, false),
    };
  }
  const plus = (a: CostPair, b: CostPair): CostPair => ({ expectedUsd: sum([a.expectedUsd, b.expectedUsd]), worstUsd: sum([a.worstUsd, b.worstUsd]) });
  return {
    chunks,
    targetTokens: input.targetTokens,
    overheadTokens: input.overheadTokens,
    mapInputTokens: input.chunks.reduce((total, chunk) => total + chunk.tokens + input.overheadTokens, 0),
    map,
    reduce,
    total: { now: plus(map.now, reduce), batch: plus(map.batch, reduce) },
  };
}
