import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as vscode from 'vscode';
import type { ChunkPreviewView } from '../../src/chunking/chunkProtocol';
import { countTokensParams } from '../../src/core/counting/tokenEstimate';
import { formatCount } from '../../src/core/format';
import { countRequestTokens } from '../simulator/tokenizer';
import { englishText } from '../unit/chunking/sampleTexts';
import { useSimulator } from './apiHarness';
import { eventually, resetEditors, workspaceFile, writePrompt } from './helpers';

const model = 'claude-haiku-5-5';
const settings = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('promptWorkbench');

/** The text of each Messages request the simulator received, in order. */
function messageBodies(harness: ReturnType<typeof useSimulator>): string[] {
  return harness.sim.requests.filter((r) => r.endpoint === 'messages').map((r) => JSON.stringify(r.body));
}

describe('chunking: Run Prompt over Chunks through the editor', function () {
  this.timeout(300_000);
  // Each map reply names the chunk's first words, so the stitched output can be checked in order.
  const harness = useSimulator({
    outputTokens: 40,
    latencyMs: 20,
    replyText: (body) => {
      const text = JSON.stringify(body);
      if (text.includes('Merge these findings')) return `MERGED ${(text.match(/--- chunk \d+ of \d+ ---/g) ?? []).length} RESULTS`;
      const part = /<part>\\n([^\\]{0,30})/.exec(text);
      return part ? `FINDINGS FOR [${part[1]}]` : undefined;
    },
  });
  const written: string[] = [];

  before(async () => {
    // Generous limits: the simulator bills nothing, and these jobs send many requests.
    await settings().update('maxRunCostUsd', 100, vscode.ConfigurationTarget.Global);
    await settings().update('confirmAboveUsd', 100, vscode.ConfigurationTarget.Global);
  });
  afterEach(resetEditors);
  after(async () => {
    for (const path of written) rmSync(path, { force: true, recursive: true });
    for (const key of ['maxRunCostUsd', 'confirmAboveUsd', 'datasetConcurrency', 'maxReferencedFileMB']) await settings().update(key, undefined, vscode.ConfigurationTarget.Global);
  });

  async function chunkedPrompt(name: string, text: string, chunk: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<vscode.Uri> {
    const source = workspaceFile(`${name}.md`);
    writeFileSync(source.fsPath, text);
    const uri = await writePrompt(
      name,
      { model, max_tokens: 60, messages: [{ role: 'user', content: 'List the findings in this part for {{client}}:\n<part>\n{{doc}}\n</part>' }] },
      { variables: { client: 'ACME-CLIENT', doc: { file: `./${name}.md`, chunk } }, expectedOutputTokens: 40, ...extra },
    );
    written.push(source.fsPath, uri.fsPath);
    return uri;
  }

  function track(): void {
    const job = harness.api.chunkPreview().job;
    if (job.resultsPath) written.push(job.resultsPath);
    if (job.planPath) written.push(job.planPath);
  }

  it('counts a chunked prompt in the status bar without reading its chunked file, whatever its size', async () => {
    // A chunked file is read when its chunks are planned, never while typing: not whole when it is
    // small enough to read, and not refused (losing the other variables' values) when it is larger
    // than promptWorkbench.maxReferencedFileMB.
    await settings().update('maxReferencedFileMB', 1, vscode.ConfigurationTarget.Global);
    const request = { model, max_tokens: 60, messages: [{ role: 'user', content: 'List the findings in this part for {{client}}:\n<part>\n{{doc}}\n</part>' }] };
    const expected = countRequestTokens(
      countTokensParams({ ...request, messages: [{ role: 'user', content: 'List the findings in this part for ACME-CLIENT:\n<part>\n{{doc}}\n</part>' }] } as never) as unknown as Record<string, unknown>,
      model,
    );
    for (const [name, bytes] of [['chunk-status-small', 600_000], ['chunk-status-large', 2_500_000]] as const) {
      const uri = await chunkedPrompt(name, englishText(bytes, 7), { targetTokens: 20_000 });
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
      await eventually(
        () => {
          const s = harness.api.statusBar();
          return s.text.includes(`${formatCount(expected)} tok`) && !s.text.includes('~') ? s : undefined;
        },
        `the count of ${name} without its chunked file (${expected} tokens)`,
        20_000,
        () => harness.api.statusBar().text,
      );
      await resetEditors();
    }
  });

  it('previews before sending: chunks, sizes, where each starts (clickable), cost now and as a batch, the checks', async () => {
    const text = englishText(300_000, 3);
    const uri = await chunkedPrompt('chunk-preview', text, { targetTokens: 12_000, overlapTokens: 150, reduce: { type: 'request', request: { model, max_tokens: 200, messages: [{ role: 'user', content: 'Merge these findings:\n{{results}}' }] } } });
    const editor0 = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const lenses = await eventually(async () => {
      const found = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', editor0.document.uri);
      return found.length > 0 ? found : undefined;
    }, 'code lenses');
    const lens = lenses.find((l) => l.command?.command === 'promptWorkbench.runOverChunks');
    assert.ok(lens, 'the CodeLens offers Run over Chunks on a prompt that declares chunk');
    assert.ok(!lenses.some((l) => l.command?.command === 'promptWorkbench.run'), 'and not a plain Run of the whole file');

    const countsBefore = harness.sim.requestCount('count_tokens');
    const preview = await vscode.commands.executeCommand<ChunkPreviewView>('promptWorkbench.runOverChunks', ...(lens.command?.arguments ?? []));
    track();
    assert.ok(preview, 'a preview was made');
    assert.deepEqual(preview.errors, []);
    assert.equal(harness.sim.requestCount('messages'), 0, 'nothing is sent before the job is started');
    const n = preview.chunks.length;
    assert.ok(n >= 5, `${n} chunks`);
    assert.equal(preview.targetTokens, 12_000);
    assert.equal(preview.targetFrom, 'declared');
    // Every chunk but the last is within ±2% of the target, by the API's own count.
    for (const chunk of preview.chunks.slice(0, -1)) assert.ok(Math.abs(chunk.tokens - 12_000) <= 240, `chunk ${chunk.index + 1}: ${chunk.tokens} tokens`);
    assert.deepEqual([preview.chunks[0]?.line, preview.chunks[0]?.column], [1, 1]);
    assert.equal(preview.chunks[0]?.overlapCharacters, 0);
    assert.ok(preview.chunks.slice(1).every((c) => c.overlapCharacters > 0), 'later chunks carry overlap');
    assert.equal(preview.chunks.reduce((sum, c) => sum + c.characters, 0), text.length, 'the own regions cover the text exactly');
    const counts = harness.sim.requestCount('count_tokens') - countsBefore;
    assert.ok(counts <= 1.3 * n + 3, `${counts} count_tokens calls for ${n} chunks`);
    assert.equal(preview.countCalls, counts - 2, 'the sizing counts, besides the two overheads (map and reduce)');

    // Cost: every map call plus the reduce; the batch halves the map.
    assert.ok(preview.cost.known);
    const { map, reduce, total } = preview.cost;
    assert.ok((map.now.worstUsd ?? 0) > 0 && (reduce.worstUsd ?? 0) > 0);
    assert.ok(Math.abs((total.now.worstUsd ?? 0) - ((map.now.worstUsd ?? 0) + (reduce.worstUsd ?? 0))) < 1e-12);
    assert.ok(Math.abs((map.batch.worstUsd ?? 0) - (map.now.worstUsd ?? 0) / 2) < 1e-12);
    assert.ok(Math.abs((total.batch.worstUsd ?? 0) - ((map.now.worstUsd ?? 0) / 2 + (reduce.worstUsd ?? 0))) < 1e-12);
    assert.equal(preview.limitsCheck.kind, 'send');
    assert.equal(preview.batch.available, true, 'Submit as Batch is offered (test/integration/chunkBatch.test.ts follows it)');
    assert.equal(preview.batchLimitsCheck.kind, 'send');
    assert.equal(harness.api.chunkPreview().visible, true);
    assert.equal(harness.api.chunkPreview().state, 'planned');

    // The place where chunk 3 starts opens in the source file.
    const third = preview.chunks[2]!;
    await harness.api.chunkMessage({ type: 'openChunk', index: 2 });
    const editor = await eventually(() => (vscode.window.activeTextEditor?.document.uri.fsPath.endsWith('chunk-preview.md') ? vscode.window.activeTextEditor : undefined), 'the source file opened');
    assert.deepEqual([editor.selection.active.line + 1, editor.selection.active.character + 1], [third.line, third.column]);

    // A spend cap below the worst case refuses in the preview, before anything is sent.
    await settings().update('maxRunCostUsd', (total.now.worstUsd ?? 0) / 2, vscode.ConfigurationTarget.Global);
    try {
      const refused = await vscode.commands.executeCommand<ChunkPreviewView>('promptWorkbench.runOverChunks', uri);
      assert.equal(refused?.limitsCheck.kind, 'refuse');
      assert.match(refused?.limitsCheck.message ?? '', /maxRunCostUsd/);
      assert.equal(refused?.countCalls, 0, 'the saved chunks of the same text are reused, not counted again');
      await harness.api.chunkMessage({ type: 'start' });
      assert.equal(harness.sim.requestCount('messages'), 0, 'Start sends nothing past the spend cap');
    } finally {
      await settings().update('maxRunCostUsd', 100, vscode.ConfigurationTarget.Global);
    }
  });

  it('maps a 2 MB document and reduces it: the stitched output in the run panel and history, the chunks in the results grid, every call in the ledger', async () => {
    const text = englishText(2 * 1024 * 1024, 11);
    const uri = await chunkedPrompt('chunk-2mb', text, { targetTokens: 40_000, overlapTokens: 200, reduce: { type: 'request', request: { model, max_tokens: 200, messages: [{ role: 'user', content: 'Merge these findings:\n{{results}}' }] } } });
    const preview = await vscode.commands.executeCommand<ChunkPreviewView>('promptWorkbench.runOverChunks', uri);
    track();
    assert.ok(preview && preview.errors.length === 0);
    const n = preview.chunks.length;
    assert.ok(n >= 10, `${n} chunks`);
    const ledgerBefore = harness.api.spend().simulatedCalls;

    await harness.api.chunkMessage({ type: 'start' });
    const snapshot = harness.api.chunkPreview();
    assert.equal(snapshot.state, 'finished', snapshot.message);
    const bodies = messageBodies(harness);
    assert.equal(bodies.length, n + 1, 'one request per chunk, and one reduce');
    assert.equal(bodies.filter((b) => b.includes('ACME-CLIENT')).length, n, 'the other variables are bound in every chunk request');
    const reduceBody = bodies.find((b) => b.includes('Merge these findings'));
    assert.ok(reduceBody);
    // The reduce received every chunk's result, in order, under its marker.
    const markers = [...reduceBody.matchAll(/--- chunk (\d+) of (\d+) ---\\n(FINDINGS FOR \[[^\]]*\])/g)];
    assert.deepEqual(markers.map((m) => Number(m[1])), Array.from({ length: n }, (_, i) => i + 1));
    assert.equal(new Set(markers.map((m) => m[3])).size, n, "each chunk's own result, none repeated");

    // The stitched output: the run panel shows it like a run, and the prompt's history has it.
    const output = snapshot.job.output;
    assert.ok(output);
    assert.equal(output.text, `MERGED ${n} RESULTS`);
    const panel = await eventually(() => {
      const state = harness.api.panelState();
      return state.current?.header.runId === output.recordId ? state : undefined;
    }, 'the stitched output in the run panel');
    assert.equal(panel.current?.blocks[0]?.text, `MERGED ${n} RESULTS`);
    assert.ok(panel.history.some((entry) => entry.recordId === output.recordId), 'listed in the history');
    const records = readFileSync(output.historyPath, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const record = records.find((r) => r['recordId'] === output.recordId);
    assert.ok(record);
    assert.deepEqual((record['chunked'] as Record<string, unknown>)['chunks'], n);
    assert.equal((record['chunked'] as Record<string, unknown>)['reduceRequests'], 1);
    assert.equal(record['simulated'], true);
    written.push(output.historyPath);

    // Each chunk call and the reduce are in the job's own history, beside the prompt's.
    const mapHistory = snapshot.job.mapHistoryPath;
    assert.ok(mapHistory && existsSync(mapHistory));
    written.push(mapHistory);
    assert.equal(readFileSync(mapHistory, 'utf8').trim().split('\n').length, n + 1);
    // The stitched output's start and duration are the job's, from Start to the stitch: it once
    // started when the stitch was written and lasted 0 ms.
    const callStarts = readFileSync(mapHistory, 'utf8').trim().split('\n').map((line) => Date.parse((JSON.parse(line) as { startedAt: string }).startedAt));
    const stitchedStart = Date.parse(record['startedAt'] as string);
    assert.ok(stitchedStart <= Math.min(...callStarts), 'the stitched output starts before its first call');
    assert.ok((record['timings'] as { durationMs: number }).durationMs >= Math.max(...callStarts) - stitchedStart, 'and lasts at least until its last call');

    // The ledger: every call, the chunks' and the reduce's.
    await eventually(() => (harness.api.spend().simulatedCalls - ledgerBefore === n + 1 ? true : undefined), 'n + 1 calls in the ledger', 10_000, () => String(harness.api.spend().simulatedCalls - ledgerBefore));

    // The per-chunk results in the results grid.
    await harness.api.chunkMessage({ type: 'showResults' });
    const grid = harness.api.datasetPanel();
    assert.equal(grid.rows.length, n);
    assert.ok(grid.rows.every((row) => row.status === 'succeeded' && row.output?.startsWith('FINDINGS FOR [')));
    assert.deepEqual(grid.rows.map((r) => r.key).sort(), Array.from({ length: n }, (_, i) => `chunk-${i + 1}`).sort());
    assert.match(grid.batchResults?.title ?? '', new RegExp(`${n} chunks`));
  });

  it('stitches a job whose every chunk already has its result (a batch that ended) without sending a chunk again', async () => {
    const text = englishText(200_000, 13);
    const uri = await chunkedPrompt('chunk-stitch', text, { targetTokens: 10_000, reduce: { type: 'request', request: { model, max_tokens: 200, messages: [{ role: 'user', content: 'Merge these findings:\n{{results}}' }] } } });
    const preview = await vscode.commands.executeCommand<ChunkPreviewView>('promptWorkbench.runOverChunks', uri);
    track();
    assert.ok(preview && preview.errors.length === 0);
    const n = preview.chunks.length;
    const resultsPath = harness.api.chunkPreview().job.resultsPath;
    assert.ok(resultsPath);
    // Not every chunk has a result: nothing is stitched, nothing is sent.
    const row = (i: number): string => `${JSON.stringify({ type: 'row', key: `chunk-${i + 1}`, index: i, status: 'succeeded', text: `BATCH RESULT ${i + 1}`, usage: { input_tokens: 100, output_tokens: 10 }, costUsd: 0.0001, time: new Date().toISOString() })}\n`;
    writeFileSync(resultsPath, Array.from({ length: n - 1 }, (_, i) => row(i)).join(''));
    await assert.rejects(harness.api.chunkStitch(uri.fsPath, resultsPath), /1 of \d+ chunks have no result/);
    assert.equal(harness.sim.requestCount('messages'), 0);
    // The last result arrives (in a batch's results, in any order): the reduce alone is sent.
    writeFileSync(resultsPath, row(n - 1), { flag: 'a' });
    await harness.api.chunkStitch(uri.fsPath, resultsPath);
    const bodies = messageBodies(harness);
    assert.equal(bodies.length, 1, 'only the reduce');
    assert.deepEqual([...(bodies[0] ?? '').matchAll(/--- chunk (\d+) of \d+ ---\\nBATCH RESULT (\d+)/g)].map((m) => [Number(m[1]), Number(m[2])]), Array.from({ length: n }, (_, i) => [i + 1, i + 1]));
    const output = harness.api.chunkPreview().job.output;
    assert.equal(output?.text, `MERGED ${n} RESULTS`);
    if (output) written.push(output.historyPath);
  });

  it('cancel in the middle keeps the finished chunks; resuming sends only the others, then stitches', async () => {
    await settings().update('datasetConcurrency', 1, vscode.ConfigurationTarget.Global);
    harness.sim.configure({ latencyMs: 150 });
    try {
      const text = englishText(400_000, 5);
      const uri = await chunkedPrompt('chunk-cancel', text, { targetTokens: 10_000, overlapTokens: 100 });
      const preview = await vscode.commands.executeCommand<ChunkPreviewView>('promptWorkbench.runOverChunks', uri);
      track();
      assert.ok(preview && preview.errors.length === 0);
      const n = preview.chunks.length;
      assert.ok(n >= 8, `${n} chunks`);

      await harness.api.chunkMessage({ type: 'start' }, { wait: false });
      await eventually(() => ((harness.api.chunkPreview().progress?.succeeded ?? 0) >= 3 ? true : undefined), 'three chunks finished', 60_000);
      await harness.api.chunkMessage({ type: 'cancel' });
      const cancelled = harness.api.chunkPreview();
      assert.equal(cancelled.state, 'cancelled', cancelled.message);
      const resultsPath = cancelled.job.resultsPath;
      assert.ok(resultsPath);
      const lines = readFileSync(resultsPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      const finished = lines.filter((l) => l['type'] === 'row' && l['status'] === 'succeeded');
      const kept = finished.length;
      assert.ok(kept >= 3 && kept < n, `${kept} of ${n} kept`);
      assert.equal(cancelled.job.output, undefined, 'nothing stitched from a part of the chunks');
      const sentBefore = messageBodies(harness);

      // The same command offers the same job again: the finished chunks are marked and not sent.
      const resumed = await vscode.commands.executeCommand<ChunkPreviewView>('promptWorkbench.runOverChunks', uri);
      assert.ok(resumed);
      assert.equal(resumed.alreadyDone, kept);
      assert.equal(resumed.countCalls, 0, 'the saved chunks are reused');
      assert.equal(resumed.chunks.filter((c) => c.done).length, kept);
      assert.equal(harness.api.chunkPreview().job.resultsPath, resultsPath, 'the same results file');
      await harness.api.chunkMessage({ type: 'start' });
      const done = harness.api.chunkPreview();
      assert.equal(done.state, 'finished', done.message);
      const sentAfter = messageBodies(harness).slice(sentBefore.length);
      assert.equal(sentAfter.length, n - kept, 'only the chunks not finished before were sent');
      // No finished chunk's own text was sent again (its opening words are in its request only).
      const starts = resumed.chunks.map((_, i) => resumed.chunks.slice(0, i).reduce((sum, c) => sum + c.characters, 0));
      for (const line of finished) {
        const index = Number(String(line['key']).replace('chunk-', '')) - 1;
        const opening = JSON.stringify(text.slice(starts[index]! + 10, starts[index]! + 150)).slice(1, -1);
        assert.equal(sentBefore.filter((body) => body.includes(opening)).length, 1, `chunk ${index + 1} was sent once before the cancel`);
        assert.ok(!sentAfter.some((body) => body.includes(opening)), `chunk ${index + 1} was not sent again`);
      }
      // Concatenated in order under the default markers, the resumed chunks with the new ones.
      const output = done.job.output;
      assert.ok(output);
      written.push(output.historyPath);
      const markers = [...output.text.matchAll(/^--- chunk (\d+) of (\d+) ---$/gm)].map((m) => Number(m[1]));
      assert.deepEqual(markers, Array.from({ length: n }, (_, i) => i + 1));
      const rows = readFileSync(resultsPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['type'] === 'row' && l['status'] === 'succeeded');
      assert.equal(new Set(rows.map((r) => r['key'])).size, n);
      assert.equal(rows.length, n, 'no chunk succeeded twice');
    } finally {
      harness.sim.configure({ latencyMs: 20 });
      await settings().update('datasetConcurrency', undefined, vscode.ConfigurationTarget.Global);
    }
  });
});
