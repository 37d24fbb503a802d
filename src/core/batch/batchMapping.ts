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
import { encodeLines } from '../dataset/datasetResults';
import { CUSTOM_ID_PATTERN } from './batchCustomIds';
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
  /** Lines not yet handed to the file, and their characters. */
  private buffer: string[] = [];
  private buffered = 0;
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
    writer.buffer.push(JSON.stringify(header));
    return writer;
  }

  /**
   * Adds an entry; returns a promise only when the buffer was handed to the file (wait for it:
   * the file is behind), so most appends cost no promise at all.
   */
  append(entry: MappingEntry): Promise<void> | undefined {
    // The line JSON.stringify would write for {c, p, i, k, w}; the custom_id needs no escape (CUSTOM_ID_PATTERN).
    const line = `${ENTRY_HEAD}${entry.customId}${PART_FIELD}${entry.part},"i":${entry.index},"k":${JSON.stringify(entry.key)},"w":${JSON.stringify(entry.where)}}`;
    this.buffer.push(line);
    this.buffered += line.length + 1;
    this.rows++;
    return this.buffered >= FLUSH_CHARS ? this.flush() : undefined;
  }

  /** Hands what is buffered to the file, waiting while the file is behind. */
  async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const data = encodeLines(this.buffer);
    this.buffer = [];
    this.buffered = 0;
    this.hash.update(data);
    if (!this.stream.write(data)) await new Promise<void>((resolve) => this.stream.once('drain', () => resolve()));
  }

  async close(): Promise<MappingSummary> {
    await this.flush();
    await new Promise<void>((resolve, reject) => this.stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
    return { path: this.path, sha256: this.hash.digest('hex'), rows: this.rows };
  }
}

/**
 * A mapping read back, as a compact index: the entries' lines kept as text, one string for all,
 * and an open-addressing hash table of their custom_ids in typed arrays; an entry is parsed when
 * it is looked up. About 60 bytes of text and 16 bytes of index per row, against some 250 bytes
 * for a Map of entry objects; and the join reads the entries of one batch at a time, so what it
 * holds is bounded by a batch's 100,000 requests whatever the job's size.
 */
export class MappingIndex {
  private readonly table: Int32Array;
  private readonly mask: number;

  constructor(
    /** The entries' lines, each ending in a newline. */
    private readonly text: string,
    /** Where each entry's line starts in `text`. */
    private readonly starts: Uint32Array,
    /** The hash of each entry's custom_id (idHash). */
    private readonly hashes: Int32Array,
  ) {
    let capacity = 16;
    while (capacity < starts.length * 2) capacity *= 2;
    this.table = new Int32Array(capacity);
    this.mask = capacity - 1;
  }

  /** Number of entries. */
  get size(): number {
    return this.starts.length;
  }

  /** Bytes the index holds: its text (a byte a character when it is all Latin-1, as ids, indexes and "line N" are) and its typed arrays. */
  get bytes(): number {
    return this.text.length + this.starts.byteLength + this.hashes.byteLength + this.table.byteLength;
  }

  /** Builds the table; the custom_id of the first entry that repeats one, if any. */
  build(): string | undefined {
    for (let ordinal = 0; ordinal < this.starts.length; ordinal++) {
      const hash = this.hashes[ordinal]!;
      let slot = hash & this.mask;
      for (;;) {
        const held = this.table[slot]!;
        if (held === 0) break;
        if (this.hashes[held - 1] === hash && this.idAt(held - 1) === this.idAt(ordinal)) return this.idAt(ordinal);
        slot = (slot + 1) & this.mask;
      }
      this.table[slot] = ordinal + 1;
    }
    return undefined;
  }

  /** The entry number of a custom_id (0 to size - 1), or -1 when the mapping does not hold it. */
  find(customId: string): number {
    const hash = idHash(customId);
    for (let slot = hash & this.mask; ; slot = (slot + 1) & this.mask) {
      const held = this.table[slot]!;
      if (held === 0) return -1;
      if (this.hashes[held - 1] === hash && this.holds(held - 1, customId)) return held - 1;
    }
  }

  /** The custom_id of entry `ordinal`: every kept line starts `{"c":"<id>"` (the id needs no escape). */
  private idAt(ordinal: number): string {
    const from = this.starts[ordinal]! + ENTRY_HEAD.length;
    return this.text.slice(from, this.text.indexOf('"', from));
  }

  /** Whether entry `ordinal` is `customId`, compared in place. */
  private holds(ordinal: number, customId: string): boolean {
    const from = this.starts[ordinal]! + ENTRY_HEAD.length;
    if (this.text.charCodeAt(from + customId.length) !== 0x22) return false;
    for (let i = 0; i < customId.length; i++) if (this.text.charCodeAt(from + i) !== customId.charCodeAt(i)) return false;
    return true;
  }

  /** The entry of a custom_id, or undefined. */
  get(customId: string): MappingEntry | undefined {
    const ordinal = this.find(customId);
    return ordinal < 0 ? undefined : this.entryAt(ordinal);
  }

  /**
   * Entry number `ordinal`, parsed from its line; undefined when the line is not a whole entry
   * (the file matched its hash, so only a broken writer could have written such a line).
   */
  entryAt(ordinal: number): MappingEntry | undefined {
    const start = this.starts[ordinal]!;
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(this.text.slice(start, this.text.indexOf('\n', start))) as Record<string, unknown>;
    } catch {
      return undefined;
    }
    const { c, p, i, k, w } = parsed;
    if (typeof c !== 'string' || typeof p !== 'number' || typeof i !== 'number' || typeof k !== 'string' || typeof w !== 'string') return undefined;
    return { customId: c, part: p, index: i, key: k, where: w };
  }

  /** Every entry that parses, in file order. */
  *values(): Generator<MappingEntry> {
    for (let ordinal = 0; ordinal < this.starts.length; ordinal++) {
      const entry = this.entryAt(ordinal);
      if (entry) yield entry;
    }
  }
}

/** FNV-1a over a string's UTF-16 code units: the custom_id hash of MappingIndex. */
function idHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash | 0;
}

/** A mapping read back: its index (the file is the one submitted) or why it cannot be trusted. */
export type MappingRead =
  | { ok: true; entries: MappingIndex; jobId: string }
  | { ok: false; problem: string };

/** A line as MappingWriter writes it: `{"c":"<id>","p":<part>,"i":<index>,"k":…,"w":…}`; the id needs no escape. */
const ENTRY_HEAD = '{"c":"';
const PART_FIELD = '","p":';

/** Growable typed columns of the entries read so far. */
class EntryColumns {
  starts = new Uint32Array(1024);
  hashes = new Int32Array(1024);
  length = 0;

  push(start: number, hash: number): void {
    if (this.length === this.starts.length) {
      const starts = new Uint32Array(this.length * 2);
      starts.set(this.starts);
      this.starts = starts;
      const hashes = new Int32Array(this.length * 2);
      hashes.set(this.hashes);
      this.hashes = hashes;
    }
    this.starts[this.length] = start;
    this.hashes[this.length] = hash;
    this.length++;
  }
}

/**
 * Checks one entry line; returns its custom_id and part, or what is wrong with it. A line as the
 * writer writes it is read from its head, without parsing the rest (the file matched its hash, so
 * the writer wrote it; the whole line is parsed when it is looked up); any other line is parsed
 * and checked whole.
 */
function checkEntry(text: string): { c: string; p: number } | string {
  if (text.startsWith(ENTRY_HEAD)) {
    const idEnd = text.indexOf('"', ENTRY_HEAD.length);
    if (idEnd > ENTRY_HEAD.length && text.startsWith(PART_FIELD, idEnd)) {
      const c = text.slice(ENTRY_HEAD.length, idEnd);
      const partEnd = text.indexOf(',', idEnd + PART_FIELD.length);
      const p = partEnd > 0 ? Number(text.slice(idEnd + PART_FIELD.length, partEnd)) : NaN;
      if (CUSTOM_ID_PATTERN.test(c) && Number.isInteger(p) && text.endsWith('}')) return { c, p };
    }
  }
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return 'is not JSON';
  }
  const { c, p, i, k, w } = parsed;
  if (typeof c !== 'string' || !CUSTOM_ID_PATTERN.test(c) || typeof p !== 'number' || typeof i !== 'number' || typeof k !== 'string' || typeof w !== 'string') return 'is not a mapping entry';
  return { c, p };
}

/**
 * Reads a mapping file and checks it against the hash taken when it was written. Entries are only
 * handed out when the whole file matches: a changed mapping yields no entry at all. With `part`,
 * only the entries of that batch of the job are kept (the file is still read and checked whole).
 */
export async function readMapping(path: string, expectedSha256: string, part?: number): Promise<MappingRead> {
  // A record saved while its job was still being submitted has no hash yet: nothing to check against.
  if (expectedSha256 === '') return { ok: false, problem: `the submission was interrupted before the mapping file ${path} was complete, so it cannot be checked` };
  const hash = createHash('sha256');
  const columns = new EntryColumns();
  // The kept entries' lines, in one string (a rope while it grows, flattened once).
  let kept = '';
  let jobId: string | undefined;
  let malformed: string | undefined;
  let number = 0;
  let pending = '';
  const decoder = new TextDecoder('utf-8');
  const take = (text: string): void => {
    number++;
    if (malformed || text === '') return;
    if (number === 1) {
      try {
        const header = JSON.parse(text) as Partial<MappingHeader>;
        if (header.type !== 'batch-mapping' || typeof header.jobId !== 'string') malformed = 'line 1 is not a batch mapping header';
        else jobId = header.jobId;
      } catch {
        malformed = 'line 1 is not JSON';
      }
      return;
    }
    const entry = checkEntry(text);
    if (typeof entry === 'string') {
      malformed = `line ${number} ${entry}`;
      return;
    }
    if (part !== undefined && entry.p !== part) return;
    const start = kept.length;
    // An id read from the line's head sits right after it; any other gets a copy of the line in that shape.
    const line = text.startsWith(`${ENTRY_HEAD}${entry.c}"`) ? text : `${ENTRY_HEAD}${entry.c}${PART_FIELD}${entry.p},${text.slice(1)}`;
    kept += `${line}\n`;
    columns.push(start, idHash(entry.c));
  };
  const stream = createReadStream(path);
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      hash.update(chunk);
      const text = pending + decoder.decode(chunk, { stream: true });
      let from = 0;
      for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', from)) {
        take(text.slice(from, end));
        from = end + 1;
      }
      pending = text.slice(from);
    }
    pending += decoder.decode();
    if (pending !== '') take(pending);
  } catch (err) {
    const code = (err as { code?: string }).code;
    return { ok: false, problem: code === 'ENOENT' ? `the mapping file ${path} is missing` : `the mapping file ${path} cannot be read (${(err as Error).message})` };
  } finally {
    stream.destroy();
  }
  const actual = hash.digest('hex');
  if (actual !== expectedSha256) {
    return { ok: false, problem: `the mapping file ${path} was changed after the batch was submitted (SHA-256 ${actual.slice(0, 12)}…, expected ${expectedSha256.slice(0, 12)}…)` };
  }
  if (malformed || jobId === undefined) return { ok: false, problem: `the mapping file ${path} is damaged: ${malformed ?? 'it is empty'}` };
  const index = new MappingIndex(kept, columns.starts.slice(0, columns.length), columns.hashes.slice(0, columns.length));
  const repeated = index.build();
  if (repeated !== undefined) return { ok: false, problem: `the mapping file ${path} is damaged: it repeats the custom_id ${repeated}` };
  return { ok: true, entries: index, jobId };
}
