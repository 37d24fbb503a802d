import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as vscode from 'vscode';
import type { BatchRecord } from '../../src/core/batch/batchRecord';
import type { PlanView } from '../../src/datasets/datasetProtocol';
import { TEST_KEY, useSimulator } from './apiHarness';
import { eventually, workspaceFile, writePrompt } from './helpers';

const model = 'claude-haiku-5-5';
const HOUR = 60 * 60_000;
/** Short delays, so a test waits seconds: users get core's policy (10 s, backing off to 5 min). */
const fastPolling = { firstMs: 150, maxMs: 600, factor: 1.5 };

describe('batches: Submit as Batch, the Batches view, polling, results', function () {
  this.timeout(120_000);
  // The simulator's clock can be moved on, so a batch can outlive its 24 hours in a moment.
  let clockOffset = 0;
  const harness = useSimulator({ outputTokens: 8, batchProcessingMs: 1_500, now: () => Date.now() + clockOffset });
  const written: vscode.Uri[] = [];

  before(() => harness.api.reloadBatches(fastPolling));

  afterEach(async () => {
    clockOffset = 0;
    harness.sim.configure({ batchProcessingMs: 1_500 });
    // Every job of a test has ended by its end; forget them so the next test sees only its own.
    for (const job of harness.api.batches().jobs) await vscode.commands.executeCommand('promptWorkbench.forgetBatch', job.jobId);
  });

  after(async () => {
    for (const uri of written) rmSync(uri.fsPath, { force: true, recursive: true });
    await vscode.workspace.getConfiguration('promptWorkbench').update('maxRunCostUsd', undefined, vscode.ConfigurationTarget.Global);
  });

  async function batchPrompt(name: string, rows: number, options: { effortOf?: (i: number) => string } = {}): Promise<vscode.Uri> {
    const data = workspaceFile(`${name}.csv`);
    const lines = ['id,ticket,effort', ...Array.from({ length: rows }, (_, i) => `R${i},ticket number ${i},${options.effortOf?.(i) ?? 'low'}`)];
    writeFileSync(data.fsPath, `${lines.join('\n')}\n`);
    const uri = await writePrompt(
      name,
      { model, max_tokens: 40, output_config: { effort: '{{effort}}' }, messages: [{ role: 'user', content: 'Classify: {{ticket}}' }] },
      { variables: { ticket: { description: 'the ticket' }, effort: { description: 'effort per row' } }, expectedOutputTokens: 8, dataset: { path: `./${name}.csv`, keyColumn: 'id' } },
    );
    written.push(uri, data);
    return uri;
  }

  /** Plans the prompt over its dataset and presses Submit as Batch; returns the new job's record. */
  async function submit(uri: vscode.Uri): Promise<BatchRecord> {
    const before = new Set(harness.api.batches().jobs.map((j) => j.jobId));
    const plan = await vscode.commands.executeCommand<PlanView>('promptWorkbench.runOverDataset', uri);
    assert.ok(plan, 'a plan was made');
    assert.deepEqual(plan.errors, []);
    assert.equal(plan.batchLimitsCheck.kind, 'send');
    assert.equal(harness.sim.requestCount('batches.create'), 0, 'nothing is sent before the click');
    await harness.api.datasetMessage({ type: 'submitBatch' });
    const panel = harness.api.datasetPanel();
    assert.equal(panel.state, 'submitted', panel.message);
    const job = harness.api.batches().jobs.find((j) => !before.has(j.jobId));
    assert.ok(job, 'the job is recorded');
    written.push(vscode.Uri.file(job.resultsPath));
    return job;
  }

  function job(jobId: string): BatchRecord {
    const found = harness.api.batches().jobs.find((j) => j.jobId === jobId);
    assert.ok(found, `job ${jobId} is listed`);
    return found;
  }

  async function settled(jobId: string, what: string): Promise<BatchRecord> {
    return eventually(
      () => {
        const record = job(jobId);
        return record.parts.every((p) => p.joined === 'done') ? record : undefined;
      },
      what,
      30_000,
      () => JSON.stringify(harness.api.batches().views),
    );
  }

  function resultRows(path: string): Map<string, Record<string, unknown>> {
    const rows = new Map<string, Record<string, unknown>>();
    for (const line of readFileSync(path, 'utf8').trim().split('\n')) {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      if (parsed['type'] === 'row') rows.set(String(parsed['key']), parsed);
    }
    return rows;
  }

  it('a batch submitted, then the feature rebuilt from workspace state (a reload), is polled again, ends, and its results are joined', async () => {
    const uri = await batchPrompt('bt-reload', 30);
    // Processing outlasts the first window, so only the rebuilt feature can see the end.
    harness.sim.configure({ batchProcessingMs: 4_000 });
    const submitted = await submit(uri);
    assert.equal(harness.sim.requestCount('batches.create'), 1);
    assert.equal(submitted.parts.length, 1);
    assert.equal(submitted.parts[0]?.requests, 30);
    assert.equal(submitted.parts[0]?.processingStatus, 'in_progress');
    assert.ok(!JSON.stringify(submitted).includes(TEST_KEY), 'the key is never in a record');
    const view = harness.api.batches().views.find((v) => v.jobId === submitted.jobId);
    assert.equal(view?.batches[0]?.counts.processing, 30);

    // A new window: the in-memory poller, schedule and billing handle are gone; the records are not.
    harness.api.reloadBatches(fastPolling);
    assert.deepEqual(Object.keys(harness.api.batches().due), [submitted.jobId], 'the unfinished job is scheduled again at once');
    const done = await settled(submitted.jobId, 'the reloaded job to end and be joined');
    assert.ok(harness.sim.requestCount('batches.retrieve') >= 1);
    assert.equal(harness.sim.requestCount('batches.results'), 1, 'the results are streamed once');
    assert.equal(done.totals?.succeeded, 30);
    const rows = resultRows(done.resultsPath);
    assert.equal(rows.size, 30);
    for (const row of rows.values()) {
      assert.equal(row['status'], 'succeeded');
      assert.equal(typeof row['costUsd'], 'number');
      assert.match(String(row['batchId']), /^msgbatch_/);
    }
    // The notification follows the join's last save.
    await eventually(() => (harness.api.batches().notices.some((n) => n.includes('bt-reload') && n.includes('30 succeeded')) ? true : undefined), 'the notification that the job ended', 5_000, () => harness.api.batches().notices.join('\n'));
    // Open Results shows the same grid a run made now fills, at batch prices.
    await vscode.commands.executeCommand('promptWorkbench.openBatchResults', submitted.jobId);
    const panel = harness.api.datasetPanel();
    assert.equal(panel.rows.length, 30);
    assert.ok(panel.batchResults?.summary.includes('at batch prices'), panel.batchResults?.summary);
    assert.deepEqual(panel.batchResults?.batchIds, done.parts.map((p) => p.id));
    const batchCost = [...rows.values()].reduce((sum, r) => sum + Number(r['costUsd']), 0);
    assert.ok(Math.abs(batchCost - (done.totals?.costUsd ?? -1)) < 1e-12);
    // Every result's cost went to the ledger (simulated: recorded apart, never real spend).
    await eventually(() => (harness.api.spend().simulatedCalls >= 30 ? true : undefined), 'the results in the spend ledger');
  });

  it('cancelling marks the rows the batch had not reached as canceled', async () => {
    const uri = await batchPrompt('bt-cancel', 40);
    harness.sim.configure({ batchProcessingMs: 6_000 });
    const submitted = await submit(uri);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await vscode.commands.executeCommand('promptWorkbench.cancelBatch', submitted.jobId);
    assert.equal(harness.sim.requestCount('batches.cancel'), 1);
    const done = await settled(submitted.jobId, 'the cancelled job to end and be joined');
    const counts = done.totals;
    assert.ok(counts && counts.canceled > 0 && counts.succeeded > 0, JSON.stringify(counts));
    const rows = [...resultRows(done.resultsPath).values()];
    assert.equal(rows.filter((r) => r['status'] === 'canceled').length, counts.canceled);
    assert.equal(rows.length, 40);
    const view = harness.api.batches().views.find((v) => v.jobId === submitted.jobId);
    assert.equal(view?.retryable, counts.canceled, 'the canceled rows can be retried');
  });

  it('retries the expired rows as a new batch, leaves invalid requests out until the prompt changes, then sends them too', async () => {
    // Row R1 asks for an effort the API rejects: an invalid request, to fix before it is sent again.
    const uri = await batchPrompt('bt-retry', 12, { effortOf: (i) => (i === 1 ? 'turbo' : 'low') });
    // The batch needs 48 hours; 24 pass, so it expires half done.
    harness.sim.configure({ batchProcessingMs: 48 * HOUR });
    const first = await submit(uri);
    harness.sim.configure({ batchProcessingMs: 1_500 });
    clockOffset = 24 * HOUR + 1_000;
    await vscode.commands.executeCommand('promptWorkbench.refreshBatches');
    const ended = await settled(first.jobId, 'the expired job to be joined');
    assert.ok((ended.totals?.expired ?? 0) > 0, JSON.stringify(ended.totals));
    assert.equal(ended.totals?.fixFirst, 1, 'the invalid row is marked to fix first');
    const expiredKeys = [...resultRows(ended.resultsPath)].filter(([, r]) => r['status'] === 'expired').map(([key]) => key);

    await vscode.commands.executeCommand('promptWorkbench.retryBatchFailed', first.jobId);
    const retry = harness.api.batches().jobs.find((j) => j.retryOf === first.jobId);
    assert.ok(retry, 'a new batch job retries the first');
    const sent = harness.sim.requests.filter((r) => r.endpoint === 'batches.create').at(-1)?.body as { requests: { custom_id: string; params: { messages: { content: string }[] } }[] };
    assert.equal(sent.requests.length, expiredKeys.length, 'only the expired rows: the invalid request is left out');
    assert.ok(!JSON.stringify(sent).includes('ticket number 1"'), 'R1 is not sent unchanged');
    // The retry was created a day later on the simulator's clock too: it ends 1.5 s after that.
    const retried = await settled(retry.jobId, 'the retry to end');
    assert.equal(retried.totals?.succeeded, expiredKeys.length);
    let rows = resultRows(first.resultsPath);
    assert.equal([...rows.values()].filter((r) => r['status'] === 'succeeded').length, 11);
    assert.equal(rows.get('R1')?.['status'], 'errored');

    // The user fixes the prompt (a fixed effort): now the invalid row goes again, and succeeds.
    const document = await vscode.workspace.openTextDocument(uri);
    const fixed = JSON.parse(document.getText()) as { request: { output_config: { effort: string } } };
    fixed.request.output_config.effort = 'low';
    const edit = new vscode.WorkspaceEdit();
    edit.replace(uri, new vscode.Range(document.positionAt(0), document.positionAt(document.getText().length)), JSON.stringify(fixed, null, 2));
    await vscode.workspace.applyEdit(edit);
    await document.save();
    await vscode.commands.executeCommand('promptWorkbench.retryBatchFailed', first.jobId);
    const second = harness.api.batches().jobs.find((j) => j.retryOf === first.jobId && j.jobId !== retry.jobId);
    assert.ok(second, 'a second retry job');
    assert.equal(second.parts[0]?.requests, 1);
    await settled(second.jobId, 'the second retry to end');
    rows = resultRows(first.resultsPath);
    assert.equal([...rows.values()].filter((r) => r['status'] === 'succeeded').length, 12);
  });

  it('reports results whose custom_id mapping was tampered with, and joins none of them', async () => {
    const uri = await batchPrompt('bt-tamper', 8);
    harness.sim.configure({ batchProcessingMs: 3_000 });
    const submitted = await submit(uri);
    const mappingPath = submitted.mapping.path;
    assert.ok(existsSync(mappingPath), 'the mapping is in the extension storage');
    assert.ok(!mappingPath.startsWith(workspaceFile('').fsPath), 'not in the workspace folder');
    // Swap the rows of two custom_ids: a mis-join would put R0's answer on R1.
    const lines = readFileSync(mappingPath, 'utf8').split('\n');
    lines[1] = lines[1]!.replace('"R0"', '"Rx"');
    writeFileSync(mappingPath, lines.join('\n'));
    const done = await settled(submitted.jobId, 'the tampered job to end');
    assert.equal(done.totals?.succeeded, 0, 'nothing joined');
    assert.equal(done.totals?.unjoined, 8);
    assert.ok((done.totals?.problems.length ?? 0) > 0);
    const view = harness.api.batches().views.find((v) => v.jobId === submitted.jobId);
    assert.ok(view?.problem, 'the Batches view shows the problem');
    await eventually(() => (harness.api.batches().notices.some((n) => n.includes('bt-tamper') && /mapping/i.test(n)) ? true : undefined), 'the warning about the mapping', 5_000, () => harness.api.batches().notices.join('\n'));
    const rows = resultRows(done.resultsPath);
    assert.ok(![...rows.values()].some((r) => r['status'] === 'succeeded'), 'no row got a result');
  });

  it('a spend cap refusal is shown on the plan and nothing is sent', async () => {
    const uri = await batchPrompt('bt-refused', 5);
    await vscode.workspace.getConfiguration('promptWorkbench').update('maxRunCostUsd', 0.000001, vscode.ConfigurationTarget.Global);
    try {
      const plan = await vscode.commands.executeCommand<PlanView>('promptWorkbench.runOverDataset', uri);
      assert.equal(plan?.batchLimitsCheck.kind, 'refuse');
      // The button is disabled then; the host refuses all the same if a message comes.
      await harness.api.datasetMessage({ type: 'submitBatch' });
      const panel = harness.api.datasetPanel();
      assert.equal(panel.state, 'planned');
      assert.match(panel.message ?? '', /maxRunCostUsd/);
      assert.equal(harness.sim.requestCount('batches.create'), 0);
    } finally {
      await vscode.workspace.getConfiguration('promptWorkbench').update('maxRunCostUsd', undefined, vscode.ConfigurationTarget.Global);
    }
  });
});
