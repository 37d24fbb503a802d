import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import type { RunSummary } from '../../src/run/runController';
import { start, type Simulator } from '../simulator/server';
import { useSimulator } from './apiHarness';
import { resetEditors, workspaceFile, writePrompt } from './helpers';

type Json = Record<string, unknown>;

describe('conversations, tools, history and structured output', function () {
  this.timeout(60_000);
  const harness = useSimulator({ outputTokens: 30 });
  afterEach(resetEditors);

  async function run(uri: vscode.Uri): Promise<RunSummary> {
    const summary = await vscode.commands.executeCommand<RunSummary | undefined>('promptWorkbench.run', uri);
    assert.ok(summary);
    return summary;
  }

  function promptOnDisk(uri: vscode.Uri): { request: { messages: Json[] } } {
    return JSON.parse(readFileSync(uri.fsPath, 'utf8')) as { request: { messages: Json[] } };
  }

  it('Continue in place appends the reply and the next message to the prompt and resends the whole history', async () => {
    const uri = await writePrompt('chat', { model: 'claude-sonnet-5-5', max_tokens: 200, messages: [{ role: 'user', content: 'Name a colour.' }] });
    const first = await run(uri);
    assert.equal(first.outcome.canContinue, true);
    await harness.api.panelMessage({ type: 'continue', runId: first.runId, message: 'Now name a fruit.', mode: 'inPlace' });
    const second = harness.api.lastRun();
    assert.ok(second && second.runId !== first.runId, 'a second turn ran');
    const messages = promptOnDisk(uri).request.messages;
    assert.equal(messages.length, 3);
    assert.equal(messages[1]?.['role'], 'assistant');
    assert.deepEqual((messages[1]?.['content'] as Json[])[0]?.['text'], first.text, 'the reply is in the file');
    assert.deepEqual(messages[2], { role: 'user', content: 'Now name a fruit.' });
    const sent = harness.sim.requests.filter((r) => r.endpoint === 'messages').pop();
    assert.equal(((sent?.body as { messages: Json[] }).messages).length, 3, 'the API is stateless: the whole history is resent');
  });

  it('Continue in a new file leaves the original prompt as it was', async () => {
    const uri = await writePrompt('chat-copy', { model: 'claude-sonnet-5-5', max_tokens: 200, messages: [{ role: 'user', content: 'Name a river.' }] });
    const first = await run(uri);
    await harness.api.panelMessage({ type: 'continue', runId: first.runId, message: 'And a mountain?', mode: 'newFile' });
    assert.equal(promptOnDisk(uri).request.messages.length, 1, 'the original is untouched');
    const copy = workspaceFile('chat-copy-turn2.prompt.json');
    assert.equal(promptOnDisk(copy).request.messages.length, 3);
  });

  it('shows tool_use inputs and continues with the tool_result the user supplies', async () => {
    const uri = await writePrompt('weather', {
      model: 'claude-haiku-4-5',
      max_tokens: 300,
      tool_choice: { type: 'any' },
      tools: [{ name: 'get_weather', description: 'Current weather for a city', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }],
      messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
    });
    const first = await run(uri);
    assert.equal(first.outcome.stopReason, 'tool_use');
    const tool = first.outcome.pendingTools?.[0];
    assert.ok(tool, 'the tool call is shown');
    assert.equal(tool.name, 'get_weather');
    assert.ok('city' in (JSON.parse(tool.inputJson) as Json), 'its input, as JSON');
    assert.deepEqual(first.outcome.toolRounds, { used: 1, max: 10 });
    await harness.api.panelMessage({ type: 'submitToolResults', runId: first.runId, results: [{ toolUseId: tool.id, content: '18°C and sunny', isError: false }] });
    const sent = harness.sim.requests.filter((r) => r.endpoint === 'messages').pop();
    const last = (sent?.body as { messages: Json[] }).messages.pop();
    assert.deepEqual(last, { role: 'user', content: [{ type: 'tool_result', tool_use_id: tool.id, content: '18°C and sunny' }] });
  });

  it('pretty-prints structured output and validates it against its schema', async () => {
    const schema = { type: 'object', properties: { title: { type: 'string' }, year: { type: 'integer' } }, required: ['title', 'year'], additionalProperties: false };
    const uri = await writePrompt('structured', {
      model: 'claude-sonnet-5-5',
      max_tokens: 300,
      output_config: { format: { type: 'json_schema', schema } },
      messages: [{ role: 'user', content: 'A film as JSON.' }],
    });
    const summary = await run(uri);
    assert.ok(summary.outcome.structured, 'structured output is checked');
    assert.equal(summary.outcome.structured.parsed, true);
    assert.deepEqual(summary.outcome.structured.errors, []);
    assert.deepEqual(JSON.parse(summary.outcome.structured.pretty), JSON.parse(summary.text));
    assert.ok(summary.outcome.structured.pretty.includes('\n  '), 'pretty-printed');
  });

  it('lists runs, opens one, compares two and reruns one from the history', async () => {
    const uri = workspaceFile('hello.prompt.json');
    const a = await run(uri);
    const b = await run(uri);
    await harness.api.panelMessage({ type: 'listHistory' });
    const ids = harness.api.panelState().history.map((entry) => entry.recordId);
    assert.ok(ids.includes(a.runId) && ids.includes(b.runId), 'both runs are listed');
    assert.ok(ids.indexOf(b.runId) < ids.indexOf(a.runId), 'newest first');
    await harness.api.panelMessage({ type: 'openRun', recordId: a.runId });
    assert.equal(harness.api.panelState().current?.header.runId, a.runId);
    assert.equal(harness.api.panelState().current?.blocks.map((block) => block.text).join(''), a.text);
    await harness.api.panelMessage({ type: 'compareRuns', leftRecordId: a.runId, rightRecordId: b.runId });
    assert.equal(harness.api.panelState().compare?.left.header.runId, a.runId);
    assert.equal(harness.api.panelState().compare?.right.header.runId, b.runId);
    const before = harness.sim.requestCount('messages');
    await harness.api.panelMessage({ type: 'rerun', recordId: a.runId });
    assert.equal(harness.sim.requestCount('messages'), before + 1, 'rerun sends the recorded request again');
  });

  describe('a workspace that tries to redirect the key', () => {
    let evil: Simulator;
    before(async () => {
      evil = await start({ port: 0 });
      const settings = workspaceFile('.vscode/settings.json');
      await vscode.workspace.fs.writeFile(settings, new TextEncoder().encode(JSON.stringify({ 'promptWorkbench.apiBaseUrl': evil.url })));
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    });
    after(async () => {
      await vscode.workspace.fs.delete(workspaceFile('.vscode'), { recursive: true });
      await evil.close();
    });

    it('cannot change the base URL: the key still goes only to the user-chosen server', async () => {
      await run(workspaceFile('hello.prompt.json'));
      assert.equal(evil.requests.length, 0, 'the workspace server saw nothing');
      assert.ok(harness.sim.requestCount('messages') >= 1);
    });
  });
});
