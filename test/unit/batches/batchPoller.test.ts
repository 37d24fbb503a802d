import * as assert from 'node:assert/strict';
import { install } from '@sinonjs/fake-timers';

type Clock = ReturnType<typeof install>;
import { BatchPoller, type PollSchedule } from '../../../src/batches/batchPoller';

/** Jobs due at given times; polling one moves it on by its own step (or ends it when step is undefined). */
function scheduleOf(clock: Clock, jobs: Record<string, { at: number; step?: number; fails?: boolean }>, allowed = { value: true }) {
  const polled: string[] = [];
  const schedule: PollSchedule = {
    due: () => Object.entries(jobs).map(([jobId, { at }]) => ({ jobId, at })),
    poll: async (jobId) => {
      polled.push(`${jobId}@${clock.now}`);
      const job = jobs[jobId]!;
      if (job.fails) throw new Error('network down');
      if (job.step === undefined) delete jobs[jobId];
      else job.at = clock.now + job.step;
    },
    allowed: () => allowed.value,
  };
  return { schedule, polled };
}

describe('BatchPoller: one timer for every batch job', () => {
  let clock: Clock;
  beforeEach(() => {
    clock = install({ now: 0, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => clock.uninstall());

  it('polls each job when it is due, with one timer, until the job has ended', async () => {
    const { schedule, polled } = scheduleOf(clock, { a: { at: 100, step: 300 }, b: { at: 250 } });
    const poller = new BatchPoller(schedule, () => undefined);
    poller.wake();
    await clock.tickAsync(1_000);
    assert.deepEqual(polled, ['a@100', 'b@250', 'a@400', 'a@700', 'a@1000']);
    poller.dispose();
  });

  it('keeps polling after a round in which nothing was due', async () => {
    const { schedule, polled } = scheduleOf(clock, { a: { at: 500 } });
    const poller = new BatchPoller(schedule, () => undefined);
    // A round with nothing due (a Refresh before the time, a timer a hair early) ends at once.
    await poller.tick();
    await clock.tickAsync(600);
    assert.deepEqual(polled, ['a@500']);
    poller.dispose();
  });

  it('pauses a job whose poll failed, and goes on with the others', async () => {
    const errors: string[] = [];
    const { schedule, polled } = scheduleOf(clock, { bad: { at: 0, fails: true }, good: { at: 0, step: 10_000 } });
    const poller = new BatchPoller(schedule, (jobId, error) => errors.push(`${jobId}: ${(error as Error).message}`));
    poller.wake();
    await clock.tickAsync(BatchPoller.errorPauseMs - 1);
    assert.deepEqual(polled, ['bad@0', 'good@0', 'good@10000', 'good@20000']);
    await clock.tickAsync(1);
    assert.equal(polled.filter((p) => p.startsWith('bad')).length, 2, 'tried again once the pause is over');
    assert.deepEqual(errors, ['bad: network down', 'bad: network down']);
    poller.dispose();
  });

  it('does not poll while not allowed (an untrusted workspace), and picks up when woken', async () => {
    const allowed = { value: false };
    const { schedule, polled } = scheduleOf(clock, { a: { at: 0 } }, allowed);
    const poller = new BatchPoller(schedule, () => undefined);
    poller.wake();
    await clock.tickAsync(1_000);
    assert.deepEqual(polled, []);
    allowed.value = true;
    poller.wake();
    await clock.tickAsync(0);
    assert.deepEqual(polled, ['a@1000']);
    poller.dispose();
  });

  it('stops for good when disposed', async () => {
    const { schedule, polled } = scheduleOf(clock, { a: { at: 100, step: 100 } });
    const poller = new BatchPoller(schedule, () => undefined);
    poller.wake();
    await clock.tickAsync(250);
    poller.dispose();
    poller.wake();
    await clock.tickAsync(1_000);
    assert.deepEqual(polled, ['a@100', 'a@200']);
  });
});
