import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BATCH_LIMITS, BatchSplitter, buildBatchRequests, type BatchLimits, type BatchRequestRecord } from '../../../src/core/batch/batchRequests';
import type { DatasetPlan } from '../../../src/core/dataset/datasetPlan';
import type { PromptFile } from '../../../src/core/prompt/promptFile';
import { useSimulator } from '../simulator/simulatorFixture';
import { MODEL, planFor, summarise, useTempDir, writeCsv } from './batchFixture';

interface SplitPart {
  requests: number;
  bytes: number;
  tally: { requests: number; bytes: number };
  ids: string[];
}

/** Reads every batch body the splitter makes, checking each is the JSON the API takes. */
async function split(plan: DatasetPlan, prompt: PromptFile, limits: BatchLimits, keepIds = true): Promise<{ parts: SplitPart[]; skipped: Extract<BatchRequestRecord, { kind: 'skipped' }>[]; placed: number }> {
  const skipped: Extract<BatchRequestRecord, { kind: 'skipped' }>[] = [];
  let placed = 0;
  const splitter = new BatchSplitter(buildBatchRequests({ plan, prompt, promptValues: {}, limits }), limits, {
    onRequest: () => void placed++,
    onSkipped: (s) => void skipped.push(s),
  });
  const parts: SplitPart[] = [];
  for (let next = await splitter.next(); next; next = await splitter.next()) {
    const chunks: Buffer[] = [];
    for await (const chunk of next.body) chunks.push(Buffer.from(chunk));
    const body = Buffer.concat(chunks);
    const parsed = JSON.parse(body.toString('utf8')) as { requests: { custom_id: string; params: Record<string, unknown> }[] };
    parts.push({ requests: parsed.requests.length, bytes: body.length, tally: next.tally(), ids: keepIds ? parsed.requests.map((r) => r.custom_id) : [] });
  }
  return { parts, skipped, placed };
}

describe('building batch requests', function () {
  this.timeout(60_000);
  const fx = useSimulator();
  const dir = useTempDir();

  it('splits 250,000 small rows into 3 batches at the 100,000-request limit', async () => {
    // JSON Lines: the quickest source to read, so the test spends its time on the split.
    const path = join(dir.path, 'big.jsonl');
    await writeFile(path, Array.from({ length: 250_000 }, (_, i) => `{"id":"r${i}","text":"row ${i}"}\n`).join(''));
    const source = { format: 'jsonl' as const, path };
    const plan = await planFor(fx.client, summarise, source);
    assert.equal(plan.rows.runnable, 250_000);
    const { parts, placed } = await split(plan, summarise, BATCH_LIMITS, false);
    assert.deepEqual(parts.map((p) => p.requests), [100_000, 100_000, 50_000]);
    assert.equal(placed, 250_000);
    for (const part of parts) {
      assert.equal(part.tally.requests, part.requests);
      assert.equal(part.tally.bytes, part.bytes, 'the tally counts the body bytes exactly');
      assert.ok(part.bytes <= BATCH_LIMITS.maxBytes);
    }
  });

  it('splits large rows on the byte limit, every body within it, and keeps dataset order', async () => {
    const source = await writeCsv(join(dir.path, 'wide.csv'), 40, (i) => `${i} ${'lorem ipsum '.repeat(170)}`);
    const plan = await planFor(fx.client, summarise, source);
    const limits = { maxRequests: 100_000, maxBytes: 16 * 1024 };
    const { parts } = await split(plan, summarise, limits);
    // Each request is about 2.1 KB: 7 fit in 16 KB, the 8th would not.
    assert.ok(parts.length >= 5, `${parts.length} parts`);
    assert.equal(parts.reduce((sum, p) => sum + p.requests, 0), 40);
    for (const part of parts) {
      assert.ok(part.bytes <= limits.maxBytes, `${part.bytes} bytes`);
      assert.equal(part.tally.bytes, part.bytes);
    }
    // Full: a batch ends only because the next request would not fit.
    const perRequest = parts[0]!.bytes / parts[0]!.requests;
    assert.ok(parts.slice(0, -1).every((p) => p.bytes + perRequest > limits.maxBytes));
    assert.deepEqual(parts.flatMap((p) => p.ids), Array.from({ length: 40 }, (_, i) => `r${i}`));
  });

  it('skips a row too large for any batch with the reason, and goes on', async () => {
    const source = await writeCsv(join(dir.path, 'one-huge.csv'), 5, (i) => (i === 2 ? 'x'.repeat(20_000) : `short ${i}`));
    const plan = await planFor(fx.client, summarise, source);
    const { parts, skipped } = await split(plan, summarise, { maxRequests: 100, maxBytes: 8 * 1024 });
    assert.equal(skipped.length, 1);
    assert.equal(skipped[0]?.row.key, 'r2');
    assert.match(skipped[0]!.reason, /more than a whole batch may hold/);
    assert.deepEqual(parts.flatMap((p) => p.ids), ['r0', 'r1', 'r3', 'r4']);
  });

  it('builds non-streaming params from the bound row, with custom_ids from the key column, sanitised and unique', async () => {
    const prompt: PromptFile = { ...summarise, request: { ...summarise.request, stream: true } };
    const keys = ['a b', 'a_b', 'ok', 'a b'];
    const source = await writeCsv(join(dir.path, 'keys.csv'), 4, (i) => `text ${i}`, (i) => keys[i]!);
    const plan = await planFor(fx.client, prompt, source);
    const records: BatchRequestRecord[] = [];
    for await (const record of buildBatchRequests({ plan, prompt, promptValues: {} })) records.push(record);
    const requests = records.filter((r): r is Extract<BatchRequestRecord, { kind: 'request' }> => r.kind === 'request');
    assert.deepEqual(requests.map((r) => r.customId), ['a_b', 'a_b-2', 'ok', 'a_b-3']);
    assert.deepEqual(requests.map((r) => r.row.key), keys);
    const element = JSON.parse(requests[1]!.json) as { custom_id: string; params: Record<string, unknown> };
    assert.equal(element.custom_id, 'a_b-2');
    assert.equal(element.params.stream, undefined, 'batch requests are never streamed');
    assert.equal(element.params.model, MODEL);
    assert.deepEqual(element.params.messages, [{ role: 'user', content: 'Summarise: text 1' }]);
    assert.equal(requests[1]!.bytes, Buffer.byteLength(requests[1]!.json));
  });

  it('with onlyKeys builds just those rows', async () => {
    const source = await writeCsv(join(dir.path, 'some.csv'), 10, (i) => `t${i}`);
    const plan = await planFor(fx.client, summarise, source);
    const keys: string[] = [];
    for await (const record of buildBatchRequests({ plan, prompt: summarise, promptValues: {}, onlyKeys: new Set(['r3', 'r7']) })) keys.push(record.row.key);
    assert.deepEqual(keys, ['r3', 'r7']);
  });
});
