import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as vscode from 'vscode';
import type { PlanView } from '../../src/datasets/datasetProtocol';
import { useSimulator } from './apiHarness';
import { eventually, workspaceFile, writePrompt } from './helpers';

const model = 'claude-haiku-5-5';

describe('datasets: Run Prompt over Dataset', function () {
  this.timeout(120_000);
  const harness = useSimulator({ outputTokens: 12 });
  const written: vscode.Uri[] = [];

  async function datasetPrompt(name: string, csv: string, extra: Record<string, unknown> = {}): Promise<vscode.Uri> {
    const data = workspaceFile(`${name}.csv`);
    writeFileSync(data.fsPath, csv);
    const uri = await writePrompt(
      name,
      { model, max_tokens: 50, messages: [{ role: 'user', content: 'Classify: {{ticket}}' }] },
      { variables: { ticket: { description: 'the ticket' } }, expectedOutputTokens: 12, dataset: { path: `./${name}.csv`, keyColumn: 'id' }, ...extra },
    );
    written.push(uri, data);
    return uri;
  }

  function resultLines(): Record<string, unknown>[] {
    const path = harness.api.datasetPanel().job.resultsPath;
    assert.ok(path);
    written.push(vscode.Uri.file(path));
    return readFileSync(path, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  after(async () => {
    for (const uri of written) rmSync(uri.fsPath, { force: true });
    await vscode.workspace.getConfiguration('promptWorkbench').update('maxRunCostUsd', undefined, vscode.ConfigurationTarget.Global);
  });

  it('plans before sending: counts, skipped and unreadable rows with their lines, cost now and as a batch', async () => {
    const uri = await datasetPrompt('ds-plan', 'id,ticket\nA,login fails\nB,\nC,"refund\nplease"\nD,x,y\nE,app crashes\n');
    const plan = await vscode.commands.executeCommand<PlanView>('promptWorkbench.runOverDataset', uri);
    assert.ok(plan, 'a plan was made');
    assert.deepEqual(plan.errors, []);
    assert.deepEqual(plan.rows, { read: 5, runnable: 3, skipped: 1, bad: 1 });
    assert.deepEqual(plan.skipped.map((s) => `${s.where}: ${s.reason}`), ['line 3: no value in "ticket"', 'line 6: wrong number of fields (3): the header has 2 columns']);
    assert.equal(plan.tokens.method, 'exact');
    // Only this prompt's counts (the status bar may count whatever editor is open meanwhile).
    const counted = harness.sim.requests.filter((r) => r.endpoint === 'count_tokens' && JSON.stringify(r.body).includes('Classify: ')).length;
    assert.equal(counted, 3, 'one count per runnable row');
    assert.ok(plan.cost.known && plan.cost.now && plan.cost.batch);
    assert.ok(Math.abs(plan.cost.batch.worstCaseUsd - plan.cost.now.worstCaseUsd / 2) < 1e-12);
    assert.equal(plan.limitsCheck.kind, 'send');
    assert.equal(harness.sim.requestCount('messages'), 0, 'nothing is sent until the job is started');
    assert.equal(harness.api.datasetPanel().visible, true);
    assert.equal(harness.api.datasetPanel().state, 'planned');
  });

  it('a plan never started leaves no empty results file: neither when another plan replaces it nor when its panel is closed', async () => {
    const uri = await datasetPrompt('ds-unused', 'id,ticket\nA,login fails\n');
    await vscode.commands.executeCommand<PlanView>('promptWorkbench.runOverDataset', uri);
    const first = harness.api.datasetPanel().job.resultsPath;
    assert.ok(first && existsSync(first), 'the plan reserves its results file');
    await vscode.commands.executeCommand<PlanView>('promptWorkbench.runOverDataset', uri);
    const second = harness.api.datasetPanel().job.resultsPath;
    assert.ok(second && second !== first && existsSync(second));
    await eventually(() => (existsSync(first) ? undefined : true), 'the replaced plan\'s empty file to go');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await eventually(() => (existsSync(second) ? undefined : true), 'the closed plan\'s empty file to go');
  });

  it('a row whose effort the API refuses is named in the plan, which still counts and prices the other rows', async () => {
    const data = workspaceFile('ds-effort.csv');
    writeFileSync(data.fsPath, 'id,effort,ticket\nA,low,login fails\nB,extreme,refund please\nC,high,app crashes\n');
    const uri = await writePrompt(
      'ds-effort',
      { model, max_tokens: 50, output_config: { effort: '{{effort}}' }, messages: [{ role: 'user', content: 'Classify: {{ticket}}' }] },
      { variables: { ticket: { description: 'the ticket' }, effort: { description: 'how hard to think' } }, dataset: { path: './ds-effort.csv', keyColumn: 'id' } },
    );
    written.push(uri, data);
    const plan = await vscode.commands.executeCommand<PlanView>('promptWorkbench.runOverDataset', uri);
    assert.ok(plan, 'the plan is made');
    assert.deepEqual(plan.errors, []);
    assert.equal(plan.warnings.length, 1);
    assert.match(plan.warnings[0] ?? '', /^The API refused to count 1 row, which will fail when sent until fixed: Row B \(line 3\): output_config\.effort: /);
    assert.equal(plan.rows.runnable, 3);
    assert.equal(harness.api.datasetPanel().state, 'planned');
    assert.equal(harness.sim.requestCount('messages'), 0);
  });

  it('runs every row once from the plan, fills the grid, and retries only the failed rows', async () => {
    const rows = Array.from({ length: 40 }, (_, i) => `T${i},ticket number ${i}`);
    const uri = await datasetPrompt('ds-run', ['id,ticket', ...rows].join('\n'));
    await vscode.commands.executeCommand('promptWorkbench.runOverDataset', uri);
    harness.sim.enqueueFault({ fault: 'permission', endpoint: 'messages', times: 3 });
    await harness.api.datasetMessage({ type: 'start' });
    let panel = harness.api.datasetPanel();
    assert.equal(panel.state, 'finished', panel.message);
    assert.equal(harness.sim.requestCount('messages'), 40);
    assert.equal(panel.rows.length, 40, 'the grid holds every row');
    assert.equal(panel.rows.filter((r) => r.status === 'errored').length, 3);
    const lines = resultLines().filter((l) => l['type'] === 'row');
    assert.equal(lines.length, 40);
    for (const line of lines.filter((l) => l['status'] === 'succeeded')) {
      assert.ok(typeof line['text'] === 'string' && line['requestId'] && typeof line['costUsd'] === 'number');
    }

    await harness.api.datasetMessage({ type: 'retryFailed' });
    panel = harness.api.datasetPanel();
    assert.equal(panel.state, 'finished', panel.message);
    assert.equal(harness.sim.requestCount('messages'), 43, 'only the three failed rows were sent again');
    assert.equal(panel.rows.filter((r) => r.status === 'succeeded').length, 40);

    // History: every call of the job is a run record in the job's own history file; the prompt's history is untouched.
    const historyPath = panel.job.historyPath;
    assert.ok(historyPath && historyPath.includes('.prompt-history'), historyPath);
    written.push(vscode.Uri.file(historyPath));
    const records = readFileSync(historyPath, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(records.length, 43, 'one record per call: 40 rows, then the 3 retried');
    assert.equal(existsSync(harness.api.historyFile(uri)), false, 'the prompt\'s own history holds no row of the job');
    const byId = new Map(records.map((r) => [r['recordId'], r]));
    const latest = new Map(resultLines().filter((l) => l['type'] === 'row').map((l) => [l['key'], l]));
    assert.equal(latest.size, 40);
    for (const [key, line] of latest) {
      const record = byId.get(line['recordId']);
      assert.ok(record, `row ${String(key)}'s result names its history record`);
      assert.equal(record['version'], 2);
      assert.equal(record['status'], 'completed');
      assert.deepEqual(record['dataset'], { results: (record['dataset'] as { results: string }).results, key, index: line['index'], attempts: 1 });
      assert.match((record['dataset'] as { results: string }).results, /\.results\.jsonl$/);
      const request = record['request'] as { messages: { content: string }[] };
      assert.equal(request.messages[0]?.content, `Classify: ticket number ${String(key).slice(1)}`);
      const response = record['response'] as { content: { text: string }[] };
      assert.equal(response.content[0]?.text, line['text']);
      assert.equal(record['requestId'], line['requestId']);
      assert.equal(record['costUsd'], line['costUsd']);
    }
    const failedCalls = records.filter((r) => r['status'] === 'failed');
    assert.equal(failedCalls.length, 3);
    for (const r of failedCalls) assert.match(String((r['error'] as { title?: string }).title), /\S/);
  });

  it('refuses the job before the first request when its worst case is above the spend cap', async () => {
    await vscode.workspace.getConfiguration('promptWorkbench').update('maxRunCostUsd', 0.000001, vscode.ConfigurationTarget.Global);
    const uri = await datasetPrompt('ds-cap', 'id,ticket\nA,one\nB,two\n');
    const plan = await vscode.commands.executeCommand<PlanView>('promptWorkbench.runOverDataset', uri);
    assert.equal(plan?.limitsCheck.kind, 'refuse');
    assert.match(plan?.limitsCheck.message ?? '', /maxRunCostUsd/);
    await harness.api.datasetMessage({ type: 'start' });
    assert.equal(harness.api.datasetPanel().state, 'stopped');
    assert.equal(harness.sim.requestCount('messages'), 0);
    await vscode.workspace.getConfiguration('promptWorkbench').update('maxRunCostUsd', undefined, vscode.ConfigurationTarget.Global);
  });

  it('a 2,000-row run under tight input-token limits ends with every row done and at most 1% answered 429', async () => {
    const rows = Array.from({ length: 2000 }, (_, i) => `R${i},a short ticket ${i}`);
    const uri = await datasetPrompt('ds-volume', ['id,ticket', ...rows].join('\n'));
    const plan = await vscode.commands.executeCommand<PlanView>('promptWorkbench.runOverDataset', uri);
    assert.equal(plan?.tokens.method, 'sampled');
    // About a third of the job fits the full bucket; the rest is paced (a few seconds).
    harness.sim.configure({ rateLimitsByModel: { [model]: { inputTokensPerMinute: Math.round((plan?.tokens.total ?? 0) * 0.9) } } });
    await harness.api.datasetMessage({ type: 'start' });
    const panel = harness.api.datasetPanel();
    assert.equal(panel.state, 'finished', panel.message);
    assert.equal(panel.rows.filter((r) => r.status === 'succeeded').length, 2000);
    const messages = harness.sim.requests.filter((r) => r.endpoint === 'messages');
    const refused = messages.filter((r) => r.status === 429).length;
    assert.ok(refused <= 20, `${refused} of ${messages.length} answered 429`);
    harness.sim.configure({ rateLimitsByModel: {} });
  });
});
