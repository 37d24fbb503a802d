import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { MessageCountTokensParams } from '@anthropic-ai/sdk/resources/messages';
import { cancelBatchJob, refreshBatchJob } from '../../../src/core/batch/batchPolling';
import { isJobSettled, jobRequestCounts, type BatchRecord } from '../../../src/core/batch/batchRecord';
import { collectBatchResults } from '../../../src/core/batch/batchResults';
import { retrySetOf } from '../../../src/core/batch/batchRetry';
import type { BatchJobBilling } from '../../../src/core/batch/batchSubmit';
import { chunkText, splitIntoChunks, type TextChunk } from '../../../src/core/chunking/chunker';
import { chunkBatchRequests, chunkResultTexts, submitChunkBatch, type SubmitChunkBatchOptions } from '../../../src/core/chunking/chunkBatch';
import { countOverhead, PacedCounting, requestChunkCounter } from '../../../src/core/chunking/chunkCounting';
import { chunkKey, concatenateResults, reduceResults, runChunkMap, type MapChunk } from '../../../src/core/chunking/chunkMap';
import { previewChunkedRun } from '../../../src/core/chunking/chunkPreview';
import { readResultLines, type RowResult } from '../../../src/core/dataset/datasetResults';
import type { PromptFile } from '../../../src/core/prompt/promptFile';
import type { SchedulerClock } from '../../../src/core/scheduler/rateLimitScheduler';
import { costOfCall, SpendRefusedError, type SpendGate } from '../../../src/core/spend/spendGate';
import { callsOf, monthOf, type SpendLedger } from '../../../src/core/spend/spendLedger';
import { useSimulator } from '../simulator/simulatorFixture';
import { gateFor, MODEL, price, useTempDir } from '../batch/batchFixture';
import { englishText } from './sampleTexts';

const MINUTE = 60_000;
const MAX_TOKENS = 200;
const OUTPUT_TOKENS = 150;

const mapRequest = (text: string): Record<string, unknown> => ({ model: MODEL, max_tokens: MAX_TOKENS, messages: [{ role: 'user', content: `List the obligations in this part of the contract:\n\n${text}` }] });
const reduceRequest = (results: string): Record<string, unknown> => ({ model: MODEL, max_tokens: MAX_TOKENS, messages: [{ role: 'user', content: `Merge these lists of obligations into one:\n\n${results}` }] });
const prompt: PromptFile = { name: 'Obligations', request: mapRequest('{{contract}}') as PromptFile['request'] };

/** Real time plus what the test skips ahead (a batch's processing time), shared by the simulator and the scheduler. */
class SkippingClock implements SchedulerClock {
  private skipped = 0;
  readonly now = (): number => Date.now() + this.skipped;
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
  }
  advance(ms: number): void {
    this.skipped += ms;
  }
}

async function rowsOf(path: string): Promise<Map<string, RowResult>> {
  const rows = new Map<string, RowResult>();
  for await (const line of readResultLines(path)) if (line.type === 'row') rows.set(line.key, line);
  return rows;
}

describe('a chunked run as a Message Batch, against the simulator', function () {
  this.timeout(60_000);
  const clock = new SkippingClock();
  const fx = useSimulator({ now: clock.now, outputTokens: OUTPUT_TOKENS, batchProcessingMs: 10 * MINUTE, batchCancelMs: MINUTE, batchResultsInRequestOrder: false });
  const dir = useTempDir();
  let serial = 0;
  let text: string;
  let chunks: TextChunk[];
  let map: MapChunk[];
  let overhead: number;

  before(async () => {
    // The same chunks for every test: split once, sized with count_tokens against the simulator.
    text = englishText(240_000, 41);
    const counting = new PacedCounting(async (params, signal) => {
      const { data, response } = await fx.client.messages.countTokens(params, { maxRetries: 0, ...(signal ? { signal } : {}) }).withResponse();
      return { inputTokens: data.input_tokens, headers: response.headers };
    });
    const paramsFor = (chunk: string): MessageCountTokensParams => {
      const { max_tokens: _maxTokens, ...params } = mapRequest(chunk);
      return params as unknown as MessageCountTokensParams;
    };
    overhead = await countOverhead(counting, paramsFor);
    ({ chunks } = await splitIntoChunks(text, { targetTokens: 8_000, overlapTokens: 200, counter: requestChunkCounter({ model: MODEL, paramsFor, overheadTokens: overhead, counting }) }));
    map = chunks.map((chunk) => ({ index: chunk.index, request: mapRequest(chunkText(text, chunk)), inputTokens: chunk.tokens + overhead, where: `characters ${chunk.start}–${chunk.end}` }));
    assert.ok(map.length >= 6, `${map.length} chunks`);
  });

  async function setUp(limits: Parameters<typeof gateFor>[1] = {}): Promise<{ gate: SpendGate; ledger: SpendLedger; resultsPath: string }> {
    const name = `chunks${serial++}`;
    const { gate, ledger } = await gateFor(join(dir.path, name), limits, clock.now);
    return { gate, ledger, resultsPath: join(dir.path, `${name}.results.jsonl`) };
  }

  function batchOptions(gate: SpendGate, resultsPath: string, extra: Partial<SubmitChunkBatchOptions> = {}): SubmitChunkBatchOptions {
    return {
      client: fx.client,
      gate,
      chunks: map,
      prompt,
      promptName: prompt.name ?? 'Obligations',
      variable: 'contract',
      sourcePath: join(dir.path, 'contract.md'),
      resultsPath,
      model: MODEL,
      maxTokens: MAX_TOKENS,
      expectedOutputTokens: OUTPUT_TOKENS,
      fast: false,
      price,
      now: clock.now,
      ...extra,
    };
  }

  /** The map run now, through a real spend gate job, into its own results file. */
  async function mapNow(resultsPath: string, gate: SpendGate, signal?: AbortSignal, onResult?: (result: RowResult) => void) {
    const billing = await gate.open({ kind: 'chunk', model: MODEL, promptName: 'Obligations', worstCaseUsd: 1, what: 'the map now' });
    try {
      return await runChunkMap({
        chunks: map,
        model: MODEL,
        maxTokens: MAX_TOKENS,
        fast: false,
        price,
        resultsPath,
        billing,
        maxConcurrency: 3,
        clock,
        ...(signal ? { signal } : {}),
        ...(onResult ? { onResult } : {}),
        send: async (body, abort) => {
          const { data, response } = await fx.client.messages.create(body as never, { signal: abort, maxRetries: 0 }).withResponse();
          return { message: data, headers: response.headers };
        },
      });
    } finally {
      billing.close();
    }
  }

  /**
   * The billed calls the ledger has recorded since `since`, from its month files. Not the month's
   * running totals: the test clock skips ahead 10 minutes at a time and, run in the last hour of a
   * month, crosses into the next, whose totals start again from zero.
   */
  async function callsRecordedSince(ledger: SpendLedger, since: number): Promise<number> {
    let calls = 0;
    for (const month of new Set([monthOf(since), monthOf(clock.now())])) {
      for (const line of await ledger.readMonth(month)) if (line.type === 'call' && Date.parse(line.time) >= since) calls += callsOf(line);
    }
    return calls;
  }

  /** Lets the batches end, then joins their results through the job's handle. */
  async function endAndJoin(record: BatchRecord, billing: BatchJobBilling): Promise<BatchRecord> {
    clock.advance(10 * MINUTE);
    const refreshed = await refreshBatchJob(fx.client, record);
    assert.equal(refreshed.ended, true);
    const joined = await collectBatchResults({ client: fx.client, record: refreshed.record, billing, now: clock.now });
    billing.close();
    assert.equal(isJobSettled(joined), true);
    return joined;
  }

  it('the batch path sends the same chunks as the map now, and gives the same stitched result at half price', async () => {
    const now = await setUp();
    const mapped = await mapNow(now.resultsPath, now.gate);
    assert.equal(mapped.done, map.length);
    const nowRows = await rowsOf(now.resultsPath);

    const batch = await setUp();
    fx.sim.reset();
    const { record, billing } = await submitChunkBatch(batchOptions(batch.gate, batch.resultsPath));
    assert.deepEqual(record.chunked, { variable: 'contract', chunks: map.length });
    assert.equal(record.mapping.rows, map.length);
    // The same chunks: one request per chunk, custom_id its chunk key, params the request the map sends now.
    const creates = fx.sim.requests.filter((r) => r.endpoint === 'batches.create');
    assert.equal(creates.length, 1);
    const body = creates[0]?.body as { requests: { custom_id: string; params: Record<string, unknown> }[] };
    assert.deepEqual(body.requests.map((r) => r.custom_id), map.map((chunk) => chunkKey(chunk.index)));
    body.requests.forEach((r, i) => assert.deepEqual(r.params, map[i]?.request));
    // Nothing is billed until the results arrive; the worst case at batch prices is the preview's.
    assert.equal((await batch.ledger.refresh()).calls, 0);
    const preview = previewChunkedRun({ text, chunks, targetTokens: 8_000, overheadTokens: overhead, maxTokens: MAX_TOKENS, expectedOutputTokens: OUTPUT_TOKENS, fast: false, price });
    assert.ok(Math.abs((record.estimate.worstCaseUsd ?? 0) - (preview.map.batch.worstUsd ?? -1)) < 1e-12, 'the estimate is the preview\'s batch worst case');
    assert.ok(Math.abs((record.estimate.expectedUsd ?? 0) - (preview.map.batch.expectedUsd ?? -1)) < 1e-12);
    assert.equal(batch.gate.monthToDate.reservedUsd, record.estimate.worstCaseUsd, 'the whole batch worst case is reserved before the first batch');

    const joined = await endAndJoin(record, billing);
    assert.equal(joined.totals?.succeeded, map.length);

    // The batch lines are the map's lines: same keys, indexes, places and texts; each at half the price.
    const batchRows = await rowsOf(batch.resultsPath);
    assert.deepEqual([...batchRows.keys()].sort(), [...nowRows.keys()].sort());
    let nowUsd = 0;
    let batchUsd = 0;
    for (const [key, line] of batchRows) {
      const nowLine = nowRows.get(key)!;
      assert.equal(line.status, 'succeeded');
      assert.equal(line.index, nowLine.index);
      assert.equal(line.where, nowLine.where);
      assert.equal(line.text, nowLine.text);
      assert.equal(line.usage?.input_tokens, nowLine.usage?.input_tokens);
      assert.equal(line.usage?.service_tier, 'batch');
      assert.ok(Math.abs(line.costUsd! * 2 - nowLine.costUsd!) < 1e-12, `${key}: ${line.costUsd} is half of ${nowLine.costUsd}`);
      assert.ok(Math.abs(line.costUsd! - costOfCall(price, line.usage!, { isBatchResult: true }).costUsd!) < 1e-12);
      nowUsd += nowLine.costUsd!;
      batchUsd += line.costUsd!;
    }
    assert.ok(batchUsd > 0 && Math.abs(batchUsd * 2 - nowUsd) < 1e-9, `batch ${batchUsd} against now ${nowUsd}`);
    assert.ok(Math.abs(joined.totals!.costUsd - batchUsd) < 1e-12);

    // Every result went into the ledger through the job's handle, as chunk calls of its batch.
    const ledger = await batch.ledger.refresh();
    assert.equal(ledger.calls + ledger.simulated.calls, map.length);
    const month = await batch.ledger.readMonth(new Date(clock.now()).toISOString().slice(0, 7));
    const calls = month.filter((line) => line.type === 'call');
    // One ledger line per group of results, with a calls count (batch results are recorded grouped).
    assert.equal(calls.reduce((n, line) => n + (line.type === 'call' ? (line.calls ?? 1) : 0), 0), map.length);
    assert.ok(calls.every((line) => line.type === 'call' && line.kind === 'chunk' && line.batchId === record.parts[0]?.id && (line.batchSavingsUsd ?? 0) > 0));

    // The same stitch runs on the batch's results file: concatenation, and a reduce sent now.
    const nowTexts = await chunkResultTexts(now.resultsPath, map.length);
    const batchTexts = await chunkResultTexts(batch.resultsPath, map.length);
    assert.deepEqual(batchTexts.unfinished, []);
    assert.ok(batchTexts.ordered && nowTexts.ordered);
    assert.equal(concatenateResults(batchTexts.ordered), concatenateResults(nowTexts.ordered));
    const reduceOf = async (texts: string[], gate: SpendGate): Promise<string> => {
      const handle = await gate.open({ kind: 'chunk', model: MODEL, promptName: 'Obligations (reduce)', worstCaseUsd: 1, what: 'the reduce' });
      try {
        const reduced = await reduceResults(texts, {
          requestFor: reduceRequest,
          maxInputTokens: 100_000,
          countTokens: async (request) => {
            const { max_tokens: _maxTokens, ...params } = request;
            return (await fx.client.messages.countTokens(params as never)).input_tokens;
          },
          send: async (request) => {
            const billed = await handle.call({ model: MODEL, worstCaseUsd: 0.5 }, async () => {
              const { data, response } = await fx.client.messages.create(request as never).withResponse();
              return { result: data, usage: data.usage, headers: response.headers };
            });
            return billed.result.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
          },
        });
        return reduced.text;
      } finally {
        handle.close();
      }
    };
    const reducedFromBatch = await reduceOf(batchTexts.ordered, batch.gate);
    assert.ok(reducedFromBatch.length > 0);
    assert.equal(reducedFromBatch, await reduceOf(nowTexts.ordered, now.gate));
    const afterReduce = await batch.ledger.readMonth(new Date(clock.now()).toISOString().slice(0, 7));
    const reduceCall = afterReduce.filter((line) => line.type === 'call').at(-1);
    assert.ok(reduceCall?.type === 'call' && reduceCall.batchId === undefined && reduceCall.promptName === 'Obligations (reduce)', 'the reduce is a call made now, through the gate');
  });

  it('a map cancelled now finishes as a batch of only the unfinished chunks, and then every chunk is there to stitch', async () => {
    // The map runs in the last minutes of a month and its batch ends in the next (endAndJoin skips
    // 10 minutes): the calls recorded are counted across both month files. Counted from the month's
    // running totals, this failed when CI ran in the last hour of a month.
    // (Already in a month's last 5 minutes, the end of the next month.)
    const monthEnd = (time: number): number => Date.UTC(new Date(time).getUTCFullYear(), new Date(time).getUTCMonth() + 1, 1);
    clock.advance(monthEnd(clock.now() + 5 * MINUTE) - 5 * MINUTE - clock.now());
    const { gate, ledger, resultsPath } = await setUp();
    const abort = new AbortController();
    let finished = 0;
    const cancelled = await mapNow(resultsPath, gate, abort.signal, (result) => {
      if (result.status === 'succeeded' && ++finished === 2) abort.abort();
    });
    assert.ok(cancelled.cancelled);
    const kept = new Map(cancelled.texts);
    assert.ok(kept.size >= 2 && kept.size < map.length, `${kept.size} of ${map.length}`);
    const before = await chunkResultTexts(resultsPath, map.length);
    assert.equal(before.ordered, undefined, 'nothing to stitch yet');
    assert.deepEqual(before.unfinished.map((u) => u.index), map.map((c) => c.index).filter((i) => !kept.has(i)));

    fx.sim.reset();
    // Every call of the map was recorded before it returned, by this millisecond at the latest.
    const since = clock.now() + 1;
    const { record, billing } = await submitChunkBatch(batchOptions(gate, resultsPath));
    const body = fx.sim.requests.find((r) => r.endpoint === 'batches.create')?.body as { requests: { custom_id: string }[] };
    assert.deepEqual(body.requests.map((r) => r.custom_id), before.unfinished.map((u) => u.key), 'no finished chunk is sent again');
    assert.equal(record.estimate.rows, map.length - kept.size);
    assert.deepEqual(record.chunked, { variable: 'contract', chunks: map.length });
    await endAndJoin(record, billing);

    const after = await chunkResultTexts(resultsPath, map.length);
    assert.deepEqual(after.unfinished, []);
    assert.equal(after.ordered?.length, map.length);
    for (const [index, kept_] of kept) assert.equal(after.ordered?.[index], kept_, 'the chunks finished now are kept as they were');
    assert.equal(await callsRecordedSince(ledger, since), map.length - kept.size);

    // Nothing is left to send: a second submission says so, before anything is checked or sent.
    fx.sim.reset();
    await assert.rejects(submitChunkBatch(batchOptions(gate, resultsPath)), /Every chunk already has its result/);
    assert.equal(fx.sim.requests.filter((r) => r.endpoint === 'batches.create').length, 0);
  });

  it('the spend cap is checked on the whole batch worst case before anything is sent', async () => {
    const worst = (await (async () => {
      const probe = await setUp();
      const { record, billing } = await submitChunkBatch(batchOptions(probe.gate, probe.resultsPath));
      await cancelBatchJob(fx.client, record);
      billing.close();
      return record.estimate.worstCaseUsd;
    })()) as number;
    assert.ok(worst > 0);
    // A cap between the batch's worst case and the same map's worst case now: the batch goes through.
    const between = await setUp({ maxRunCostUsd: worst * 1.5, confirmAboveUsd: worst * 1.5 });
    const sent = await submitChunkBatch(batchOptions(between.gate, between.resultsPath));
    assert.equal(sent.record.parts.length, 1);
    sent.billing.close();
    // Below it: refused with the job in words, and no batch is created.
    const below = await setUp({ maxRunCostUsd: worst * 0.9, confirmAboveUsd: worst * 0.5 });
    fx.sim.reset();
    await assert.rejects(submitChunkBatch(batchOptions(below.gate, below.resultsPath)), (error: unknown) => error instanceof SpendRefusedError && /chunks as a batch/.test(error.message));
    assert.equal(fx.sim.requests.filter((r) => r.endpoint === 'batches.create').length, 0);
    assert.equal(below.gate.monthToDate.reservedUsd, 0);
  });

  it('cancelled chunks stay unfinished (nothing stitched) and are sent again as a new batch of just those chunks', async () => {
    const { gate, resultsPath } = await setUp();
    const { record, billing } = await submitChunkBatch(batchOptions(gate, resultsPath));
    clock.advance(4 * MINUTE);
    const canceling = await cancelBatchJob(fx.client, record);
    clock.advance(MINUTE);
    const ended = await refreshBatchJob(fx.client, canceling);
    assert.equal(ended.ended, true);
    const counts = jobRequestCounts(ended.record);
    assert.ok(counts.canceled > 0, JSON.stringify(counts));
    const joined = await collectBatchResults({ client: fx.client, record: ended.record, billing, now: clock.now });
    billing.close();

    const partial = await chunkResultTexts(resultsPath, map.length);
    assert.equal(partial.ordered, undefined);
    assert.equal(partial.unfinished.length, counts.canceled);
    assert.ok(partial.unfinished.every((u) => u.status === 'canceled'));
    const retry = await retrySetOf(joined);
    assert.deepEqual([...retry.keys].sort(), partial.unfinished.map((u) => u.key).sort());

    fx.sim.reset();
    const again = await submitChunkBatch(batchOptions(gate, resultsPath, { onlyKeys: retry.keys, retryOf: record.jobId }));
    assert.equal(again.record.retryOf, record.jobId);
    const body = fx.sim.requests.find((r) => r.endpoint === 'batches.create')?.body as { requests: { custom_id: string; params: unknown }[] };
    assert.deepEqual(body.requests.map((r) => r.custom_id).sort(), [...retry.keys].sort());
    for (const r of body.requests) assert.deepEqual(r.params, map.find((c) => chunkKey(c.index) === r.custom_id)?.request);
    await endAndJoin(again.record, again.billing);
    const complete = await chunkResultTexts(resultsPath, map.length);
    assert.deepEqual(complete.unfinished, []);
    assert.equal(complete.ordered?.length, map.length);
  });

  it('leaves a chunk too large for any batch out, with the reason, rather than failing the job', async () => {
    const small = (index: number): MapChunk => ({ index, request: mapRequest('a short part'), inputTokens: 40, where: `chunk ${index + 1}` });
    const large: MapChunk = { index: 1, request: mapRequest('x'.repeat(5_000)), inputTokens: 1_500, where: 'chunk 2' };
    const records = [];
    for await (const record of chunkBatchRequests([small(0), large, small(2)], { maxRequests: 100_000, maxBytes: 2_000 })) records.push(record);
    assert.deepEqual(records.map((r) => [r.kind, r.row.key]), [['request', 'chunk-1'], ['skipped', 'chunk-2'], ['request', 'chunk-3']]);
    const skipped = records[1];
    assert.ok(skipped?.kind === 'skipped' && /more than a whole batch may hold \(2,000 bytes\): lower the chunk's target size/.test(skipped.reason));
  });
});
