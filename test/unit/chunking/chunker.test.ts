import * as assert from 'node:assert/strict';
import type { MessageCountTokensParams } from '@anthropic-ai/sdk/resources/messages';
import { chunkText, splitIntoChunks, type ChunkingResult, type TextChunk } from '../../../src/core/chunking/chunker';
import { countOverhead, defaultChunkTarget, PacedCounting, requestChunkCounter } from '../../../src/core/chunking/chunkCounting';
import type { PreferredBoundary } from '../../../src/core/chunking/textBoundaries';
import { acceleratedClock } from '../../../src/core/scheduler/rateLimitScheduler';
import { countTextTokens } from '../../simulator/tokenizer';
import { clientFor, MODEL, useSimulator } from '../simulator/simulatorFixture';
import { start } from '../../simulator/server';
import type Anthropic from '@anthropic-ai/sdk';
import { cjkText, emojiText, englishText, singleLineText } from './sampleTexts';

const paramsFor = (text: string): MessageCountTokensParams => ({ model: MODEL, messages: [{ role: 'user', content: `Summarize this part:\n\n${text}` }] });

async function chunkWithSimulator(
  client: Anthropic,
  text: string,
  options: { target: number; overlap?: number; boundary?: PreferredBoundary; counting?: PacedCounting },
): Promise<ChunkingResult & { overhead: number }> {
  const counting =
    options.counting ??
    new PacedCounting(async (params, signal) => {
      const { data, response } = await client.messages.countTokens(params, { maxRetries: 0, ...(signal ? { signal } : {}) }).withResponse();
      return { inputTokens: data.input_tokens, headers: response.headers };
    });
  const overhead = await countOverhead(counting, paramsFor);
  const counter = requestChunkCounter({ model: MODEL, paramsFor, overheadTokens: overhead, counting });
  const result = await splitIntoChunks(text, { targetTokens: options.target, overlapTokens: options.overlap ?? 0, boundary: options.boundary ?? 'paragraph', counter});
  return { ...result, overhead };
}

/**
 * The grapheme cluster boundaries of a whole text. A line feed always ends a cluster (UAX #29 GB4,
 * GB5), so each line is segmented on its own: V8's segment iterator slows down with the length of
 * the string it walks, and a 100,000-character line would take the test seconds. ASCII lines need
 * no segmenter at all.
 */
function graphemeBoundaries(text: string): Set<number> {
  const boundaries = new Set<number>([text.length]);
  const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  for (let lineStart = 0; lineStart < text.length; ) {
    const newline = text.indexOf('\n', lineStart);
    const lineEnd = newline === -1 ? text.length : newline + 1;
    const line = text.slice(lineStart, lineEnd);
    // ASCII: a boundary between any two characters but CR LF (GB3, GB999).
    if (/^[\t\n\r -~]*$/.test(line)) {
      for (let i = 0; i < line.length; i++) if (!(line[i - 1] === '\r' && line[i] === '\n')) boundaries.add(lineStart + i);
    } else {
      for (const segment of segmenter.segment(line)) boundaries.add(lineStart + segment.index);
    }
    lineStart = lineEnd;
  }
  return boundaries;
}

/** Every cut (own start, own end, context start) falls between two grapheme clusters. */
function assertNoCutInsideAGrapheme(text: string, chunks: readonly TextChunk[]): void {
  const boundaries = graphemeBoundaries(text);
  for (const chunk of chunks) {
    for (const position of [chunk.start, chunk.end, chunk.contextStart]) {
      assert.ok(boundaries.has(position), `chunk ${chunk.index} cuts inside a grapheme at ${position}: ${JSON.stringify(text.slice(position - 4, position + 4))}`);
    }
  }
}

/** The own regions tile the text: each character in exactly one, in order, nothing left out. */
function assertCoverage(text: string, chunks: readonly TextChunk[]): void {
  assert.ok(chunks.length > 0);
  assert.equal(chunks[0]!.start, 0);
  chunks.forEach((chunk, i) => {
    assert.equal(chunk.index, i);
    assert.ok(chunk.end > chunk.start, `chunk ${i} has an empty own region`);
    if (i > 0) assert.equal(chunk.start, chunks[i - 1]!.end, `chunk ${i} does not start where chunk ${i - 1} ends`);
  });
  assert.equal(chunks[chunks.length - 1]!.end, text.length);
  assert.equal(chunks.map((chunk) => text.slice(chunk.start, chunk.end)).join(''), text);
}

function assertSizes(text: string, result: ChunkingResult, target: number): void {
  result.chunks.forEach((chunk, i) => {
    // The size reported is the simulator's tokenizer on exactly the text sent.
    assert.equal(chunk.tokens, countTextTokens(chunkText(text, chunk), MODEL), `chunk ${i}'s size`);
    const last = i === result.chunks.length - 1;
    if (!last) {
      assert.ok(Math.abs(chunk.tokens - target) <= target * 0.02, `chunk ${i} has ${chunk.tokens} tokens for a target of ${target}`);
      assert.ok(chunk.withinTarget);
    } else assert.ok(chunk.tokens <= target * 1.02);
  });
}

describe('Chunking a long text by counted tokens', () => {
  const fixture = useSimulator();

  const cases: { name: string; text: () => string; target: number; overlap: number; boundary: PreferredBoundary }[] = [
    { name: 'English prose', text: () => englishText(400_000), target: 4_000, overlap: 200, boundary: 'paragraph' },
    { name: 'CJK text', text: () => cjkText(120_000), target: 3_000, overlap: 150, boundary: 'sentence' },
    { name: 'emoji-heavy text', text: () => emojiText(100_000), target: 2_500, overlap: 100, boundary: 'line' },
    { name: 'text with no line break', text: () => singleLineText(300_000), target: 5_000, overlap: 250, boundary: 'paragraph' },
  ];
  for (const c of cases) {
    it(`${c.name}: every character in exactly one own region, overlap before each chunk, sizes within ±2% by count_tokens, no cut inside a grapheme`, async () => {
      const text = c.text();
      const result = await chunkWithSimulator(fixture.client, text, { target: c.target, overlap: c.overlap, boundary: c.boundary });
      assert.ok(result.chunks.length >= 8, `only ${result.chunks.length} chunks`);
      assertCoverage(text, result.chunks);
      assertSizes(text, result, c.target);
      assertNoCutInsideAGrapheme(text, result.chunks);
      assert.equal(result.chunks[0]!.contextStart, 0);
      for (const chunk of result.chunks.slice(1)) {
        const previous = result.chunks[chunk.index - 1]!;
        // The context is the end of the previous chunk's own region, about the overlap long.
        assert.ok(chunk.contextStart < chunk.start && chunk.contextStart > previous.start, `chunk ${chunk.index}'s context`);
        const overlapTokens = countTextTokens(text.slice(chunk.contextStart, chunk.start), MODEL);
        assert.ok(overlapTokens >= c.overlap * 0.4 && overlapTokens <= c.overlap * 1.6, `chunk ${chunk.index} overlaps by ${overlapTokens} tokens, not about ${c.overlap}`);
      }
      assert.ok(result.countCalls / result.chunks.length <= 1.3, `${result.countCalls} count_tokens calls for ${result.chunks.length} chunks`);
    });
  }

  it('cuts at the preferred boundary when one falls near the target: paragraph ends in prose of short paragraphs', async () => {
    // One sentence per paragraph: a paragraph end is always near the target.
    const text = englishText(300_000, 7).replace(/([.?!])[ \n]+/g, '$1\n\n');
    const result = await chunkWithSimulator(fixture.client, text, { target: 4_000 });
    const inner = result.chunks.slice(0, -1);
    assert.ok(inner.length >= 10);
    for (const chunk of inner) {
      assert.equal(chunk.cutAt, 'paragraph', `chunk ${chunk.index} was cut at a ${chunk.cutAt}`);
      assert.match(text.slice(chunk.end - 3, chunk.end), /[.?!]\n\n$/);
    }
  });

  it('falls back from paragraph to sentence ends, not into words, when paragraphs are long', async () => {
    // Paragraphs of thousands of characters: no paragraph end near most targets, sentence ends are.
    const text = englishText(300_000, 8).replace(/\n+/g, ' ').replace(/((?:[^.?!]+[.?!]){40})/g, '$1\n\n');
    const result = await chunkWithSimulator(fixture.client, text, { target: 3_000 });
    const inner = result.chunks.slice(0, -1);
    assert.ok(inner.some((chunk) => chunk.cutAt === 'sentence'));
    for (const chunk of inner) assert.ok(chunk.cutAt === 'paragraph' || chunk.cutAt === 'sentence', `chunk ${chunk.index} was cut at a ${chunk.cutAt}`);
  });

  it('falls back to a cut between grapheme clusters when a text has no spaces, lines or sentences', async () => {
    const text = '👨‍👩‍👧‍👦🇯🇵é'.repeat(1_500);
    const result = await chunkWithSimulator(fixture.client, text, { target: 900, overlap: 0, boundary: 'paragraph' });
    assert.ok(result.chunks.length > 3);
    assertCoverage(text, result.chunks);
    assertNoCutInsideAGrapheme(text, result.chunks);
    for (const chunk of result.chunks.slice(0, -1)) assert.ok(chunk.tokens <= 900 * 1.02);
  });

  it('keeps a chunk under the target when the only boundary inside the tolerance would take it over', async () => {
    // One long "word" after a short paragraph: no boundary within ±2% of a small target.
    const text = `Short opening paragraph here.\n\n${'x'.repeat(20_000)}`;
    const result = await chunkWithSimulator(fixture.client, text, { target: 60, boundary: 'paragraph' });
    assertCoverage(text, result.chunks);
    for (const chunk of result.chunks) assert.ok(chunk.tokens <= 60 * 1.02, `chunk ${chunk.index} has ${chunk.tokens}`);
  });

  it('returns one chunk for a text under the target, and none for an empty text', async () => {
    const short = await chunkWithSimulator(fixture.client, 'A short text.', { target: 1_000 });
    assert.deepEqual(short.chunks.map((c) => [c.start, c.end, c.cutAt]), [[0, 13, 'end']]);
    assert.equal(short.countCalls, 1);
    const empty = await chunkWithSimulator(fixture.client, '', { target: 1_000 });
    assert.equal(empty.chunks.length, 0);
  });

  it('refuses a target below one token and an overlap above half the target', async () => {
    await assert.rejects(chunkWithSimulator(fixture.client, 'text', { target: 0 }), /at least 1 token/);
    await assert.rejects(chunkWithSimulator(fixture.client, 'text', { target: 100, overlap: 60 }), /at most half/);
  });

  it('the default target is the context window less the counted overhead, max_tokens and the headroom', () => {
    assert.equal(defaultChunkTarget({ contextWindow: 1_000_000, overheadTokens: 1_234, maxTokens: 4_096, headroom: 0.1 }), 1_000_000 - 1_234 - 4_096 - 100_000);
    assert.equal(defaultChunkTarget({ contextWindow: 200_000, overheadTokens: 0, maxTokens: 0, headroom: 0 }), 200_000);
  });
});

describe('Chunk counting within the counting rate limit', () => {
  it('waits out 429s from a low count_tokens limit and still sizes every chunk by count', async function () {
    this.timeout(30_000);
    // A minute of limits passes in 1 s, on a clock the simulator and the counting share.
    const clock = acceleratedClock(60);
    const sim = await start({ now: clock.now, rateLimits: { countTokensRequestsPerMinute: 10 } });
    try {
      const client = clientFor(sim);
      const counting = new PacedCounting(
        async (params, signal) => {
          const { data, response } = await client.messages.countTokens(params, { maxRetries: 0, ...(signal ? { signal } : {}) }).withResponse();
          return { inputTokens: data.input_tokens, headers: response.headers };
        },
        { clock },
      );
      const text = englishText(200_000, 11);
      const result = await chunkWithSimulator(client, text, { target: 3_000, overlap: 100, counting });
      assertCoverage(text, result.chunks);
      assertSizes(text, result, 3_000);
      // More counts than the limit allows in one minute: the pacing waited rather than failing.
      assert.ok(counting.tally.requests > 10);
      assert.ok(counting.tally.waitedMs > 0);
      assert.equal(counting.tally.requests - counting.tally.rateLimited, result.countCalls + 1);
    } finally {
      await sim.close();
    }
  });
});
