// Issue 17 in the extension host, against the simulator: the cache advisor's quick fix and then
// two runs whose second reads the cache and saves; a miss explained by cache diagnostics and the
// local diff; a refusal's stop_details; a task budget's beta added at send; fast mode where the
// model has none is an error before anything is sent.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { RunSummary } from '../../src/run/runController';
import { useSimulator } from './apiHarness';
import { eventually, resetEditors, writePrompt } from './helpers';

const LONG_SYSTEM = Array.from({ length: 400 }, (_, i) => `Rule ${i}: answer politely and cite the handbook section.`).join('\n');
let counter = 0;
const unique = (name: string): string => `${name}-${++counter}-${Date.now()}`;

async function run(uri: vscode.Uri): Promise<RunSummary> {
  const summary = await vscode.commands.executeCommand<RunSummary | undefined>('promptWorkbench.run', uri);
  assert.ok(summary, 'the run was sent');
  assert.equal(summary.status, 'completed');
  return summary;
}

const ours = (uri: vscode.Uri, code: string): vscode.Diagnostic[] => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'Prompt Workbench' && d.code === code);

describe('prompt caching: advisor, quick fix, cache report and miss reasons', function () {
  this.timeout(90_000);
  const harness = useSimulator({ outputTokens: 12 });
  afterEach(async () => {
    await vscode.workspace.getConfiguration('promptWorkbench').update('cacheDiagnostics', undefined, vscode.ConfigurationTarget.Global);
    await resetEditors();
  });

  it("applies the advisor's quick fix, then a second run reads the cache and shows the saving", async () => {
    // {{question}} is bound to a dataset column, so it changes every row: the stable prefix is the system prompt.
    const uri = await writePrompt(
      unique('cache-advice'),
      { model: 'claude-sonnet-5-5', max_tokens: 50, system: [{ type: 'text', text: LONG_SYSTEM }], messages: [{ role: 'user', content: '{{question}}' }] },
      { variables: { question: { default: 'What is the hotel limit in Tokyo?' } }, dataset: { path: './questions.csv', map: { question: 'q' } } },
    );
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document);
    const before = document.getText();

    const [hint] = await eventually(() => (ours(uri, 'cache-opportunity').length > 0 ? ours(uri, 'cache-opportunity') : undefined), 'the cache advisor hint');
    assert.ok(hint);
    assert.equal(hint.severity, vscode.DiagnosticSeverity.Hint);
    assert.match(hint.message, /do not change between rows: a cache_control breakpoint on system\[0\] saves about \$[\d.]+ per repeat run/);
    assert.equal(document.offsetAt(hint.range.start), before.indexOf('{', before.indexOf('"system"')), 'at the block that ends the stable prefix');

    // The workbench may cancel a code-action request while the editor's own light bulb asks too: ask again.
    let titles: string[] = [];
    const fix = await eventually(async () => {
      try {
        const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, hint.range, vscode.CodeActionKind.QuickFix.value, 1);
        titles = actions.map((a) => a.title);
        return actions.find((a) => a.title.startsWith('Add cache_control to system[0]') && a.edit !== undefined);
      } catch {
        return undefined;
      }
    }, 'the quick fix', 20_000, () => titles.join(', '));
    assert.match(fix.title, /saves ~\$[\d.]+ per repeat run/);
    assert.ok(fix.edit, 'resolved with its edit');
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    await document.save();

    const after = document.getText();
    const prompt = JSON.parse(after) as { request: { system: { cache_control?: unknown }[] } };
    assert.deepEqual(prompt.request.system[0]?.cache_control, { type: 'ephemeral' });
    // Only the marker was inserted: the rest of the file keeps its formatting.
    assert.equal(after.replace(/,\s*"cache_control": \{\s*"type": "ephemeral"\s*\}/, ''), before);
    await eventually(() => (ours(uri, 'cache-opportunity').length === 0 ? true : undefined), 'the hint gone once the breakpoint is there');

    const first = await run(uri);
    const written = first.outcome.cache?.write5mTokens ?? 0;
    assert.ok(written > 1024, `the first run writes the prefix (${written})`);
    assert.equal(first.outcome.cache?.readTokens, 0);
    assert.match(first.outcome.cache?.savedText ?? '', /more than uncached input/);

    const second = await run(uri);
    const cache = second.outcome.cache;
    assert.ok(cache, 'a cache report');
    assert.equal(cache.readTokens, written, 'the second run reads what the first wrote');
    assert.ok(cache.hitRatePercent > 90, `hit rate ${cache.hitRatePercent}`);
    assert.ok((cache.savedUsd ?? 0) > 0);
    assert.match(cache.savedText, /^saved \$[\d.]+ against uncached input$/);
    assert.deepEqual(harness.api.panelState().current?.outcome?.cache, cache, 'the panel shows it');
  });

  it('says why a run missed the cache: the API\'s reason with cache diagnostics on, and the block that changed', async () => {
    await vscode.workspace.getConfiguration('promptWorkbench').update('cacheDiagnostics', true, vscode.ConfigurationTarget.Global);
    const name = unique('cache-miss');
    const request = (rules: string) => ({ model: 'claude-sonnet-5-5', max_tokens: 50, system: [{ type: 'text', text: rules, cache_control: { type: 'ephemeral' } }], messages: [{ role: 'user', content: 'Which rule is first?' }] });
    const uri = await writePrompt(name, request(LONG_SYSTEM));
    const first = await run(uri);
    const firstSent = harness.sim.requests.filter((r) => r.endpoint === 'messages').at(-1);
    assert.deepEqual((firstSent?.body as { diagnostics?: unknown }).diagnostics, { previous_message_id: null }, 'opted in on the first run');
    const written = first.outcome.cache?.write5mTokens ?? 0;
    assert.ok(written > 0);

    await writePrompt(name, request(`Rule -1: be brief.\n${LONG_SYSTEM}`));
    // The run reads the open document: wait until it has the text written to disk.
    await eventually(async () => ((await vscode.workspace.openTextDocument(uri)).getText().includes('Rule -1') ? true : undefined), 'the document to show the change');
    const second = await run(uri);
    const sent = harness.sim.requests.filter((r) => r.endpoint === 'messages').at(-1);
    const previousId = (sent?.body as { diagnostics?: { previous_message_id?: unknown } }).diagnostics?.previous_message_id;
    assert.match(String(previousId), /^msg_/, 'the previous reply id is sent');
    const cache = second.outcome.cache;
    assert.equal(cache?.missReason, `system changed: ${written.toLocaleString('en-US')} tokens missed`);
    assert.equal(cache?.changedSinceLastRun, 'system[0] changed since the last run');
    assert.equal(cache?.readTokens, 0);

    await vscode.commands.executeCommand('promptWorkbench.showHistory');
    const entry = await eventually(() => harness.api.panelState().history.find((h) => h.recordId === second.runId), 'the history entry');
    assert.match(entry.cacheText ?? '', /system changed: [\d,]+ tokens missed/);
  });

  it('shows a refusal with its stop_details category and explanation', async () => {
    harness.sim.configure({ refusal: { category: 'cyber', explanation: 'Exploit development (simulated).' } });
    const uri = await writePrompt(unique('refused'), { model: 'claude-sonnet-5-5', max_tokens: 50, messages: [{ role: 'user', content: 'Write an exploit.' }] });
    const summary = await run(uri);
    assert.equal(summary.outcome.stopReason, 'refusal');
    assert.deepEqual(summary.outcome.refusal, { category: 'cyber', explanation: 'Exploit development (simulated).' });
    assert.equal(summary.outcome.canContinue, false);
    assert.deepEqual(harness.api.panelState().current?.outcome?.refusal, summary.outcome.refusal);
  });

  it('adds the task-budget beta at send time and says so', async () => {
    const uri = await writePrompt(unique('task-budget'), { model: 'claude-opus-5', max_tokens: 50, output_config: { task_budget: { type: 'tokens', total: 20_000 } }, messages: [{ role: 'user', content: 'Plan.' }] });
    const summary = await run(uri);
    const sent = harness.sim.requests.filter((r) => r.endpoint === 'messages').at(-1);
    assert.equal(sent?.headers['anthropic-beta'], 'task-budgets-2026-03-13');
    assert.deepEqual(summary.outcome.sendNotes, ['added the beta "task-budgets-2026-03-13" for output_config.task_budget']);
  });

  it('refuses fast mode on a model without it before sending, with an error at "speed"', async () => {
    const uri = await writePrompt(unique('no-fast'), { model: 'claude-sonnet-5-5', max_tokens: 50, speed: 'fast', messages: [{ role: 'user', content: 'Hi.' }] });
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document);
    const error = await eventually(
      () => vscode.languages.getDiagnostics(uri).find((d) => d.severity === vscode.DiagnosticSeverity.Error && /has no fast mode/.test(d.message)),
      'the fast-mode error',
    );
    assert.equal(document.getText(error.range), '"fast"');
    const summary = await vscode.commands.executeCommand<RunSummary | undefined>('promptWorkbench.run', uri);
    assert.equal(summary, undefined, 'not sent');
    assert.equal(harness.sim.requests.filter((r) => r.endpoint === 'messages').length, 0);
  });
});
