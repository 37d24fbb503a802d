import assert from 'node:assert/strict';
import { DEFAULT_POLL_POLICY, nextPollDelay, progressFingerprint } from '../../../src/core/batch/batchPolling';
import type { BatchPartRecord } from '../../../src/core/batch/batchRecord';

describe('batch polling policy', () => {
  const policy = { firstMs: 1_000, maxMs: 10_000, factor: 2 };

  it('starts at the first delay, backs off while nothing changes, up to the longest', () => {
    const delays: number[] = [];
    let delay: number | undefined;
    for (let i = 0; i < 7; i++) {
      delay = nextPollDelay(delay, false, false, policy);
      delays.push(delay!);
    }
    assert.deepEqual(delays, [1_000, 2_000, 4_000, 8_000, 10_000, 10_000, 10_000]);
  });

  it('goes back to the first delay when something changed', () => {
    assert.equal(nextPollDelay(8_000, true, false, policy), 1_000);
  });

  it('stops once the job has ended', () => {
    assert.equal(nextPollDelay(8_000, true, true, policy), undefined);
    assert.equal(nextPollDelay(undefined, false, true), undefined);
  });

  it('the default policy looks within seconds and never waits more than five minutes', () => {
    let delay = nextPollDelay(undefined, false, false);
    assert.equal(delay, DEFAULT_POLL_POLICY.firstMs);
    for (let i = 0; i < 50; i++) delay = nextPollDelay(delay, false, false);
    assert.equal(delay, 5 * 60_000);
  });

  it('a change of any batch\'s status or counts changes the fingerprint', () => {
    const part = (extra: Partial<BatchPartRecord> = {}): BatchPartRecord => ({
      part: 0,
      id: 'msgbatch_a',
      requests: 3,
      bytes: 100,
      processingStatus: 'in_progress',
      requestCounts: { processing: 3, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
      createdAt: '2026-11-25T12:00:00Z',
      expiresAt: '2026-11-26T12:00:00Z',
      endedAt: null,
      cancelInitiatedAt: null,
      archivedAt: null,
      ...extra,
    });
    const base = progressFingerprint({ parts: [part()] });
    assert.equal(progressFingerprint({ parts: [part({ endedAt: null })] }), base);
    assert.notEqual(progressFingerprint({ parts: [part({ processingStatus: 'canceling' })] }), base);
    assert.notEqual(progressFingerprint({ parts: [part({ requestCounts: { processing: 0, succeeded: 2, errored: 1, canceled: 0, expired: 0 } })] }), base);
  });
});
