// A prompt's `betas` reach the API everywhere it is sent or counted: the run, Rerun from history,
// the live status-bar count and the what-if counts of the cost details.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { RunSummary } from '../../src/run/runController';
import type { RecordedRequest } from '../simulator/server';
import { useSimulator } from './apiHarness';
import { eventually, resetEditors, writePrompt } from './helpers';

const BETA = 'task-budgets-2026-03-13';
let counter = 0;

/** A prompt with a beta and a beta-only field, written fresh so nothing is cached yet. */
async function betaPrompt(): Promise<vscode.Uri> {
  return writePrompt(
    `betas-${++counter}-${Date.now()}`,
    {
      model: 'claude-sonnet-5-5',
      max_tokens: 64,
      messages: [{ role: 'user', content: `Plan a short trip, take ${counter}.` }],
      output_config: { task_budget: { type: 'tokens', total: 20_000 } },
    },
    { betas: [BETA] },
  );
}

const betasOf = (request: RecordedRequest | undefined): string[] => (request?.headers['anthropic-beta'] ?? '').split(',').filter(Boolean);

describe('betas are sent with every call a prompt makes', function () {
  this.timeout(60_000);
  const harness = useSimulator({ outputTokens: 20 });
  afterEach(resetEditors);

  it('a run counts and streams with the betas, and Rerun from history sends them again', async () => {
    const uri = await betaPrompt();
    const summary = await vscode.commands.executeCommand<RunSummary | undefined>('promptWorkbench.run', uri);
    assert.equal(summary?.status, 'completed');
    const sent = harness.sim.requests.filter((r) => r.endpoint === 'messages');
    assert.deepEqual(sent.map(betasOf), [[BETA]]);
    // Only this prompt's counts: a status-bar count of an earlier test's prompt may still arrive.
    const counts = harness.sim.requests.filter((r) => r.endpoint === 'count_tokens' && JSON.stringify(r.body).includes(`take ${counter}.`));
    assert.ok(counts.length > 0 && counts.every((r) => betasOf(r).includes(BETA)), 'the spend check counted with the betas');
    await harness.api.panelMessage({ type: 'listHistory' });
    await harness.api.panelMessage({ type: 'rerun', recordId: summary!.runId });
    const rerun = harness.sim.requests.filter((r) => r.endpoint === 'messages');
    assert.equal(rerun.length, 2, 'rerun sent the request again');
    assert.deepEqual(betasOf(rerun[1]), [BETA], 'with the betas the run was sent with');
  });

  it('the live status-bar count asks count_tokens with the betas', async () => {
    const uri = await betaPrompt();
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const count = await eventually(() => harness.sim.requests.find((r) => r.endpoint === 'count_tokens' && JSON.stringify(r.body).includes(`take ${counter}.`)), 'a count_tokens request from the status bar');
    assert.ok(betasOf(count).includes(BETA), `anthropic-beta: ${count.headers['anthropic-beta'] ?? '(none)'}`);
    await eventually(() => (harness.api.statusBar().text.includes('~') ? undefined : true), 'the exact count');
  });

  it('the what-if counts in the cost details use the betas for every model', async () => {
    const uri = await betaPrompt();
    await vscode.commands.executeCommand('promptWorkbench.showCostDetails', uri);
    const counts = harness.sim.requests.filter((r) => r.endpoint === 'count_tokens' && JSON.stringify(r.body).includes(`take ${counter}.`));
    const models = new Set(counts.map((r) => (r.body as { model: string }).model));
    assert.ok(models.size >= 3, `what-if counted ${[...models].join(', ')}`);
    for (const request of counts) assert.ok(betasOf(request).includes(BETA), `${(request.body as { model: string }).model} counted without the betas`);
    assert.doesNotMatch(harness.api.costDetails() ?? '', /count failed/);
  });
});
