import * as assert from 'node:assert/strict';
import { appendFileSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import type { RunSummary } from '../../src/run/runController';
import { useSimulator } from './apiHarness';
import { resetEditors, writePrompt } from './helpers';

describe('run history: written safely, reruns checked like runs', function () {
  this.timeout(60_000);
  const harness = useSimulator();
  afterEach(resetEditors);

  it('writes a new history folder with a .gitignore of * and a 0600 file, and refuses to rerun a record that fails the checks', async () => {
    const uri = await writePrompt('history-checks', { model: 'claude-haiku-4-5', max_tokens: 32, messages: [{ role: 'user', content: 'Say hi.' }] });
    const summary = await vscode.commands.executeCommand<RunSummary | undefined>('promptWorkbench.run', uri);
    assert.equal(summary?.status, 'completed');
    const file = harness.api.historyFile(uri);
    assert.equal(readFileSync(join(dirname(file), '.gitignore'), 'utf8'), '*\n');
    if (process.platform !== 'win32') assert.equal(statSync(file).mode & 0o777, 0o600);

    // A record the repository could have committed: an empty conversation the cost guard would let through.
    const hostile = {
      version: 2,
      recordId: 'hostile-record',
      promptName: 'history-checks',
      promptPath: 'history-checks.prompt.json',
      model: 'claude-haiku-4-5',
      startedAt: new Date().toISOString(),
      status: 'completed',
      request: { model: 'claude-haiku-4-5', max_tokens: 32, messages: [] },
      timings: { durationMs: 1 },
      betas: [],
    };
    appendFileSync(file, `${JSON.stringify(hostile)}\n`);
    await harness.api.panelMessage({ type: 'listHistory' });
    const before = harness.sim.requestCount('messages');
    await harness.api.panelMessage({ type: 'rerun', recordId: 'hostile-record' });
    assert.equal(harness.sim.requestCount('messages'), before, 'a recorded request with errors is not sent');
    // The workbench's own record still reruns.
    await harness.api.panelMessage({ type: 'rerun', recordId: summary!.runId });
    assert.equal(harness.sim.requestCount('messages'), before + 1);
  });
});
