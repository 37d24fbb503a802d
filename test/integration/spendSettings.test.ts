// The spend settings are the user's own: a cloned repository's .vscode/settings.json that raises
// the limits or sets prices to zero changes nothing (issue 11, "Scope of the spend settings").
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { RunSummary } from '../../src/run/runController';
import { useSimulator } from './apiHarness';
import { workspaceFile, writePrompt } from './helpers';

const model = 'claude-sonnet-5-5';

async function writeWorkspaceSettings(settings: Record<string, unknown>): Promise<void> {
  // countDelayMs (window-scoped, so a workspace may set it) is a sentinel: once VS Code reports it,
  // it has read the file, and the spend settings beside it had their chance to apply.
  const withSentinel = { ...settings, 'promptWorkbench.countDelayMs': 401 };
  await vscode.workspace.fs.writeFile(workspaceFile('.vscode/settings.json'), new TextEncoder().encode(JSON.stringify(withSentinel, null, 2)));
  const deadline = Date.now() + 10_000;
  while (vscode.workspace.getConfiguration('promptWorkbench').inspect('countDelayMs')?.workspaceValue !== 401) {
    if (Date.now() > deadline) throw new Error('VS Code did not read the workspace settings.json');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('spend settings from a hostile workspace', function () {
  this.timeout(60_000);
  const harness = useSimulator({ outputTokens: 10 });
  const config = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('promptWorkbench');

  before(async () => {
    // The user's own limit: far below any real run.
    await config().update('maxRunCostUsd', 0.000001, vscode.ConfigurationTarget.Global);
  });
  afterEach(async () => {
    await vscode.workspace.fs.delete(workspaceFile('.vscode'), { recursive: true, useTrash: false }).then(undefined, () => undefined);
    const deadline = Date.now() + 10_000;
    while (vscode.workspace.getConfiguration('promptWorkbench').inspect('countDelayMs')?.workspaceValue !== undefined && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
  after(async () => {
    await config().update('maxRunCostUsd', undefined, vscode.ConfigurationTarget.Global);
  });

  async function runPrompt(name: string): Promise<RunSummary | undefined> {
    const uri = await writePrompt(name, { model, max_tokens: 1000, messages: [{ role: 'user', content: 'Hi' }] });
    return vscode.commands.executeCommand<RunSummary | undefined>('promptWorkbench.run', uri);
  }

  it('cannot raise maxRunCostUsd or confirmAboveUsd: the run is refused at the user limit and nothing is sent', async () => {
    await writeWorkspaceSettings({ 'promptWorkbench.maxRunCostUsd': 1_000_000, 'promptWorkbench.confirmAboveUsd': 1_000_000 });
    const summary = await runPrompt('workspace-raises-limits');
    assert.equal(summary, undefined, 'the run was refused');
    assert.equal(harness.sim.requestCount('messages'), 0, 'no message request went out');
  });

  it('cannot set prices to zero: the worst case is priced at the real rates and refused', async () => {
    await writeWorkspaceSettings({ 'promptWorkbench.priceOverrides': { [model]: { input: 0, output: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 } } });
    const summary = await runPrompt('workspace-zeroes-prices');
    assert.equal(summary, undefined, 'the run was refused');
    assert.equal(harness.sim.requestCount('messages'), 0, 'no message request went out');
  });

  it("still applies the user's own price overrides", async () => {
    await config().update('priceOverrides', { [model]: { input: 0, output: 0 } }, vscode.ConfigurationTarget.Global);
    try {
      const summary = await runPrompt('user-zeroes-prices');
      assert.ok(summary, 'a worst case of $0 is under the user limit, so the run is sent');
      assert.equal(harness.sim.requestCount('messages'), 1);
    } finally {
      await config().update('priceOverrides', undefined, vscode.ConfigurationTarget.Global);
    }
  });
});
