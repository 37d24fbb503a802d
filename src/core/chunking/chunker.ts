// Cuts a long text into chunks sized by the API's own count. Each chunk is placed first with the
// offline estimate, scaled by a calibration learned from the counts so far, and then counted once
// with count_tokens. Only when that count falls outside the tolerance is the cut moved: first by
// the chunk's own measured ratio, then by bisection between the counted cuts either side of the
// target. With a steady calibration almost every chunk costs exactly one count.
//
// Every character is in exactly one chunk's own region [start, end); the overlap is the text
// before `start` back to `contextStart`, sent with the chunk as context from the previous one.
import { boundaryLevels, chooseCut, type ChunkBoundary, type PreferredBoundary } from './textBoundaries';

/** How the chunker measures text: a cheap estimate to place cuts, and the API's count to check them. */
export interface ChunkCounter {
  /** The offline estimate of the tokens `text` adds to the request. Called often: must be cheap. */
  estimate(text: string): number;
  /** The tokens `text` adds to the request, from count_tokens. */
  count(text: string, signal?: AbortSignal): Promise<number>;
}

export interface ChunkingOptions {
  /** Tokens per chunk (the text sent: overlap context and own region together). */
  targetTokens: number;
  /** About this many tokens of the previous chunk are sent again before each chunk. Default 0. */
  overlapTokens?: number;
  /** Where to cut by preference; smaller boundaries are the fallback. Default paragraph. */
  boundary?: PreferredBoundary;
  /** Accepted distance from the target, as a share of it. Default 0.02 (±2%). */
  tolerance?: number;
  counter: ChunkCounter;
  signal?: AbortSignal;
  /** Each chunk as soon as its size is settled (the preview fills while counting goes on). */
  onChunk?: (chunk: TextChunk) => void;
}

export interface TextChunk {
  index: number;
  /** The chunk's own region [start, end): the characters this chunk answers for. */
  start: number;
  end: number;
  /** Where the text sent starts: `start`, or earlier by the overlap taken from the previous chunk. */
  contextStart: number;
  /** count_tokens' figure for text[contextStart, end). */
  tokens: number;
  /** What the own region ends at: a boundary kind, or the end of the text. */
  cutAt: ChunkBoundary | 'end';
  /** Within the tolerance of the target (the last chunk, and chunks the boundaries kept smaller, are not). */
  withinTarget: boolean;
}

export interface ChunkingResult {
  chunks: TextChunk[];
  /** count_tokens calls made (the figure the bench divides by the chunk count). */
  countCalls: number;
  /** Counted tokens per estimated token, as learned from the counts. */
  calibration: number;
}

export class ChunkingError extends Error {
  override readonly name = 'ChunkingError';
}

/** How close to the target the cut is aimed, inside the accepted tolerance (estimates wander). */
const AIM_SHARE = 0.6;
/** Counts per chunk before the best cut under the target is taken as it is. */
const MAX_COUNTS_PER_CHUNK = 12;

/** The text of a chunk as it is sent: the overlap context, then the own region. */
export function chunkText(text: string, chunk: Pick<TextChunk, 'contextStart' | 'end'>): string {
  return text.slice(chunk.contextStart, chunk.end);
}

/** Splits `text` into chunks of about `targetTokens` counted tokens. An empty text has no chunks. */
export async function splitIntoChunks(text: string, options: ChunkingOptions): Promise<ChunkingResult> {
  const target = Math.floor(options.targetTokens);
  const overlap = Math.max(0, Math.floor(options.overlapTokens ?? 0));
  const tolerance = options.tolerance ?? 0.02;
  if (!(target >= 1)) throw new ChunkingError(`The chunk target must be at least 1 token (it is ${options.targetTokens}).`);
  if (overlap * 2 > target) throw new ChunkingError(`The overlap (${overlap} tokens) must be at most half the chunk target (${target} tokens).`);
  const levels = boundaryLevels(options.boundary ?? 'paragraph');
  const sizer = new ChunkSizer(text, options.counter, options.signal);
  const chunks: TextChunk[] = [];
  const low = target * (1 - tolerance);
  const high = target * (1 + tolerance);

  let start = 0;
  while (start < text.length) {
    options.signal?.throwIfAborted();
    const previous = chunks[chunks.length - 1];
    const contextStart = previous && overlap > 0 ? sizer.contextStart(previous, start, overlap, levels) : start;
    const settled = await sizer.settle(contextStart, start, { target, low, high }, levels);
    const chunk: TextChunk = { index: chunks.length, start, end: settled.end, contextStart, tokens: settled.tokens, cutAt: settled.cutAt, withinTarget: settled.tokens >= low && settled.tokens <= high };
    chunks.push(chunk);
    options.onChunk?.(chunk);
    start = settled.end;
  }
  return { chunks, countCalls: sizer.countCalls, calibration: sizer.calibration };
}

interface Window {
  target: number;
  low: number;
  high: number;
}

interface Counted {
  end: number;
  tokens: number;
  cutAt: ChunkBoundary | 'end';
}

/** The sizing state of one text: the calibration and the count tally. */
class ChunkSizer {
  countCalls = 0;
  /** Counted tokens per estimated token; 1 until the first count. */
  calibration = 1;

  constructor(
    private readonly text: string,
    private readonly counter: ChunkCounter,
    private readonly signal: AbortSignal | undefined,
  ) {}

  private estimate(from: number, to: number, ratio: number): number {
    return to <= from ? 0 : this.counter.estimate(this.text.slice(from, to)) * ratio;
  }

  /**
   * The position where text[from, p) is estimated at `goal` tokens (scaled by `ratio`), or the end
   * of the text when all of it is less. A few secant steps on the estimate, which is nearly linear.
   */
  private positionFor(from: number, goal: number, ratio: number): number {
    const length = this.text.length;
    // A first guess at 3 characters per token; the steps below correct it.
    let end = Math.min(length, from + Math.max(1, Math.round(goal * 3)));
    for (let step = 0; step < 10; step++) {
      const tokens = this.estimate(from, end, ratio);
      if (end === length && tokens <= goal) return length;
      if (Math.abs(tokens - goal) <= Math.max(0.5, goal * 0.001)) break;
      const perChar = tokens > 0 ? tokens / (end - from) : 1 / 3;
      const next = Math.min(length, Math.max(from + 1, Math.round(from + (end - from) + (goal - tokens) / perChar)));
      if (next === end) break;
      end = next;
    }
    return end;
  }

  /** The same, backwards: the position p where text[p, to) is estimated at `goal` tokens. */
  private positionBefore(to: number, goal: number, ratio: number): number {
    let start = Math.max(0, to - Math.max(1, Math.round(goal * 3)));
    for (let step = 0; step < 10; step++) {
      const tokens = this.estimate(start, to, ratio);
      if (start === 0 && tokens <= goal) return 0;
      if (Math.abs(tokens - goal) <= Math.max(0.5, goal * 0.001)) break;
      const perChar = tokens > 0 ? tokens / (to - start) : 1 / 3;
      const next = Math.max(0, Math.min(to - 1, Math.round(start - (goal - tokens) / perChar)));
      if (next === start) break;
      start = next;
    }
    return start;
  }

  /** Where the overlap before `start` begins: about `overlap` tokens back, at a boundary, within the previous chunk's own region. */
  contextStart(previous: TextChunk, start: number, overlap: number, levels: readonly ChunkBoundary[]): number {
    const aim = this.positionBefore(start, overlap, this.calibration);
    const spread = Math.max(1, Math.round((start - aim) / 2));
    const from = Math.max(previous.start + 1, aim - spread);
    const to = Math.min(start - 1, aim + spread);
    if (from > to) return start;
    return chooseCut(this.text, from, to, aim, levels)?.position ?? start;
  }

  private async count(from: number, to: number): Promise<number> {
    this.signal?.throwIfAborted();
    this.countCalls++;
    return this.counter.count(this.text.slice(from, to), this.signal);
  }

  /** A cut near where text[from, ·) reaches `goal` tokens at `ratio`, strictly inside (after, before). */
  private cutFor(from: number, goal: number, ratio: number, window: Window, after: number, before: number, levels: readonly ChunkBoundary[]): Counted | undefined {
    const aim = this.positionFor(from, goal, ratio);
    if (aim >= this.text.length && before > this.text.length) return { end: this.text.length, tokens: NaN, cutAt: 'end' };
    const tokensAtAim = this.estimate(from, aim, ratio);
    const perChar = aim > from && tokensAtAim > 0 ? tokensAtAim / (aim - from) : 1 / 3;
    const spread = Math.max(1, Math.round(((window.high - window.low) / 2) * AIM_SHARE / perChar));
    const lo = Math.max(after + 1, aim - spread);
    const hi = Math.min(before - 1, aim + spread, this.text.length);
    if (lo <= hi) {
      const cut = chooseCut(this.text, lo, hi, aim, levels);
      if (cut) return { end: cut.position, tokens: NaN, cutAt: cut.boundary };
    }
    // Nothing in the aimed window: the nearest grapheme boundary anywhere between the bounds.
    const wide = chooseCut(this.text, after + 1, Math.min(before - 1, this.text.length - 1), aim, ['grapheme']);
    return wide ? { end: wide.position, tokens: NaN, cutAt: wide.boundary } : undefined;
  }

  /** Finds and counts the chunk's end: within [low, high] tokens if a boundary allows it, else the largest under. */
  async settle(from: number, start: number, window: Window, levels: readonly ChunkBoundary[]): Promise<Counted> {
    const length = this.text.length;
    // Counted cuts either side of the window: the largest below it and the smallest above it.
    let below: Counted | undefined;
    let above: Counted | undefined;
    let ratio = this.calibration;
    for (let attempt = 0; attempt < MAX_COUNTS_PER_CHUNK; attempt++) {
      const after = Math.max(start, below?.end ?? start);
      const before = above?.end ?? length + 1;
      let candidate: Counted | undefined;
      if (below && above) {
        // Bisection in tokens: where the straight line between the two counts meets the target.
        const share = (window.target - below.tokens) / (above.tokens - below.tokens);
        const goalEnd = Math.round(below.end + share * (above.end - below.end));
        const goal = this.estimate(from, goalEnd, ratio);
        candidate = this.cutFor(from, goal, ratio, window, after, before, levels);
      } else {
        candidate = this.cutFor(from, window.target, ratio, window, after, before, levels);
      }
      if (!candidate || candidate.end <= after || candidate.end >= before) break;
      const tokens = await this.count(from, candidate.end);
      const counted = { ...candidate, tokens };
      const estimated = this.estimate(from, candidate.end, 1);
      if (estimated > 0) ratio = tokens / estimated;
      if (counted.end === length && tokens <= window.high) return this.learn(counted, estimated);
      if (tokens >= window.low && tokens <= window.high) return this.learn(counted, estimated);
      if (tokens < window.low) below = counted;
      else above = counted;
    }
    if (below) return below;
    // Every cut tried was above the window and no smaller one exists: the smallest cut there is.
    if (above) return above;
    throw new ChunkingError(`No place to cut the text after character ${start}.`);
  }

  private learn(counted: Counted, estimated: number): Counted {
    if (estimated > 0 && counted.tokens > 0) this.calibration = counted.tokens / estimated;
    return counted;
  }
}
