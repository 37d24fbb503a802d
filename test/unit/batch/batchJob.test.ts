import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isJobSettled, jobProcessingStatus, jobRequestCounts, type BatchRecord } from '../../../src/core/batch/batchRecord';
import { cancelBatchJob, refreshBatchJob } from '../../../src/core/batch/batchPolling';
import { collectBatchResults, FIX_FIRST_PREFIX, unjoinedPathFor, type BatchRowResult } from '../../../src/core/batch/batchResults';
import { retrySetOf } from '../../../src/core/batch/batchRetry';
import { batchBilledJob, billedJobOfRecord, submitBatchJob, type SubmittedBatchJob } from '../../../src/core/batch/batchSubmit';
import type { PromptFile } from '../../../src/core/prompt/promptFile';
import { costOfCall, SpendRefusedError } from '../../../src/core/spend/spendGate';
import { ManualClock, useSimulator } from '../simulator/simulatorFixture';
import { MODEL, gateFor, jobLines, latestRows, planFor, price, summarise, useTempDir, writeCsv } from './batchFixture';

const MINUTE = 60_000;

describe('batch jobs against the simulator', function () {
  this.timeout(30_000);
  const clock = new ManualClock();
  const fx = useSimulator({ now: clock.now, batchProcessingMs: 10 * MINUTE, batchCancelMs: MINUTE });
  const dir = useTempDir();
  let serial = 0;

  async function setUp(rows: number, options: { prompt?: PromptFile; textOf?: (i: number) => string; limits?: Parameters<typeof gateFor>[1] } = {}) {
    const name = `job${serial++}`;
    const source = await writeCsv(join(dir.path, `${name}.csv`), rows, options.textOf ?? ((i) => `row number ${i}`));
    const prompt = options.prompt ?? summarise;
    const plan = await planFor(fx.client, prompt, source);
    fx.sim.reset();
    const { gate, ledger } = await gateFor(join(dir.path, name), options.limits, clock.now);
    return { name, source, prompt, plan, gate, ledger, resultsPath: join(dir.path, `${name}.results.jsonl`) };
  }

  async function submit(setup: Awaited<ReturnType<typeof setUp>>, extra: Partial<Parameters<typeof submitBatchJob>[0]> = {}): Promise<SubmittedBatchJob & { saved: BatchRecord[] }> {
    const saved: BatchRecord[] = [];
    const submitted = await submitBatchJob({
      client: fx.client,
      gate: setup.gate,
      plan: setup.plan,
      prompt: setup.prompt,
      promptValues: {},
      resultsPath: setup.resultsPath,
      now: clock.now,
      onRecord: (record) => void saved.push(record),
      ...extra,
    });
    return { ...submitted, saved };
  }

  async function finish(record: BatchRecord): Promise<BatchRecord> {
    clock.advance(10 * MINUTE);
    const refreshed = await refreshBatchJob(fx.client, record);
    assert.equal(refreshed.ended, true);
    return refreshed.record;
  }

  it('submits a job through the spend gate, watches it end, and joins every result to its row at batch prices', async () => {
    const setup = await setUp(12);
    const { record, billing, saved } = await submit(setup);
    assert.equal(record.parts.length, 1);
    assert.match(record.parts[0]!.id, /^msgbatch_01/);
    assert.equal(record.parts[0]!.requests, 12);
    assert.equal(record.model, MODEL);
    assert.equal(record.simulated, true, 'the simulator answered the create');
    assert.equal(record.promptHash.length, 64);
    assert.equal(record.datasetHash.length, 64);
    assert.equal(record.mapping.rows, 12);
    assert.equal(record.mapping.sha256.length, 64);
    assert.equal(record.estimate.rows, 12);
    assert.ok(record.estimate.worstCaseUsd !== undefined && record.estimate.worstCaseUsd > 0);
    assert.equal(record.estimate.worstCaseUsd, setup.plan.cost.batch?.worstCaseUsd);
    assert.equal(Date.parse(record.expiresAt) - Date.parse(record.createdAt), 24 * 60 * MINUTE);
    assert.equal(jobProcessingStatus(record), 'in_progress');
    assert.ok(saved.length >= 2 && saved.at(-1)?.mapping.sha256 === record.mapping.sha256, 'the record is handed out to be saved');

    // The create went out as one request, with every row as a {custom_id, params} element.
    const create = fx.sim.requests.find((r) => r.endpoint === 'batches.create');
    const body = create?.body as { requests: { custom_id: string; params: { messages: { content: string }[] } }[] };
    assert.equal(body.requests.length, 12);
    assert.equal(body.requests[3]?.custom_id, 'r3');
    assert.equal(body.requests[3]?.params.messages[0]?.content, 'Summarise: row number 3');

    // Nothing has been billed yet; the reservation holds the whole worst case at batch prices.
    assert.equal((await setup.ledger.refresh()).calls, 0);

    const unchanged = await refreshBatchJob(fx.client, record);
    assert.equal(unchanged.changed, false);
    assert.equal(unchanged.ended, false);
    const ended = await finish(record);
    assert.deepEqual(jobRequestCounts(ended), { processing: 0, succeeded: 12, errored: 0, canceled: 0, expired: 0 });

    // A reload: the window's handle is gone; the gate takes the job back and the join records through it.
    billing.close();
    const adopted = setup.gate.adopt(billedJobOfRecord(ended));
    assert.equal(setup.gate.monthToDate.reservedUsd, record.estimate.worstCaseUsd);
    const joined = await collectBatchResults({ client: fx.client, record: ended, billing: adopted, now: clock.now });
    adopted.close();
    assert.equal(isJobSettled(joined), true);
    const rows = await latestRows(setup.resultsPath);
    assert.equal(rows.size, 12);
    const jobs = await jobLines(setup.resultsPath);
    assert.equal(jobs.length, 1);
    assert.equal(jobs[0]?.mode, 'batch');
    assert.equal(jobs[0]?.jobId, record.jobId);
    let sum = 0;
    for (const [key, row] of rows) {
      const line = row as BatchRowResult;
      assert.equal(line.status, 'succeeded');
      assert.equal(line.customId, key);
      assert.equal(line.batchId, record.parts[0]!.id);
      assert.equal(line.key, `r${line.index}`);
      assert.equal(line.where, `line ${line.index + 2}`);
      assert.ok(line.text && line.text.length > 0);
      assert.equal(line.usage?.service_tier, 'batch');
      const expected = costOfCall(price, line.usage!, { isBatchResult: true }).costUsd!;
      const synchronous = costOfCall(price, { ...line.usage!, service_tier: 'standard' }).costUsd!;
      assert.ok(Math.abs(line.costUsd! - expected) < 1e-12);
      assert.ok(Math.abs(line.costUsd! - synchronous / 2) < 1e-12, 'half the price of a run made now');
      sum += line.costUsd!;
    }
    assert.ok(Math.abs(joined.totals!.costUsd - sum) < 1e-12);
    assert.equal(joined.totals!.succeeded, 12);
    assert.ok(joined.totals!.costUsd <= joined.estimate.worstCaseUsd!);

    // Every result is in the ledger, as a batch, apart from real spend (simulated): one line for the group.
    const month = await setup.ledger.readMonth(new Date(clock.now()).toISOString().slice(0, 7));
    const calls = month.flatMap((l) => (l.type === 'call' ? [l] : []));
    assert.equal(calls.length, 1);
    assert.ok(calls.every((c) => c.kind === 'batch' && c.simulated && c.batchId === record.parts[0]!.id && (c.batchSavingsUsd ?? 0) > 0));
    assert.equal(calls[0]!.calls, 12);
    assert.ok(Math.abs(calls[0]!.costUsd! - sum) < 1e-12, 'the group line holds the rows\' summed cost');
    assert.equal(setup.ledger.totals.simulated.calls, 12);
    assert.equal(setup.ledger.totals.usd, 0, 'simulated answers never count as real spend');

    // Joining again writes nothing more.
    assert.ok(Math.abs(billedJobOfRecord(joined).worstCaseUsd! - (joined.estimate.worstCaseUsd! - joined.totals!.costUsd)) < 1e-12);
    const again = await collectBatchResults({ client: fx.client, record: joined, billing, now: clock.now });
    assert.equal(again.totals!.succeeded, 12);
    assert.equal((await setup.ledger.readMonth(new Date(clock.now()).toISOString().slice(0, 7))).filter((l) => l.type === 'call').length, 1);
    assert.equal(setup.ledger.totals.simulated.calls, 12, 'nothing recorded twice');
  });

  it('refuses before anything is sent when the job\'s worst case at batch prices is above the spend cap', async () => {
    const setup = await setUp(10);
    const worst = setup.plan.cost.batch!.worstCaseUsd;
    const refused = await gateFor(join(dir.path, 'refuse'), { maxRunCostUsd: worst * 0.9 }, clock.now);
    await assert.rejects(submit({ ...setup, gate: refused.gate }), (e: unknown) => e instanceof SpendRefusedError && e.when === 'before-job');
    assert.equal(fx.sim.requestCount('batches'), 0);
    // At batch prices the same job fits a cap its synchronous worst case would not.
    const fits = await gateFor(join(dir.path, 'fits'), { maxRunCostUsd: worst * 1.01 }, clock.now);
    assert.ok(setup.plan.cost.now!.worstCaseUsd > worst * 1.01);
    assert.equal((await fits.gate.assess(batchBilledJob(setup.plan))).kind, 'send');
    const { record, billing } = await submit({ ...setup, gate: fits.gate });
    billing.close();
    assert.equal(record.parts.length, 1);
  });

  it('holds the job\'s worst case against the monthly budget until its results are in', async () => {
    const setup = await setUp(10);
    const worst = setup.plan.cost.batch!.worstCaseUsd;
    const budget = await gateFor(join(dir.path, 'budget'), { monthlyBudgetUsd: worst * 1.5 }, clock.now);
    const { billing } = await submit({ ...setup, gate: budget.gate });
    assert.ok(Math.abs(budget.gate.monthToDate.reservedUsd - worst) < 1e-12);
    assert.equal((await budget.gate.assess(batchBilledJob(setup.plan))).kind, 'refuse', 'a second job the same size no longer fits');
    billing.close();
    assert.equal(budget.gate.monthToDate.reservedUsd, 0);
  });

  it('splits a job into several batches at the request limit and joins each', async () => {
    const setup = await setUp(25);
    const { record, billing } = await submit(setup, { limits: { maxRequests: 10, maxBytes: 256 * 1024 * 1024 } });
    assert.deepEqual(record.parts.map((p) => p.requests), [10, 10, 5]);
    assert.equal(new Set(record.parts.map((p) => p.id)).size, 3);
    const joined = await collectBatchResults({ client: fx.client, record: await finish(record), billing });
    billing.close();
    assert.equal(joined.totals!.succeeded, 25);
    const rows = await latestRows(setup.resultsPath);
    assert.equal(rows.size, 25);
    assert.deepEqual([...rows.values()].map((r) => (r as BatchRowResult).batchId).filter((id, i, all) => all.indexOf(id) === i), record.parts.map((p) => p.id));
  });

  it('when a later batch cannot be created, keeps the batches made and marks the rows left out as errored, ready to retry', async () => {
    const setup = await setUp(25);
    let created = 0;
    const { record, billing } = await submit(setup, {
      limits: { maxRequests: 10, maxBytes: 256 * 1024 * 1024 },
      onRecord: (r) => {
        if (r.parts.length === 1 && created++ === 0) fx.sim.enqueueFault({ fault: '529', endpoint: 'batches.create' });
      },
    });
    assert.equal(record.parts.length, 1);
    assert.equal(record.notSent.failed, 15);
    assert.match(record.notSent.failure ?? '', /^Batch 2 could not be created: 529/);
    assert.equal(record.mapping.rows, 25);
    assert.ok(Math.abs(setup.gate.monthToDate.reservedUsd - setup.plan.cost.batch!.worstCaseUsd) < 1e-12, 'the batch made still holds the reservation');
    const joined = await collectBatchResults({ client: fx.client, record: await finish(record), billing });
    billing.close();
    assert.equal(joined.totals!.succeeded, 10);
    const rows = await latestRows(setup.resultsPath);
    assert.equal(rows.size, 25);
    const leftOut = [...rows.values()].filter((r) => r.status === 'errored');
    assert.equal(leftOut.length, 15);
    assert.ok(leftOut.every((r) => r.index >= 10 && /^Not sent: Batch 2 could not be created/.test(r.error?.message ?? '')));
    assert.equal((await retrySetOf(joined)).keys.size, 15);
  });

  it('when the first batch cannot be created, nothing was sent: the error is thrown and the reservation released', async () => {
    const setup = await setUp(5);
    fx.sim.enqueueFault({ fault: '529', endpoint: 'batches.create' });
    await assert.rejects(submit(setup), (e: unknown) => (e as { status?: number }).status === 529);
    assert.equal(setup.gate.monthToDate.reservedUsd, 0);
  });

  it('writes skipped rows like a run made now and marks invalid requests "fix the request first"', async () => {
    const prompt: PromptFile = {
      name: 'Effort',
      request: { model: MODEL, max_tokens: 64, output_config: { effort: '{{text}}' }, messages: [{ role: 'user', content: 'Row {{id}}' }] },
    };
    const efforts = ['low', 'medium', '', 'turbo', 'high'];
    const setup = await setUp(5, { prompt, textOf: (i) => efforts[i]! });
    const { record, billing } = await submit(setup);
    assert.equal(record.notSent.skipped, 1);
    assert.equal(record.parts[0]!.requests, 4);
    const joined = await collectBatchResults({ client: fx.client, record: await finish(record), billing });
    billing.close();
    const rows = await latestRows(setup.resultsPath);
    assert.equal(rows.get('r2')?.status, 'skipped');
    assert.match(rows.get('r2')?.error?.message ?? '', /no value/);
    const bad = rows.get('r3') as BatchRowResult;
    assert.equal(bad.status, 'errored');
    assert.equal(bad.error?.type, 'invalid_request_error');
    assert.ok(bad.error?.message.startsWith(FIX_FIRST_PREFIX));
    assert.equal(bad.fixFirst, true);
    assert.equal(joined.totals!.fixFirst, 1);
    assert.equal(joined.totals!.succeeded, 3);
  });

  it('cancelling marks the rows the batch had not reached as canceled', async () => {
    const setup = await setUp(20);
    const { record, billing } = await submit(setup);
    clock.advance(4 * MINUTE);
    const canceling = await cancelBatchJob(fx.client, record);
    assert.equal(jobProcessingStatus(canceling), 'canceling');
    assert.ok(canceling.parts[0]!.cancelInitiatedAt);
    clock.advance(MINUTE);
    const { record: ended, ended: done } = await refreshBatchJob(fx.client, canceling);
    assert.equal(done, true);
    const counts = jobRequestCounts(ended);
    assert.ok(counts.canceled > 0 && counts.succeeded > 0, JSON.stringify(counts));
    const joined = await collectBatchResults({ client: fx.client, record: ended, billing });
    billing.close();
    const rows = [...(await latestRows(setup.resultsPath)).values()];
    assert.equal(rows.filter((r) => r.status === 'canceled').length, counts.canceled);
    assert.equal(rows.filter((r) => r.status === 'succeeded').length, counts.succeeded);
    assert.equal(joined.totals!.canceled, counts.canceled);
    // Requests run in order in the simulator: the canceled ones are the last rows.
    const firstCanceled = Math.min(...rows.filter((r) => r.status === 'canceled').map((r) => r.index));
    assert.ok(rows.filter((r) => r.status === 'succeeded').every((r) => r.index < firstCanceled));
  });

  it('retries the errored, expired and canceled rows of a finished job as a new batch into the same results file', async () => {
    const prompt: PromptFile = {
      name: 'Effort',
      request: { model: MODEL, max_tokens: 64, output_config: { effort: '{{text}}' }, messages: [{ role: 'user', content: 'Row {{id}}' }] },
    };
    const setup = await setUp(10, { prompt, textOf: (i) => (i === 1 ? 'turbo' : 'low') });
    // The batch expires before it is done: 24 hours pass while it needed 48.
    fx.sim.configure({ batchProcessingMs: 48 * 60 * MINUTE });
    let first: SubmittedBatchJob;
    try {
      first = await submit(setup);
    } finally {
      fx.sim.configure({ batchProcessingMs: 10 * MINUTE });
    }
    clock.advance(24 * 60 * MINUTE);
    const { record: ended } = await refreshBatchJob(fx.client, first.record);
    const counts = jobRequestCounts(ended);
    assert.ok(counts.expired > 0, JSON.stringify(counts));
    await assert.rejects(retrySetOf(ended), /has not finished/);
    const joined = await collectBatchResults({ client: fx.client, record: ended, billing: first.billing });
    first.billing.close();
    const retry = await retrySetOf(joined);
    assert.equal(retry.expired, counts.expired);
    assert.equal(retry.errored, 1);
    assert.equal(retry.fixFirst, 1);
    assert.ok(retry.keys.has('r1'));
    assert.equal(retry.keys.size, counts.expired + 1);
    assert.equal((await retrySetOf(joined, { skipFixFirst: true })).keys.size, counts.expired);

    const second = await submit(setup, { onlyKeys: retry.keys, retryOf: joined.jobId });
    assert.equal(second.record.retryOf, joined.jobId);
    assert.equal(second.record.parts[0]!.requests, retry.keys.size);
    assert.equal(second.record.estimate.rows, retry.keys.size);
    const body = fx.sim.requests.filter((r) => r.endpoint === 'batches.create').at(-1)?.body as { requests: { custom_id: string }[] };
    assert.deepEqual(new Set(body.requests.map((r) => r.custom_id)), retry.keys);
    const rejoined = await collectBatchResults({ client: fx.client, record: await finish(second.record), billing: second.billing });
    second.billing.close();
    assert.equal(rejoined.totals!.succeeded, counts.expired);
    const rows = await latestRows(setup.resultsPath);
    assert.equal(rows.size, 10);
    assert.equal([...rows.values()].filter((r) => r.status === 'succeeded').length, 9);
    assert.equal(rows.get('r1')?.status, 'errored');
  });

  it('reports the results of a tampered mapping and joins none of them', async () => {
    const setup = await setUp(6);
    const { record, billing } = await submit(setup);
    // Swap two rows' custom_ids in the mapping: a join that trusted it would put each answer on the other row.
    const text = await readFile(record.mapping.path, 'utf8');
    const swapped = text.replace('"c":"r1"', '"c":"TMP"').replace('"c":"r2"', '"c":"r1"').replace('"c":"TMP"', '"c":"r2"');
    assert.notEqual(swapped, text);
    await writeFile(record.mapping.path, swapped);
    const joined = await collectBatchResults({ client: fx.client, record: await finish(record), billing });
    billing.close();
    assert.equal(joined.totals!.succeeded, 0);
    assert.equal(joined.totals!.unjoined, 6);
    assert.match(joined.totals!.problems[0] ?? '', /changed after the batch was submitted/);
    const rows = await latestRows(setup.resultsPath);
    assert.equal([...rows.values()].filter((r) => r.status === 'succeeded').length, 0, 'nothing joined to a row');
    const kept = (await readFile(unjoinedPathFor(setup.resultsPath), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { custom_id: string; batchId: string });
    assert.deepEqual(kept.map((k) => k.custom_id).sort(), ['r0', 'r1', 'r2', 'r3', 'r4', 'r5']);
    assert.ok(kept.every((k) => k.batchId === record.parts[0]!.id));
  });

  it('reports a result whose custom_id the mapping does not know, and joins the others', async () => {
    const setup = await setUp(4);
    const { record, billing } = await submit(setup);
    // A mapping for a different set of ids, with the hash to match (as if the record pointed at another job's mapping).
    const text = await readFile(record.mapping.path, 'utf8');
    const renamed = text.replace('"c":"r3"', '"c":"someone-else"');
    await writeFile(record.mapping.path, renamed);
    const { createHash } = await import('node:crypto');
    const forged: BatchRecord = { ...record, mapping: { ...record.mapping, sha256: createHash('sha256').update(renamed).digest('hex') } };
    const joined = await collectBatchResults({ client: fx.client, record: await finish(forged), billing });
    billing.close();
    assert.equal(joined.totals!.succeeded, 3);
    assert.equal(joined.totals!.unjoined, 1);
    assert.equal(joined.totals!.missing, 1, 'the mapping row that got no result is marked');
    assert.ok(joined.totals!.problems.some((p) => p.includes('"r3"') && p.includes('does not know')));
    const rows = await latestRows(setup.resultsPath);
    // The row the mapping now names "someone-else" got no answer: the r3 answer was not put on it.
    const r3 = rows.get('r3') as BatchRowResult;
    assert.equal(r3.status, 'errored');
    assert.equal(r3.customId, 'someone-else');
    assert.match(r3.error?.message ?? '', /returned no result/);
  });

  it('sends a prompt with betas through the beta client, and polls and joins it there', async () => {
    const prompt: PromptFile = { ...summarise, betas: ['output-300k-2026-03-24'] };
    const setup = await setUp(3, { prompt });
    const { record, billing } = await submit(setup);
    assert.deepEqual(record.betas, ['output-300k-2026-03-24']);
    const create = fx.sim.requests.find((r) => r.endpoint === 'batches.create');
    assert.match(String(create?.headers['anthropic-beta']), /output-300k-2026-03-24/);
    const joined = await collectBatchResults({ client: fx.client, record: await finish(record), billing });
    billing.close();
    assert.equal(joined.totals!.succeeded, 3);
    assert.ok(fx.sim.requests.filter((r) => r.endpoint === 'batches.retrieve').every((r) => /output-300k-2026-03-24/.test(String(r.headers['anthropic-beta']))));
  });

  it('resumes an interrupted join without writing or billing a row twice, and without losing one', async () => {
    const setup = await setUp(8);
    const { record, billing } = await submit(setup);
    const ended = await finish(record);
    let saved: BatchRecord | undefined;
    // The window closes after the costs went to the ledger and before the lines were written.
    const closing = {
      recordResults: async (results: Parameters<typeof billing.recordResults>[0]) => {
        await billing.recordResults(results);
        throw new Error('window closed');
      },
      costOfResult: billing.costOfResult.bind(billing),
    };
    await assert.rejects(collectBatchResults({ client: fx.client, record: ended, billing: closing, onRecord: (r) => void (saved = r) }), /window closed/);
    assert.equal(saved?.parts[0]?.joined, 'started');
    const month = new Date(clock.now()).toISOString().slice(0, 7);
    const recorded = (await setup.ledger.readMonth(month)).filter((l) => l.type === 'call');
    assert.equal(recorded.reduce((n, l) => n + (l.type === 'call' ? (l.calls ?? 1) : 0), 0), 8, 'the costs went to the ledger before the lines');
    assert.equal((await latestRows(setup.resultsPath)).size, 0, 'no line was written');
    const joined = await collectBatchResults({ client: fx.client, record: saved!, billing, ledger: setup.ledger, now: clock.now });
    billing.close();
    assert.equal(joined.parts[0]?.joined, 'done');
    const lines: BatchRowResult[] = [];
    for (const raw of (await readFile(setup.resultsPath, 'utf8')).trim().split('\n')) {
      const parsed = JSON.parse(raw) as BatchRowResult;
      if (parsed.type === 'row') lines.push(parsed);
    }
    assert.equal(lines.length, 8, 'one line per row');
    assert.equal(new Set(lines.map((l) => l.key)).size, 8);
    const calls = (await setup.ledger.readMonth(month)).flatMap((l) => (l.type === 'call' ? [l] : []));
    assert.equal(calls.length, 1, 'nothing recorded again');
    assert.equal(calls[0]!.calls, 8);
    assert.equal(new Set(calls.flatMap((c) => c.requestIds ?? [])).size, 8, 'each row billed once');
    assert.ok(lines.every((l) => l.status === 'succeeded' && typeof l.costUsd === 'number' && l.costUsd > 0), 'resumed rows carry the cost the ledger recorded');
    const lineSum = lines.reduce((sum, l) => sum + l.costUsd!, 0);
    assert.ok(Math.abs(lineSum - calls[0]!.costUsd!) < 1e-12, 'the rows\' costs add up to the group the ledger recorded');
  });
});

