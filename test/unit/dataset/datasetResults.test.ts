import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ResultsWriter, type RowResult } from '../../../src/core/dataset/datasetResults';

function rows(from: number, count: number, text: (i: number) => string): RowResult[] {
  return Array.from({ length: count }, (_, n) => ({ type: 'row', key: `k${from + n}`, index: from + n, status: 'succeeded', text: text(from + n), time: '2026-11-30T12:00:00.000Z' }));
}

describe('results file writer', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pw-results-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes each group of lines whole and in order, whether the groups grow, shrink, or are sent before the one before is written', async () => {
    const path = join(dir, 'job.results.jsonl');
    const writer = await ResultsWriter.open(path);
    // The buffer a writer keeps between writes is reused, regrown, and must not be reused while a write still holds it.
    const groups = [
      rows(0, 10, (i) => `small ${i}`),
      rows(10, 200, (i) => `larger ${'x'.repeat(i)} é 😀`),
      rows(210, 3, (i) => `small again ${i}`),
      rows(213, 500, (i) => `grown "${'y'.repeat(i % 97)}" \u2028 \\ ${i}`),
      rows(713, 400, (i) => `sent at once ${'z'.repeat(i % 50)}`),
      rows(1113, 400, (i) => `with the one before ${'w'.repeat(i % 70)}`),
      rows(1513, 2, (i) => `${'big '.repeat(600_000)}${i}`),
    ];
    await writer.appendAll(groups[0]!);
    await writer.appendAll(groups[1]!);
    await writer.appendAll(groups[2]!);
    await writer.appendAll(groups[3]!);
    // A single line first: the stream is busy with it, so the next group waits in the stream's queue, holding its buffer.
    const [single] = rows(9_999, 1, () => 'one line');
    await Promise.all([writer.append(single!), writer.appendAll(groups[4]!), writer.appendAll(groups[5]!), writer.appendAll(groups[6]!)]);
    await writer.close();
    const expected = [...groups.slice(0, 4).flat(), single!, ...groups.slice(4).flat()].map((row) => `${JSON.stringify(row)}\n`).join('');
    assert.equal(await readFile(path, 'utf8'), expected);
  });
});
