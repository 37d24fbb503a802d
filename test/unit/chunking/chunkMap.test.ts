import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MessageCountTokensParams } from '@anthropic-ai/sdk/resources/messages';
import { chunkText, splitIntoChunks, type TextChunk } from '../../../src/core/chunking/chunker';
import { countOverhead, PacedCounting, requestChunkCounter } from '../../../src/core/chunking/chunkCounting';
import { chunkKey, concatenateResults, reduceResults, runChunkMap, type MapChunk } from '../../../src/core/chunking/chunkMap';
import type { RowBilling } from '../../../src/core/dataset/datasetJob';
import { readResultLines, type RowResult } from '../../../src/core/dataset/datasetResults';
import { BUNDLED_PRICES, costFromUsage, findPrice, type ApiUsage } from '../../../src/core/pricing/priceTable';
import { acceleratedClock } from '../../../src/core/scheduler/rateLimitScheduler';
import { clientFor, useSimulator } from '../simulator/simulatorFixture';
import { englishText } from './sampleTexts';

const MODEL = 'claude-haiku-5-5';
const price = findPrice(BUNDLED_PRICES, MODEL);

/** The billed-call path as the ledger's handle behaves: a worst case before sending, the actual cost after. */
class RecordingBilling implements RowBilling {
  calls = 0;
  recordedUsd = 0;
  async call<T>(spec: { model: string; worstCaseUsd: number | undefined }, send: () => Promise<{ result: T; usage?: ApiUsage }>) {
    assert.ok(spec.worstCaseUsd !== undefined && spec.worstCaseUsd > 0, 'each call carries its worst case');
    this.calls++;
    const sent = await send();
    const cost = sent.usage ? costFromUsage(price, sent.usage) : undefined;
    const costUsd = cost?.known ? cost.usd : null;
    this.recordedUsd += costUsd ?? 0;
    return { result: sent.result, entry: { costUsd } };
  }
}

const mapRequest = (text: string): Record<string, unknown> => ({ model: MODEL, max_tokens: 200, messages: [{ role: 'user', content: `List the obligations in this part of the contract:\n\n${text}` }] });
const reduceRequest = (results: string): Record<string, unknown> => ({ model: MODEL, max_tokens: 200, messages: [{ role: 'user', content: `Merge these lists of obligations into one:\n\n${results}` }] });

describe('A chunked run against the simulator: map through the scheduler, stitch, reduce', function () {
  this.timeout(120_000);
  const clock = acceleratedClock(60);
  const fx = useSimulator({ now: clock.now, outputTokens: 150 });
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pw-chunk-map-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function chunksOf(text: string, target: number): Promise<{ chunks: TextChunk[]; map: MapChunk[] }> {
    const client = clientFor(fx.sim);
    const counting = new PacedCounting(async (params, signal) => {
      const { data, response } = await client.messages.countTokens(params, { maxRetries: 0, ...(signal ? { signal } : {}) }).withResponse();
      return { inputTokens: data.input_tokens, headers: response.headers };
    });
    const paramsFor = (chunk: string): MessageCountTokensParams => {
      const { max_tokens: _maxTokens, ...params } = mapRequest(chunk);
      return params as unknown as MessageCountTokensParams;
    };
    const overhead = await countOverhead(counting, paramsFor);
    const { chunks } = await splitIntoChunks(text, { targetTokens: target, overlapTokens: 300, counter: requestChunkCounter({ model: MODEL, paramsFor, overheadTokens: overhead, counting }) });
    return { chunks, map: chunks.map((chunk) => ({ index: chunk.index, request: mapRequest(chunkText(text, chunk)), inputTokens: chunk.tokens + overhead, where: `characters ${chunk.start}–${chunk.end}` })) };
  }

  function mapOptions(map: MapChunk[], resultsPath: string, billing: RowBilling) {
    const client = clientFor(fx.sim);
    return {
      chunks: map,
      model: MODEL,
      maxTokens: 200,
      fast: false,
      price,
      resultsPath,
      billing,
      maxConcurrency: 4,
      clock,
      send: async (body: Record<string, unknown>, signal: AbortSignal) => {
        const { data, response } = await client.messages.create(body as never, { signal, maxRetries: 0 }).withResponse();
        return { message: data, headers: response.headers };
      },
    };
  }

  it('maps a 2 MB document chunk by chunk and reduces the results hierarchically when they exceed one request', async () => {
    const text = englishText(2 * 1024 * 1024, 21);
    const { chunks, map } = await chunksOf(text, 40_000);
    assert.ok(chunks.length >= 10, `${chunks.length} chunks`);
    const billing = new RecordingBilling();
    const resultsPath = join(dir, 'map.results.jsonl');
    const outcome = await runChunkMap(mapOptions(map, resultsPath, billing));
    assert.equal(outcome.done, chunks.length);
    assert.equal(outcome.texts.size, chunks.length);
    assert.equal(billing.calls, chunks.length);
    const lines: RowResult[] = [];
    for await (const line of readResultLines(resultsPath)) if (line.type === 'row') lines.push(line);
    assert.deepEqual(lines.map((l) => l.key).sort(), chunks.map((c) => chunkKey(c.index)).sort());
    assert.ok(lines.every((l) => l.status === 'succeeded' && (l.costUsd ?? 0) > 0 && l.text));
    assert.ok(Math.abs(outcome.costUsd - billing.recordedUsd) < 1e-9);

    const ordered = chunks.map((c) => outcome.texts.get(c.index)!);
    const concatenated = concatenateResults(ordered);
    assert.match(concatenated, /^--- chunk 1 of \d+ ---\n/);
    assert.equal(concatenated.split('\n--- chunk ').length, chunks.length);

    // A window that holds about four results: the reduction must go in levels.
    const client = clientFor(fx.sim);
    const sent: number[] = [];
    const reduced = await reduceResults(ordered, {
      requestFor: reduceRequest,
      maxInputTokens: 800,
      countTokens: async (request) => {
        const { max_tokens: _maxTokens, ...params } = request;
        return (await client.messages.countTokens(params as never)).input_tokens;
      },
      send: async (request, level) => {
        sent.push(level);
        const billed = await billing.call({ model: MODEL, worstCaseUsd: 1 }, async () => {
          const message = await client.messages.create(request as never);
          return { result: message, usage: message.usage };
        });
        return billed.result.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
      },
    });
    assert.ok(reduced.levels >= 2, `${reduced.levels} level(s)`);
    assert.equal(reduced.requests, sent.length);
    assert.equal(sent.filter((level) => level === reduced.levels).length, 1, 'one request at the top level');
    assert.ok(reduced.text.length > 0);
    assert.equal(billing.calls, chunks.length + reduced.requests);
  });

  it('cancel in the middle keeps the finished chunks, and the next run sends only the others', async () => {
    const text = englishText(600_000, 22);
    const { chunks, map } = await chunksOf(text, 12_000);
    assert.ok(chunks.length >= 8);
    const resultsPath = join(dir, 'cancel.results.jsonl');
    const abort = new AbortController();
    const first = new RecordingBilling();
    let finished = 0;
    const cancelled = await runChunkMap({
      ...mapOptions(map, resultsPath, first),
      maxConcurrency: 1,
      signal: abort.signal,
      onResult: (result) => {
        if (result.status === 'succeeded' && ++finished === 3) abort.abort();
      },
    });
    assert.ok(cancelled.cancelled);
    assert.ok(cancelled.texts.size >= 3 && cancelled.texts.size < chunks.length, `${cancelled.texts.size} finished of ${chunks.length}`);
    const kept = cancelled.texts.size;

    const second = new RecordingBilling();
    const resumed = await runChunkMap(mapOptions(map, resultsPath, second));
    assert.equal(resumed.resumed, kept);
    assert.equal(second.calls, chunks.length - kept, 'no finished chunk is sent again');
    assert.equal(resumed.texts.size, chunks.length);
    for (const [index, textOfChunk] of cancelled.texts) assert.equal(resumed.texts.get(index), textOfChunk);
  });
});
