// The spend ledger: every billed call the extension makes, one JSON line each (a Message Batch's
// results one line per group recorded together, with a `calls` count and the group's sums), in
// one append-only file per calendar month (UTC, so a month has one file whichever time zone the
// window runs in).
//
// Several VS Code windows may write at once. Each flush is one write() on a file opened with
// O_APPEND, so lines from two processes never interleave or overwrite each other, and the file is
// the only source of truth: a window never adds its own entries to its totals directly; it reads
// the bytes appended since its last read (its own and any other window's) and folds them into
// running totals. Reading the tooltip's month-to-date is therefore a field read, never a re-read.
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';

/** What a billed call was part of. */
export type LedgerKind = 'run' | 'dataset' | 'batch' | 'chunk';

/** Token counts of one call, with the cache split, as the API reported them (or estimated). */
export interface LedgerUsage {
  inputTokens: number;
  outputTokens: number;
  cacheWrite5mTokens: number;
  cacheWrite1hTokens: number;
  cacheReadTokens: number;
  /** Server tool calls billed per call (usage.server_tool_use), when any. */
  webSearchRequests?: number;
  webFetchRequests?: number;
}

/**
 * One billed call, or a group of billed calls recorded together (a Message Batch's results, a
 * thousand at a time): then `calls` says how many, and usage, cost and savings are their sums.
 */
export interface LedgerCall {
  type: 'call';
  /** How many billed calls the line stands for; absent means one. */
  calls?: number;
  /** ISO time the call was recorded (its end). */
  time: string;
  /** Salted hash prefix of the API key (keyFingerprint), never the key. */
  keyFingerprint: string;
  /** Host of the base URL the call went to. */
  baseUrlHost: string;
  model: string;
  promptName: string;
  kind: LedgerKind;
  usage: LedgerUsage;
  /** Actual cost in USD; null when a price was unknown (never read as $0). */
  costUsd: number | null;
  /** The price table's as-of date for the model, null when unpriced. */
  priceAsOf: string | null;
  requestId?: string;
  /** The message ids of a group's results, so a join resumed after an interruption records none twice. */
  requestIds?: string[];
  batchId?: string;
  /** Answered by the local simulator: kept apart, never added to real spend. */
  simulated: boolean;
  /** The usage was estimated (a stopped stream has no final usage). */
  estimated?: boolean;
  /** What cache reads saved against the full input price, USD. */
  cacheSavingsUsd?: number;
  /** What the batch discount saved against synchronous prices, USD. */
  batchSavingsUsd?: number;
  /** The window (process session) that wrote the line: threshold warnings fire in that window only. */
  writer?: string;
}

/** Free token-counting calls: not billed, but their number is kept. */
export interface LedgerCounts {
  type: 'counts';
  time: string;
  calls: number;
  simulated: boolean;
}

export type LedgerLine = LedgerCall | LedgerCounts;

/** Aggregates of one month, kept up to date as lines are read. Real and simulated are apart. */
export interface SpendTotals {
  /** 'YYYY-MM' (UTC). */
  month: string;
  /** Real spend whose price was known, USD. */
  usd: number;
  calls: number;
  /** Real calls whose cost is unknown (an unpriced model): counted, not added. */
  unpricedCalls: number;
  tokens: LedgerUsage;
  /** Real USD per UTC day of the month, index 0 = the 1st. */
  byDay: number[];
  byModel: Map<string, { usd: number; calls: number }>;
  byPrompt: Map<string, { usd: number; calls: number }>;
  cacheSavingsUsd: number;
  batchSavingsUsd: number;
  simulated: { usd: number; calls: number };
  countCalls: number;
  /** Lines that could not be read (a torn or edited line); skipped, not fatal. */
  unreadableLines: number;
}

/** The UTC month key of a time. */
export function monthOf(time: Date | number): string {
  const date = new Date(time);
  return `${date.getUTCFullYear()}-${String(date.getUTCMonth() + 1).padStart(2, '0')}`;
}

function daysIn(month: string): number {
  const [year, m] = month.split('-').map(Number);
  return new Date(Date.UTC(year ?? 1970, m ?? 1, 0)).getUTCDate();
}

function zeroUsage(): LedgerUsage {
  return { inputTokens: 0, outputTokens: 0, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, cacheReadTokens: 0 };
}

export function emptyTotals(month: string): SpendTotals {
  return {
    month,
    usd: 0,
    calls: 0,
    unpricedCalls: 0,
    tokens: zeroUsage(),
    byDay: new Array<number>(daysIn(month)).fill(0),
    byModel: new Map(),
    byPrompt: new Map(),
    cacheSavingsUsd: 0,
    batchSavingsUsd: 0,
    simulated: { usd: 0, calls: 0 },
    countCalls: 0,
    unreadableLines: 0,
  };
}

function bump(map: Map<string, { usd: number; calls: number }>, key: string, usd: number, calls: number): void {
  const item = map.get(key);
  if (item) {
    item.usd += usd;
    item.calls += calls;
  } else {
    map.set(key, { usd, calls });
  }
}

/** How many billed calls a line stands for: its `calls`, or one. */
export function callsOf(line: LedgerCall): number {
  return line.calls ?? 1;
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** A parsed line, or undefined when it is not a ledger line this version understands. */
export function parseLedgerLine(text: string): LedgerLine | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!value || typeof value !== 'object') return undefined;
  const line = value as Partial<LedgerCall> & Partial<LedgerCounts>;
  if (line.type === 'counts') return isNumber(line.calls) && typeof line.time === 'string' ? (line as LedgerCounts) : undefined;
  if (line.type !== 'call' || typeof line.time !== 'string' || !line.usage || typeof line.model !== 'string') return undefined;
  if (line.costUsd !== null && !isNumber(line.costUsd)) return undefined;
  if (line.calls !== undefined && !(Number.isInteger(line.calls) && line.calls >= 1)) return undefined;
  return line as LedgerCall;
}

/** Folds one line into the totals of its month. */
export function addToTotals(totals: SpendTotals, line: LedgerLine): void {
  if (line.type === 'counts') {
    totals.countCalls += line.calls;
    return;
  }
  const calls = callsOf(line);
  if (line.simulated) {
    totals.simulated.calls += calls;
    totals.simulated.usd += line.costUsd ?? 0;
    return;
  }
  const usd = line.costUsd ?? 0;
  totals.calls += calls;
  if (line.costUsd === null) totals.unpricedCalls += calls;
  totals.usd += usd;
  for (const key of Object.keys(totals.tokens) as (keyof LedgerUsage)[]) totals.tokens[key] += isNumber(line.usage[key]) ? line.usage[key] : 0;
  const day = new Date(line.time).getUTCDate() - 1;
  if (day >= 0 && day < totals.byDay.length) totals.byDay[day] = (totals.byDay[day] ?? 0) + usd;
  bump(totals.byModel, line.model, usd, calls);
  bump(totals.byPrompt, line.promptName || '(unnamed)', usd, calls);
  totals.cacheSavingsUsd += line.cacheSavingsUsd ?? 0;
  totals.batchSavingsUsd += line.batchSavingsUsd ?? 0;
}

export interface SpendLedgerOptions {
  /** The folder that holds the month files (the extension's global storage + /spend). */
  folder: string;
  now?: () => number;
  /** Identifies this window's lines; a fresh random id by default. */
  writer?: string;
}

/** Called for each line of the current month read from the file, in file order, with the totals after it. */
export type LedgerListener = (line: LedgerLine, totals: SpendTotals) => void;

/** A month file read so far: bytes consumed and a trailing line not yet complete. */
interface MonthCursor {
  totals: SpendTotals;
  offset: number;
  pending: string;
  /** Offset of the last checkpoint written or read for this month. */
  checkpointed: number;
}

/** A checkpoint is rewritten once this many bytes were read past the last one (about 3,000 lines). */
const CHECKPOINT_EVERY_BYTES = 1_000_000;

/** The running totals up to a byte offset of a month file, so a new window need not read the whole month. */
interface Checkpoint {
  v: 1;
  offset: number;
  totals: Omit<SpendTotals, 'byModel' | 'byPrompt'> & { byModel: [string, { usd: number; calls: number }][]; byPrompt: [string, { usd: number; calls: number }][] };
}

/** Append-only JSON Lines, one file per UTC month, with running totals of the current month. */
export class SpendLedger {
  readonly folder: string;
  readonly writer: string;
  private readonly now: () => number;
  private cursor: MonthCursor;
  private queue: LedgerLine[] = [];
  private flushing: Promise<void> | undefined;
  private reading: Promise<void> = Promise.resolve();
  private queuedRead: Promise<void> | undefined;
  private readonly listeners = new Set<LedgerListener>();
  private countsPending = { real: 0, simulated: 0 };

  constructor(options: SpendLedgerOptions) {
    this.folder = options.folder;
    this.now = options.now ?? Date.now;
    this.writer = options.writer ?? randomUUID().slice(0, 8);
    this.cursor = { totals: emptyTotals(monthOf(this.now())), offset: 0, pending: '', checkpointed: 0 };
  }

  /** The file of a month, e.g. spend-2026-11.jsonl. */
  fileFor(month: string): string {
    return join(this.folder, `spend-${month}.jsonl`);
  }

  /** The month's checkpoint: totals up to an offset, rewritten (atomically) as the file grows. */
  checkpointFor(month: string): string {
    return join(this.folder, `spend-${month}.totals.json`);
  }

  /**
   * The running totals of the current month as last read. Cheap: no disk access. Call refresh()
   * (or await an append) to take in lines other windows wrote since.
   */
  get totals(): SpendTotals {
    return this.cursor.totals;
  }

  /** Notified of each line of the current month as it is read (own and other windows'). */
  onLine(listener: LedgerListener): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /**
   * Reads what was appended since the last read (switching files at a month boundary). Reads run
   * one at a time; callers that arrive while one is waiting to start share it (it will see
   * everything written before it starts), so a burst of appends costs a few reads, not one each.
   */
  refresh(): Promise<SpendTotals> {
    if (!this.queuedRead) {
      const queued = this.reading.then(() => {
        this.queuedRead = undefined;
        return this.readNewLines();
      });
      this.queuedRead = queued;
      this.reading = queued.catch(() => undefined);
    }
    return this.queuedRead.catch(() => undefined).then(() => this.cursor.totals);
  }

  private async readNewLines(): Promise<void> {
    const month = monthOf(this.now());
    if (month !== this.cursor.totals.month) this.cursor = { totals: emptyTotals(month), offset: 0, pending: '', checkpointed: 0 };
    const cursor = this.cursor;
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.fileFor(month), 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    try {
      const { size } = await handle.stat();
      if (cursor.offset === 0 && size > 0) await this.resumeFromCheckpoint(handle, cursor, size);
      if (size <= cursor.offset) return;
      const buffer = Buffer.alloc(size - cursor.offset);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, cursor.offset);
      cursor.offset += bytesRead;
      const text = cursor.pending + buffer.toString('utf8', 0, bytesRead);
      const end = text.lastIndexOf('\n');
      // A line without its newline is still being written by another window: keep it for next time.
      cursor.pending = text.slice(end + 1);
      if (end < 0) return;
      let start = 0;
      while (start < end) {
        let stop = text.indexOf('\n', start);
        if (stop < 0 || stop > end) stop = end;
        if (stop > start) {
          const line = parseLedgerLine(text.slice(start, stop));
          if (line) {
            addToTotals(cursor.totals, line);
            for (const listener of this.listeners) listener(line, cursor.totals);
          } else {
            cursor.totals.unreadableLines += 1;
          }
        }
        start = stop + 1;
      }
      if (cursor.offset - cursor.pending.length - cursor.checkpointed >= CHECKPOINT_EVERY_BYTES) await this.writeCheckpoint(month, cursor);
    } finally {
      await handle.close();
    }
  }

  /**
   * Starts a month from its checkpoint when one matches the file: the offset is within the file
   * and ends a line. Anything else (no checkpoint, another version, a file that was replaced) and
   * the month is read from the start, as before.
   */
  private async resumeFromCheckpoint(handle: fs.FileHandle, cursor: MonthCursor, size: number): Promise<void> {
    let checkpoint: Checkpoint;
    try {
      checkpoint = JSON.parse(await fs.readFile(this.checkpointFor(cursor.totals.month), 'utf8')) as Checkpoint;
    } catch {
      return;
    }
    const t = checkpoint.totals;
    if (checkpoint.v !== 1 || !Number.isInteger(checkpoint.offset) || checkpoint.offset <= 0 || checkpoint.offset > size || t?.month !== cursor.totals.month) return;
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, checkpoint.offset - 1);
    if (last[0] !== 0x0a || !Array.isArray(t.byDay) || !Array.isArray(t.byModel) || !Array.isArray(t.byPrompt)) return;
    cursor.totals = { ...t, byModel: new Map(t.byModel), byPrompt: new Map(t.byPrompt) };
    cursor.offset = checkpoint.offset;
    cursor.checkpointed = checkpoint.offset;
  }

  private async writeCheckpoint(month: string, cursor: MonthCursor): Promise<void> {
    const offset = cursor.offset - Buffer.byteLength(cursor.pending, 'utf8');
    const totals = cursor.totals;
    const checkpoint: Checkpoint = { v: 1, offset, totals: { ...totals, byModel: [...totals.byModel], byPrompt: [...totals.byPrompt] } };
    // Written aside and renamed over: a reader sees the old checkpoint or the new one, never half.
    const temp = `${this.checkpointFor(month)}.${this.writer}.tmp`;
    try {
      await fs.writeFile(temp, JSON.stringify(checkpoint), { mode: 0o600 });
      await fs.rename(temp, this.checkpointFor(month));
      cursor.checkpointed = offset;
    } catch {
      // A checkpoint only saves time; the month file stays the truth.
      await fs.rm(temp, { force: true }).catch(() => undefined);
    }
  }

  /**
   * Appends a billed call (time and writer filled in when absent) and resolves once it is on disk
   * and in the totals. Appends made together are written together, as one write.
   */
  append(entry: Omit<LedgerCall, 'type' | 'time' | 'writer'> & { time?: string }): Promise<SpendTotals> {
    this.queue.push({ type: 'call', ...entry, time: entry.time ?? new Date(this.now()).toISOString(), writer: this.writer });
    return this.flush();
  }

  /** Appends many billed calls as one write (a batch's results); resolves once all are on disk and in the totals. */
  appendAll(entries: readonly (Omit<LedgerCall, 'type' | 'time' | 'writer'> & { time?: string })[]): Promise<SpendTotals> {
    const time = new Date(this.now()).toISOString();
    for (const entry of entries) this.queue.push({ type: 'call', ...entry, time: entry.time ?? time, writer: this.writer });
    return this.flush();
  }

  /** Counts free token-counting calls; written with the next flush (or countFlush). */
  countCall(simulated: boolean): void {
    if (simulated) this.countsPending.simulated += 1;
    else this.countsPending.real += 1;
  }

  /** Writes the counting calls counted since the last flush. */
  flushCounts(): Promise<SpendTotals> {
    return this.flush();
  }

  private takeCounts(): LedgerCounts[] {
    const time = new Date(this.now()).toISOString();
    const lines: LedgerCounts[] = [];
    if (this.countsPending.real) lines.push({ type: 'counts', time, calls: this.countsPending.real, simulated: false });
    if (this.countsPending.simulated) lines.push({ type: 'counts', time, calls: this.countsPending.simulated, simulated: true });
    this.countsPending = { real: 0, simulated: 0 };
    return lines;
  }

  private async flush(): Promise<SpendTotals> {
    // One writer at a time in this process; appends queued meanwhile go out in the next write.
    while (this.flushing) await this.flushing;
    const lines = [...this.queue, ...this.takeCounts()];
    this.queue = [];
    if (lines.length === 0) return this.refresh();
    this.flushing = this.write(lines);
    try {
      await this.flushing;
    } finally {
      this.flushing = undefined;
    }
    return this.refresh();
  }

  private async write(lines: LedgerLine[]): Promise<void> {
    const byMonth = new Map<string, string[]>();
    for (const line of lines) {
      const month = monthOf(Date.parse(line.time));
      const list = byMonth.get(month) ?? [];
      list.push(JSON.stringify(line));
      byMonth.set(month, list);
    }
    await fs.mkdir(this.folder, { recursive: true });
    for (const [month, texts] of byMonth) {
      const data = Buffer.from(`${texts.join('\n')}\n`, 'utf8');
      // O_APPEND: the kernel puts each write at the end, so two windows never overwrite each other.
      const handle = await fs.open(this.fileFor(month), 'a', 0o600);
      try {
        let written = 0;
        while (written < data.length) written += (await handle.write(data, written, data.length - written)).bytesWritten;
      } finally {
        await handle.close();
      }
    }
  }

  /** Every line of a month, read whole (for export; the totals never need this). */
  async readMonth(month: string): Promise<LedgerLine[]> {
    let text: string;
    try {
      text = await fs.readFile(this.fileFor(month), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const lines: LedgerLine[] = [];
    for (const raw of text.split('\n')) {
      if (!raw) continue;
      const line = parseLedgerLine(raw);
      if (line) lines.push(line);
    }
    return lines;
  }
}
