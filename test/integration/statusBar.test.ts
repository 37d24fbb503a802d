import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { formatCount } from '../../src/core/format';
import { countTokensParams } from '../../src/core/counting/tokenEstimate';
import { countRequestTokens } from '../simulator/tokenizer';
import { TEST_KEY, useSimulator } from './apiHarness';
import { eventually, resetEditors, writePrompt } from './helpers';

const helloRequest = (model: string): Record<string, unknown> => ({
  model,
  max_tokens: 64,
  messages: [{ role: 'user', content: 'Say hello in English, in five words or fewer.' }],
});

/** The token count the simulator's count_tokens gives for a request (variables resolved). */
function simulatorCount(request: Record<string, unknown>): number {
  return countRequestTokens(countTokensParams(request as never) as unknown as Record<string, unknown>, String(request['model']));
}

async function replaceInDocument(editor: vscode.TextEditor, search: string, replacement: string): Promise<void> {
  const text = editor.document.getText();
  const at = text.indexOf(search);
  assert.ok(at >= 0, `"${search}" is in the document`);
  await editor.edit((edit) => edit.replace(new vscode.Range(editor.document.positionAt(at), editor.document.positionAt(at + search.length)), replacement));
}

let promptCounter = 0;

/** A new prompt like hello.prompt.json, in its own file: tests never edit a shared file (autosave is on in VS Code for the web). */
async function openFreshHello(): Promise<vscode.TextEditor> {
  const uri = await writePrompt(`status-${++promptCounter}`, { model: 'claude-sonnet-5-5', max_tokens: 64, messages: [{ role: 'user', content: 'Say hello in {{language}}, in five words or fewer.' }] }, {
    variables: { language: 'English' },
    expectedOutputTokens: 20,
  });
  return vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
}

describe('status bar: live token count and cost', function () {
  this.timeout(60_000);
  const harness = useSimulator();

  afterEach(resetEditors);

  it('shows the exact count from count_tokens, the cost and the window use, with a Markdown tooltip', async () => {
    const editor = await openFreshHello();
    // Never counted before in this session, so the count must come from the API now.
    await replaceInDocument(editor, 'five words', 'six words');
    const request = helloRequest('claude-sonnet-5-5');
    request['messages'] = [{ role: 'user', content: 'Say hello in English, in six words or fewer.' }];
    const expected = simulatorCount(request);
    const snapshot = await eventually(() => {
      const s = harness.api.statusBar();
      return s.text.includes(`${formatCount(expected)} tok`) && !s.text.includes('~') ? s : undefined;
    }, 'the exact count in the status bar');
    assert.match(snapshot.text, /\$\d/, 'a dollar figure');
    assert.match(snapshot.text, /% ctx/);
    assert.match(snapshot.tooltip, /exact/i);
    assert.match(snapshot.tooltip, /worst case/i);
    assert.match(snapshot.tooltip, /batch/i);
    assert.match(snapshot.tooltip, /2026-11-25/, 'the price date');
    assert.ok(harness.sim.requestCount('count_tokens') >= 1);
    // The last count is the one shown (an earlier one may be a prompt counted again when the key was set).
    const counted = harness.sim.requests.filter((r) => r.endpoint === 'count_tokens').at(-1);
    assert.deepEqual((counted?.body as { messages: unknown }).messages, request['messages'], 'variables are resolved before counting');
  });

  it('sends one count per pause for a burst of edits, and none for an unchanged request', async () => {
    const editor = await openFreshHello();
    // The first count may come from the cache of an earlier test: an unchanged request is never counted twice.
    await eventually(() => (harness.api.statusBar().text.includes('~') ? undefined : true), 'the exact count');
    const before = harness.sim.requestCount('count_tokens');
    for (let i = 0; i < 10; i++) await replaceInDocument(editor, 'Say hello', 'Say hello!');
    // Wait for the count rather than for a fixed time (a loaded machine may take longer than the
    // pause), then long enough after it that a second count for the same burst would have come.
    await eventually(() => (harness.sim.requestCount('count_tokens') > before ? true : undefined), 'the count after the burst');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.equal(harness.sim.requestCount('count_tokens') - before, 1, 'a burst of ten edits costs one count request');
    const afterBurst = harness.sim.requestCount('count_tokens');
    // Whitespace outside strings changes the file but not the request.
    await replaceInDocument(editor, '"max_tokens": 64,', '"max_tokens":   64,');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.equal(harness.sim.requestCount('count_tokens'), afterBurst, 'an unchanged request is not counted again');
  });

  it('counts again when the model changes, because tokenizers differ', async () => {
    const editor = await openFreshHello();
    const sonnet = simulatorCount(helloRequest('claude-sonnet-5-5'));
    const haiku = simulatorCount(helloRequest('claude-haiku-4-5'));
    assert.notEqual(sonnet, haiku, 'the simulator tokenizes these models differently');
    await eventually(() => (harness.api.statusBar().text.includes(`${formatCount(sonnet)} tok`) ? true : undefined), `the Sonnet count ${sonnet}`, 10_000, () =>
      `${harness.api.statusBar().text} / ${editor.document.getText().replace(/\s+/g, ' ')}`,
    );
    await replaceInDocument(editor, 'claude-sonnet-5-5', 'claude-haiku-4-5');
    await eventually(() => (harness.api.statusBar().text.includes(`${formatCount(haiku)} tok`) && !harness.api.statusBar().text.includes('~') ? true : undefined), 'the Haiku count');
    const last = harness.sim.requests.filter((r) => r.endpoint === 'count_tokens').pop();
    assert.equal((last?.body as { model: string }).model, 'claude-haiku-4-5');
  });

  it('falls back to a marked estimate, with the reason, when the API rejects the key', async () => {
    await harness.api.storeApiKeyForTests?.('not-a-valid-key');
    try {
      const editor = await openFreshHello();
      // A request never counted before, so the cache cannot answer for it.
      await replaceInDocument(editor, 'five words', 'four words');
      const snapshot = await eventually(() => {
        const s = harness.api.statusBar();
        return s.text.includes('~') && /key|auth/i.test(s.tooltip) ? s : undefined;
      }, 'the estimate with an authentication reason');
      assert.match(snapshot.tooltip, /estimate/i);
    } finally {
      await harness.api.storeApiKeyForTests?.(TEST_KEY);
    }
  });

  it('says "no API key" in the details when no key is set, not "network unavailable", and sends nothing', async () => {
    // The extension host is this process: without the environment fallback, clearing the stored key leaves none.
    const environmentKey = process.env['ANTHROPIC_API_KEY'];
    delete process.env['ANTHROPIC_API_KEY'];
    await harness.api.storeApiKeyForTests?.(undefined);
    try {
      await openFreshHello();
      const before = harness.sim.requestCount('count_tokens');
      await vscode.commands.executeCommand('promptWorkbench.showCostDetails');
      const details = harness.api.costDetails() ?? '';
      assert.match(details, /`claude-haiku-5-5`: no API key/);
      assert.doesNotMatch(details, /network unavailable/);
      assert.equal(harness.sim.requestCount('count_tokens'), before, 'no count is sent without a key');
    } finally {
      if (environmentKey !== undefined) process.env['ANTHROPIC_API_KEY'] = environmentKey;
      await harness.api.storeApiKeyForTests?.(TEST_KEY);
    }
  });

  it('opens the details with a what-if across models, each counted on its own', async () => {
    await openFreshHello();
    const before = harness.sim.requestCount('count_tokens');
    await vscode.commands.executeCommand('promptWorkbench.showCostDetails');
    const details = harness.api.costDetails() ?? '';
    for (const model of ['claude-haiku-5-5', 'claude-sonnet-5-5', 'claude-opus-5-5']) assert.ok(details.includes(model), `${model} in the what-if`);
    assert.ok(harness.sim.requestCount('count_tokens') - before >= 3, 'each model is counted with its own request');
    assert.ok(details.includes(formatCount(simulatorCount(helloRequest('claude-opus-5-5')))));
  });
});
