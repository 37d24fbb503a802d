import * as assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as vscode from 'vscode';
import type { PlanView } from '../../src/datasets/datasetProtocol';
import { useSimulator } from './apiHarness';
import { workspaceFile, writePrompt } from './helpers';

const LONG_SYSTEM = Array.from({ length: 400 }, (_, i) => `Policy ${i}: answer briefly and name the clause you used.`).join('\n');
const settings = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('promptWorkbench');

describe('dataset results grid: the cache report in the totals', function () {
  this.timeout(120_000);
  const harness = useSimulator({ outputTokens: 8 });
  const written: string[] = [];

  after(async () => {
    for (const path of written) rmSync(path, { force: true });
    await settings().update('datasetConcurrency', undefined, vscode.ConfigurationTarget.Global);
  });

  it('sums the rows\' cache reads and writes, the hit rate and the money saved into the grid totals', async () => {
    // One row at a time: the first writes the cached system prompt, the others read it.
    await settings().update('datasetConcurrency', 1, vscode.ConfigurationTarget.Global);
    const data = workspaceFile('dc-cache.csv');
    writeFileSync(data.fsPath, `${['id,question', ...Array.from({ length: 5 }, (_, i) => `Q${i},question ${i}`)].join('\n')}\n`);
    const uri = await writePrompt(
      'dc-cache',
      { model: 'claude-sonnet-5-5', max_tokens: 30, system: [{ type: 'text', text: LONG_SYSTEM, cache_control: { type: 'ephemeral' } }], messages: [{ role: 'user', content: '{{question}}' }] },
      { variables: { question: { description: 'the question' } }, expectedOutputTokens: 8, dataset: { path: './dc-cache.csv', keyColumn: 'id' } },
    );
    written.push(uri.fsPath, data.fsPath);
    const plan = await vscode.commands.executeCommand<PlanView>('promptWorkbench.runOverDataset', uri);
    assert.deepEqual(plan?.errors, []);
    assert.equal(harness.api.datasetPanel().cacheTotals, undefined, 'no cache line before any row ran');
    await harness.api.datasetMessage({ type: 'start' });
    const panel = harness.api.datasetPanel();
    assert.equal(panel.state, 'finished', panel.message);
    if (panel.job.resultsPath) written.push(panel.job.resultsPath);
    if (panel.job.historyPath) written.push(panel.job.historyPath);

    // The figures the results file holds, summed here on their own.
    const usages = readFileSync(panel.job.resultsPath ?? '', 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { type: string; usage?: { input_tokens: number; cache_read_input_tokens?: number; cache_creation_input_tokens?: number } }).filter((l) => l.type === 'row').map((l) => l.usage);
    assert.equal(usages.length, 5);
    const read = usages.reduce((sum, u) => sum + (u?.cache_read_input_tokens ?? 0), 0);
    const wrote = usages.reduce((sum, u) => sum + (u?.cache_creation_input_tokens ?? 0), 0);
    const input = usages.reduce((sum, u) => sum + (u?.input_tokens ?? 0), 0);
    assert.ok(read > 0 && wrote > 0, `reads ${read}, writes ${wrote}`);
    const hitRate = Math.round((read / (read + wrote + input)) * 100);
    const line = panel.cacheTotals ?? '';
    assert.match(line, new RegExp(`^cache: ${read.toLocaleString('en-US')} read, ${wrote.toLocaleString('en-US')} written \\(5m\\), 0 written \\(1h\\), ${hitRate}% hit rate, saved \\$[\\d.]+ against uncached input$`));
  });
});
