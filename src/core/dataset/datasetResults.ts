// The results file of a dataset job: JSON Lines, one job line then one line per row result,
// appended as each arrives, so an interrupted job keeps every finished row and a resumed one knows
// what not to send again. A run made now and a Message Batch (next issue) write the same format,
// so the same grid shows both. When a row appears more than once (a retry), the last line wins.
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { lstat, mkdir, open, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ApiUsage } from '../pricing/priceTable';
import { rowKey, type ColumnBinding } from './datasetBinding';
import { readDataset, type DatasetSource } from './datasetSource';

export const RESULTS_FORMAT_VERSION = 1;

export type RowStatus = 'succeeded' | 'errored' | 'skipped' | 'canceled' | 'expired';

export interface JobLine {
  type: 'job';
  v: number;
  jobId: string;
  promptName: string;
  promptPath?: string;
  datasetPath: string;
  model: string;
  mode: 'now' | 'batch';
  startedAt: string;
}

export interface RowResult {
  type: 'row';
  /** The row's key column value, or its index. */
  key: string;
  index: number;
  /** Where the row is in the dataset ("line 12", "file a.txt"). */
  where?: string;
  status: RowStatus;
  /** The reply's text (all text blocks). */
  text?: string;
  /** The parsed structured output, when the prompt asks for one and the reply parses. */
  structured?: unknown;
  stopReason?: string | null;
  usage?: ApiUsage;
  /** Actual cost in USD; null when the price is unknown. */
  costUsd?: number | null;
  requestId?: string;
  error?: { message: string; status?: number; type?: string };
  attempts?: number;
  /** The id of the call's record in the job's history file (runs made now; absent for batches and skipped rows). */
  recordId?: string;
  time: string;
}

export type ResultLine = JobLine | RowResult;

/**
 * Lines of text as one UTF-8 buffer, each followed by a newline. Each line is encoded straight
 * into place: a string joined from many lines is a rope, which Buffer.from encodes several times
 * slower than the same bytes from flat strings. `bufferFor` gives a buffer of at least `size` bytes to encode into.
 */
export function encodeLines(lines: readonly string[], bufferFor: (size: number) => Buffer = Buffer.allocUnsafe): Buffer {
  let size = 0;
  for (const line of lines) size += Buffer.byteLength(line, 'utf8') + 1;
  const data = bufferFor(size).subarray(0, size);
  let at = 0;
  for (const line of lines) {
    at += data.write(line, at, 'utf8');
    data[at++] = 0x0a;
  }
  return data;
}

/** A prompt's name as it goes into a results file's name: letters, digits, `-` and `_` only. */
export function resultsSlug(promptName: string): string {
  return promptName.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'prompt';
}

/**
 * Creates a new, empty results file in `folder`, `<base>-<time to the millisecond>.results.jsonl`,
 * and gives its path. It is created exclusively (`wx`): a name already taken (an earlier job, a
 * plan made in the same millisecond here or in another window) gets `-2`, `-3`... instead, so two
 * jobs never write into one file.
 */
export async function newResultsFile(folder: string, base: string, now = new Date()): Promise<string> {
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  await mkdir(folder, { recursive: true });
  for (let attempt = 1; ; attempt++) {
    const path = join(folder, `${base}-${stamp}${attempt > 1 ? `-${attempt}` : ''}.results.jsonl`);
    try {
      await (await open(path, 'wx', 0o600)).close();
      return path;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 1000) throw error;
    }
  }
}

/**
 * Removes a results file its plan reserved and no job wrote into (still empty): a plan replaced by
 * another, or closed without being started, leaves nothing behind. A file with anything in it is
 * kept, whoever wrote it.
 */
export async function discardUnusedResultsFile(path: string): Promise<boolean> {
  try {
    const stats = await lstat(path);
    if (!stats.isFile() || stats.size > 0) return false;
    await unlink(path);
    return true;
  } catch {
    return false;
  }
}

/** The largest group of lines whose bytes a ResultsWriter encodes into its buffer kept for the purpose; a larger one gets a buffer of its own. */
const KEPT_BUFFER_MAX = 4 * 1024 * 1024;

/** Appends result lines; each write is handed to the OS before the promise resolves. */
export class ResultsWriter {
  /**
   * The buffer appendAll encodes into, kept from one write to the next while no write holds it: a
   * fresh half-megabyte buffer per thousand lines cost more than encoding them (new memory is
   * zero-filled and mapped page by page by the system).
   */
  private kept: Buffer | undefined;
  private keptInUse = false;

  private constructor(private readonly stream: WriteStream) {}

  static async open(path: string): Promise<ResultsWriter> {
    await mkdir(dirname(path), { recursive: true });
    const stream = createWriteStream(path, { flags: 'a', mode: 0o600 });
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', reject);
    });
    return new ResultsWriter(stream);
  }

  append(line: ResultLine): Promise<void> {
    return new Promise((resolve, reject) => this.stream.write(`${JSON.stringify(line)}\n`, (err) => (err ? reject(err) : resolve())));
  }

  /** Appends many lines as one write (a batch's results, a thousand at a time). */
  appendAll(lines: readonly ResultLine[]): Promise<void> {
    if (lines.length === 0) return Promise.resolve();
    const texts = lines.map((line) => JSON.stringify(line));
    // The kept buffer only when no write still holds it (a stream holds a buffer until its write's callback).
    let holdsKept = false;
    const data = encodeLines(texts, (size) => {
      if (this.keptInUse || size > KEPT_BUFFER_MAX) return Buffer.allocUnsafe(size);
      if (this.kept === undefined || this.kept.length < size) this.kept = Buffer.allocUnsafe(Math.min(KEPT_BUFFER_MAX, size * 2));
      holdsKept = this.keptInUse = true;
      return this.kept;
    });
    return new Promise((resolve, reject) =>
      this.stream.write(data, (err) => {
        if (holdsKept) this.keptInUse = false;
        if (err) reject(err);
        else resolve();
      }),
    );
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(() => resolve()));
  }
}

/** Every line of a results file in order; a line that is not valid JSON (a torn last write) is skipped. */
export async function* readResultLines(path: string): AsyncGenerator<ResultLine> {
  const stream = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  try {
    for await (const text of lines) {
      if (text.trim() === '') continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        continue;
      }
      const type = (parsed as { type?: unknown } | null)?.type;
      if (type === 'job' || type === 'row') yield parsed as ResultLine;
    }
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return;
    throw err;
  } finally {
    lines.close();
    stream.destroy();
  }
}

/** The latest status of every row key in a results file (the journal a resumed job skips by). */
export async function latestStatuses(path: string): Promise<Map<string, RowStatus>> {
  const statuses = new Map<string, RowStatus>();
  for await (const line of readResultLines(path)) if (line.type === 'row') statuses.set(line.key, line.status);
  return statuses;
}

/** A field for CSV: quoted when it holds a delimiter, quote or line break; formula-looking text is prefixed so spreadsheets show it as text. */
export function csvField(value: unknown): string {
  if (value === undefined || value === null) return '';
  let text = typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const RESULT_CSV_COLUMNS = ['result_key', 'status', 'output', 'stop_reason', 'input_tokens', 'output_tokens', 'cost_usd', 'request_id', 'error'] as const;

function resultCsvFields(result: RowResult | undefined): unknown[] {
  return [
    result?.key,
    result?.status,
    result?.structured !== undefined ? result.structured : result?.text,
    result?.stopReason,
    result?.usage?.input_tokens,
    result?.usage?.output_tokens,
    result?.costUsd,
    result?.requestId,
    result?.error?.message,
  ];
}

/**
 * Writes the results as CSV with each row's own columns first, in dataset order. The latest result
 * of every row is held while the dataset streams past (results only, never the dataset).
 */
export async function exportResultsCsv(resultsPath: string, source: DatasetSource, binding: ColumnBinding, columns: readonly string[], outPath: string): Promise<number> {
  const latest = new Map<string, RowResult>();
  for await (const line of readResultLines(resultsPath)) if (line.type === 'row') latest.set(line.key, line);
  const out = createWriteStream(outPath, { mode: 0o600 });
  const write = (text: string): Promise<void> => new Promise((resolve, reject) => out.write(text, (err) => (err ? reject(err) : resolve())));
  let written = 0;
  try {
    await write(`${[...columns, ...RESULT_CSV_COLUMNS].map(csvField).join(',')}\r\n`);
    for await (const record of readDataset(source)) {
      if (record.kind !== 'row') continue;
      const result = latest.get(rowKey(record.row, binding));
      await write(`${[...columns.map((c) => record.row.values[c]), ...resultCsvFields(result)].map(csvField).join(',')}\r\n`);
      written++;
    }
  } finally {
    await new Promise<void>((resolve) => out.end(() => resolve()));
  }
  return written;
}
