import type { BlockAppend, BlockStart } from './streamBlocks';

export interface StreamBatch {
  starts: BlockStart[];
  appends: BlockAppend[];
}

/**
 * Collects block starts and appended text from a stream and hands them on at most once per
 * interval (60 per second by default), merging consecutive appends to the same block, so a
 * 100,000-token response costs a few hundred UI updates rather than one per token.
 */
export class StreamBatcher {
  private starts: BlockStart[] = [];
  private appends: BlockAppend[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastFlush = 0;
  /** How many batches were delivered (for the benchmark's updates-per-second figure). */
  flushCount = 0;

  constructor(
    private readonly deliver: (batch: StreamBatch) => void,
    private readonly intervalMs = 1000 / 60,
    private readonly now: () => number = () => performance.now(),
  ) {}

  blockStart(start: BlockStart): void {
    this.starts.push(start);
    this.schedule();
  }

  append(index: number, text: string): void {
    if (!text) return;
    const last = this.appends[this.appends.length - 1];
    if (last && last.index === index) last.text += text;
    else this.appends.push({ index, text });
    this.schedule();
  }

  /** Delivers whatever is pending now (at the end of a run, or before an error is shown). */
  flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.starts.length === 0 && this.appends.length === 0) return;
    const batch = { starts: this.starts, appends: this.appends };
    this.starts = [];
    this.appends = [];
    this.lastFlush = this.now();
    this.flushCount++;
    this.deliver(batch);
  }

  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.intervalMs - (this.now() - this.lastFlush));
    // Node timers can fire a little early against performance.now() (they run on a coarser
    // clock), so the callback checks the interval again rather than trusting the timer.
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.now() - this.lastFlush < this.intervalMs) this.schedule();
      else this.flush();
    }, Math.ceil(wait));
  }
}
