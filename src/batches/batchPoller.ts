// One poller for every batch of the window: a single timer set for the earliest time any batch is
// due (each batch's next time comes from core's delay policy: it backs off while nothing changes
// and there is none once the batch has ended). Polls never overlap, a failing poll only delays its
// own batch, and disposing stops the timer and every later poll.
import type * as vscode from 'vscode';

export interface PollSchedule {
  /** The jobs that still need polling and when each is next due (epoch ms); ended jobs are left out. */
  due(): { jobId: string; at: number }[];
  /** Polls one job (retrieve, and join the results once it has ended); sets its next due time. */
  poll(jobId: string): Promise<void>;
  /** Whether polling may run now (a trusted workspace); re-checked on every tick. */
  allowed(): boolean;
}

export class BatchPoller implements vscode.Disposable {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private polling: Promise<void> | undefined;
  private disposed = false;
  /** A job whose poll threw is not polled again before this (its schedule may not have moved on). */
  private readonly notBefore = new Map<string, number>();
  /** Polls made, for the tests' view of the backoff. */
  pollCount = 0;

  constructor(
    private readonly schedule: PollSchedule,
    private readonly onError: (jobId: string, error: unknown) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Re-arms the timer for the earliest due job (after a submission, a cancel, a trust change). */
  wake(): void {
    if (this.disposed || this.polling) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.schedule.allowed()) return;
    const due = this.dueJobs();
    if (due.length === 0) return;
    const at = Math.min(...due.map((d) => d.at));
    this.timer = setTimeout(() => void this.tick(), Math.max(0, at - this.now()));
  }

  /** Polls every job due now, one at a time, then re-arms. Resolves when that round is done. */
  tick(): Promise<void> {
    if (this.polling) return this.polling;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    // Cleared in a `finally` that always runs after this assignment (a round with nothing due ends
    // synchronously inside pollDue; cleared there, `polling` would be set again afterwards, for good).
    const round = this.pollDue().finally(() => {
      this.polling = undefined;
      this.wake();
    });
    this.polling = round;
    return round;
  }

  private async pollDue(): Promise<void> {
    if (!this.schedule.allowed()) return;
    const now = this.now();
    for (const { jobId, at } of this.dueJobs()) {
      if (this.disposed) return;
      if (at > now) continue;
      this.pollCount++;
      try {
        await this.schedule.poll(jobId);
        this.notBefore.delete(jobId);
      } catch (error) {
        this.notBefore.set(jobId, this.now() + BatchPoller.errorPauseMs);
        this.onError(jobId, error);
      }
    }
  }

  /** How long a job whose poll failed waits at least (a network error, a 5xx after the SDK's retries). */
  static errorPauseMs = 30_000;

  private dueJobs(): { jobId: string; at: number }[] {
    return this.schedule.due().map(({ jobId, at }) => ({ jobId, at: Math.max(at, this.notBefore.get(jobId) ?? 0) }));
  }

  /** Resolves once no poll is running. */
  async idle(): Promise<void> {
    while (this.polling) await this.polling;
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
