import * as assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import * as vscode from 'vscode';
import type { ChunkPreviewView } from '../../src/chunking/chunkProtocol';
import type { BatchRecord } from '../../src/core/batch/batchRecord';
import type { PlanView } from '../../src/datasets/datasetProtocol';
import { englishText } from '../unit/chunking/sampleTexts';
import { useSimulator } from './apiHarness';
import { eventually, workspaceFile, writePrompt } from './helpers';

type Json = Record<string, unknown>;

const model = 'claude-haiku-5-5';
const HOUR = 60 * 60_000;
const fastPolling = { firstMs: 150, maxMs: 600, factor: 1.5 };

/** The document sources of a request's first message, as sent. */
function documentSources(body: unknown): unknown[] {
  const messages = (body as { messages?: { content: unknown }[] }).messages ?? [];
  const content = messages[0]?.content;
  return Array.isArray(content) ? (content as Json[]).filter((block) => block['type'] === 'document').map((block) => block['source']) : [];
}

describe('workspace files in dataset and batch jobs: uploaded once per job, sent by file_id in every row', function () {
  this.timeout(120_000);
  let clockOffset = 0;
  const harness = useSimulator({ outputTokens: 8, batchProcessingMs: 1_500, now: () => Date.now() + clockOffset });
  const written: vscode.Uri[] = [];

  before(() => harness.api.reloadBatches(fastPolling));

  afterEach(async () => {
    clockOffset = 0;
    harness.sim.configure({ batchProcessingMs: 1_500 });
    for (const job of harness.api.batches().jobs) await vscode.commands.executeCommand('promptWorkbench.forgetBatch', job.jobId);
  });

  after(() => {
    for (const uri of written) rmSync(uri.fsPath, { force: true, recursive: true });
  });

  /** A prompt whose every row asks about the same workspace document, over `rows` CSV rows. */
  async function documentPrompt(name: string, rows: number, options: { effortOf?: (i: number) => string } = {}): Promise<vscode.Uri> {
    const policy = workspaceFile(`${name}-policy.txt`);
    writeFileSync(policy.fsPath, `Policy for ${name}: refunds within 30 days; answers within a day.\n`);
    const data = workspaceFile(`${name}.csv`);
    writeFileSync(data.fsPath, `${['id,question,effort', ...Array.from({ length: rows }, (_, i) => `Q${i},question number ${i},${options.effortOf?.(i) ?? 'low'}`)].join('\n')}\n`);
    const uri = await writePrompt(
      name,
      {
        model,
        max_tokens: 40,
        output_config: { effort: '{{effort}}' },
        messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'workspace_file', path: `${name}-policy.txt` } }, { type: 'text', text: 'Answer from the policy: {{question}}' }] }],
      },
      { variables: { question: { description: 'the question' }, effort: { description: 'effort per row' } }, expectedOutputTokens: 8, dataset: { path: `./${name}.csv`, keyColumn: 'id' } },
    );
    written.push(uri, data, policy);
    return uri;
  }

  async function plan(uri: vscode.Uri): Promise<PlanView> {
    const planned = await vscode.commands.executeCommand<PlanView>('promptWorkbench.runOverDataset', uri);
    assert.ok(planned, 'a plan was made');
    assert.deepEqual(planned.errors, []);
    return planned;
  }

  /** The one file id every request since `from` sent (and that none sent the workspace path). */
  function soleFileId(endpoint: 'messages' | 'count_tokens', from: number): string {
    const bodies = harness.sim.requests.filter((r) => r.endpoint === endpoint).slice(from).map((r) => r.body);
    assert.ok(bodies.length > 0, `some ${endpoint} requests`);
    const ids = new Set<string>();
    for (const body of bodies) {
      assert.doesNotMatch(JSON.stringify(body), /workspace_file/, `no ${endpoint} request sends the workspace path`);
      const sources = documentSources(body) as { type: string; file_id: string }[];
      assert.equal(sources.length, 1);
      assert.equal(sources[0]?.type, 'file');
      ids.add(sources[0]?.file_id ?? '');
    }
    assert.equal(ids.size, 1, `every ${endpoint} request sends the same file id: ${[...ids].join(', ')}`);
    return [...ids][0] as string;
  }

  it('a dataset job uploads the file once, counts and sends every row with its file_id, and a later job reuses the upload', async () => {
    const uploadsBefore = harness.sim.requestCount('files.upload');
    const countsBefore = harness.sim.requestCount('count_tokens');
    const uri = await documentPrompt('jf-dataset', 6);
    const planned = await plan(uri);
    assert.equal(planned.tokens.method, 'exact');
    assert.equal(harness.sim.requestCount('files.upload') - uploadsBefore, 1, 'one upload for the job');
    const counted = soleFileId('count_tokens', countsBefore);
    assert.match(counted, /^file_/);

    const messagesBefore = harness.sim.requestCount('messages');
    await harness.api.datasetMessage({ type: 'start' });
    const panel = harness.api.datasetPanel();
    assert.equal(panel.state, 'finished', panel.message);
    assert.equal(panel.rows.filter((r) => r.status === 'succeeded').length, 6);
    assert.equal(harness.sim.requestCount('messages') - messagesBefore, 6);
    assert.equal(soleFileId('messages', messagesBefore), counted, 'the rows send the id the plan counted');
    assert.equal(harness.sim.requestCount('files.upload') - uploadsBefore, 1, 'no row uploads again');
    if (panel.job.resultsPath) written.push(vscode.Uri.file(panel.job.resultsPath));
    if (panel.job.historyPath) written.push(vscode.Uri.file(panel.job.historyPath));

    // The same prompt planned again (another job): the content is known, so nothing is uploaded.
    await plan(uri);
    assert.equal(harness.sim.requestCount('files.upload') - uploadsBefore, 1, 'the next job reuses the upload');
  });

  it('a batch carries the file_id in every request, and its retry sends the same id without uploading again', async () => {
    // Row Q1 asks for an effort the API rejects; the batch expires half done, so Retry has rows to send.
    const uri = await documentPrompt('jf-batch', 10, { effortOf: (i) => (i === 1 ? 'turbo' : 'low') });
    const uploadsBefore = harness.sim.requestCount('files.upload');
    const before = new Set(harness.api.batches().jobs.map((j) => j.jobId));
    await plan(uri);
    harness.sim.configure({ batchProcessingMs: 48 * HOUR });
    await harness.api.datasetMessage({ type: 'submitBatch' });
    assert.equal(harness.api.datasetPanel().state, 'submitted', harness.api.datasetPanel().message);
    harness.sim.configure({ batchProcessingMs: 1_500 });
    const job = harness.api.batches().jobs.find((j) => !before.has(j.jobId));
    assert.ok(job, 'the batch job is recorded');
    written.push(vscode.Uri.file(job.resultsPath));
    const created = () => harness.sim.requests.filter((r) => r.endpoint === 'batches.create').map((r) => (r.body as { requests: { custom_id: string; params: Json }[] }).requests);
    const firstBatch = created().at(-1) ?? [];
    assert.equal(firstBatch.length, 10);
    const ids = new Set(firstBatch.map((request) => (documentSources(request.params)[0] as { file_id?: string } | undefined)?.file_id));
    assert.equal(ids.size, 1);
    const fileId = [...ids][0];
    assert.match(String(fileId), /^file_/);
    assert.doesNotMatch(JSON.stringify(firstBatch), /workspace_file/);

    clockOffset = 24 * HOUR + 1_000;
    await vscode.commands.executeCommand('promptWorkbench.refreshBatches');
    const ended = await eventually(
      () => {
        const record = harness.api.batches().jobs.find((j) => j.jobId === job.jobId);
        return record?.parts.every((p) => p.joined === 'done') ? record : undefined;
      },
      'the expired batch to be joined',
      30_000,
    );
    assert.ok((ended.totals?.expired ?? 0) > 0, JSON.stringify(ended.totals));
    assert.equal(ended.totals?.fixFirst, 1);

    // Retry re-reads the unchanged prompt: it is the same prompt (its file has the same upload), so
    // the invalid row stays out and the expired rows go again with the same file id.
    const batchesBefore = created().length;
    await vscode.commands.executeCommand('promptWorkbench.retryBatchFailed', job.jobId);
    const retry: BatchRecord | undefined = harness.api.batches().jobs.find((j) => j.retryOf === job.jobId);
    assert.ok(retry, 'a retry job');
    assert.equal(created().length, batchesBefore + 1);
    const retried = created().at(-1) ?? [];
    assert.equal(retried.length, ended.totals?.expired, 'only the expired rows: the invalid one waits for a changed prompt');
    for (const request of retried) assert.deepEqual(documentSources(request.params), [{ type: 'file', file_id: fileId }]);
    assert.equal(harness.sim.requestCount('files.upload') - uploadsBefore, 1, 'one upload for the batch and its retry');
    await eventually(() => (harness.api.batches().jobs.find((j) => j.jobId === retry.jobId)?.parts.every((p) => p.joined === 'done') ? true : undefined), 'the retry to end', 30_000);
  });

  it('a chunked run uploads the file once and sends its file_id with every chunk', async () => {
    const policy = workspaceFile('jf-chunks-policy.txt');
    writeFileSync(policy.fsPath, 'Policy for chunked runs: flag every late delivery.\n');
    const source = workspaceFile('jf-chunks.md');
    writeFileSync(source.fsPath, englishText(60_000, 5));
    const uri = await writePrompt(
      'jf-chunks',
      {
        model,
        max_tokens: 40,
        messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'workspace_file', path: 'jf-chunks-policy.txt' } }, { type: 'text', text: 'Apply the policy to this part:\n{{doc}}' }] }],
      },
      { variables: { doc: { file: './jf-chunks.md', chunk: { targetTokens: 4_000 } } }, expectedOutputTokens: 8 },
    );
    written.push(uri, source, policy);
    const uploadsBefore = harness.sim.requestCount('files.upload');
    const countsBefore = harness.sim.requestCount('count_tokens');
    const preview = await vscode.commands.executeCommand<ChunkPreviewView>('promptWorkbench.runOverChunks', uri);
    assert.ok(preview, 'a preview was made');
    assert.deepEqual(preview.errors, []);
    const job = harness.api.chunkPreview().job;
    for (const path of [job.resultsPath, job.planPath, job.mapHistoryPath]) if (path) written.push(vscode.Uri.file(path));
    const n = preview.chunks.length;
    assert.ok(n >= 3, `${n} chunks`);
    assert.equal(harness.sim.requestCount('files.upload') - uploadsBefore, 1, 'one upload for the run');
    const counted = soleFileId('count_tokens', countsBefore);

    const messagesBefore = harness.sim.requestCount('messages');
    await harness.api.chunkMessage({ type: 'start' });
    const snapshot = harness.api.chunkPreview();
    assert.equal(snapshot.state, 'finished', snapshot.message);
    assert.equal(harness.sim.requestCount('messages') - messagesBefore, n, 'one request per chunk (concatenated, no reduce)');
    assert.equal(soleFileId('messages', messagesBefore), counted, 'every chunk sends the id the sizing counted');
    assert.equal(harness.sim.requestCount('files.upload') - uploadsBefore, 1, 'no chunk uploads again');
  });
});
