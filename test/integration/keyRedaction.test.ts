// A key with a stray newline cannot go in a header; fetch (undici) then repeats the header value,
// key included, in its error text. Nothing the extension shows or logs may carry it (issue 11).
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as vscode from 'vscode';
import type { RunSummary } from '../../src/run/runController';
import { TEST_KEY, useSimulator } from './apiHarness';
import { eventually, filesUnder, workspaceFile } from './helpers';

describe('key redaction in what is shown and logged', function () {
  this.timeout(60_000);
  const harness = useSimulator();
  const badKey = 'sk-ant-' + 'api03-Integ0123456789\nTAILtail9876xyz';
  const fragments = ['Integ0123456789', 'TAILtail9876xyz'];

  after(async () => {
    await harness.api.storeApiKeyForTests?.(TEST_KEY);
  });

  it('a key with a newline: the error shown in the panel and logged carries no part of the key', async () => {
    await harness.api.storeApiKeyForTests?.(badKey);
    const summary = await vscode.commands.executeCommand<RunSummary | undefined>('promptWorkbench.run', workspaceFile('hello.prompt.json'));
    assert.ok(summary, 'the run went ahead and failed');
    assert.equal(summary.status, 'failed');
    assert.equal(harness.sim.requestCount('messages'), 0, 'fetch refused the header: nothing reached the server');
    const shown = JSON.stringify(summary.outcome.error) + JSON.stringify(harness.api.panelState());
    assert.match(JSON.stringify(summary.outcome.error), /\[redacted\]/, 'the invalid header value is redacted in place');
    for (const fragment of fragments) assert.ok(!shown.includes(fragment), `${fragment} is in the panel state or error`);
    const logDir = dirname(harness.api.logUri().fsPath);
    // The log channel writes its file asynchronously: wait for the run's error line, then search every log.
    await eventually(
      () => (filesUnder(logDir).some((file) => readFileSync(file, 'utf8').includes(`Run ${summary.runId}:`)) ? true : undefined),
      'the logged run error',
    );
    for (const file of [...filesUnder(logDir), ...filesUnder(workspaceFile('').fsPath)]) {
      const text = readFileSync(file, 'utf8');
      for (const fragment of fragments) assert.ok(!text.includes(fragment), `${fragment} is in ${file}`);
    }
  });
});
