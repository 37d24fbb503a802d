import * as assert from 'node:assert/strict';
import { errorActionLabel, type ErrorAction } from '../../../src/core/api/runError';

describe('errorActionLabel: one label per action, for the panel and the notification', () => {
  const labels: [ErrorAction, string][] = [
    ['retry', 'Retry'],
    ['setKey', 'Set API key'],
    // The notification said "Edit Prompt" and the panel "Choose model" for the same action.
    ['chooseModel', 'Choose model'],
    ['openSettings', 'Open settings'],
  ];
  for (const [action, label] of labels) {
    it(`${action}: "${label}"`, () => assert.equal(errorActionLabel(action), label));
  }

  it('gives every action a different label, so a clicked label names one action', () => {
    assert.equal(new Set(labels.map(([action]) => errorActionLabel(action))).size, labels.length);
  });
});
