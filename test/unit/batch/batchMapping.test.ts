import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MappingWriter, readMapping } from '../../../src/core/batch/batchMapping';
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
    const { createHash } = await import('node:crypto');
    const dup = await readMapping(path, createHash('sha256').update(body).digest('hex'));
    assert.match(!dup.ok ? dup.problem : '', /repeats the custom_id a/);
  });
});
