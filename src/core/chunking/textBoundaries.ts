// Where a long text may be cut: after a blank line (paragraph), at a sentence end, after a line
// break, between words, and only as a last resort between two grapheme clusters. Sentences, words
// and graphemes come from Intl.Segmenter (UAX #29, with ICU's dictionaries for scripts written
// without spaces), so a cut never splits a surrogate pair, an emoji ZWJ sequence, a flag or a base
// letter from its combining marks.
//
// Every search looks only at a window of the text, never the whole of it: a 10 MB document is cut
// in time proportional to the windows, not the document.

/** A kind of place a chunk may end at, largest first. */
export type ChunkBoundary = 'paragraph' | 'sentence' | 'line' | 'word' | 'grapheme';

/** The boundaries a declaration may prefer (smaller ones are fallbacks, never a preference). */
export type PreferredBoundary = 'paragraph' | 'sentence' | 'line';

export const PREFERRED_BOUNDARIES: readonly PreferredBoundary[] = ['paragraph', 'sentence', 'line'];

/** The preferred boundary, then each smaller one it falls back to, in order. */
export function boundaryLevels(preferred: PreferredBoundary): ChunkBoundary[] {
  switch (preferred) {
    case 'paragraph':
      return ['paragraph', 'sentence', 'line', 'word', 'grapheme'];
    case 'sentence':
      return ['sentence', 'line', 'word', 'grapheme'];
    case 'line':
      return ['line', 'word', 'grapheme'];
  }
}

/** A blank line: a line break, optional spaces or tabs, and at least one more line break. */
const BLANK_LINES = /\r?\n(?:[^\S\r\n]*\r?\n)+/g;

/**
 * Intl.Segmenter needs context before a window to give the same breaks it would give on the whole
 * text (regional-indicator pairs count from the last break; a ZWJ sequence looks back). The slice it
 * reads starts at a "certain" break before the window: right after a line break, between two
 * ASCII characters (neither can extend a cluster, join a sequence or pair as a flag), or after CJK
 * punctuation (where a word dictionary's run starts afresh). No such place
 * within LOOK_BACK characters means a pathological run (thousands of flags); then the slice starts
 * LOOK_BACK before the window, which is still far beyond any real cluster.
 */
const CONTEXT_BEFORE = 256;
const LOOK_BACK = 4_096;
/** Context after the window, so a break at the window's end is judged on what follows it. */
const CONTEXT_AFTER = 256;

function isAscii(code: number): boolean {
  return code < 0x80;
}

/** CJK punctuation (、。「」 and the full-width forms): ends a run a word dictionary reads as one. */
function isCjkPunctuation(code: number): boolean {
  return (code >= 0x3000 && code <= 0x303f) || (code >= 0xff01 && code <= 0xff0f) || (code >= 0xff1a && code <= 0xff20);
}

/** Characters that never extend the cluster before them: ASCII, kana, Han, Hangul syllables. */
function startsCluster(code: number): boolean {
  return isAscii(code) || (code >= 0x3040 && code <= 0x30ff) || (code >= 0x3400 && code <= 0x9fff) || (code >= 0xac00 && code <= 0xd7a3);
}

/** A position at or before `from` where a segmenter may start reading without changing any break after it. */
export function certainBreakBefore(text: string, from: number): number {
  const limit = Math.max(0, from - LOOK_BACK);
  for (let q = Math.min(from, text.length); q > limit; q--) {
    const before = text.charCodeAt(q - 1);
    if (before === 0x0a) return q;
    // "\r" then "\n" is one cluster (GB3): the break is after the "\n", not between them.
    if (q >= text.length) continue;
    const after = text.charCodeAt(q);
    if (isAscii(before) && before !== 0x0d && isAscii(after)) return q;
    // After 、 or 。 a new dictionary run starts, so word breaks in CJK text are judged the same.
    if (isCjkPunctuation(before) && startsCluster(after)) return q;
  }
  return limit;
}

const segmenters = new Map<'sentence' | 'word' | 'grapheme', Intl.Segmenter>();
function segmenter(granularity: 'sentence' | 'word' | 'grapheme'): Intl.Segmenter {
  let found = segmenters.get(granularity);
  if (!found) {
    found = new Intl.Segmenter(undefined, { granularity });
    segmenters.set(granularity, found);
  }
  return found;
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d || code === 0x3000 || code === 0xa0;
}

/**
 * The places in [from, to] a chunk may end at, for one kind of boundary, in increasing order. A
 * place p means the chunk holds text[..p) and the next starts at p. 0 and text.length are never
 * returned (a cut there would leave an empty side).
 */
export function cutsBetween(text: string, from: number, to: number, boundary: ChunkBoundary): number[] {
  const lo = Math.max(1, from);
  const hi = Math.min(text.length - 1, to);
  if (lo > hi) return [];
  const cuts: number[] = [];
  switch (boundary) {
    case 'paragraph': {
      // Start far enough back that a run of blank lines ending inside the window is seen whole.
      BLANK_LINES.lastIndex = Math.max(0, lo - CONTEXT_BEFORE);
      for (let m = BLANK_LINES.exec(text); m !== null; m = BLANK_LINES.exec(text)) {
        const end = m.index + m[0].length;
        if (end > hi) break;
        if (end >= lo) cuts.push(end);
      }
      return cuts;
    }
    case 'line': {
      for (let i = text.indexOf('\n', lo - 1); i !== -1 && i + 1 <= hi; i = text.indexOf('\n', i + 1)) cuts.push(i + 1);
      return cuts;
    }
    case 'sentence':
    case 'word':
    case 'grapheme': {
      const start = certainBreakBefore(text, lo);
      const end = Math.min(text.length, hi + CONTEXT_AFTER);
      const slice = text.slice(start, end);
      let previousWordLike = false;
      for (const segment of segmenter(boundary).segment(slice)) {
        const p = start + segment.index;
        const wordLike = segment.isWordLike === true;
        if (p >= lo && p <= hi) {
          // A word cut starts a word after white space, or sits between two words of a script
          // written without spaces (CJK): never between a word and its comma.
          if (boundary !== 'word' || isSpace(text.charCodeAt(p - 1)) || (wordLike && previousWordLike)) cuts.push(p);
        }
        if (p > hi) break;
        previousWordLike = wordLike;
      }
      return cuts;
    }
  }
}

/** Whether p is between two grapheme clusters of the text (0 and text.length are). */
export function isGraphemeBoundary(text: string, p: number): boolean {
  if (p <= 0 || p >= text.length) return true;
  return cutsBetween(text, p, p, 'grapheme').includes(p);
}

export interface ChosenCut {
  position: number;
  boundary: ChunkBoundary;
}

/**
 * The best cut in [from, to]: at the largest boundary of `levels` that has one there, the one
 * nearest `aim`. Undefined when the window holds no grapheme boundary at all (it is narrower than
 * one cluster).
 */
export function chooseCut(text: string, from: number, to: number, aim: number, levels: readonly ChunkBoundary[]): ChosenCut | undefined {
  for (const boundary of levels) {
    const cuts = cutsBetween(text, from, to, boundary);
    if (cuts.length === 0) continue;
    let best = cuts[0]!;
    for (const cut of cuts) if (Math.abs(cut - aim) < Math.abs(best - aim)) best = cut;
    return { position: best, boundary };
  }
  return undefined;
}
