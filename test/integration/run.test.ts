import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as vscode from 'vscode';
import type { PanelState } from '../../src/protocol';
import type { RunSummary } from '../../src/run/runController';
import { replyTextFor } from '../simulator/replyModel';
import { TEST_KEY, useSimulator } from './apiHarness';
import { eventually, filesUnder, workspaceFile, writePrompt } from './helpers';

const model = 'claude-sonnet-5-5';
const userMessage = (text: string): Record<string, unknown>[] => [{ role: 'user', content: text }];

function panelText(state: PanelState): string {
  return (state.current?.blocks ?? []).filter((b) => b.kind === 'text').map((b) => b.text).join('');
}

describe('running prompts', function () {
  this.timeout(60_000);
  const harness = useSimulator({ outputTokens: 40 });

  async function run(uri: vscode.Uri): Promise<RunSummary> {
    const summary = await vscode.commands.executeCommand<RunSummary | undefined>('promptWorkbench.run', uri);
    assert.ok(summary, 'the run was sent');
    return summary;
  }

  it('streams the reply into the output channel and the panel, complete and in order, and records it', async () => {
    const uri = workspaceFile('hello.prompt.json');
    const summary = await run(uri);
    assert.equal(summary.status, 'completed');
    const sent = harness.sim.requests.find((r) => r.endpoint === 'messages');
    assert.ok(sent, 'the simulator saw the request');
    assert.equal((sent.body as { stream?: boolean }).stream, true, 'streamed');
    const expected = replyTextFor(sent.body as Record<string, unknown>, 40);
    assert.equal(summary.text, expected, 'the final text is exactly what the simulator sent');
    assert.equal(panelText(harness.api.panelState()), expected, 'the panel got every piece in order');
    assert.ok(harness.api.outputText().includes(expected), 'the output channel got every piece in order');
    assert.equal(summary.outcome.stopReason, 'end_turn');
    assert.match(summary.outcome.stopExplanation ?? '', /finished/);
    assert.ok((summary.outcome.usage?.outputTokens ?? 0) > 0);
    assert.match(summary.outcome.costText ?? '', /^\$\d/);
    assert.ok(summary.outcome.timeToFirstTokenMs !== undefined);

    const history = readFileSync(harness.api.historyFile(uri), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const record = history.find((r) => r['recordId'] === summary.runId);
    assert.ok(record, 'a history record was written');
    assert.equal((record['request'] as { messages: { content: string }[] }).messages[0]?.content, 'Say hello in English, in five words or fewer.', 'the resolved request');
    assert.ok(record['requestId'], 'with the request id');
    assert.ok(record['timings'] && record['response']);
  });

  it('keeps the partial output when the run is stopped mid-stream, and marks it cancelled', async () => {
    const uri = await writePrompt('slow', { model, max_tokens: 2000, messages: userMessage('Tell me a long story.') });
    harness.sim.configure({ outputTokens: 600, tokensPerSecond: 150 });
    try {
      const running = vscode.commands.executeCommand<RunSummary | undefined>('promptWorkbench.run', uri);
      await eventually(
        () => (harness.api.panelState().current?.header.promptName === 'slow' && panelText(harness.api.panelState()).length > 20 ? true : undefined),
        'some streamed text of this run',
      );
      await vscode.commands.executeCommand('promptWorkbench.stop');
      const summary = await running;
      assert.equal(summary?.status, 'cancelled');
      const partial = panelText(harness.api.panelState());
      assert.ok(partial.length > 20, 'the partial output is kept in the panel');
      const sent = harness.sim.requests.find((r) => r.endpoint === 'messages');
      const full = replyTextFor(sent?.body as Record<string, unknown>, 600);
      assert.ok(full.startsWith(partial) && partial.length < full.length, 'what was kept is a true prefix of the reply');
      assert.equal(harness.api.panelState().current?.status, 'cancelled');
      // Stopped before the API's final usage: the output count and cost are estimates from the
      // text received (message_start's placeholder count of 1 must not be shown as the truth).
      const usage = summary?.outcome.usage;
      assert.equal(usage?.outputEstimated, true);
      assert.ok((usage?.outputTokens ?? 0) >= 5, `estimated output tokens ${usage?.outputTokens}`);
      assert.match(summary?.outcome.costText ?? '', /^~\$.*estimated/);
      assert.equal(summary?.outcome.outputTokensPerSecond, undefined, 'no speed from a placeholder count');
    } finally {
      harness.sim.configure({ outputTokens: 40, tokensPerSecond: 0 });
    }
  });

  const errorCases: { name: string; setup: () => void | Promise<void>; request?: Record<string, unknown>; title: RegExp; message: RegExp; actions: string[]; after?: () => Promise<void> }[] = [
    {
      name: '401: set the key',
      setup: () => harness.api.storeApiKeyForTests?.('bad-key-0123456789'),
      after: async () => harness.api.storeApiKeyForTests?.(TEST_KEY),
      title: /key rejected/i,
      message: /Set API Key/,
      actions: ['setKey'],
    },
    { name: '403: a permission message', setup: () => harness.sim.enqueueFault({ fault: 'permission', endpoint: 'messages' }), title: /permission/i, message: /permission/i, actions: ['setKey'] },
    {
      name: '404: choose another model',
      // Priced by the user, so the spend cap can guard it; the simulator does not know the model.
      setup: async () => {
        await vscode.workspace.getConfiguration('promptWorkbench').update('priceOverrides', { 'claude-imaginary-9': { input: 1, output: 5 } }, vscode.ConfigurationTarget.Global);
      },
      after: async () => {
        await vscode.workspace.getConfiguration('promptWorkbench').update('priceOverrides', undefined, vscode.ConfigurationTarget.Global);
      },
      request: { model: 'claude-imaginary-9', max_tokens: 50, messages: userMessage('Hi') },
      title: /not found/i,
      message: /claude-imaginary-9.*another model/,
      actions: ['chooseModel'],
    },
    {
      name: '400: the API message and the request id',
      setup: () => undefined,
      // Passes the local checks; the API (here the simulator) rejects tool_choice without tools.
      request: { model: 'claude-haiku-4-5', max_tokens: 200, tool_choice: { type: 'any' }, messages: userMessage('Hi.') },
      title: /invalid request/i,
      message: /tool_choice.*req_/,
      actions: [],
    },
    {
      name: '429: a countdown from retry-after',
      setup: () => harness.sim.enqueueFault({ fault: 'rate_limit', endpoint: 'messages', times: 3, retryAfterSeconds: 1 }),
      title: /rate limited/i,
      message: /Retry in 1 s/,
      actions: ['retry'],
    },
    { name: '529: Retry', setup: () => harness.sim.enqueueFault({ fault: 'overloaded', endpoint: 'messages', times: 3 }), title: /overloaded/i, message: /overloaded/i, actions: ['retry', 'chooseModel'] },
    {
      name: 'an error mid-stream: partial output kept, Retry offered',
      setup: () => harness.sim.enqueueFault({ fault: 'error_event', endpoint: 'messages', afterEvents: 8 }),
      title: /stream interrupted/i,
      message: /partial output is kept/,
      actions: ['retry'],
    },
  ];

  errorCases.forEach((errorCase, i) => {
    it(`gives a clear message for ${errorCase.name}`, async () => {
      const uri = await writePrompt(`error-case-${i}`, errorCase.request ?? { model, max_tokens: 50, messages: userMessage('Hello there.') });
      await errorCase.setup();
      try {
        const summary = await run(uri);
        assert.equal(summary.status, 'failed');
        const error = summary.outcome.error;
        assert.ok(error, 'an error is described');
        assert.match(error.title, errorCase.title);
        assert.match(error.message, errorCase.message);
        assert.deepEqual(error.actions, errorCase.actions);
        if (errorCase.name.startsWith('429')) assert.equal(error.retryAfterSeconds, 1);
        if (errorCase.name.startsWith('400')) {
          assert.equal(error.fieldPath, 'tool_choice', 'the field the API named');
          assert.match(error.requestId ?? '', /^req_/);
        }
        if (errorCase.name.startsWith('an error mid-stream')) assert.ok(panelText(harness.api.panelState()).length > 0, 'partial text stays in the panel');
      } finally {
        await errorCase.after?.();
      }
    });
  });

  it('never writes the key to history, logs or panel state', async () => {
    await run(workspaceFile('hello.prompt.json'));
    const history = readFileSync(harness.api.historyFile(workspaceFile('hello.prompt.json')), 'utf8');
    assert.ok(history.length > 0);
    assert.ok(!history.includes(TEST_KEY), 'not in history');
    assert.ok(!JSON.stringify(harness.api.panelState()).includes(TEST_KEY), 'not in panel state');
    assert.ok(!harness.api.outputText().includes(TEST_KEY), 'not in the output channel');
    const logFiles = filesUnder(dirname(harness.api.logUri().fsPath));
    assert.ok(logFiles.length > 0, 'there are log files to search');
    for (const file of logFiles) assert.ok(!readFileSync(file, 'utf8').includes(TEST_KEY), `not in ${file}`);
    const workspaceFiles = filesUnder(workspaceFile('').fsPath);
    for (const file of workspaceFiles) assert.ok(!readFileSync(file, 'utf8').includes(TEST_KEY), `not in ${file}`);
  });

  it('refuses to send a run whose worst case is above maxRunCostUsd, and sends nothing', async () => {
    const config = vscode.workspace.getConfiguration('promptWorkbench');
    await config.update('maxRunCostUsd', 0.0001, vscode.ConfigurationTarget.Global);
    try {
      const uri = await writePrompt('expensive', { model: 'claude-opus-5-5', max_tokens: 100000, messages: userMessage('Write a novel.') });
      const summary = await vscode.commands.executeCommand<RunSummary | undefined>('promptWorkbench.run', uri);
      assert.equal(summary, undefined, 'nothing was run');
      assert.equal(harness.sim.requestCount('messages'), 0, 'no message request went out');
    } finally {
      await config.update('maxRunCostUsd', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('never sends a prompt with errors', async () => {
    const summary = await vscode.commands.executeCommand<RunSummary | undefined>('promptWorkbench.run', workspaceFile('broken.prompt.json'));
    assert.equal(summary, undefined);
    assert.equal(harness.sim.requestCount('messages'), 0);
  });
});
