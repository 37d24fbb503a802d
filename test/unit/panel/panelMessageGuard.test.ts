import * as assert from 'node:assert/strict';
import { describeRejectedMessage, isPanelToHost } from '../../../src/panel/panelMessageGuard';
import type { PanelToHost } from '../../../src/protocol';

describe('isPanelToHost: messages from the webview checked at run time', () => {
  const valid: PanelToHost[] = [
    { type: 'ready' },
    { type: 'listHistory' },
    { type: 'stop', runId: 'r1' },
    { type: 'retry', runId: 'r1' },
    { type: 'continue', runId: 'r1', message: 'And then?', mode: 'inPlace' },
    { type: 'continue', runId: 'r1', message: '', mode: 'newFile' },
    { type: 'submitToolResults', runId: 'r1', results: [{ toolUseId: 'toolu_1', content: '18°C', isError: false }] },
    { type: 'submitToolResults', runId: 'r1', results: [] },
    { type: 'openRun', recordId: 'rec' },
    { type: 'rerun', recordId: 'rec' },
    { type: 'compareRuns', leftRecordId: 'a', rightRecordId: 'b' },
    { type: 'errorAction', runId: 'r1', action: 'chooseModel' },
  ];
  for (const message of valid) {
    it(`accepts ${JSON.stringify(message)}`, () => assert.equal(isPanelToHost(message), true));
  }

  const malformed: [string, unknown][] = [
    ['undefined', undefined],
    ['null', null],
    ['a string', 'ready'],
    ['a number', 42],
    ['an array', [{ type: 'ready' }]],
    ['no type', { runId: 'r1' }],
    ['an unknown type', { type: 'deleteEverything' }],
    ['a type that is not a string', { type: 7 }],
    ['a prototype key as the type', { type: 'constructor' }],
    ['stop without a run id', { type: 'stop' }],
    ['retry with a numeric run id', { type: 'retry', runId: 1 }],
    ['continue with an unknown mode', { type: 'continue', runId: 'r1', message: 'x', mode: 'overwrite' }],
    ['continue without a message', { type: 'continue', runId: 'r1', mode: 'inPlace' }],
    ['tool results that are not a list', { type: 'submitToolResults', runId: 'r1', results: { toolUseId: 'a' } }],
    ['a tool result without isError', { type: 'submitToolResults', runId: 'r1', results: [{ toolUseId: 'a', content: 'x' }] }],
    ['a tool result with object content', { type: 'submitToolResults', runId: 'r1', results: [{ toolUseId: 'a', content: { x: 1 }, isError: false }] }],
    ['a null tool result', { type: 'submitToolResults', runId: 'r1', results: [null] }],
    ['openRun without a record id', { type: 'openRun' }],
    ['compareRuns with one side', { type: 'compareRuns', leftRecordId: 'a' }],
    ['an error action without a run id', { type: 'errorAction', action: 'chooseModel' }],
    ['an error action the host does not know', { type: 'errorAction', runId: 'r1', action: 'runShell' }],
  ];
  for (const [what, message] of malformed) {
    it(`refuses ${what}`, () => assert.equal(isPanelToHost(message), false));
  }

  it('describes a refused message by its type only, never its content', () => {
    assert.equal(describeRejectedMessage({ type: 'continue', message: 'secret text' }), 'type "continue"');
    assert.equal(describeRejectedMessage({ message: 'secret text' }), 'a message without a type');
    assert.equal(describeRejectedMessage(null), 'a null');
    assert.equal(describeRejectedMessage('x'), 'a string');
    assert.equal(describeRejectedMessage({ type: 'x'.repeat(100) }), `type "${'x'.repeat(40)}"`);
  });
});
