// Dataset sources: the rows a prompt runs over, streamed from disk so a file of any size is read
// with constant memory. Four formats: CSV (csvRecords.ts: csv-parse's results at several times its
// speed; header row, BOM, CRLF, quoted newlines, a chosen delimiter), JSON Lines, one JSON array,
// and a folder of files (one row per file, with its name and text as columns). A row that cannot
// be read is reported with where it is (line, or file) and the others go on.
//
// Paths reach this module already resolved and checked to be inside the workspace: the caller
// (the job, or the VS Code glue) does that with the workspace path rules, so this module only reads.
import { createReadStream } from 'node:fs';
import { lstat, opendir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { parse as parseCsv } from 'csv-parse';
import { readCsvRecords } from './csvRecords';
import type { DatasetRecord, RowLocation } from './datasetRecord';
import { formatCount } from '../format';
import { JsonArraySyntaxError, JsonArrayStream, type JsonArrayElement } from './jsonArrayStream';

export type DatasetFormat = 'csv' | 'jsonl' | 'json' | 'folder';

export interface DatasetSource {
  format: DatasetFormat;
  /** Absolute path, already checked to lie inside the workspace. */
  path: string;
  /** CSV only: one character; default `,` (`\t` for .tsv files). */
  delimiter?: string;
  /** Folder only: files larger than this are bad rows (default 1 MiB). */
  maxFileBytes?: number;
}

export type { BadRow, DatasetRecord, DatasetRow, RowLocation } from './datasetRecord';

/** The columns a folder source gives each file. */
export const FOLDER_COLUMNS = ['name', 'text'] as const;

export const DEFAULT_FOLDER_MAX_FILE_BYTES = 1024 * 1024;

/** The format a path's extension names; folders are `folder`; undefined when it names none. */
export function datasetFormatFor(path: string, isDirectory: boolean): DatasetFormat | undefined {
  if (isDirectory) return 'folder';
  switch (extname(path).toLowerCase()) {
    case '.csv':
    case '.tsv':
      return 'csv';
    case '.jsonl':
    case '.ndjson':
      return 'jsonl';
    case '.json':
      return 'json';
    default:
      return undefined;
  }
}

/** "line 12" or "file a.txt": where a row is, for messages. */
export function describeLocation(location: RowLocation): string {
  if (location.line !== undefined) return `line ${location.line}`;
  if (location.file !== undefined) return `file ${location.file}`;
  return 'unknown position';
}

/** A problem with the whole source (not one row): unreadable, no header, not an array... */
export class DatasetSourceError extends Error {
  override readonly name = 'DatasetSourceError';
}

/** Every record of a source, in order. Stops early (closing the file) when the consumer stops or the signal aborts. */
export function readDataset(source: DatasetSource, signal?: AbortSignal): AsyncGenerator<DatasetRecord> {
  switch (source.format) {
    case 'csv':
      return readCsv(source, signal);
    case 'jsonl':
      return readJsonLines(source, signal);
    case 'json':
      return readJsonArray(source, signal);
    case 'folder':
      return readFolder(source, signal);
  }
}

/**
 * The columns a source declares: the CSV header, the folder's fixed pair. JSON rows declare none
 * up front (undefined): their columns are the keys each row has.
 */
export async function declaredColumns(source: DatasetSource): Promise<string[] | undefined> {
  if (source.format === 'folder') return [...FOLDER_COLUMNS];
  if (source.format !== 'csv') return undefined;
  let header: string[] | undefined;
  const parser = parseCsv({ bom: true, delimiter: csvDelimiter(source), to_line: 1 });
  const stream = createReadStream(source.path);
  try {
    for await (const record of stream.pipe(parser)) {
      header = record as string[];
      break;
    }
  } catch (err) {
    throw new DatasetSourceError(`Cannot read the header of ${source.path}: ${messageOf(err)}`, { cause: err });
  } finally {
    stream.destroy();
  }
  if (!header) throw new DatasetSourceError(`${source.path} is empty: a CSV dataset needs a header row naming its columns.`);
  return checkHeader(header);
}

function csvDelimiter(source: DatasetSource): string {
  if (source.delimiter !== undefined) {
    if ([...source.delimiter].length !== 1 || source.delimiter === '"' || source.delimiter === '\n' || source.delimiter === '\r') {
      throw new DatasetSourceError(`The CSV delimiter must be one character other than a quote or a line break (got ${JSON.stringify(source.delimiter)}).`);
    }
    return source.delimiter;
  }
  return extname(source.path).toLowerCase() === '.tsv' ? '\t' : ',';
}

function checkHeader(header: string[]): string[] {
  const seen = new Set<string>();
  header.forEach((name, i) => {
    if (name.trim() === '') throw new DatasetSourceError(`Column ${i + 1} of the header row has no name.`);
    if (seen.has(name)) throw new DatasetSourceError(`The header row names the column "${name}" twice.`);
    seen.add(name);
  });
  return header;
}

async function* readCsv(source: DatasetSource, signal?: AbortSignal): AsyncGenerator<DatasetRecord> {
  const delimiter = csvDelimiter(source);
  // Large reads: the reader's cost per chunk is small, and a row rarely straddles two chunks.
  const stream = createReadStream(source.path, { signal, highWaterMark: 1024 * 1024 });
  try {
    yield* readCsvRecords(stream, delimiter, checkHeader);
  } catch (err) {
    if (signal?.aborted) return;
    if (err instanceof DatasetSourceError) throw err;
    throw new DatasetSourceError(`Cannot read ${source.path}: ${messageOf(err)}`, { cause: err });
  } finally {
    stream.destroy();
  }
}

/** JSON row values as text: strings as they are, numbers and booleans written, objects as JSON; null is missing. */
function jsonRowValues(parsed: unknown): Record<string, string> | string {
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return `a row must be a JSON object of column values, not ${parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : typeof parsed}`;
  }
  const values: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(parsed)) {
    if (value === null || value === undefined) continue;
    values[name] = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return values;
}

function jsonRecord(text: string, index: number, line: number): DatasetRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { kind: 'bad', bad: { index, line, message: `not valid JSON (${messageOf(err)})` } };
  }
  const values = jsonRowValues(parsed);
  return typeof values === 'string' ? { kind: 'bad', bad: { index, line, message: values } } : { kind: 'row', row: { index, line, values } };
}

async function* readJsonLines(source: DatasetSource, signal?: AbortSignal): AsyncGenerator<DatasetRecord> {
  const stream = createReadStream(source.path, { encoding: 'utf8', signal });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let line = 0;
  let index = 0;
  try {
    for await (let text of lines) {
      line++;
      if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      if (text.trim() === '') continue;
      yield jsonRecord(text, index++, line);
    }
  } catch (err) {
    if (signal?.aborted) return;
    throw new DatasetSourceError(`Cannot read ${source.path}: ${messageOf(err)}`, { cause: err });
  } finally {
    lines.close();
    stream.destroy();
  }
}

async function* readJsonArray(source: DatasetSource, signal?: AbortSignal): AsyncGenerator<DatasetRecord> {
  const stream = createReadStream(source.path, { encoding: 'utf8', signal });
  const ready: JsonArrayElement[] = [];
  const splitter = new JsonArrayStream((element) => ready.push(element));
  let lastIndex = -1;
  try {
    try {
      for await (const chunk of stream) {
        splitter.push(chunk as string);
        for (const element of ready.splice(0)) {
          lastIndex = element.index;
          yield jsonRecord(element.text, element.index, element.line);
        }
      }
      splitter.end();
    } catch (err) {
      if (!(err instanceof JsonArraySyntaxError)) throw err;
      for (const element of ready.splice(0)) {
        lastIndex = element.index;
        yield jsonRecord(element.text, element.index, element.line);
      }
      // The array's structure is broken here: what follows cannot be split into rows reliably.
      yield { kind: 'bad', bad: { index: lastIndex + 1, line: err.line, message: `${err.message.replace(/^line \d+: /, '')}; the rest of the file is not read` } };
    }
  } catch (err) {
    if (signal?.aborted) return;
    throw new DatasetSourceError(`Cannot read ${source.path}: ${messageOf(err)}`, { cause: err });
  } finally {
    stream.destroy();
  }
}

async function* readFolder(source: DatasetSource, signal?: AbortSignal): AsyncGenerator<DatasetRecord> {
  const maxBytes = source.maxFileBytes ?? DEFAULT_FOLDER_MAX_FILE_BYTES;
  const names: string[] = [];
  try {
    // Names only are kept (not contents), sorted so row indices are stable between the plan, the run and a resume.
    for await (const entry of await opendir(source.path)) {
      if (!entry.name.startsWith('.')) names.push(entry.name);
    }
  } catch (err) {
    throw new DatasetSourceError(`Cannot list ${source.path}: ${messageOf(err)}`, { cause: err });
  }
  names.sort();
  let index = 0;
  for (const name of names) {
    if (signal?.aborted) return;
    const full = join(source.path, name);
    // lstat: a symbolic link is never followed, so a folder cannot lead reads out of the workspace.
    const info = await lstat(full).catch(() => undefined);
    if (!info || info.isDirectory()) continue;
    if (!info.isFile()) {
      yield { kind: 'bad', bad: { index: index++, file: name, message: info.isSymbolicLink() ? 'a symbolic link (not followed)' : 'not a regular file' } };
      continue;
    }
    if (info.size > maxBytes) {
      yield { kind: 'bad', bad: { index: index++, file: name, message: `${formatCount(info.size)} bytes, above the ${formatCount(maxBytes)}-byte limit for one row` } };
      continue;
    }
    let text: string;
    try {
      text = await readFile(full, { encoding: 'utf8', signal });
    } catch (err) {
      if (signal?.aborted) return;
      yield { kind: 'bad', bad: { index: index++, file: name, message: `cannot be read (${messageOf(err)})` } };
      continue;
    }
    const values: Record<string, string> = Object.create(null) as Record<string, string>;
    values.name = name;
    if (text !== '') values.text = text;
    yield { kind: 'row', row: { index: index++, file: name, values } };
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
