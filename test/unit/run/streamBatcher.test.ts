import assert from 'node:assert/strict';
import { install } from '@sinonjs/fake-timers';
import { StreamBatcher, type StreamBatch } from '../../../src/core/run/streamBatcher';

const INTERVAL = 50;
type InstalledClock = ReturnType<typeof install>;

describe('StreamBatcher (fake timers)', () => {
  let clock: InstalledClock;
  let delivered: { at: number; batch: StreamBatch }[];
  let batcher: StreamBatcher;

  beforeEach(() => {
    // A clock well past zero, as performance.now() is in a running host.
    clock = install({ now: 1_000_000 });
    delivered = [];
    batcher = new StreamBatcher((batch) => delivered.push({ at: clock.now, batch }), INTERVAL, () => clock.now);
  });

  afterEach(() => {
    batcher.dispose();
    clock.uninstall();
  });

  const allText = (index: number): string =>
    delivered
      .flatMap((d) => d.batch.appends)
      .filter((a) => a.index === index)
      .map((a) => a.text)
      .join('');

  it('delivers nothing synchronously; the first batch goes out on the next timer turn after an idle spell', () => {
    batcher.blockStart({ index: 0, kind: 'text' });
    batcher.append(0, 'Hello');
    assert.equal(delivered.length, 0);
    clock.tick(0);
    assert.equal(delivered.length, 1);
    assert.deepEqual(delivered[0]?.batch, { starts: [{ index: 0, kind: 'text' }], appends: [{ index: 0, text: 'Hello' }] });
  });

  it('merges consecutive appends to the same block, keeps order, and does not merge across blocks', () => {
    batcher.blockStart({ index: 0, kind: 'thinking' });
    batcher.append(0, 'Let me ');
    batcher.append(0, 'think.');
    batcher.blockStart({ index: 1, kind: 'text' });
    batcher.append(1, 'The ');
    batcher.append(1, 'answer');
    batcher.append(0, ' (late)');
    batcher.append(1, ' is 42.');
    clock.tick(0);
    assert.equal(delivered.length, 1);
    assert.deepEqual(delivered[0]?.batch, {
      starts: [
        { index: 0, kind: 'thinking' },
        { index: 1, kind: 'text' },
      ],
      appends: [
        { index: 0, text: 'Let me think.' },
        { index: 1, text: 'The answer' },
        { index: 0, text: ' (late)' },
        { index: 1, text: ' is 42.' },
      ],
    });
  });

  it('ignores empty appends: they neither schedule a delivery nor split a merge', () => {
    batcher.append(0, '');
    clock.tick(10 * INTERVAL);
    assert.equal(delivered.length, 0);
    batcher.append(0, 'a');
    batcher.append(0, '');
    batcher.append(0, 'b');
    clock.tick(0);
    assert.deepEqual(delivered.map((d) => d.batch.appends), [[{ index: 0, text: 'ab' }]]);
  });

  it('delivers at most once per interval under a steady stream, and loses or reorders nothing', () => {
    batcher.blockStart({ index: 0, kind: 'text' });
    let expected = '';
    // One token every 3 ms for 600 ms.
    for (let i = 0; i < 200; i++) {
      const token = `t${i} `;
      expected += token;
      batcher.append(0, token);
      clock.tick(3);
    }
    clock.tick(INTERVAL);
    assert.equal(allText(0), expected);
    const times = delivered.map((d) => d.at);
    for (let i = 1; i < times.length; i++) {
      assert.ok((times[i] as number) - (times[i - 1] as number) >= INTERVAL, `deliveries ${i - 1} and ${i} are ${(times[i] as number) - (times[i - 1] as number)} ms apart`);
    }
    // 600 ms at one delivery per 50 ms: about 12, certainly not one per token.
    assert.ok(delivered.length >= 10 && delivered.length <= 14, `${delivered.length} deliveries`);
    assert.equal(batcher.flushCount, delivered.length);
    for (const d of delivered) assert.equal(d.batch.appends.length, 1, 'one merged append per batch for a single block');
  });

  it('never delivers sooner than the interval by its own clock, even when timers fire early', () => {
    // Node's timers run on a coarser clock than performance.now() and can fire a few ms early:
    // here the batcher's clock runs 10% behind the timers. It found 62 deliveries a second
    // (npm run bench) before the timer callback checked the interval again.
    batcher.dispose();
    const lagging = (): number => clock.now * 0.9;
    const at: number[] = [];
    batcher = new StreamBatcher(() => at.push(lagging()), INTERVAL, lagging);
    for (let i = 0; i < 300; i++) {
      batcher.append(0, 'x');
      clock.tick(1);
    }
    clock.tick(INTERVAL * 2);
    assert.ok(at.length > 3);
    for (let i = 1; i < at.length; i++) {
      assert.ok((at[i] as number) - (at[i - 1] as number) >= INTERVAL, `deliveries ${i - 1} and ${i} are ${(at[i] as number) - (at[i - 1] as number)} ms apart`);
    }
  });

  it('waits out the rest of the interval after a delivery rather than a whole new one', () => {
    batcher.append(0, 'a');
    clock.tick(0);
    const first = clock.now;
    clock.tick(30);
    batcher.append(0, 'b');
    clock.tick(INTERVAL - 30 - 1);
    assert.equal(delivered.length, 1, 'not before the interval since the last delivery');
    clock.tick(1);
    assert.equal(delivered.length, 2);
    assert.equal(delivered[1]?.at, first + INTERVAL);
  });

  it('flush delivers at once, cancels the pending timer (no duplicate), and counts the delivery', () => {
    batcher.append(0, 'x');
    batcher.flush();
    assert.deepEqual(delivered.map((d) => d.batch.appends), [[{ index: 0, text: 'x' }]]);
    assert.equal(batcher.flushCount, 1);
    clock.tick(10 * INTERVAL);
    assert.equal(delivered.length, 1);
    assert.equal(clock.countTimers(), 0);
  });

  it('flush with nothing pending delivers nothing and does not count', () => {
    batcher.flush();
    assert.equal(delivered.length, 0);
    assert.equal(batcher.flushCount, 0);
  });

  it('a flush also starts the interval: the next append waits for it', () => {
    batcher.append(0, 'a');
    batcher.flush();
    batcher.append(0, 'b');
    clock.tick(INTERVAL - 1);
    assert.equal(delivered.length, 1);
    clock.tick(1);
    assert.equal(allText(0), 'ab');
  });

  it('a delivered batch is not changed by later appends', () => {
    batcher.append(0, 'first');
    batcher.flush();
    const batch = delivered[0]?.batch;
    batcher.append(0, ' second');
    batcher.blockStart({ index: 1, kind: 'text' });
    batcher.flush();
    assert.deepEqual(batch, { starts: [], appends: [{ index: 0, text: 'first' }] });
    assert.deepEqual(delivered[1]?.batch, { starts: [{ index: 1, kind: 'text' }], appends: [{ index: 0, text: ' second' }] });
  });

  it('dispose cancels a scheduled delivery', () => {
    batcher.append(0, 'never shown');
    batcher.dispose();
    clock.tick(10 * INTERVAL);
    assert.equal(delivered.length, 0);
    assert.equal(clock.countTimers(), 0);
  });

  it('flush then dispose, as at the end of a run, delivers everything exactly once', () => {
    batcher.blockStart({ index: 0, kind: 'text' });
    batcher.append(0, 'end');
    batcher.flush();
    batcher.dispose();
    clock.tick(10 * INTERVAL);
    assert.equal(delivered.length, 1);
    assert.equal(allText(0), 'end');
  });
});

describe('StreamBatcher defaults (fake timers, performance.now)', () => {
  let clock: InstalledClock;
  afterEach(() => clock.uninstall());

  it('uses performance.now and about 60 deliveries per second by default', () => {
    clock = install({ now: 1_000_000, toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    clock.tick(60_000); // performance.now() starts at 0 under fake timers; a host has been up a while
    const times: number[] = [];
    const batcher = new StreamBatcher(() => times.push(performance.now()));
    for (let i = 0; i < 1000; i++) {
      batcher.append(0, 'x');
      clock.tick(1);
    }
    clock.tick(100);
    batcher.dispose();
    // 1 s of tokens at one per ms: about 60 deliveries, not 1000. Timers run in whole milliseconds
    // (fake-timers truncates the 16.67 ms wait), so the spacing is checked to the millisecond.
    assert.ok(times.length >= 55 && times.length <= 66, `${times.length} deliveries`);
    for (let i = 1; i < times.length; i++) assert.ok((times[i] as number) - (times[i - 1] as number) >= 16, `deliveries ${i - 1} and ${i}`);
  });
});
