// Issue 16's batch path in the extension host, against the simulator: Submit as Batch in the chunk
// preview sends the same chunks a run made now sends, the Batches view watches the job, and when
// it ends the chunks are stitched (the reduce sent now) into the same output, the map at half price.
import * as assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as vscode from 'vscode';
import type { ChunkPreviewView } from '../../src/chunking/chunkProtocol';
import type { RowResult } from '../../src/core/dataset/datasetResults';
import { englishText } from '../unit/chunking/sampleTexts';
import { useSimulator } from './apiHarness';
import { eventually, resetEditors, workspaceFile, writePrompt } from './helpers';

const model = 'claude-haiku-5-5';
const settings = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('promptWorkbench');
/** Short delays, so the test waits seconds: users get core's policy (10 s, backing off to 5 min). */
const fastPolling = { firstMs: 150, maxMs: 600, factor: 1.5 };

function rowsOf(path: string): Map<string, RowResult> {
  const rows = new Map<string, RowResult>();
  for (const text of readFileSync(path, 'utf8').trim().split('\n')) {
    const line = JSON.parse(text) as RowResult | { type: 'job' };
    if (line.type === 'row') rows.set(line.key, line);
  }
  return rows;
}

describe('chunking as a Message Batch: Submit as Batch in the chunk preview, the Batches view, the stitch', function () {
  this.timeout(300_000);
  const harness = useSimulator({ outputTokens: 30, latencyMs: 10, batchProcessingMs: 1_500 });
  const written: string[] = [];

  before(async () => {
    await settings().update('maxRunCostUsd', 100, vscode.ConfigurationTarget.Global);
    await settings().update('confirmAboveUsd', 100, vscode.ConfigurationTarget.Global);
    harness.api.reloadBatches(fastPolling);
  });
  afterEach(resetEditors);
  after(async () => {
    for (const job of harness.api.batches().jobs) await vscode.commands.executeCommand('promptWorkbench.forgetBatch', job.jobId);
    for (const path of written) rmSync(path, { force: true, recursive: true });
    for (const key of ['maxRunCostUsd', 'confirmAboveUsd']) await settings().update(key, undefined, vscode.ConfigurationTarget.Global);
  });

  it('the batch path gives the same chunks and the same stitched result, the map at half price', async () => {
    const text = englishText(300_000, 17);
    const source = workspaceFile('chunk-batch.md');
    writeFileSync(source.fsPath, text);
    const uri = await writePrompt(
      'chunk-batch',
      { model, max_tokens: 60, messages: [{ role: 'user', content: 'List the findings in this part:\n<part>\n{{doc}}\n</part>' }] },
      {
        variables: { doc: { file: './chunk-batch.md', chunk: { targetTokens: 12_000, overlapTokens: 150, reduce: { type: 'request', request: { model, max_tokens: 100, messages: [{ role: 'user', content: 'Merge these findings:\n{{results}}' }] } } } } },
        expectedOutputTokens: 30,
      },
    );
    written.push(source.fsPath, uri.fsPath);
    const track = (): void => {
      const job = harness.api.chunkPreview().job;
      for (const path of [job.resultsPath, job.planPath, job.mapHistoryPath, job.output?.historyPath]) if (path) written.push(path);
    };

    // ---- as a batch
    const preview = await vscode.commands.executeCommand<ChunkPreviewView>('promptWorkbench.runOverChunks', uri);
    track();
    assert.ok(preview && preview.errors.length === 0);
    const n = preview.chunks.length;
    assert.ok(n >= 5, `${n} chunks`);
    assert.equal(preview.batch.available, true, preview.batch.reason);
    assert.equal(preview.batchLimitsCheck.kind, 'send');
    assert.equal(harness.sim.requestCount('batches.create'), 0, 'nothing is sent before the click');
    const ledgerBefore = harness.api.spend().simulatedCalls;
    await harness.api.chunkMessage({ type: 'submitBatch' });
    const submitted = harness.api.chunkPreview();
    assert.equal(submitted.state, 'submitted', submitted.message);
    const batchResults = submitted.job.resultsPath;
    assert.ok(batchResults);
    assert.equal(harness.sim.requestCount('messages'), 0, 'no chunk is sent now');
    const job = harness.api.batches().jobs.find((j) => j.resultsPath === batchResults);
    assert.ok(job, 'the chunk batch is in the Batches view');
    assert.deepEqual(job.chunked, { variable: 'doc', chunks: n });
    assert.ok(harness.api.batches().views.some((v) => v.jobId === job.jobId && v.dataset === `chunk-batch.md (${n} chunks)`));
    const create = harness.sim.requests.find((r) => r.endpoint === 'batches.create')?.body as { requests: { custom_id: string; params: Record<string, unknown> }[] };
    assert.deepEqual(create.requests.map((r) => r.custom_id), Array.from({ length: n }, (_, i) => `chunk-${i + 1}`));

    // The job ends, its results are joined into the chunk results file, and the chunks are stitched.
    const output = await eventually(() => harness.api.chunkPreview().job.output, 'the stitched output after the batch', 60_000, () => JSON.stringify({ views: harness.api.batches().views, notices: harness.api.batches().notices, state: harness.api.chunkPreview().state }));
    track();
    const messages = harness.sim.requests.filter((r) => r.endpoint === 'messages').map((r) => JSON.stringify(r.body));
    assert.equal(messages.length, 1, 'only the reduce is sent now');
    assert.match(messages[0] ?? '', /Merge these findings/);
    await eventually(() => harness.api.batches().notices.find((notice) => notice.includes(`the ${n} chunks are stitched`)), 'the Batches view says the chunks are stitched', 10_000, () => JSON.stringify(harness.api.batches().notices));
    const panel = await eventually(() => {
      const state = harness.api.panelState();
      return state.current?.header.runId === output.recordId ? state : undefined;
    }, 'the stitched output in the run panel');
    assert.equal(panel.current?.blocks[0]?.text, output.text);
    assert.equal(harness.api.spend().simulatedCalls - ledgerBefore, n + 1, 'every chunk result and the reduce are in the ledger');
    const batchRows = rowsOf(batchResults);

    // ---- the same prompt now: a new results file, the same chunks
    harness.sim.reset();
    const again = await vscode.commands.executeCommand<ChunkPreviewView>('promptWorkbench.runOverChunks', uri);
    assert.ok(again);
    assert.deepEqual(again.chunks.map((c) => [c.line, c.column, c.tokens]), preview.chunks.map((c) => [c.line, c.column, c.tokens]));
    await harness.api.chunkMessage({ type: 'start' });
    track();
    const now = harness.api.chunkPreview();
    assert.equal(now.state, 'finished', now.message);
    assert.notEqual(now.job.resultsPath, batchResults);
    const nowBodies = harness.sim.requests.filter((r) => r.endpoint === 'messages').map((r) => JSON.stringify(r.body));
    assert.deepEqual(create.requests.map((r) => JSON.stringify(r.params)).sort(), nowBodies.filter((b) => !b.includes('Merge these findings')).sort(), 'the batch sent the requests the map sends now');
    assert.equal(now.job.output?.text, output.text, 'the same stitched result');

    const nowRows = rowsOf(now.job.resultsPath ?? '');
    assert.equal(batchRows.size, n);
    let batchUsd = 0;
    let nowUsd = 0;
    for (const [key, line] of batchRows) {
      const nowLine = nowRows.get(key);
      assert.ok(nowLine && nowLine.status === 'succeeded' && line.status === 'succeeded');
      assert.equal(line.text, nowLine.text);
      assert.equal(line.usage?.service_tier, 'batch');
      assert.ok(Math.abs((line.costUsd ?? 0) * 2 - (nowLine.costUsd ?? -1)) < 1e-12, `${key}: ${line.costUsd} is half of ${nowLine.costUsd}`);
      batchUsd += line.costUsd ?? 0;
      nowUsd += nowLine.costUsd ?? 0;
    }
    assert.ok(batchUsd > 0 && Math.abs(batchUsd * 2 - nowUsd) < 1e-9, `the map: ${batchUsd} as a batch, ${nowUsd} now`);
    const joined = harness.api.batches().jobs.find((j) => j.jobId === job.jobId);
    assert.ok(joined?.totals && Math.abs(joined.totals.costUsd - batchUsd) < 1e-12);
  });

  it('when the batch ends, a reduce above confirmAboveUsd waits for the user\'s click (Run Reduce…), then asks and stitches', async () => {
    const source = workspaceFile('chunk-batch-confirm.md');
    writeFileSync(source.fsPath, englishText(60_000, 23));
    const uri = await writePrompt(
      'chunk-batch-confirm',
      { model, max_tokens: 60, messages: [{ role: 'user', content: 'List the findings in this part:\n<part>\n{{doc}}\n</part>' }] },
      {
        variables: { doc: { file: './chunk-batch-confirm.md', chunk: { targetTokens: 6_000, overlapTokens: 100, reduce: { type: 'request', request: { model, max_tokens: 100, messages: [{ role: 'user', content: 'Merge these findings:\n{{results}}' }] } } } } },
        expectedOutputTokens: 30,
      },
    );
    written.push(source.fsPath, uri.fsPath);
    const preview = await vscode.commands.executeCommand<ChunkPreviewView>('promptWorkbench.runOverChunks', uri);
    assert.ok(preview && preview.errors.length === 0);
    const n = preview.chunks.length;
    harness.sim.reset();
    // Long enough for the threshold to change before the batch ends.
    harness.sim.configure({ batchProcessingMs: 6_000 });
    try {
      await harness.api.chunkMessage({ type: 'submitBatch' });
    } finally {
      harness.sim.configure({ batchProcessingMs: 1_500 });
    }
    const resultsPath = harness.api.chunkPreview().job.resultsPath;
    assert.ok(resultsPath);
    written.push(resultsPath);
    const job = harness.api.batches().jobs.find((j) => j.resultsPath === resultsPath);
    assert.ok(job, 'the chunk batch is in the Batches view');
    // Every reduce now needs the user's yes.
    await settings().update('confirmAboveUsd', 0, vscode.ConfigurationTarget.Global);
    try {
      const notice = await eventually(
        () => harness.api.batches().notices.find((text) => text.startsWith('Every chunk of') && text.includes('The reduce is not sent until you click Run Reduce…')),
        'the batch-ended notice offering Run Reduce…',
        60_000,
        () => JSON.stringify({ notices: harness.api.batches().notices, state: harness.api.chunkPreview().state }),
      );
      assert.match(notice, /may cost up to \$/, notice);
      assert.equal(harness.sim.requestCount('messages'), 0, 'no reduce is sent before the click');
      assert.equal(harness.api.chunkPreview().state, 'planned', 'the job waits: nothing asked, nothing sent');
      assert.equal(harness.api.chunkPreview().job.output, undefined);
      assert.ok(harness.api.batches().views.some((v) => v.jobId === job.jobId && v.chunked), 'the view offers Stitch Chunks on the job');

      // The click (the notification's Run Reduce…, or Stitch Chunks in the view): now the yes is asked, and given.
      harness.api.answerDialogsForTests({ confirmSend: true });
      await vscode.commands.executeCommand('promptWorkbench.stitchBatchChunks', job.jobId);
      const output = harness.api.chunkPreview().job.output;
      assert.ok(output, JSON.stringify(harness.api.batches().notices));
      written.push(output.historyPath);
      const messages = harness.sim.requests.filter((r) => r.endpoint === 'messages').map((r) => JSON.stringify(r.body));
      assert.equal(messages.length, 1, 'only the reduce is sent, once');
      assert.match(messages[0] ?? '', /Merge these findings/);
      assert.ok(harness.api.batches().notices.some((text) => text.includes(`the ${n} chunks are stitched`)));
    } finally {
      harness.api.answerDialogsForTests({});
      await settings().update('confirmAboveUsd', 100, vscode.ConfigurationTarget.Global);
    }
  });
});
