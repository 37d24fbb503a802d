// The fast CSV reader against csv-parse alone: the same rows, bad rows, messages, indices and line
// numbers, for mixed quoted and plain records, whatever the chunks the bytes arrive in (a quote, a
// CRLF, a BOM or a multi-byte character cut at a chunk's edge).
import assert from 'node:assert/strict';
import { readCsvRecords, readCsvWithCsvParse, type CsvReadStats } from '../../../src/core/dataset/csvRecords';
import type { DatasetRecord } from '../../../src/core/dataset/datasetRecord';

const keepHeader = (header: string[]): string[] => header;

async function* chunked(bytes: Buffer, cuts: number[]): AsyncGenerator<Buffer> {
  let from = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    if (cut <= from || cut >= bytes.length) continue;
    yield bytes.subarray(from, cut);
    from = cut;
  }
  yield bytes.subarray(from);
}

async function collect(records: AsyncIterable<DatasetRecord>): Promise<string[]> {
  const out: string[] = [];
  for await (const r of records) out.push(r.kind === 'row' ? `${r.row.index}@${r.row.line}:${JSON.stringify(r.row.values)}` : `${r.bad.index}@${r.bad.line}!${r.bad.message}`);
  return out;
}

async function fast(bytes: Buffer, cuts: number[], delimiter = ',', stats?: CsvReadStats): Promise<string[]> {
  return collect(readCsvRecords(chunked(bytes, cuts), delimiter, keepHeader, stats));
}

async function reference(bytes: Buffer, delimiter = ','): Promise<string[]> {
  return collect(readCsvWithCsvParse(chunked(bytes, []), delimiter, keepHeader));
}

/** A small seeded generator (mulberry32), so a failure names a case that can be run again. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every offset where a quote, CR, LF, the delimiter or a multi-byte character's bytes meet, and the offsets either side. */
function edgeCuts(bytes: Buffer, delimiter: string): number[] {
  const first = Buffer.from(delimiter)[0];
  const cuts: number[] = [];
  bytes.forEach((b, i) => {
    if (b === 0x22 || b === 0x0d || b === 0x0a || b === first || b >= 0x80) cuts.push(i, i + 1);
  });
  return cuts;
}

function mixedCsv(rand: () => number, delimiter: string, lineBreak: string, withErrors: boolean): string {
  const pick = <T>(items: T[]): T => items[Math.floor(rand() * items.length)] as T;
  const words = ['alpha', 'béta', '日本語', 'emoji 😀', 'a b', '', 'x'];
  const plain = (): string => pick(words);
  const quoted = (): string => `"${pick(words)}${pick(['', '""', `${delimiter}`, lineBreak, '\n', '""quoted""', `${lineBreak}more`])}${pick(words)}"`;
  const field = (): string => (rand() < 0.35 ? quoted() : plain());
  const lines = [['id', 'tier', 'text'].join(delimiter)];
  const rows = 20 + Math.floor(rand() * 40);
  for (let i = 0; i < rows; i++) {
    const roll = rand();
    if (roll < 0.05) lines.push('');
    else if (roll < 0.1) lines.push([field(), field()].join(delimiter));
    else if (roll < 0.13) lines.push([field(), field(), field(), field()].join(delimiter));
    // A quote inside an unquoted field: csv-parse reports it and reads on. (Beside a quoted line
    // break, csv-parse's own line count drifts: that case is the test above.)
    else if (withErrors && roll < 0.18) lines.push([plain(), `in"side`, plain()].join(delimiter));
    else lines.push([`T-${i}`, field(), field()].join(delimiter));
  }
  let text = lines.join(lineBreak);
  if (rand() < 0.5) text += lineBreak;
  return text;
}

describe('CSV records: the fast reader gives what csv-parse gives', () => {
  it('reads plain records without csv-parse, and the same rows and lines', async () => {
    const bytes = Buffer.from('id,tier,text\r\nT-1,pro,first\r\nT-2,free,"quoted, with ""comma"""\r\n\r\nT-3,pro,"two\r\nlines"\r\nT-4,free\r\n');
    const stats: CsvReadStats = { wholeFileByCsvParse: false, recordsByCsvParse: 0 };
    const got = await fast(bytes, [], ',', stats);
    assert.deepEqual(got, await reference(bytes));
    assert.deepEqual(got, [
      '0@2:{"id":"T-1","tier":"pro","text":"first"}',
      '1@3:{"id":"T-2","tier":"free","text":"quoted, with \\"comma\\""}',
      '2@5:{"id":"T-3","tier":"pro","text":"two\\r\\nlines"}',
      '3@7!wrong number of fields (2): the header has 3 columns',
    ]);
    assert.deepEqual(stats, { wholeFileByCsvParse: false, recordsByCsvParse: 0 });
  });

  it('cuts at a quote, inside a CRLF, inside the BOM and inside a multi-byte character, and gives the same records', async () => {
    const text = '\ufeffid,text\r\n1,"say ""hi"""\r\n2,"line\r\nbreak"\r\n3,日本😀\r\n4,"a""\r\n""b"\r\n';
    const bytes = Buffer.from(text);
    const expected = await reference(bytes);
    assert.equal(expected.length, 4);
    for (let cut = 1; cut < bytes.length; cut++) assert.deepEqual(await fast(bytes, [cut]), expected, `one cut at byte ${cut}`);
    assert.deepEqual(await fast(bytes, Array.from({ length: bytes.length }, (_, i) => i)), expected, 'one byte a chunk');
  });

  it('reports quoting errors with csv-parse\'s messages, on the line the record starts on, and goes on after them', async () => {
    const bytes = Buffer.from('a,b\n1,2\n3,in"side\n4,"x"y,z"\n5,6\n7,"never closed\n8,9\n');
    const stats: CsvReadStats = { wholeFileByCsvParse: false, recordsByCsvParse: 0 };
    const expected = [
      '0@2:{"a":"1","b":"2"}',
      '1@3!a quote inside an unquoted field (quote the field and double the quote)',
      '2@4!a quote inside a quoted field is not doubled',
      '3@5:{"a":"5","b":"6"}',
      '4@6!a quoted field is not closed',
    ];
    // csv-parse alone puts the unclosed quote on the file's last line, where it finds it.
    assert.deepEqual(await reference(bytes), [...expected.slice(0, 4), '4@7!a quoted field is not closed']);
    assert.deepEqual(await fast(bytes, [], ',', stats), expected);
    assert.deepEqual(stats, { wholeFileByCsvParse: false, recordsByCsvParse: 3 });
    for (let cut = 1; cut < bytes.length; cut++) assert.deepEqual(await fast(bytes, [cut]), expected, `one cut at byte ${cut}`);
  });

  it('makes a record with several quoting errors one bad row, and keeps the rows after it on their lines', async () => {
    // "x"y leaves csv-parse inside the quotes, so the record runs on, across a CRLF, to the next
    // closing quote, with a second error on the way; csv-parse reports both, and its count of the
    // quoted CRLF puts the rows after it one line late.
    const bytes = Buffer.from('a,b,c\r\n1,"x"y\r\nm"ore",z\r\n3,4,5\r\n6,7,8\r\n');
    assert.deepEqual(await reference(bytes), [
      '0@2!a quote inside a quoted field is not doubled',
      '1@4!a quote inside a quoted field is not doubled',
      '2@5:{"a":"3","b":"4","c":"5"}',
      '3@6:{"a":"6","b":"7","c":"8"}',
    ]);
    const expected = ['0@2!a quote inside a quoted field is not doubled', '1@4:{"a":"3","b":"4","c":"5"}', '2@5:{"a":"6","b":"7","c":"8"}'];
    for (let cut = 1; cut < bytes.length; cut++) assert.deepEqual(await fast(bytes, [cut]), expected, `one cut at byte ${cut}`);
  });

  it('counts a lone CR as a line break, as editors do, and gives its row the line the row starts on', async () => {
    const bytes = Buffer.from('a,b\n1,x\ry\n2,z\n');
    assert.deepEqual(await fast(bytes, []), ['0@2:{"a":"1","b":"x\\ry"}', '1@4:{"a":"2","b":"z"}']);
    // csv-parse counted the lone CR but gave the row its last line.
    assert.deepEqual(await reference(bytes), ['0@3:{"a":"1","b":"x\\ry"}', '1@4:{"a":"2","b":"z"}']);
  });

  it('leaves files it does not cover to csv-parse whole: CR-only line breaks, a UTF-16 BOM, an empty first line, a broken header', async () => {
    for (const text of ['a,b\r1,2\r3,4\r', 'a,b\n1,2', '\na,b\n1,2\n', 'a,"b\n1,2\n', 'a,b"c\n1,2\n']) {
      const bytes = Buffer.from(text);
      const stats: CsvReadStats = { wholeFileByCsvParse: false, recordsByCsvParse: 0 };
      assert.deepEqual(await fast(bytes, [2], ',', stats), await reference(bytes), JSON.stringify(text));
      if (text !== 'a,b\n1,2') assert.equal(stats.wholeFileByCsvParse, true, JSON.stringify(text));
    }
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a,b\n1,2\n', 'utf16le')]);
    const stats: CsvReadStats = { wholeFileByCsvParse: false, recordsByCsvParse: 0 };
    assert.deepEqual(await fast(utf16, [1, 3], ',', stats), await reference(utf16));
    assert.equal(stats.wholeFileByCsvParse, true);
    assert.deepEqual(await fast(Buffer.alloc(0), []), []);
  });

  it('matches csv-parse on 400 generated mixed streams (delimiters , ; tab §; LF and CRLF; BOM; bad rows), cut at every edge and at random', async function () {
    this.timeout(60_000);
    for (let seed = 1; seed <= 400; seed++) {
      const rand = random(seed);
      const delimiter = [',', ';', '\t', '§'][seed % 4] as string;
      const lineBreak = seed % 3 === 0 ? '\n' : '\r\n';
      const text = (seed % 5 === 0 ? '\ufeff' : '') + mixedCsv(rand, delimiter, lineBreak, seed % 2 === 0);
      const bytes = Buffer.from(text);
      const expected = await reference(bytes, delimiter);
      const name = `seed ${seed}: ${JSON.stringify(text.slice(0, 80))}…`;
      const stats: CsvReadStats = { wholeFileByCsvParse: false, recordsByCsvParse: 0 };
      assert.deepEqual(await fast(bytes, [], delimiter, stats), expected, `${name} in one chunk`);
      assert.equal(stats.wholeFileByCsvParse, false, `${name}: read by the fast path`);
      assert.deepEqual(await fast(bytes, edgeCuts(bytes, delimiter), delimiter), expected, `${name} cut at every edge`);
      const cuts = Array.from({ length: 1 + Math.floor(rand() * 8) }, () => Math.floor(rand() * bytes.length));
      assert.deepEqual(await fast(bytes, cuts, delimiter), expected, `${name} cut at ${cuts.join(',')}`);
    }
  });
});
