// CSV rows from a stream of byte chunks, with csv-parse's exact results at several times its speed.
//
// csv-parse walks every byte through its state machine, which caps it at about 45 MB/s; a 200 MB
// dataset of 2 KB rows then parses at about 20,000 rows/s. Most records need none of that: a record
// without a quote character is its bytes up to the line break, split on the delimiter (RFC 4180
// leaves nothing else to interpret), and a well-formed quoted record only needs its quotes found.
// So this reader finds each record's end with memchr-speed searches for the few bytes that matter
// (quote, LF, CR), and splits the record in one pass. csv-parse still decides everything that is
// not plain:
//   - the header record (BOM, the record delimiter it discovers, the header's own quoting);
//   - every record with a quoting error, or a lone CR, which is handed to csv-parse as it is, after
//     a stand-in header with the same number of columns, so its fields or its error are csv-parse's;
//   - whole files the fast path does not cover (a UTF-16 BOM, CR-only line breaks, a header
//     csv-parse skips or fails): they are read by csv-parse from the first byte, as before.
// The results are the same records, bad rows, messages and line numbers as reading with csv-parse
// alone (`readCsvWithCsvParse`, kept for those files); the unit tests compare the two on mixed
// streams split at every kind of chunk edge. Two differences, both fixes: a record with several
// quoting errors is one bad row (csv-parse reports each error), and every row and bad row is on the
// line it starts on, where csv-parse's count drifts after a quoted CRLF in a record with a quoting
// error, or a lone CR (both counted as line breaks here, as editors do: CRLF, LF and lone CR).
import { Readable } from 'node:stream';
import { parse as parseCsv, type CsvError, type Options as CsvOptions } from 'csv-parse';
import { parse as parseCsvSync } from 'csv-parse/sync';
import type { DatasetRecord } from './datasetRecord';

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const MAX_HEADER_BYTES = 4 * 1024 * 1024;

/** The header's columns were refused (empty or duplicate names): the whole source is unusable. */
export type HeaderCheck = (header: string[]) => string[];

/** How a read went: which records csv-parse read (for the tests and the bench). */
export interface CsvReadStats {
  /** The whole file was read by csv-parse (a file the fast path leaves to it). */
  wholeFileByCsvParse: boolean;
  /** Records after the header read by csv-parse (quoting errors, lone CRs). */
  recordsByCsvParse: number;
}

/** Every record of a CSV byte stream, header first checked by `checkHeader`, then rows and bad rows in file order. */
export async function* readCsvRecords(chunks: AsyncIterable<Buffer>, delimiter: string, checkHeader: HeaderCheck, stats?: CsvReadStats): AsyncGenerator<DatasetRecord> {
  const input = chunks[Symbol.asyncIterator]();
  const seen: Buffer[] = [];
  let head: Buffer = Buffer.alloc(0);
  let ended = false;
  let header: HeaderRecord | 'fallback' | 'more' = 'more';
  while (header === 'more') {
    const next = await input.next();
    if (next.done) ended = true;
    else {
      seen.push(next.value);
      head = seen.length === 1 ? next.value : Buffer.concat([head, next.value]);
    }
    header = readHeader(head, delimiter, ended);
    // A header that does not end within the first megabytes is no header the fast path needs to handle.
    if (header === 'more' && (ended || head.length > MAX_HEADER_BYTES)) header = 'fallback';
  }
  if (header === 'fallback') {
    // The bytes read so far, then the rest of the stream, all through csv-parse.
    const replay = async function* (): AsyncGenerator<Buffer> {
      yield* seen;
      if (ended) return;
      for (let next = await input.next(); !next.done; next = await input.next()) yield next.value;
    };
    if (stats) stats.wholeFileByCsvParse = true;
    yield* readCsvWithCsvParse(replay(), delimiter, checkHeader);
    return;
  }
  const reader = new CsvBodyReader(delimiter, checkHeader(header.fields), header.crlf, header.lines + 1, stats);
  let carry = head.subarray(header.end);
  // A record longer than what is buffered waits for at least twice as much before it is looked for
  // again, so a huge (or unclosed) quoted field costs linear time, not quadratic.
  let wanted = 0;
  for (;;) {
    const parts: Buffer[] = [carry];
    let size = carry.length;
    while (!ended && (parts.length === 1 || size < wanted)) {
      const next = await input.next();
      if (next.done) ended = true;
      else {
        parts.push(next.value);
        size += next.value.length;
      }
    }
    const buffer = parts.length === 1 ? carry : Buffer.concat(parts, size);
    const records: DatasetRecord[] = [];
    // At the end every record is whole, so everything is used.
    const used = reader.read(buffer, ended, records);
    // One by one: yield* over an array wraps it in an async iterator, a promise more per row.
    for (const record of records) yield record;
    if (ended) return;
    carry = buffer.subarray(used);
    wanted = carry.length * 2;
  }
}

interface HeaderRecord {
  fields: string[];
  /** Where the header ends (after its record delimiter) in the bytes read. */
  end: number;
  crlf: boolean;
  /** Lines the header spans, as csv-parse counts them. */
  lines: number;
}

const UTF8_BOM = [0xef, 0xbb, 0xbf];

/**
 * The header record and the record delimiter csv-parse will discover, or 'more' (not enough bytes
 * yet), or 'fallback' (a file the fast path leaves to csv-parse whole).
 */
function readHeader(buf: Buffer, delimiter: string, ended: boolean): HeaderRecord | 'fallback' | 'more' {
  if (buf.length === 0) return ended ? 'fallback' : 'more';
  // A UTF-16 BOM makes csv-parse change its encoding; leave such files to it.
  if (buf[0] === 0xff && (buf.length > 1 || ended) && buf[1] === 0xfe) return 'fallback';
  if (buf.length < 3 && !ended && UTF8_BOM.slice(0, buf.length).every((b, i) => buf[i] === b)) return 'more';
  const bom = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  // csv-parse takes the first line break outside quotes as the record delimiter.
  let quoting = false;
  let at = -1;
  for (let i = bom; i < buf.length; i++) {
    const byte = buf[i];
    if (byte === QUOTE) quoting = !quoting;
    else if (!quoting && (byte === LF || byte === CR)) {
      at = i;
      break;
    }
  }
  if (at === -1) return ended ? 'fallback' : 'more';
  if (at === bom) return 'fallback';
  if (buf[at] === CR && at + 1 >= buf.length && !ended) return 'more';
  const crlf = buf[at] === CR;
  if (crlf && buf[at + 1] !== LF) return 'fallback';
  const end = at + (crlf ? 2 : 1);
  let good: string[][];
  let skipped = 0;
  try {
    good = parseCsvSync(buf.subarray(0, end), { bom: true, delimiter, record_delimiter: crlf ? '\r\n' : '\n', skip_records_with_error: true, on_skip: () => void skipped++ }) as string[][];
  } catch {
    return 'fallback';
  }
  const fields = good[0];
  if (good.length !== 1 || skipped > 0 || !fields) return 'fallback';
  return { fields, end, crlf, lines: linesIn(buf, bom, end) };
}

/** Line breaks in bytes [from, to) as csv-parse counts them: CRLF, LF and a lone CR each one. */
function linesIn(buf: Buffer, from: number, to: number): number {
  let lines = 0;
  for (let i = buf.indexOf(LF, from); i !== -1 && i < to; i = buf.indexOf(LF, i + 1)) lines++;
  for (let i = buf.indexOf(CR, from); i !== -1 && i < to; i = buf.indexOf(CR, i + 1)) if (buf[i + 1] !== LF || i + 1 >= to) lines++;
  return lines;
}

/** How a record was found: plain (no quotes), quoted and well formed, or for csv-parse to read. */
const enum RecordKind {
  Plain,
  Quoted,
  ForCsvParse,
}

/** The records after the header, read from successive buffers. */
class CsvBodyReader {
  private readonly delimiterBytes: Buffer;
  private readonly singleByteDelimiter: number;
  /** The next line's number, as csv-parse counts lines. */
  private line: number;
  private index = 0;
  /** csv-parse's stand-in header for a record it reads: as many (empty, quoted) fields as the header has, on one line. */
  private readonly standIn: Buffer;
  // Set by scan():
  private end = 0;
  private contentEnd = 0;
  private kind = RecordKind.Plain;
  private newlines = 0;

  constructor(
    private readonly delimiter: string,
    private readonly header: string[],
    private readonly crlf: boolean,
    firstLine: number,
    private readonly stats: CsvReadStats | undefined,
  ) {
    this.delimiterBytes = Buffer.from(delimiter, 'utf8');
    this.singleByteDelimiter = this.delimiterBytes.length === 1 ? (this.delimiterBytes[0] as number) : -1;
    this.line = firstLine;
    this.standIn = Buffer.from(`""${`${delimiter}""`.repeat(header.length - 1)}${crlf ? '\r\n' : '\n'}`, 'utf8');
  }

  /** Reads every whole record of `buf` into `out`; returns how many bytes it used (the rest waits for more). */
  read(buf: Buffer, ended: boolean, out: DatasetRecord[]): number {
    const length = buf.length;
    const crlf = this.crlf;
    let pos = 0;
    // The next quote and CR at or after pos, found once and reused until passed.
    let quote = -2;
    let cr = -2;
    while (pos < length) {
      if (quote !== -1 && quote < pos) quote = buf.indexOf(QUOTE, pos);
      if (cr !== -1 && cr < pos) cr = buf.indexOf(CR, pos);
      const lf = buf.indexOf(LF, pos);
      // The common case, inline: a record with no quote on one line, ending in the record delimiter.
      if (lf !== -1 && (quote === -1 || quote > lf)) {
        const contentEnd = crlf ? lf - 1 : lf;
        const ownEnd = lf > pos && buf[lf - 1] === CR ? lf - 1 : lf;
        if ((!crlf || (lf > pos && buf[lf - 1] === CR)) && (cr === -1 || cr >= ownEnd)) {
          if (contentEnd > pos) this.row(buf.toString('utf8', pos, contentEnd).split(this.delimiter), this.line, out);
          this.line++;
          pos = lf + 1;
          continue;
        }
      }
      if (!this.scan(buf, pos, ended)) break;
      if (this.end === pos) break;
      if (this.kind === RecordKind.ForCsvParse) {
        this.throughCsvParse(buf, pos, this.end, out);
        this.line += linesIn(buf, pos, this.end);
      } else {
        if (this.contentEnd > pos) {
          const text = buf.toString('utf8', pos, this.contentEnd);
          this.row(this.kind === RecordKind.Quoted ? this.splitQuoted(text) : text.split(this.delimiter), this.line, out);
        }
        this.line += this.newlines;
      }
      pos = this.end;
    }
    return pos;
  }

  private row(fields: string[], line: number, out: DatasetRecord[]): void {
    const header = this.header;
    if (fields.length !== header.length) {
      out.push({ kind: 'bad', bad: { index: this.index++, line, message: wrongFieldCount(fields.length, header.length) } });
      return;
    }
    const values: Record<string, string> = Object.create(null) as Record<string, string>;
    for (let i = 0; i < header.length; i++) {
      const value = fields[i] as string;
      if (value !== '') values[header[i] as string] = value;
    }
    out.push({ kind: 'row', row: { index: this.index++, line, values } });
  }

  private isDelimiterAt(buf: Buffer, at: number): boolean {
    if (this.singleByteDelimiter !== -1) return buf[at] === this.singleByteDelimiter;
    const d = this.delimiterBytes;
    if (at < 0 || at + d.length > buf.length) return false;
    for (let i = 0; i < d.length; i++) if (buf[at + i] !== d[i]) return false;
    return true;
  }

  /**
   * Finds the end of the record at `start` as csv-parse would, following its quoting rules (a quote
   * opens only at a field's start; inside, a doubled quote is one quote, and a quote closes only
   * before a delimiter, the record delimiter or the end of the file). Sets end, contentEnd, kind and
   * newlines; false when the buffer ends before the record does.
   */
  private scan(buf: Buffer, start: number, ended: boolean): boolean {
    const length = buf.length;
    const crlf = this.crlf;
    const delimiterLength = this.delimiterBytes.length;
    let kind = RecordKind.Plain;
    let quoting = false;
    let i = start;
    for (;;) {
      if (!quoting) {
        const lf = buf.indexOf(LF, i);
        const quote = buf.indexOf(QUOTE, i);
        if (quote !== -1 && (lf === -1 || quote < lf)) {
          const atFieldStart = quote === start || this.isDelimiterAt(buf, quote - delimiterLength);
          if (atFieldStart) {
            quoting = true;
            if (kind === RecordKind.Plain) kind = RecordKind.Quoted;
          } else kind = RecordKind.ForCsvParse;
          i = quote + 1;
          continue;
        }
        if (lf === -1) {
          if (!ended) return false;
          this.contentEnd = this.end = length;
        } else if (crlf && !(lf > start && buf[lf - 1] === CR)) {
          // In a CRLF file a lone LF is part of the field.
          i = lf + 1;
          continue;
        } else {
          this.contentEnd = crlf ? lf - 1 : lf;
          this.end = lf + 1;
        }
        break;
      }
      const quote = buf.indexOf(QUOTE, i);
      if (quote === -1) {
        if (!ended) return false;
        // The quote is never closed: csv-parse reads to the end of the file and reports it.
        kind = RecordKind.ForCsvParse;
        this.contentEnd = this.end = length;
        break;
      }
      if (quote + 1 >= length) {
        if (!ended) return false;
        quoting = false;
        i = quote + 1;
        continue;
      }
      const next = buf[quote + 1];
      if (next === QUOTE) {
        i = quote + 2;
        continue;
      }
      // A closing quote needs to see what follows it.
      if (!ended && quote + Math.max(delimiterLength, crlf ? 2 : 1) >= length) return false;
      if (this.isDelimiterAt(buf, quote + 1) || (crlf ? next === CR && buf[quote + 2] === LF : next === LF)) quoting = false;
      else kind = RecordKind.ForCsvParse;
      i = quote + 1;
    }
    if (kind !== RecordKind.ForCsvParse) {
      // csv-parse counts a lone CR as a line break: such a record is read by it, to number lines as it does.
      let newlines = 0;
      for (let at = buf.indexOf(LF, start); at !== -1 && at < this.end; at = buf.indexOf(LF, at + 1)) newlines++;
      for (let at = buf.indexOf(CR, start); at !== -1 && at < this.end; at = buf.indexOf(CR, at + 1)) {
        if (at + 1 >= this.end || buf[at + 1] !== LF) kind = RecordKind.ForCsvParse;
      }
      this.newlines = newlines;
    }
    this.kind = kind;
    return true;
  }

  /** The fields of a well-formed record with quoted fields (as scan() checked it). */
  private splitQuoted(text: string): string[] {
    const delimiter = this.delimiter;
    const fields: string[] = [];
    let i = 0;
    for (;;) {
      if (text.charCodeAt(i) === QUOTE) {
        let value = '';
        let from = i + 1;
        for (;;) {
          const quote = text.indexOf('"', from);
          if (text.charCodeAt(quote + 1) === QUOTE) {
            value += text.slice(from, quote + 1);
            from = quote + 2;
            continue;
          }
          value += text.slice(from, quote);
          i = quote + 1;
          break;
        }
        fields.push(value);
        if (i >= text.length) return fields;
        i += delimiter.length;
        continue;
      }
      const at = text.indexOf(delimiter, i);
      if (at === -1) {
        fields.push(text.slice(i));
        return fields;
      }
      fields.push(text.slice(i, at));
      i = at + delimiter.length;
    }
  }

  /**
   * One record read by csv-parse itself, after a stand-in header that sets the number of fields it
   * holds records to. csv-parse reports each quoting error of a record apart (a record can have
   * several); the record is one bad row, on the line it starts on, with the first error's message.
   */
  private throughCsvParse(buf: Buffer, start: number, end: number, out: DatasetRecord[]): void {
    if (this.stats) this.stats.recordsByCsvParse++;
    const records: string[][] = [];
    let error: CsvError | undefined;
    parseCsvSync(Buffer.concat([this.standIn, buf.subarray(start, end)]), {
      bom: false,
      delimiter: this.delimiter,
      record_delimiter: this.crlf ? '\r\n' : '\n',
      skip_empty_lines: true,
      skip_records_with_error: true,
      on_record: (record: string[]) => void records.push(record),
      on_skip: (skipped: CsvError | undefined) => void (error ??= skipped),
    } as CsvOptions);
    if (error) out.push({ kind: 'bad', bad: { index: this.index++, line: this.line, message: csvMessage(error, this.header.length) } });
    // The first record is the stand-in header.
    else for (const record of records.slice(1)) this.row(record, this.line, out);
  }
}

function wrongFieldCount(got: number, headerLength: number | undefined): string {
  return `wrong number of fields (${got}): the header has ${String(headerLength ?? 'a different number of')} columns`;
}

/** A csv-parse error as a bad row's message. */
function csvMessage(err: CsvError, headerLength: number | undefined): string {
  switch (err.code) {
    case 'CSV_RECORD_INCONSISTENT_COLUMNS':
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH':
      return Array.isArray(err.record) ? wrongFieldCount(err.record.length, headerLength) : `wrong number of fields: the header has ${String(headerLength ?? 'a different number of')} columns`;
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted field is not closed';
    case 'CSV_INVALID_CLOSING_QUOTE':
      return 'a quote inside a quoted field is not doubled';
    case 'INVALID_OPENING_QUOTE':
      return 'a quote inside an unquoted field (quote the field and double the quote)';
    default:
      return err.message.replace(/ (on|at) line \d+$/, '');
  }
}

/**
 * Line accounting for csv-parse's records. csv-parse's `lines` is the line a record ends on, except
 * that it counts a CRLF inside a quoted field as two lines; `skew` carries that over-count, so each
 * record is reported on the line it starts on in the file.
 */
class CsvLines {
  private skew = 0;

  /** The 1-based line a record starts on, from the parser's `lines` when it ended and its fields. */
  startOf(parserLines: number, fields: readonly unknown[]): number {
    let newlines = 0;
    for (const field of fields) {
      if (typeof field !== 'string') continue;
      for (let i = field.indexOf('\n'); i !== -1; i = field.indexOf('\n', i + 1)) {
        newlines++;
        if (i > 0 && field.charCodeAt(i - 1) === 0x0d) this.skew++;
      }
    }
    return Math.max(1, parserLines - this.skew - newlines);
  }
}

/** A CSV record's fields and the 1-based line it starts on. */
interface CsvRecord {
  record: string[];
  line: number;
}

/**
 * Every record of a CSV byte stream read by csv-parse alone: the reader for files the fast path
 * leaves to it, and the reference the fast path is tested against.
 */
export async function* readCsvWithCsvParse(chunks: AsyncIterable<Buffer>, delimiter: string, checkHeader: HeaderCheck): AsyncGenerator<DatasetRecord> {
  let header: string[] | undefined;
  // Skipped records are reported through a callback while good ones come through the stream; both
  // carry the parser's line, so they are merged back into file order.
  // The message waits for the flush: the parser reads ahead, so a record's error can come before
  // the header has come through the stream.
  const skipped: { line: number; err: CsvError }[] = [];
  let index = 0;
  const lines = new CsvLines();
  // Records come as arrays (no `columns`): csv-parse builds an object per record with
  // defineProperty per field, which cost more than the whole binding of a row. The first record is
  // the header, and csv-parse holds every later one to its length (CSV_RECORD_INCONSISTENT_FIELDS_LENGTH).
  // Lines are worked out in on_record and on_skip, which run as the parser meets each record, in
  // file order: the stream hands records over later (the parser reads ahead), so a CRLF counted
  // there would come after the bad rows parsed meanwhile and put them on the wrong line.
  const options: CsvOptions<CsvRecord, string[]> = {
    bom: true,
    delimiter,
    on_record: (record, context) => ({ record, line: lines.startOf(context.lines, record) }),
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_skip: (err: CsvError | undefined) => {
      if (!err) return;
      const record = Array.isArray(err.record) ? (err.record as unknown[]) : [];
      skipped.push({ line: lines.startOf(Number(err.lines) || 1, record), err });
    },
  };
  // The overload without `columns` is typed for string[] records only; on_record turns them into CsvRecord.
  const parser = parseCsv(options as unknown as CsvOptions);
  const input = Readable.from(chunks, { objectMode: false });
  input.on('error', (err) => parser.destroy(err));
  const flushSkipped = function* (beforeLine: number): Generator<DatasetRecord> {
    for (let bad = skipped[0]; bad !== undefined && bad.line < beforeLine; bad = skipped[0]) {
      skipped.shift();
      yield { kind: 'bad', bad: { index: index++, line: bad.line, message: csvMessage(bad.err, header?.length) } };
    }
  };
  try {
    for await (const chunk of input.pipe(parser)) {
      const { record, line } = chunk as CsvRecord;
      if (!header) {
        header = checkHeader(record);
        continue;
      }
      yield* flushSkipped(line);
      const values: Record<string, string> = Object.create(null) as Record<string, string>;
      for (let i = 0; i < header.length; i++) {
        const value = record[i];
        if (value !== undefined && value !== '') values[header[i] as string] = value;
      }
      yield { kind: 'row', row: { index: index++, line, values } };
    }
    yield* flushSkipped(Infinity);
  } finally {
    input.destroy();
  }
}
