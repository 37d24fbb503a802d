import * as assert from 'node:assert/strict';
import type { HistoryEntryView, HostToPanel, PanelState, RunHeaderView, RunOutcomeView, RunView } from '../../../src/protocol';
import {
  applyHostMessage,
  closeCompare,
  compactPanelState,
  continueNeedsMessage,
  emptyPanelState,
  formatDuration,
  formatTokensPerSecond,
  isPanelState,
  partialOutputNote,
  prettyJsonOrRaw,
  pruneCompareSelection,
  retrySecondsLeft,
  runAnnouncement,
  showsContinue,
  streamingSaveIntervalMs,
  toggleCompareSelection,
  toolRoundLimitText,
  toolRoundsLeft,
} from '../../../src/panel/panelModel';

const header: RunHeaderView = {
  runId: 'run-1',
  promptName: 'hello',
  promptPath: '/ws/hello.prompt.json',
  model: 'claude-sonnet-5-5',
  startedAt: '2026-11-25T10:00:00.000Z',
};

const completed: RunOutcomeView = {
  status: 'completed',
  stopReason: 'end_turn',
  stopExplanation: 'The model finished its turn.',
  usage: { inputTokens: 12, outputTokens: 34, cacheReadTokens: 0, cacheWriteTokens: 0 },
  costText: '$0.0005',
  canContinue: true,
};

function run(messages: HostToPanel[], from: PanelState = emptyPanelState()): PanelState {
  return messages.reduce(applyHostMessage, from);
}

function finishedRun(runId: string, text: string): RunView {
  return { header: { ...header, runId }, blocks: [{ index: 0, kind: 'text', text }], status: 'completed', outcome: completed };
}

const entry = (recordId: string): HistoryEntryView => ({
  recordId,
  promptName: 'hello',
  model: 'claude-sonnet-5-5',
  startedAt: '2026-11-25T10:00:00.000Z',
  status: 'completed',
  preview: 'Hi there',
});

describe('panel model: a streamed run', () => {
  it('starts empty and running', () => {
    const state = run([{ type: 'runStarted', header }]);
    assert.deepEqual(state.current, { header, blocks: [], status: 'running' });
  });

  it('accumulates appends in order across updates and blocks', () => {
    const state = run([
      { type: 'runStarted', header },
      { type: 'runProgress', runId: 'run-1', starts: [{ index: 0, kind: 'thinking' }], appends: [{ index: 0, text: 'Let me ' }] },
      { type: 'runProgress', runId: 'run-1', starts: [], appends: [{ index: 0, text: 'think.' }] },
      {
        type: 'runProgress',
        runId: 'run-1',
        starts: [{ index: 1, kind: 'text' }],
        appends: [
          { index: 1, text: 'Hello' },
          { index: 1, text: ', ' },
        ],
      },
      { type: 'runProgress', runId: 'run-1', starts: [], appends: [{ index: 1, text: 'world.' }] },
    ]);
    assert.deepEqual(state.current?.blocks, [
      { index: 0, kind: 'thinking', text: 'Let me think.' },
      { index: 1, kind: 'text', text: 'Hello, world.' },
    ]);
    assert.equal(state.current?.status, 'running');
  });

  it('keeps tool_use name and id from the block start, and its partial JSON as text', () => {
    const state = run([
      { type: 'runStarted', header },
      { type: 'runProgress', runId: 'run-1', starts: [{ index: 0, kind: 'tool_use', name: 'get_weather', id: 'toolu_1' }], appends: [{ index: 0, text: '{"city": "Par' }] },
    ]);
    assert.deepEqual(state.current?.blocks, [{ index: 0, kind: 'tool_use', name: 'get_weather', id: 'toolu_1', text: '{"city": "Par' }]);
  });

  it('orders blocks by index even if a later block starts first', () => {
    const state = run([
      { type: 'runStarted', header },
      { type: 'runProgress', runId: 'run-1', starts: [{ index: 1, kind: 'text' }, { index: 0, kind: 'thinking' }], appends: [{ index: 1, text: 'b' }, { index: 0, text: 'a' }] },
    ]);
    assert.deepEqual(state.current?.blocks.map((block) => block.text), ['a', 'b']);
  });

  it('keeps text appended to a block that never started, as text', () => {
    const state = run([{ type: 'runStarted', header }, { type: 'runProgress', runId: 'run-1', starts: [], appends: [{ index: 0, text: 'orphan' }] }]);
    assert.deepEqual(state.current?.blocks, [{ index: 0, kind: 'text', text: 'orphan' }]);
  });

  it('finishes with the outcome and its status', () => {
    const state = run([
      { type: 'runStarted', header },
      { type: 'runProgress', runId: 'run-1', starts: [{ index: 0, kind: 'text' }], appends: [{ index: 0, text: 'Hi' }] },
      { type: 'runFinished', runId: 'run-1', outcome: completed },
    ]);
    assert.equal(state.current?.status, 'completed');
    assert.deepEqual(state.current?.outcome, completed);
    assert.equal(state.current?.blocks[0]?.text, 'Hi');
  });

  it('ignores progress and finishes for a run it is not showing, returning the same state', () => {
    const started = run([{ type: 'runStarted', header }]);
    assert.equal(applyHostMessage(started, { type: 'runProgress', runId: 'other', starts: [], appends: [{ index: 0, text: 'x' }] }), started);
    assert.equal(applyHostMessage(started, { type: 'runFinished', runId: 'other', outcome: completed }), started);
    assert.equal(applyHostMessage(emptyPanelState(), { type: 'runFinished', runId: 'run-1', outcome: completed }).current, undefined);
  });

  it('ignores progress that arrives after the run finished', () => {
    const finished = run([{ type: 'runStarted', header }, { type: 'runFinished', runId: 'run-1', outcome: { status: 'cancelled', canContinue: false } }]);
    assert.equal(applyHostMessage(finished, { type: 'runProgress', runId: 'run-1', starts: [], appends: [{ index: 0, text: 'late' }] }), finished);
  });

  it('never mutates the state it was given', () => {
    const before = run([{ type: 'runStarted', header }, { type: 'runProgress', runId: 'run-1', starts: [{ index: 0, kind: 'text' }], appends: [{ index: 0, text: 'a' }] }]);
    const snapshot = JSON.stringify(before);
    run([{ type: 'runProgress', runId: 'run-1', starts: [], appends: [{ index: 0, text: 'b' }] }, { type: 'runFinished', runId: 'run-1', outcome: completed }], before);
    assert.equal(JSON.stringify(before), snapshot);
  });

  it('accumulates 100,000 appends, copying only the block that grew (its speed is in npm run bench)', () => {
    let state = run([{ type: 'runStarted', header }, { type: 'runProgress', runId: 'run-1', starts: [{ index: 0, kind: 'thinking' }, { index: 1, kind: 'text' }], appends: [{ index: 0, text: 'hmm' }] }]);
    const thinking = state.current?.blocks[0];
    const history = state.history;
    for (let i = 0; i < 100_000; i++) {
      state = applyHostMessage(state, { type: 'runProgress', runId: 'run-1', starts: [], appends: [{ index: 1, text: 'word ' }] });
    }
    assert.equal(state.current?.blocks[1]?.text.length, 500_000);
    assert.ok(thinking !== undefined && state.current?.blocks[0] === thinking, 'the block that did not grow is shared, not copied');
    assert.equal(state.history, history, 'the history is shared, not copied');
  });
});

describe('panel model: showRun, history and compare', () => {
  it('showRun replaces the current run', () => {
    const shown = finishedRun('old', 'from history');
    const state = run([{ type: 'runStarted', header }, { type: 'showRun', run: shown }]);
    assert.equal(state.current, shown);
  });

  it('history replaces the list and keeps the current run', () => {
    const state = run([{ type: 'runStarted', header }, { type: 'history', entries: [entry('a'), entry('b')] }]);
    assert.deepEqual(state.history.map((e) => e.recordId), ['a', 'b']);
    assert.equal(state.current?.header.runId, 'run-1');
  });

  it('compare holds both runs until closed', () => {
    const left = finishedRun('l', 'left');
    const right = finishedRun('r', 'right');
    const state = run([{ type: 'compare', left, right }]);
    assert.deepEqual(state.compare, { left, right });
    assert.equal(closeCompare(state).compare, undefined);
    assert.ok(!('compare' in closeCompare(state)));
  });

  it('selects at most two runs to compare, dropping the oldest', () => {
    let selected = toggleCompareSelection([], 'a');
    selected = toggleCompareSelection(selected, 'b');
    assert.deepEqual(selected, ['a', 'b']);
    assert.deepEqual(toggleCompareSelection(selected, 'c'), ['b', 'c']);
    assert.deepEqual(toggleCompareSelection(selected, 'a'), ['b']);
    assert.deepEqual(pruneCompareSelection(['a', 'gone'], [entry('a')]), ['a']);
  });
});

describe('panel model: persistence', () => {
  it('round-trips through JSON and is recognised on restore', () => {
    const state = run([
      { type: 'runStarted', header },
      { type: 'runProgress', runId: 'run-1', starts: [{ index: 0, kind: 'text' }], appends: [{ index: 0, text: 'Hi' }] },
      { type: 'history', entries: [entry('a')] },
    ]);
    const restored: unknown = JSON.parse(JSON.stringify(compactPanelState(state)));
    assert.ok(isPanelState(restored));
    assert.deepEqual(restored, state);
  });

  it('rejects what is not a PanelState', () => {
    for (const value of [undefined, null, 42, 'x', {}, { history: 'no' }, { history: [], current: { blocks: [] } }, { history: [{}] }]) {
      assert.equal(isPanelState(value), false, JSON.stringify(value));
    }
    assert.equal(isPanelState(emptyPanelState()), true);
  });

  it('cuts very long output with a note pointing to history, and shortens previews', () => {
    const state: PanelState = { current: finishedRun('big', 'x'.repeat(50)), history: [{ ...entry('a'), preview: 'p'.repeat(1000) }] };
    const compact = compactPanelState(state, 20);
    const text = compact.current?.blocks[0]?.text ?? '';
    assert.ok(text.startsWith('x'.repeat(20)));
    assert.match(text, /30 more characters .* History/);
    assert.ok((compact.history[0]?.preview.length ?? 0) < 400);
    assert.equal(state.current?.blocks[0]?.text.length, 50, 'the live state is untouched');
  });

  it('saves a streaming run every second, less often as the output nears a megabyte', () => {
    assert.equal(streamingSaveIntervalMs(emptyPanelState()), 1000);
    assert.equal(streamingSaveIntervalMs({ current: finishedRun('r', 'x'.repeat(50_000)), history: [] }), 1000);
    assert.equal(streamingSaveIntervalMs({ current: finishedRun('r', 'x'.repeat(500_000)), history: [] }), 5000);
    assert.equal(streamingSaveIntervalMs({ current: finishedRun('r', 'x'.repeat(5_000_000)), history: [] }), 10_000);
  });

  it('keeps small states as they are', () => {
    const state: PanelState = { current: finishedRun('small', 'hello'), history: [] };
    assert.equal(compactPanelState(state).current, state.current);
  });
});

describe('panel model: wording', () => {
  it('marks partial output of a cancelled or failed run', () => {
    const withText = (status: RunView['status']): RunView => ({ ...finishedRun('r', 'part'), status });
    assert.equal(partialOutputNote(withText('cancelled')), 'cancelled — partial output kept');
    assert.equal(partialOutputNote(withText('failed')), 'failed — partial output kept');
    assert.equal(partialOutputNote(withText('completed')), undefined);
    assert.equal(partialOutputNote({ ...finishedRun('r', ''), status: 'failed' }), undefined);
  });

  it('announces status changes', () => {
    assert.equal(runAnnouncement({ header, blocks: [], status: 'running' }), 'Running hello on claude-sonnet-5-5.');
    assert.equal(runAnnouncement(finishedRun('r', 'x')), 'hello completed, $0.0005.');
    const failed: RunView = { header, blocks: [], status: 'failed', outcome: { status: 'failed', canContinue: false, error: { title: 'Rate limited', message: 'Wait', actions: ['retry'] } } };
    assert.equal(runAnnouncement(failed), 'hello failed: Rate limited.');
  });

  it('pretty-prints JSON and leaves partial JSON as it is', () => {
    assert.deepEqual(prettyJsonOrRaw('{"a":1}'), { text: '{\n  "a": 1\n}', parsed: true });
    assert.deepEqual(prettyJsonOrRaw('{"a":'), { text: '{"a":', parsed: false });
    assert.deepEqual(prettyJsonOrRaw(''), { text: '', parsed: false });
  });

  it('counts down a retry-after wait in whole seconds', () => {
    assert.equal(retrySecondsLeft(30, 0), 30);
    assert.equal(retrySecondsLeft(30, 1), 30);
    assert.equal(retrySecondsLeft(30, 1000), 29);
    assert.equal(retrySecondsLeft(30, 29_500), 1);
    assert.equal(retrySecondsLeft(30, 31_000), 0);
  });

  it('lets pause_turn continue without a message, and hides Continue while tools wait for results', () => {
    assert.equal(continueNeedsMessage({ ...completed, stopReason: 'pause_turn' }), false);
    assert.equal(continueNeedsMessage(completed), true);
    assert.equal(showsContinue(completed), true);
    assert.equal(showsContinue({ ...completed, canContinue: false }), false);
    assert.equal(showsContinue({ ...completed, stopReason: 'tool_use', pendingTools: [{ id: 't', name: 'n', inputJson: '{}' }] }), false);
    assert.equal(toolRoundsLeft({ ...completed, toolRounds: { used: 2, max: 5 } }), true);
    assert.equal(toolRoundsLeft({ ...completed, toolRounds: { used: 5, max: 5 } }), false);
    // The limit is a setting, not something in the prompt file.
    const limit = toolRoundLimitText({ ...completed, toolRounds: { used: 5, max: 5 } });
    assert.match(limit, /all 5 tool rounds/);
    assert.match(limit, /promptWorkbench\.maxToolRounds setting/);
    assert.doesNotMatch(limit, /prompt file/);
    assert.match(toolRoundLimitText({ ...completed, toolRounds: { used: 1, max: 1 } }), /all 1 tool round allowed/);
  });

  it('formats numbers for people', () => {
    assert.equal(formatDuration(850), '850 ms');
    assert.equal(formatDuration(12_345), '12.3 s');
    assert.equal(formatDuration(125_000), '2 min 05 s');
    assert.equal(formatTokensPerSecond(42.25), '42.3 tokens/s');
    assert.equal(formatTokensPerSecond(250.4), '250 tokens/s');
  });
});
