import assert from 'node:assert/strict';
import type { TextChunk } from '../../../src/core/chunking/chunker';
import { lineColumns, previewChunkedRun } from '../../../src/core/chunking/chunkPreview';
import { BUNDLED_PRICES, estimateCost, findPrice } from '../../../src/core/pricing/priceTable';

const price = findPrice(BUNDLED_PRICES, 'claude-haiku-5-5');

describe('The preview of a chunked run', () => {
  it('says where each chunk starts as a line and column of the source', () => {
    const text = 'ab\ncd\n\nefgh\nij';
    assert.deepEqual(lineColumns(text, [0, 4, 7, 9, 13]), [
      { line: 0, character: 0 },
      { line: 1, character: 1 },
      { line: 3, character: 0 },
      { line: 3, character: 2 },
      { line: 4, character: 1 },
    ]);
  });

  it('prices every map call with the prompt around its chunk, the reduce on every result, now and as a batch at half price', () => {
    const text = 'one\n\ntwo\n\nthree';
    const chunks: TextChunk[] = [
      { index: 0, start: 0, end: 5, contextStart: 0, tokens: 1_000, cutAt: 'paragraph', withinTarget: true },
      { index: 1, start: 5, end: 10, contextStart: 3, tokens: 1_010, cutAt: 'paragraph', withinTarget: true },
      { index: 2, start: 10, end: 15, contextStart: 8, tokens: 400, cutAt: 'end', withinTarget: false },
    ];
    const preview = previewChunkedRun({
      text,
      chunks,
      targetTokens: 1_000,
      overheadTokens: 50,
      maxTokens: 300,
      expectedOutputTokens: 100,
      fast: false,
      price,
      reduce: { price, overheadTokens: 40, maxTokens: 500, expectedOutputTokens: 200 },
    });
    assert.deepEqual(preview.chunks.map((c) => [c.line, c.character, c.tokens]), [[0, 0, 1_000], [2, 0, 1_010], [4, 0, 400]]);
    assert.equal(preview.mapInputTokens, 1_050 + 1_060 + 450);
    const usd = (input: number, output: number, batch = false): number => {
      const e = estimateCost(price, { inputTokens: input, outputTokens: output, batch });
      return e.known ? e.usd : assert.fail('priced');
    };
    const close = (a: number | undefined, b: number): void => assert.ok(a !== undefined && Math.abs(a - b) < 1e-12, `${a} vs ${b}`);
    close(preview.map.now.worstUsd, usd(1_050, 300) + usd(1_060, 300) + usd(450, 300));
    close(preview.map.batch.expectedUsd, usd(1_050, 100, true) + usd(1_060, 100, true) + usd(450, 100, true));
    close(preview.map.batch.worstUsd, preview.map.now.worstUsd! / 2);
    // The reduce reads three results: max_tokens each in the worst case.
    close(preview.reduce.worstUsd, usd(40 + 3 * 300, 500));
    close(preview.total.batch.worstUsd, preview.map.batch.worstUsd! + preview.reduce.worstUsd!);
  });

  it('says the cost is unknown, never $0, for a model without a price', () => {
    const preview = previewChunkedRun({
      text: 'x',
      chunks: [{ index: 0, start: 0, end: 1, contextStart: 0, tokens: 1, cutAt: 'end', withinTarget: false }],
      targetTokens: 10,
      overheadTokens: 5,
      maxTokens: 10,
      expectedOutputTokens: 10,
      fast: false,
      price: undefined,
    });
    assert.equal(preview.map.now.worstUsd, undefined);
    assert.equal(preview.total.now.expectedUsd, undefined);
  });
});
