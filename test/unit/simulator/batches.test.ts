import assert from 'node:assert/strict';
import { AnthropicError, BadRequestError, NotFoundError } from '@anthropic-ai/sdk';
import type { MessageBatch, MessageBatchIndividualResponse } from '@anthropic-ai/sdk/resources/messages/batches';
import type { MessageCreateParamsNonStreaming } from '@anthropic-ai/sdk/resources/messages';
import { DEFAULT_LIMITS, start, type Simulator } from '../../simulator/server';
import { MODEL, ManualClock, clientFor, useSimulator } from './simulatorFixture';

const params = (content: string, extra: Partial<MessageCreateParamsNonStreaming> = {}): MessageCreateParamsNonStreaming => ({
  model: MODEL,
  max_tokens: 100,
  messages: [{ role: 'user', content }],
  ...extra,
});

describe('simulator: message batches', () => {
  // Batch state follows the simulator clock, so these tests move time instead of waiting.
  const clock = new ManualClock();
  const fx = useSimulator({ now: clock.now, batchProcessingMs: 60_000, batchCancelMs: 5_000 });

  async function endProcessing(id: string): Promise<MessageBatch> {
    clock.advance(60_000);
    const batch = await fx.client.messages.batches.retrieve(id);
    assert.equal(batch.processing_status, 'ended');
    return batch;
  }

  it('runs a batch to the end and returns mixed succeeded and errored results', async () => {
    const created = await fx.client.messages.batches.create({
      requests: [
        { custom_id: 'first', params: params('One') },
        { custom_id: 'too-long', params: params('Two', { max_tokens: 1_000_000 }) },
        { custom_id: 'third', params: params('Three') },
      ],
    });
    assert.match(created.id, /^msgbatch_01/);
    assert.equal(created.type, 'message_batch');
    assert.equal(created.processing_status, 'in_progress');
    assert.deepEqual(created.request_counts, { processing: 3, succeeded: 0, errored: 0, canceled: 0, expired: 0 });
    assert.equal(created.results_url, null);
    assert.equal(created.ended_at, null);
    assert.equal(Date.parse(created.expires_at) - Date.parse(created.created_at), 24 * 3600_000);
    await assert.rejects(fx.client.messages.batches.results(created.id), (e: unknown) => e instanceof AnthropicError && /results_url/.test(e.message));

    const ended = await endProcessing(created.id);
    assert.deepEqual(ended.request_counts, { processing: 0, succeeded: 2, errored: 1, canceled: 0, expired: 0 });
    assert.equal(ended.results_url, `${fx.sim.url}/v1/messages/batches/${created.id}/results`);
    assert.ok(ended.ended_at !== null && Date.parse(ended.ended_at) >= Date.parse(ended.created_at));

    const results: MessageBatchIndividualResponse[] = [];
    for await (const line of await fx.client.messages.batches.results(created.id)) results.push(line);
    const byId = new Map(results.map((r) => [r.custom_id, r.result]));
    assert.equal(results.length, 3);
    const first = byId.get('first');
    assert.equal(first?.type, 'succeeded');
    if (first?.type === 'succeeded') {
      assert.equal(first.message.usage.service_tier, 'batch');
      assert.equal(first.message.content[0]?.type, 'text');
    }
    const bad = byId.get('too-long');
    assert.equal(bad?.type, 'errored');
    if (bad?.type === 'errored') assert.equal(bad.error.error.type, 'invalid_request_error');
    const resultsRequest = fx.sim.requests.find((r) => r.endpoint === 'batches.results');
    assert.equal(resultsRequest?.headers.accept, 'application/binary');
  });

  it('lists batches newest first, in pages', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await fx.client.messages.batches.create({ requests: [{ custom_id: `r${i}`, params: params(`n${i}`) }] })).id);
    const page = await fx.client.messages.batches.list({ limit: 2 });
    assert.deepEqual(page.data.map((b) => b.id), [ids[4], ids[3]]);
    assert.equal(page.has_more, true);
    assert.equal(page.first_id, ids[4]);
    assert.equal(page.last_id, ids[3]);
    const all: string[] = [];
    for await (const batch of fx.client.messages.batches.list({ limit: 2 })) all.push(batch.id);
    assert.deepEqual(all, [...ids].reverse());
    const newer = await fx.client.messages.batches.list({ before_id: ids[1], limit: 2 });
    assert.deepEqual(newer.data.map((b) => b.id), [ids[3], ids[2]]);
    assert.equal(fx.sim.requestCount('batches'), 5 + 1 + 3 + 1);
  });

  it('cancels: canceling, then ended, with the requests not yet processed canceled', async () => {
    const created = await fx.client.messages.batches.create({
      requests: ['a', 'b', 'c', 'd'].map((id) => ({ custom_id: id, params: params(id) })),
    });
    clock.advance(30_000); // half-way through processing
    const canceling = await fx.client.messages.batches.cancel(created.id);
    assert.equal(canceling.processing_status, 'canceling');
    assert.equal(canceling.cancel_initiated_at, new Date(clock.time).toISOString());
    assert.equal(canceling.request_counts.processing, 4);
    clock.advance(5_000);
    const ended = await fx.client.messages.batches.retrieve(created.id);
    assert.equal(ended.processing_status, 'ended');
    assert.equal(ended.ended_at, new Date(clock.time).toISOString());
    assert.deepEqual(ended.request_counts, { processing: 0, succeeded: 2, errored: 0, canceled: 2, expired: 0 });
    const results: MessageBatchIndividualResponse[] = [];
    for await (const line of await fx.client.messages.batches.results(created.id)) results.push(line);
    // Requests are processed in order, so the first two were reached; results come in any order.
    const types = Object.fromEntries(results.map((r) => [r.custom_id, r.result.type]));
    assert.deepEqual(types, { a: 'succeeded', b: 'succeeded', c: 'canceled', d: 'canceled' });
  });

  it('returns results in no particular order (the same order on every download), or in request order when asked', async () => {
    const ids = Array.from({ length: 30 }, (_, i) => `req-${i}`);
    const created = await fx.client.messages.batches.create({ requests: ids.map((id) => ({ custom_id: id, params: params(id) })) });
    await endProcessing(created.id);
    const download = async (): Promise<string[]> => {
      const order: string[] = [];
      for await (const line of await fx.client.messages.batches.results(created.id)) order.push(line.custom_id);
      return order;
    };
    const first = await download();
    assert.deepEqual([...first].sort(), [...ids].sort(), 'every request has exactly one result');
    assert.notDeepEqual(first, ids, 'not in request order');
    assert.deepEqual(await download(), first, 'a second download gives the same order');
    fx.sim.configure({ batchResultsInRequestOrder: true });
    try {
      assert.deepEqual(await download(), ids);
    } finally {
      fx.sim.configure({ batchResultsInRequestOrder: false });
    }
  });

  it('deletes only ended batches', async () => {
    const created = await fx.client.messages.batches.create({ requests: [{ custom_id: 'x', params: params('X') }] });
    await assert.rejects(fx.client.messages.batches.delete(created.id), BadRequestError);
    await endProcessing(created.id);
    const deleted = await fx.client.messages.batches.delete(created.id);
    assert.deepEqual({ ...deleted }, { id: created.id, type: 'message_batch_deleted' });
    await assert.rejects(fx.client.messages.batches.retrieve(created.id), NotFoundError);
  });

  it('rejects bad and duplicate custom_ids and empty batches with 400', async () => {
    await assert.rejects(fx.client.messages.batches.create({ requests: [{ custom_id: 'has space', params: params('A') }] }), BadRequestError);
    await assert.rejects(fx.client.messages.batches.create({ requests: [{ custom_id: 'x'.repeat(65), params: params('A') }] }), BadRequestError);
    await assert.rejects(
      fx.client.messages.batches.create({ requests: [{ custom_id: 'same', params: params('A') }, { custom_id: 'same', params: params('B') }] }),
      BadRequestError,
    );
    await assert.rejects(fx.client.messages.batches.create({ requests: [] }), BadRequestError);
  });

  it('applies the Messages validation to each request: a streaming or invalid one ends errored', async () => {
    const created = await fx.client.messages.batches.create({
      requests: [
        { custom_id: 'ok', params: params('fine') },
        { custom_id: 'unknown-model', params: params('x', { model: 'claude-nonexistent-1' }) },
        { custom_id: 'streamed', params: { ...params('y'), stream: true } as unknown as MessageCreateParamsNonStreaming },
      ],
    });
    await endProcessing(created.id);
    const types = new Map<string, string>();
    for await (const line of await fx.client.messages.batches.results(created.id)) {
      types.set(line.custom_id, line.result.type === 'errored' ? line.result.error.error.type : line.result.type);
    }
    assert.deepEqual(Object.fromEntries(types), { ok: 'succeeded', 'unknown-model': 'not_found_error', streamed: 'invalid_request_error' });
  });
});

describe('simulator: batch limits', () => {
  let sim: Simulator;
  afterEach(async () => sim?.close());

  it('defaults to the real limits: 100,000 requests and 256 MB per batch', () => {
    assert.equal(DEFAULT_LIMITS.maxBatchRequests, 100_000);
    assert.equal(DEFAULT_LIMITS.maxBatchBytes, 256 * 1024 * 1024);
  });

  it('rejects a batch with more requests than the limit (configured small)', async () => {
    sim = await start({ limits: { maxBatchRequests: 2 } });
    const client = clientFor(sim);
    const requests = ['a', 'b', 'c'].map((id) => ({ custom_id: id, params: params(id) }));
    await assert.rejects(client.messages.batches.create({ requests }), BadRequestError);
    const ok = await client.messages.batches.create({ requests: requests.slice(0, 2) });
    assert.equal(ok.request_counts.processing, 2);
  });

  it('rejects a batch body larger than the byte limit (configured small)', async () => {
    sim = await start({ limits: { maxBatchBytes: 2_000 } });
    const client = clientFor(sim);
    await assert.rejects(
      client.messages.batches.create({ requests: [{ custom_id: 'big', params: params('x'.repeat(5_000)) }] }),
      (e: unknown) => e instanceof BadRequestError && e.type === 'invalid_request_error',
    );
    const ok = await client.messages.batches.create({ requests: [{ custom_id: 'small', params: params('x') }] });
    assert.equal(ok.processing_status, 'in_progress');
  });

  it('expires requests not finished 24 hours after creation', async () => {
    const clock = new ManualClock();
    sim = await start({ now: clock.now, batchProcessingMs: 48 * 3600_000 });
    const client = clientFor(sim);
    const created = await client.messages.batches.create({
      requests: ['a', 'b', 'c', 'd'].map((id) => ({ custom_id: id, params: params(id) })),
    });
    clock.advance(25 * 3600_000);
    const ended = await client.messages.batches.retrieve(created.id);
    assert.equal(ended.processing_status, 'ended');
    assert.equal(ended.ended_at, ended.expires_at);
    // Half the processing time had passed at expiry: half the requests finished.
    assert.deepEqual(ended.request_counts, { processing: 0, succeeded: 2, errored: 0, canceled: 0, expired: 2 });
    assert.equal(ended.archived_at, null);

    // Results are kept for 29 days after creation; then the batch is archived.
    clock.advance(28 * 24 * 3600_000);
    const archived = await client.messages.batches.retrieve(created.id);
    assert.equal(Date.parse(archived.archived_at ?? '') - Date.parse(archived.created_at), 29 * 24 * 3600_000);
    await assert.rejects(client.messages.batches.results(created.id), NotFoundError);
  });
});
