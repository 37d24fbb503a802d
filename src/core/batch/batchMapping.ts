// The mapping of a batch job's custom_ids back to its rows, persisted as JSON Lines beside the
// results: one header line, then one line per request, `{"c": custom_id, "p": batch part, "i":
// row index, "k": row key, "w": where}`. Its SHA-256 is taken while it is written and kept in the
// batch record (in the extension's storage, out of the workspace's reach); the join recomputes it,
// so a mapping changed since submission is detected and its results are reported, never joined
// to the wrong rows.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import type { BatchRowRef } from './batchRequests';

export const MAPPING_FORMAT_VERSION = 1;

export interface MappingHeader {
  type: 'batch-mapping';
  v: number;
  jobId: string;
}

export interface MappingEntry extends BatchRowRef {
  customId: string;
  /** 0-based batch of the job the request was sent in. */
  part: number;
}

/** What the batch record keeps of a written mapping. */
export interface MappingSummary {
  path: string;
  sha256: string;
  rows: number;
}

const FLUSH_CHARS = 64 * 1024;

/** Writes a mapping file, hashing it on the way. Lines are buffered and written with backpressure. */
export class MappingWriter {
  private buffer = '';
  private rows = 0;
  private readonly hash: Hash = createHash('sha256');

  private constructor(
    private readonly path: string,
    private readonly stream: WriteStream,
  ) {}

  static async open(path: string, jobId: string): Promise<MappingWriter> {
    await mkdir(dirname(path), { recursive: true });
    const stream = createWriteStream(path, { flags: 'w', mode: 0o600 });
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', reject);
    });
    const writer = new MappingWriter(path, stream);
    const header: MappingHeader = { type: 'batch-mapping', v: MAPPING_FORMAT_VERSION, jobId };
    writer.buffer = `${JSON.stringify(header)}\n`;
    return writer;
  }

  async append(entry: MappingEntry): Promise<void> {
    this.buffer += `${JSON.stringify({ c: entry.customId, p: entry.part, i: entry.index, k: entry.key, w: entry.where })}\n`;
    this.rows++;
    if (this.buffer.length >= FLUSH_CHARS) await this.flush();
  }

  /** Hands what is buffered to the file, waiting while the file is behind. */
  async flush(): Promise<void> {
    if (this.buffer === '') return;
    const text = this.buffer;
    this.buffer = '';
    this.hash.update(text, 'utf8');
    if (!this.stream.write(text)) await new Promise<void>((resolve) => this.stream.once('drain', () => resolve()));
  }

  async close(): Promise<MappingSummary> {
    await this.flush();
    await new Promise<void>((resolve, reject) => this.stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
    return { path: this.path, sha256: this.hash.digest('hex'), rows: this.rows };
  }
}

/** A mapping read back: either every entry (the file is the one submitted) or why it cannot be trusted. */
export type MappingRead =
  | { ok: true; entries: Map<string, MappingEntry>; jobId: string }
  | { ok: false; problem: string };

/**
 * Reads a mapping file and checks it against the hash taken when it was written. Entries are only
 * handed out when the whole file matches: a changed mapping yields no entry at all.
 */
export async function readMapping(path: string, expectedSha256: string): Promise<MappingRead> {
  // A record saved while its job was still being submitted has no hash yet: nothing to check against.
  if (expectedSha256 === '') return { ok: false, problem: `the submission was interrupted before the mapping file ${path} was complete, so it cannot be checked` };
  const hash = createHash('sha256');
  const entries = new Map<string, MappingEntry>();
  let jobId: string | undefined;
  let malformed: string | undefined;
  const stream = createReadStream(path);
  stream.on('data', (chunk) => hash.update(chunk));
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  try {
    let number = 0;
    for await (const text of lines) {
      number++;
      if (malformed) continue;
      if (text === '') continue;
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(text) as Record<string, unknown>;
      } catch {
        malformed = `line ${number} is not JSON`;
        continue;
      }
      if (number === 1) {
        if (parsed.type !== 'batch-mapping' || typeof parsed.jobId !== 'string') malformed = 'line 1 is not a batch mapping header';
        else jobId = parsed.jobId;
        continue;
      }
      const { c, p, i, k, w } = parsed;
      if (typeof c !== 'string' || typeof p !== 'number' || typeof i !== 'number' || typeof k !== 'string' || typeof w !== 'string') {
        malformed = `line ${number} is not a mapping entry`;
        continue;
      }
      if (entries.has(c)) {
        malformed = `line ${number} repeats the custom_id ${c}`;
        continue;
      }
      entries.set(c, { customId: c, part: p, index: i, key: k, where: w });
    }
  } catch (err) {
    const code = (err as { code?: string }).code;
    return { ok: false, problem: code === 'ENOENT' ? `the mapping file ${path} is missing` : `the mapping file ${path} cannot be read (${(err as Error).message})` };
  } finally {
    lines.close();
    stream.destroy();
  }
  const actual = hash.digest('hex');
  if (actual !== expectedSha256) {
    return { ok: false, problem: `the mapping file ${path} was changed after the batch was submitted (SHA-256 ${actual.slice(0, 12)}…, expected ${expectedSha256.slice(0, 12)}…)` };
  }
  if (malformed || jobId === undefined) return { ok: false, problem: `the mapping file ${path} is damaged: ${malformed ?? 'it is empty'}` };
  return { ok: true, entries, jobId };
}
