import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { declaredColumns, readDataset, datasetFormatFor, type DatasetRecord, type DatasetSource } from '../../../src/core/dataset/datasetSource';
import { JsonArrayStream, type JsonArrayElement } from '../../../src/core/dataset/jsonArrayStream';

async function readAll(source: DatasetSource): Promise<DatasetRecord[]> {
  const records: DatasetRecord[] = [];
  for await (const record of readDataset(source)) records.push(record);
  return records;
}

const summary = (records: DatasetRecord[]): string[] =>
  records.map((r) => (r.kind === 'row' ? `${r.row.index}@${r.row.line ?? r.row.file}:${JSON.stringify(r.row.values)}` : `${r.bad.index}@${r.bad.line ?? r.bad.file}!${r.bad.message}`));

describe('dataset sources', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pw-dataset-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const file = async (name: string, text: string | Buffer): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  };

  it('reads CSV with a BOM, CRLF, quoted newlines and doubled quotes, giving each row the line it starts on', async () => {
    const path = await file('a.csv', '\ufeffid,ticket\r\n1,"first line\r\nsecond line"\r\n2,"say ""hi"""\r\n\r\n3,plain\r\n');
    assert.deepEqual(await declaredColumns({ format: 'csv', path }), ['id', 'ticket']);
    assert.deepEqual(summary(await readAll({ format: 'csv', path })), [
      '0@2:{"id":"1","ticket":"first line\\r\\nsecond line"}',
      '1@4:{"id":"2","ticket":"say \\"hi\\""}',
      '2@6:{"id":"3","ticket":"plain"}',
    ]);
  });

  it('reports CSV rows with the wrong number of fields, or an unclosed quote, by line and goes on with the others', async () => {
    const path = await file('bad.csv', 'a,b\n1,2\n3,4,5\n6,"x\ny"\n7\n8,9\n"10,11\n');
    const records = summary(await readAll({ format: 'csv', path }));
    assert.deepEqual(records.slice(0, 5), [
      '0@2:{"a":"1","b":"2"}',
      '1@3!wrong number of fields (3): the header has 2 columns',
      '2@4:{"a":"6","b":"x\\ny"}',
      '3@6!wrong number of fields (1): the header has 2 columns',
      '4@7:{"a":"8","b":"9"}',
    ]);
    assert.equal(records.length, 6);
    assert.match(records[5] ?? '', /^5@\d+!a quoted field is not closed$/);
  });

  it('gives a bad row that spans lines (a quoted CRLF) the line it starts on, and the rows after it theirs', async () => {
    const path = await file('bad-multiline.csv', 'a,b\r\n1,"two\r\nlines",extra\r\n\r\n2,"x\ny\nz"\r\n3,4\r\n5,"p\r\nq"\r\n6\r\n7,8\r\n');
    assert.deepEqual(summary(await readAll({ format: 'csv', path })), [
      '0@2!wrong number of fields (3): the header has 2 columns',
      '1@5:{"a":"2","b":"x\\ny\\nz"}',
      '2@8:{"a":"3","b":"4"}',
      '3@9:{"a":"5","b":"p\\r\\nq"}',
      '4@11!wrong number of fields (1): the header has 2 columns',
      '5@12:{"a":"7","b":"8"}',
    ]);
  });

  it('uses a chosen delimiter, tab for .tsv, and treats empty fields as missing values', async () => {
    const semi = await file('semi.csv', 'a;b\nx;\n');
    assert.deepEqual(summary(await readAll({ format: 'csv', path: semi, delimiter: ';' })), ['0@2:{"a":"x"}']);
    const tsv = await file('t.tsv', 'a\tb\n1\t2\n');
    assert.deepEqual(summary(await readAll({ format: 'csv', path: tsv })), ['0@2:{"a":"1","b":"2"}']);
    await assert.rejects(readAll({ format: 'csv', path: semi, delimiter: ';;' }), /one character/);
  });

  it('refuses a CSV header with a duplicate or empty column name', async () => {
    await assert.rejects(declaredColumns({ format: 'csv', path: await file('dup.csv', 'a,a\n1,2\n') }), /names the column "a" twice/);
    await assert.rejects(readAll({ format: 'csv', path: await file('empty-name.csv', 'a,\n1,2\n') }), /Column 2 of the header row has no name/);
    await assert.rejects(declaredColumns({ format: 'csv', path: await file('empty.csv', '') }), /needs a header row/);
  });

  it('reads JSON Lines: blank lines ignored, bad JSON and non-objects reported by line, values written as text', async () => {
    const path = await file('a.jsonl', '\ufeff{"a":"x","n":3,"o":{"k":true},"z":null}\r\n\n{oops\n[1]\n{"a":"y"}\n');
    assert.deepEqual(summary(await readAll({ format: 'jsonl', path })), [
      '0@1:{"a":"x","n":"3","o":"{\\"k\\":true}"}',
      `1@3!not valid JSON (${(() => { try { JSON.parse('{oops'); } catch (e) { return (e as Error).message; } return ''; })()})`,
      '2@4!a row must be a JSON object of column values, not an array',
      '3@5:{"a":"y"}',
    ]);
  });

  it('reads a JSON array element by element with the line each starts on, whatever the chunking', async () => {
    const text = '[\n  {"a": "x, [y]", "b": "q\\"}"},\n  {"a": 2},\n  "scalar",\n  {"a": "\\u0041"}\n]\n';
    const path = await file('a.json', text);
    assert.deepEqual(summary(await readAll({ format: 'json', path })), [
      '0@2:{"a":"x, [y]","b":"q\\"}"}',
      '1@3:{"a":"2"}',
      '2@4!a row must be a JSON object of column values, not string',
      '3@5:{"a":"A"}',
    ]);
    // One character at a time gives the same elements as one chunk.
    const split = (chunks: string[]): JsonArrayElement[] => {
      const out: JsonArrayElement[] = [];
      const stream = new JsonArrayStream((e) => out.push(e));
      for (const chunk of chunks) stream.push(chunk);
      stream.end();
      return out;
    };
    assert.deepEqual(split([...text]), split([text]));
    assert.deepEqual(split(['[]']), []);
  });

  it('reports a broken JSON array where it breaks, keeping the rows before it', async () => {
    const path = await file('broken.json', '[{"a":1},\n{"a":2}\n{"a":3}]');
    assert.deepEqual(summary(await readAll({ format: 'json', path })), ['0@1:{"a":"1"}', '1@2!not valid JSON (' + jsonError('{"a":2}\n{"a":3}') + ')']);
    const notArray = await file('obj.json', '{"a":1}');
    assert.deepEqual(summary(await readAll({ format: 'json', path: notArray })), ['0@1!the file must hold a JSON array ([ ... ]) of rows; the rest of the file is not read']);
    const unclosed = await file('unclosed.json', '[{"a":1}');
    assert.deepEqual(summary(await readAll({ format: 'json', path: unclosed })), ['0@1!the array is not closed (missing ]); the rest of the file is not read']);
  });

  it('reads a folder as one row per file (name, text), sorted, skipping dot files and subfolders, never following links', async () => {
    const folder = join(dir, 'docs');
    await mkdir(join(folder, 'sub'), { recursive: true });
    await writeFile(join(folder, 'b.txt'), 'second');
    await writeFile(join(folder, 'a.md'), 'first');
    await writeFile(join(folder, '.hidden'), 'no');
    await writeFile(join(folder, 'big.txt'), 'x'.repeat(50));
    await writeFile(join(dir, 'outside.txt'), 'secret');
    await symlink(join(dir, 'outside.txt'), join(folder, 'link.txt'));
    assert.deepEqual(summary(await readAll({ format: 'folder', path: folder, maxFileBytes: 10 })), [
      '0@a.md:{"name":"a.md","text":"first"}',
      '1@b.txt:{"name":"b.txt","text":"second"}',
      '2@big.txt!50 bytes, above the 10-byte limit for one row',
      '3@link.txt!a symbolic link (not followed)',
    ]);
    assert.deepEqual(await declaredColumns({ format: 'folder', path: folder }), ['name', 'text']);
  });

  it('names the format from the extension', () => {
    assert.equal(datasetFormatFor('x/data.CSV', false), 'csv');
    assert.equal(datasetFormatFor('x/data.tsv', false), 'csv');
    assert.equal(datasetFormatFor('x/data.ndjson', false), 'jsonl');
    assert.equal(datasetFormatFor('x/data.json', false), 'json');
    assert.equal(datasetFormatFor('x/docs', true), 'folder');
    assert.equal(datasetFormatFor('x/data.xlsx', false), undefined);
  });

  it('stops reading when the consumer stops early', async () => {
    const path = await file('many.jsonl', Array.from({ length: 1000 }, (_, i) => JSON.stringify({ i })).join('\n'));
    let seen = 0;
    for await (const record of readDataset({ format: 'jsonl', path })) {
      assert.equal(record.kind, 'row');
      if (++seen === 3) break;
    }
    assert.equal(seen, 3);
  });
});

function jsonError(text: string): string {
  try {
    JSON.parse(text);
  } catch (e) {
    return (e as Error).message;
  }
  return '';
}
