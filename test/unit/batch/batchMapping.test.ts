import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { MappingWriter, readMapping, type MappingEntry } from '../../../src/core/batch/batchMapping';
import { useTempDir } from './batchFixture';

describe('batch custom_id mapping', () => {
  const dir = useTempDir();

  async function written(name: string, rows: number) {
    const path = join(dir.path, `${name}.mapping.jsonl`);
    const writer = await MappingWriter.open(path, `job-${name}`);
    for (let i = 0; i < rows; i++) await writer.append({ customId: `id-${i}`, part: Math.floor(i / 1000), index: i, key: `key ${i}`, where: `line ${i + 2}` });
    return writer.close();
  }

  it('reads back every entry of a mapping whose hash matches', async () => {
    const summary = await written('ok', 2_500);
    assert.equal(summary.rows, 2_500);
    const read = await readMapping(summary.path, summary.sha256);
    assert.ok(read.ok);
    assert.equal(read.jobId, 'job-ok');
    assert.equal(read.entries.size, 2_500);
    assert.deepEqual(read.entries.get('id-1234'), { customId: 'id-1234', part: 1, index: 1234, key: 'key 1234', where: 'line 1236' });
  });

  /** A hand-written mapping file and its hash: lines in other shapes than MappingWriter's. */
  async function handWritten(name: string, body: string) {
    const path = join(dir.path, `${name}.mapping.jsonl`);
    await writeFile(path, body);
    return readMapping(path, createHash('sha256').update(body).digest('hex'));
  }

  it('reads back awkward keys and places exactly: quotes, backslashes, control characters, U+2028, lone surrogates, emoji, empty', async () => {
    const awkward = ['say "hi"', 'back\\slash \\', 'tab\tnew\nline\r\u0000\u001f', 'sep\u2028\u2029', 'lone \ud800 and \udc00', '😀 中文 é', '', '</script>', '{"c":"x"}', 'a\\"b'];
    const path = join(dir.path, 'awkward.mapping.jsonl');
    const writer = await MappingWriter.open(path, 'job-awkward');
    const written: MappingEntry[] = [];
    for (let i = 0; i < awkward.length * 2; i++) {
      const entry = { customId: `k_${i}-x`, part: 0, index: i, key: awkward[i % awkward.length]!, where: awkward[(i + 3) % awkward.length]! };
      written.push(entry);
      await writer.append(entry);
    }
    const summary = await writer.close();
    const read = await readMapping(summary.path, summary.sha256);
    assert.ok(read.ok);
    for (const entry of written) assert.deepEqual(read.entries.get(entry.customId), entry);
    // And the same values JSON.parse reads from each line.
    const lines = (await readFile(path, 'utf8')).split('\n').slice(1, -1);
    lines.forEach((line, ordinal) => {
      const { c, p, i, k, w } = JSON.parse(line) as { c: string; p: number; i: number; k: string; w: string };
      assert.deepEqual(read.entries.entryAt(ordinal), { customId: c, part: p, index: i, key: k, where: w });
    });
  });

  it('reads lines in other shapes as JSON.parse does, and a line that is not JSON as damaged', async () => {
    const body = [
      '{"type":"batch-mapping","v":1,"jobId":"j"}',
      '{"c":"a","p":0,"i":1,"k":"plain","w":"line 2"}',
      '{ "c": "b", "p": 0, "i": 2, "k": "spaced", "w": "line 3" }',
      '{"w":"line 4","k":"reordered","i":3,"p":0,"c":"c"}',
      '{"c":"d","p":0,"i":4,"k":"\\u0041 escaped \\"q\\"","w":"line 5"}',
      '{"c":"e","p":0,"i":5e0,"k":"exponent","w":"line 6"}',
      '{"c":"f","p":0,"i":-6,"k":"negative","w":"line 7"}',
      '{"c":"g","p":0,"i":07,"k":"leading zero","w":"line 8"}',
      '{"c":"h","p":0,"i":8,"k":"no newline at the end","w":"line 9"}',
    ].join('\n');
    const read = await handWritten('shapes', body);
    assert.ok(read.ok, !read.ok ? read.problem : '');
    assert.deepEqual(read.entries.get('a'), { customId: 'a', part: 0, index: 1, key: 'plain', where: 'line 2' });
    assert.deepEqual(read.entries.get('b'), { customId: 'b', part: 0, index: 2, key: 'spaced', where: 'line 3' });
    assert.deepEqual(read.entries.get('c'), { customId: 'c', part: 0, index: 3, key: 'reordered', where: 'line 4' });
    assert.deepEqual(read.entries.get('d'), { customId: 'd', part: 0, index: 4, key: 'A escaped "q"', where: 'line 5' });
    assert.deepEqual(read.entries.get('e'), { customId: 'e', part: 0, index: 5, key: 'exponent', where: 'line 6' });
    assert.deepEqual(read.entries.get('f'), { customId: 'f', part: 0, index: -6, key: 'negative', where: 'line 7' });
    assert.equal(read.entries.get('g'), undefined, 'a leading zero is not JSON: the entry is damaged, never guessed');
    assert.deepEqual(read.entries.get('h'), { customId: 'h', part: 0, index: 8, key: 'no newline at the end', where: 'line 9' });
    assert.equal(read.entries.size, 8);
  });

  it('keeps only the entries of the batch asked for, across reads of the file and lines split between them', async () => {
    // Over 64 KB, so the file comes in several reads; multi-byte keys land on the read boundaries.
    const path = join(dir.path, 'parts.mapping.jsonl');
    const writer = await MappingWriter.open(path, 'job-parts');
    const written: MappingEntry[] = [];
    for (let i = 0; i < 3_000; i++) {
      const entry = { customId: `id-${i}`, part: i % 7 < 3 ? 1 : i % 2, index: i, key: `ключ ${i} 😀 ${'é'.repeat(i % 13)}`, where: `line ${i + 2}` };
      written.push(entry);
      await writer.append(entry);
    }
    const summary = await writer.close();
    const part1 = await readMapping(summary.path, summary.sha256, 1);
    const whole = await readMapping(summary.path, summary.sha256);
    assert.ok(part1.ok && whole.ok);
    assert.equal(whole.entries.size, 3_000);
    assert.equal(part1.entries.size, written.filter((e) => e.part === 1).length);
    for (const entry of written) {
      assert.deepEqual(whole.entries.get(entry.customId), entry);
      assert.deepEqual(part1.entries.get(entry.customId), entry.part === 1 ? entry : undefined);
    }
  });

  it('hands out no entry at all when one byte changed', async () => {
    const summary = await written('changed', 50);
    const text = await readFile(summary.path, 'utf8');
    await writeFile(summary.path, text.replace('"i":7,', '"i":8,'));
    const read = await readMapping(summary.path, summary.sha256);
    assert.equal(read.ok, false);
    assert.match(!read.ok ? read.problem : '', /was changed after the batch was submitted/);
  });

  it('says so when the file is missing, damaged, or the submission never finished it', async () => {
    const summary = await written('damaged', 3);
    const missing = await readMapping(join(dir.path, 'nope.jsonl'), summary.sha256);
    assert.match(!missing.ok ? missing.problem : '', /is missing/);
    const unfinished = await readMapping(summary.path, '');
    assert.match(!unfinished.ok ? unfinished.problem : '', /interrupted before the mapping file/);
    // Damaged yet matching its hash: a record written by a broken writer, never joined either.
    const path = join(dir.path, 'dup.mapping.jsonl');
    const body = '{"type":"batch-mapping","v":1,"jobId":"j"}\n{"c":"a","p":0,"i":0,"k":"a","w":"line 2"}\n{"c":"a","p":0,"i":1,"k":"b","w":"line 3"}\n';
    await writeFile(path, body);
    const dup = await readMapping(path, createHash('sha256').update(body).digest('hex'));
    assert.match(!dup.ok ? dup.problem : '', /repeats the custom_id a/);
  });
});
