import assert from 'node:assert/strict';
import { explainStopReason } from '../../../src/core/run/stopReasons';

describe('explainStopReason', () => {
  const cases: [string | null | undefined, RegExp][] = [
    ['end_turn', /^The model finished its turn\.$/],
    ['stop_sequence', /stop_sequences/],
    ['tool_use', /call a tool.*tool result/],
    ['pause_turn', /paused.*Continue sends the conversation back/],
    ['refusal', /declined.*Rephrase/],
    ['model_context_window_exceeded', /context window.*Shorten the prompt/],
    [null, /^No stop reason: the response did not finish\.$/],
    [undefined, /^No stop reason: the response did not finish\.$/],
  ];
  for (const [reason, expected] of cases) {
    it(`${String(reason)}: says what happened and what to do`, () => {
      assert.match(explainStopReason(reason), expected);
    });
  }

  it('max_tokens names the limit when known and says to raise it', () => {
    assert.equal(explainStopReason('max_tokens', 1024), 'The response hit max_tokens (1024) and was cut off. Raise max_tokens in the prompt to get the rest.');
    assert.equal(explainStopReason('max_tokens'), 'The response hit max_tokens and was cut off. Raise max_tokens in the prompt to get the rest.');
    assert.match(explainStopReason('max_tokens', 0), /\(0\)/, 'a limit of 0 is still a known limit');
  });

  it('an unknown, future stop reason is shown as it is', () => {
    assert.equal(explainStopReason('compaction'), 'Stopped: compaction.');
  });

  it('every known reason gets its own explanation', () => {
    const known = ['end_turn', 'max_tokens', 'stop_sequence', 'tool_use', 'pause_turn', 'refusal', 'model_context_window_exceeded'];
    const texts = known.map((reason) => explainStopReason(reason, 10));
    assert.equal(new Set(texts).size, known.length);
    for (const text of texts) assert.doesNotMatch(text, /^Stopped:/);
  });
});
