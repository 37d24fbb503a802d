import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import type { RunSummary } from '../../src/run/runController';
import { describeServerToolResult } from '../../src/core/run/serverToolResults';
import { WEB_SEARCH_USD_PER_SEARCH } from '../../src/core/pricing/priceTable';
import { useSimulator } from './apiHarness';
import { eventually, resetEditors, workspaceFile, writePrompt } from './helpers';

type Json = Record<string, unknown>;

describe('Files API uploads and server tools', function () {
  this.timeout(60_000);
  const harness = useSimulator({ outputTokens: 20 });
  afterEach(async () => {
    harness.api.answerDialogsForTests({});
    await resetEditors();
  });

  async function run(uri: vscode.Uri): Promise<RunSummary> {
    const summary = await vscode.commands.executeCommand<RunSummary | undefined>('promptWorkbench.run', uri);
    assert.ok(summary, 'the run was sent');
    return summary;
  }

  const sentMessages = () => harness.sim.requests.filter((r) => r.endpoint === 'messages').map((r) => r.body as { messages: Json[]; container?: string });

  it('uploads a workspace file once, sends its file_id, and reuses it after the uploads are reloaded from storage', async () => {
    await vscode.workspace.fs.writeFile(workspaceFile('docs/handbook.txt'), new TextEncoder().encode('Refunds within 30 days. Support answers within a day.\n'));
    const uri = await writePrompt('files-handbook', {
      model: 'claude-sonnet-5-5',
      max_tokens: 100,
      messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'workspace_file', path: 'docs/handbook.txt' } }, { type: 'text', text: 'Summarise the policy.' }] }],
    });
    const first = await run(uri);
    assert.equal(first.status, 'completed');
    assert.equal(harness.sim.requestCount('files.upload'), 1);
    const sent = sentMessages().at(-1)?.messages[0]?.['content'] as Json[];
    const fileId = (sent[0]?.['source'] as { type: string; file_id: string }).file_id;
    assert.deepEqual(sent[0]?.['source'], { type: 'file', file_id: fileId }, 'the API gets the file id, not the path');
    assert.match(fileId, /^file_/);
    // The guard's count saw the document by its id too.
    const counted = harness.sim.requests.filter((r) => r.endpoint === 'count_tokens').at(-1)?.body as { messages: Json[] };
    assert.match(JSON.stringify(counted.messages), new RegExp(fileId));

    await run(uri);
    assert.equal(harness.sim.requestCount('files.upload'), 1, 'the second run reuses the upload');

    // The cost details count what a run sends: the file by its id (the API rejects a workspace path).
    const countsBefore = harness.sim.requestCount('count_tokens');
    await vscode.commands.executeCommand('promptWorkbench.showCostDetails', uri);
    const detailCounts = harness.sim.requests.filter((r) => r.endpoint === 'count_tokens').slice(countsBefore).map((r) => JSON.stringify(r.body));
    assert.ok(detailCounts.length >= 1, 'the details counted');
    for (const body of detailCounts) {
      assert.match(body, new RegExp(fileId), 'counted by file id');
      assert.doesNotMatch(body, /workspace_file/, 'never the workspace path');
    }
    assert.doesNotMatch(harness.api.costDetails() ?? '', /count failed|invalid/i);

    const files = await harness.api.filesForTests();
    assert.deepEqual(files.uploads.map((u) => [u.fileId, u.path]), [[fileId, 'docs/handbook.txt']]);
    const stored = JSON.parse(readFileSync(files.registryFile, 'utf8')) as { scopes: Record<string, Record<string, { fileId: string }>> };
    assert.ok(Object.values(stored.scopes).some((scope) => Object.values(scope).some((entry) => entry.fileId === fileId)), 'the map is on disk');
    // As after a restart: a new registry read from storage, nothing kept in memory.
    await files.reloadFromStorage();
    await run(uri);
    assert.equal(harness.sim.requestCount('files.upload'), 1, 'the map survived the reload');

    // The file expired on the API: the next run uploads it again (with a notice) and sends the new id.
    harness.sim.expireFile(fileId);
    await run(uri);
    assert.equal(harness.sim.requestCount('files.upload'), 2);
    const renewed = (sentMessages().at(-1)?.messages[0]?.['content'] as Json[])[0]?.['source'] as { file_id: string };
    assert.notEqual(renewed.file_id, fileId);
  });

  it('refuses a path outside the workspace before anything is uploaded or sent', async () => {
    const uri = await writePrompt('files-outside', {
      model: 'claude-sonnet-5-5',
      max_tokens: 100,
      messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'workspace_file', path: '../../etc/hosts.txt' } }, { type: 'text', text: 'Read it.' }] }],
    });
    const summary = await vscode.commands.executeCommand<RunSummary | undefined>('promptWorkbench.run', uri);
    assert.equal(summary, undefined);
    assert.equal(harness.sim.requestCount('files.upload'), 0);
    assert.equal(harness.sim.requestCount('messages'), 0);
  });

  it('renders a code execution reply and downloads the file the code produced into the workspace', async () => {
    harness.api.answerDialogsForTests({ confirmSend: true, saveTarget: workspaceFile('out/result.csv') });
    const uri = await writePrompt('code-exec', {
      model: 'claude-sonnet-5-5',
      max_tokens: 2000,
      tools: [{ type: 'code_execution_20260120', name: 'code_execution' }],
      messages: [{ role: 'user', content: 'Compute a small table.' }],
    });
    const summary = await run(uri);
    assert.equal(summary.status, 'completed');
    const blocks = harness.api.panelState().current?.blocks ?? [];
    assert.deepEqual(
      blocks.map((b) => [b.kind, b.name]),
      [
        ['server_tool', 'text_editor_code_execution'],
        ['server_tool_result', 'text_editor_code_execution_tool_result'],
        ['server_tool', 'bash_code_execution'],
        ['server_tool_result', 'bash_code_execution_tool_result'],
        ['text', undefined],
      ],
    );
    const result = describeServerToolResult(JSON.parse(blocks[3]?.text ?? '{}'));
    assert.equal(result.stdout, 'wrote 3 rows\n');
    assert.equal(result.stderr, 'warning: simulated\n');
    assert.equal(result.returnCode, 0);
    const fileId = result.fileIds?.[0] ?? '';
    assert.match(fileId, /^file_/);
    assert.match(summary.outcome.costText ?? '', /plus code execution container time, not reported by the API: \$0\.05 per container-hour/);

    // A file id the reply does not name is refused; the produced one is saved where the dialog says.
    await harness.api.panelMessage({ type: 'downloadFile', runId: summary.runId, fileId: 'file_not_from_this_run' });
    assert.equal(harness.sim.requestCount('files.download'), 0);
    await harness.api.panelMessage({ type: 'downloadFile', runId: summary.runId, fileId });
    const saved = await eventually(async () => {
      try {
        return new TextDecoder().decode(await vscode.workspace.fs.readFile(workspaceFile('out/result.csv')));
      } catch {
        return undefined;
      }
    }, 'the downloaded file');
    assert.match(saved, /^n,value\n1,\d+\n2,\d+\n3,\d+\n$/);

    // Continue reuses the container: it is written into the request and sent.
    await harness.api.panelMessage({ type: 'continue', runId: summary.runId, message: 'Now double it.', mode: 'inPlace' });
    const onDisk = JSON.parse(readFileSync(uri.fsPath, 'utf8')) as { request: { container?: string } };
    assert.match(onDisk.request.container ?? '', /^container_/);
    assert.equal(sentMessages().at(-1)?.container, onDisk.request.container, 'the next turn ran in the same container');
  });

  it('prices a web search in the run cost and the ledger, and shows the results and citations', async () => {
    harness.api.answerDialogsForTests({ confirmSend: true });
    const uri = await writePrompt('web-search', {
      model: 'claude-sonnet-5-5',
      max_tokens: 500,
      tools: [{ type: 'web_search_20260318', name: 'web_search', max_uses: 2 }],
      messages: [{ role: 'user', content: 'What changed in the pricing?' }],
    });
    const summary = await run(uri);
    assert.match(summary.outcome.costText ?? '', /^\$[\d.]+ \(includes 1 web search at \$10 per 1,000 \(UNVERIFIED\)\)$/);
    const blocks = harness.api.panelState().current?.blocks ?? [];
    const results = describeServerToolResult(JSON.parse(blocks.find((b) => b.kind === 'server_tool_result')?.text ?? '{}'));
    assert.equal(results.links?.length, 3);
    assert.equal(blocks.find((b) => b.kind === 'text')?.citations?.length, 2);

    // The ledger records the same figure as the history record: tokens plus the search fee.
    const history = readFileSync(harness.api.historyFile(uri), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { costUsd?: number; response?: { usage: { input_tokens: number; output_tokens: number } } });
    const record = history.at(-1);
    const usage = record?.response?.usage;
    assert.ok(usage && record?.costUsd !== undefined);
    const tokensUsd = (usage.input_tokens * 2 + usage.output_tokens * 10) / 1e6;
    assert.ok(Math.abs(record.costUsd - (tokensUsd + WEB_SEARCH_USD_PER_SEARCH)) < 1e-9, `${record.costUsd} vs ${tokensUsd} + search`);
  });
});
