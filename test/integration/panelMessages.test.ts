// The panel's requests as the host handles them: an error action acts on the run it belongs to,
// the tool-round limit is the promptWorkbench.maxToolRounds setting, a malformed message is
// logged and dropped, and a request that fails is logged rather than lost.
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { PanelToHost } from '../../src/protocol';
import type { RunSummary } from '../../src/run/runController';
import { useSimulator } from './apiHarness';
import { eventually, resetEditors, writePrompt } from './helpers';

async function run(uri: vscode.Uri): Promise<RunSummary> {
  const summary = await vscode.commands.executeCommand<RunSummary | undefined>('promptWorkbench.run', uri);
  assert.ok(summary, 'the run was sent');
  return summary;
}

describe('panel requests: error actions, the tool-round limit, malformed messages', function () {
  this.timeout(60_000);
  const harness = useSimulator({ outputTokens: 20 });
  afterEach(resetEditors);

  /** The text of the Prompt Workbench Log channel's file. */
  function logText(): string {
    const file = join(harness.api.logUri().fsPath, 'Prompt Workbench Log.log');
    return existsSync(file) ? readFileSync(file, 'utf8') : '';
  }

  it('"Choose model" opens the prompt of the run whose error it is, not the last run\'s', async () => {
    const failing = await writePrompt('overloaded-run', { model: 'claude-sonnet-5-5', max_tokens: 50, messages: [{ role: 'user', content: 'Hi' }] });
    const later = await writePrompt('later-run', { model: 'claude-sonnet-5-5', max_tokens: 50, messages: [{ role: 'user', content: 'Hello' }] });
    // 529 on the first attempt and the SDK's two retries: the run fails, offering Choose model.
    harness.sim.enqueueFault({ fault: 'overloaded', endpoint: 'messages', times: 3 });
    const failed = await run(failing);
    assert.deepEqual(failed.outcome.error?.actions, ['retry', 'chooseModel']);
    await run(later);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await harness.api.panelMessage({ type: 'errorAction', runId: failed.runId, action: 'chooseModel' });
    assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), failing.toString());
  });

  it('stops tool rounds at the promptWorkbench.maxToolRounds setting, and says so', async () => {
    const config = vscode.workspace.getConfiguration('promptWorkbench');
    await config.update('maxToolRounds', 1, vscode.ConfigurationTarget.Global);
    try {
      const uri = await writePrompt('one-round', {
        model: 'claude-haiku-4-5',
        max_tokens: 300,
        tool_choice: { type: 'any' },
        tools: [{ name: 'get_weather', description: 'Current weather', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }],
        messages: [{ role: 'user', content: 'Weather in Oslo?' }],
      });
      const first = await run(uri);
      assert.deepEqual(first.outcome.toolRounds, { used: 1, max: 1 });
      assert.equal(first.outcome.canContinue, false);
      const tool = first.outcome.pendingTools?.[0];
      assert.ok(tool);
      const before = harness.sim.requestCount('messages');
      await harness.api.panelMessage({ type: 'submitToolResults', runId: first.runId, results: [{ toolUseId: tool.id, content: '3°C', isError: false }] });
      assert.equal(harness.sim.requestCount('messages'), before, 'no further round was sent');
    } finally {
      await config.update('maxToolRounds', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('logs and drops a malformed message, and logs a request that fails', async () => {
    const before = harness.sim.requestCount();
    await harness.api.panelMessage({ type: 'rerun' } as unknown as PanelToHost);
    await harness.api.panelMessage({ type: 'continue', runId: 'x', message: 'y', mode: 'overwrite' } as unknown as PanelToHost);
    await eventually(() => (logText().includes('Ignored a malformed message from the panel: type "rerun"') ? true : undefined), 'the malformed message in the log');
    assert.equal(harness.sim.requestCount(), before, 'nothing was sent');

    // Opening a run when the history file has become a folder: reading it fails; the log says so.
    const uri = await writePrompt('unreadable-history', { model: 'claude-sonnet-5-5', max_tokens: 50, messages: [{ role: 'user', content: 'Hi' }] });
    const summary = await run(uri);
    const history = vscode.Uri.file(harness.api.historyFile(uri));
    await vscode.workspace.fs.delete(history);
    await vscode.workspace.fs.createDirectory(history);
    try {
      await harness.api.panelMessage({ type: 'openRun', recordId: summary.runId });
      await eventually(() => (/The panel's "openRun" request failed: .*unreadable-history/.test(logText()) ? true : undefined), 'the failed request in the log', 10_000, () => logText().slice(-500));
    } finally {
      await vscode.workspace.fs.delete(history, { recursive: true });
    }
  });
});
