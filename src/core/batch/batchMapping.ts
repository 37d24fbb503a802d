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
import { CUSTOM_ID_MAX_LENGTH, CUSTOM_ID_PATTERN } from './batchCustomIds';
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
   * (the file matched its hash, so only a broken writer could have written such a line). A line
   * exactly as MappingWriter writes it, with no escape in its strings, is read in place: the join
   * looks up every result's entry, and parsing each line as JSON was a twentieth of its time.
   */
  entryAt(ordinal: number): MappingEntry | undefined {
    const start = this.starts[ordinal]!;
    return entryInPlace(this.text, start) ?? parseEntry(this.text.slice(start, this.text.indexOf('\n', start)));
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
const INDEX_FIELD = ',"i":';
const KEY_FIELD = ',"k":"';
const WHERE_FIELD = '","w":"';

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

/** Where the last successful digitsAt or plainStringEnd stopped, and the id hash scanEntryHead took: no object per scan. */
let scanEnd = 0;
let scanHash = 0;

/** A JSON integer written as plain digits at `at` (no sign, no leading zero, at most 15 digits), or -1. */
function digitsAt(text: string, at: number): number {
  let value = 0;
  let i = at;
  for (; i < text.length && i - at <= 15; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x30 || code > 0x39) break;
    value = value * 10 + (code - 0x30);
  }
  const length = i - at;
  if (length === 0 || length > 15 || (length > 1 && text.charCodeAt(at) === 0x30)) return -1;
  scanEnd = i;
  return value;
}

/** Where a JSON string whose text starts at `at` (after its opening quote) closes, when it holds no escape and no control character; else -1. */
function plainStringEnd(text: string, at: number): number {
  for (let i = at; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x22) return (scanEnd = i);
    if (code === 0x5c || code < 0x20) return -1;
  }
  return -1;
}

/** Whether `code` is a character of a custom_id ([a-zA-Z0-9_-], CUSTOM_ID_PATTERN). */
function isIdChar(code: number): boolean {
  return (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a) || (code >= 0x30 && code <= 0x39) || code === 0x5f || code === 0x2d;
}

/**
 * The batch part of the entry line text[from, end) when it starts as MappingWriter writes it
 * (`{"c":"<id>","p":<part>,` with a valid id, and ends with `}`), read in place, with the id's
 * hash (idHash) in scanHash; -1 for any other line (checkEntry reads those, as before).
 */
function scanEntryHead(text: string, from: number, end: number): number {
  if (!text.startsWith(ENTRY_HEAD, from) || text.charCodeAt(end - 1) !== 0x7d) return -1;
  const idFrom = from + ENTRY_HEAD.length;
  let hash = 0x811c9dc5;
  let i = idFrom;
  for (; i < end; i++) {
    const code = text.charCodeAt(i);
    if (!isIdChar(code)) break;
    hash = Math.imul(hash ^ code, 0x01000193);
  }
  const idEnd = i;
  if (idEnd === idFrom || idEnd - idFrom > CUSTOM_ID_MAX_LENGTH || !text.startsWith(PART_FIELD, idEnd)) return -1;
  const part = digitsAt(text, idEnd + PART_FIELD.length);
  if (part < 0 || text.charCodeAt(scanEnd) !== 0x2c) return -1;
  scanHash = hash | 0;
  return part;
}

/**
 * The entry whose line starts at `start`, read in place when the line is exactly as MappingWriter
 * writes it and its strings hold no escape: `{"c":"<id>","p":<part>,"i":<index>,"k":"<key>","w":"<where>"}`
 * and a newline. Undefined for any other line; parseEntry reads those (the same values JSON.parse
 * gives: this path takes only lines whose strings are their own text).
 */
function entryInPlace(text: string, start: number): MappingEntry | undefined {
  if (!text.startsWith(ENTRY_HEAD, start)) return undefined;
  const idFrom = start + ENTRY_HEAD.length;
  const idEnd = text.indexOf('"', idFrom);
  if (idEnd <= idFrom || !text.startsWith(PART_FIELD, idEnd)) return undefined;
  const part = digitsAt(text, idEnd + PART_FIELD.length);
  if (part < 0 || !text.startsWith(INDEX_FIELD, scanEnd)) return undefined;
  const index = digitsAt(text, scanEnd + INDEX_FIELD.length);
  if (index < 0 || !text.startsWith(KEY_FIELD, scanEnd)) return undefined;
  const keyFrom = scanEnd + KEY_FIELD.length;
  const keyEnd = plainStringEnd(text, keyFrom);
  if (keyEnd < 0 || !text.startsWith(WHERE_FIELD, keyEnd)) return undefined;
  const whereFrom = keyEnd + WHERE_FIELD.length;
  const whereEnd = plainStringEnd(text, whereFrom);
  if (whereEnd < 0 || text.charCodeAt(whereEnd + 1) !== 0x7d || text.charCodeAt(whereEnd + 2) !== 0x0a) return undefined;
  return { customId: text.slice(idFrom, idEnd), part, index, key: text.slice(keyFrom, keyEnd), where: text.slice(whereFrom, whereEnd) };
}

/** An entry line parsed as JSON; undefined when it is not a whole entry. */
function parseEntry(line: string): MappingEntry | undefined {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const { c, p, i, k, w } = parsed;
  if (typeof c !== 'string' || typeof p !== 'number' || typeof i !== 'number' || typeof k !== 'string' || typeof w !== 'string') return undefined;
  return { customId: c, part: p, index: i, key: k, where: w };
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
  // The kept entries' lines, in one string. Lines as the writer wrote them stay where they are in
  // the text read, and are kept a run at a time (one piece per read, not two per line); any other
  // line is kept as a copy in that shape.
  let kept = '';
  let jobId: string | undefined;
  let malformed: string | undefined;
  let number = 0;
  /** Takes every line of `text`, which ends in a newline. */
  const takeLines = (text: string): void => {
    // The run of kept lines not yet added to `kept`: text[runFrom, runTo).
    let runFrom = 0;
    let runTo = 0;
    const endRun = (): void => {
      if (runTo > runFrom) kept += text.slice(runFrom, runTo);
      runFrom = runTo = 0;
    };
    let from = 0;
    for (let end = text.indexOf('\n'); end >= 0; from = end + 1, end = text.indexOf('\n', from)) {
      number++;
      if (malformed || end === from) continue;
      if (number === 1) {
        try {
          const header = JSON.parse(text.slice(from, end)) as Partial<MappingHeader>;
          if (header.type !== 'batch-mapping' || typeof header.jobId !== 'string') malformed = 'line 1 is not a batch mapping header';
          else jobId = header.jobId;
        } catch {
          malformed = 'line 1 is not JSON';
        }
        continue;
      }
      const inPlace = scanEntryHead(text, from, end);
      if (inPlace >= 0) {
        if (part !== undefined && inPlace !== part) continue;
        if (runTo !== from) {
          endRun();
          runFrom = from;
        }
        columns.push(kept.length + (from - runFrom), scanHash);
        runTo = end + 1;
        continue;
      }
      const line = text.slice(from, end);
      const entry = checkEntry(line);
      if (typeof entry === 'string') {
        malformed = `line ${number} ${entry}`;
        continue;
      }
      if (part !== undefined && entry.p !== part) continue;
      endRun();
      // An id read from the line's head sits right after it; any other gets a copy of the line in that shape.
      const copy = line.startsWith(`${ENTRY_HEAD}${entry.c}"`) ? line : `${ENTRY_HEAD}${entry.c}${PART_FIELD}${entry.p},${line.slice(1)}`;
      columns.push(kept.length, idHash(entry.c));
      kept += `${copy}\n`;
    }
    endRun();
  };
  const stream = createReadStream(path);
  try {
    // Whole lines are decoded at once (a newline never splits a UTF-8 sequence): a streaming
    // TextDecoder took as long as the rest of the read. A byte order mark is skipped, as TextDecoder did.
    let rest: Buffer | undefined;
    let first = true;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      hash.update(chunk);
      let bytes = rest ? Buffer.concat([rest, chunk]) : chunk;
      if (first && bytes.length >= 3) {
        first = false;
        if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
      }
      const last = bytes.lastIndexOf(0x0a);
      if (last < 0) {
        rest = bytes;
        continue;
      }
      takeLines(bytes.toString('utf8', 0, last + 1));
      rest = last + 1 < bytes.length ? bytes.subarray(last + 1) : undefined;
    }
    if (first && rest && rest.length >= 3 && rest[0] === 0xef && rest[1] === 0xbb && rest[2] === 0xbf) rest = rest.subarray(3);
    // The last line, when the file does not end in a newline.
    if (rest && rest.length > 0) takeLines(`${rest.toString('utf8')}\n`);
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
