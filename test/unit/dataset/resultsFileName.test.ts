import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { discardUnusedResultsFile, newResultsFile, resultsSlug } from '../../../src/core/dataset/datasetResults';

describe('results file names', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pw-results-name-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('two plans of one prompt in the same second, even the same millisecond, get files of their own', async () => {
    const at = new Date('2026-11-30T12:00:00.250Z');
    const first = await newResultsFile(dir, 'tickets', at);
    const sameSecond = await newResultsFile(dir, 'tickets', new Date('2026-11-30T12:00:00.900Z'));
    const sameMillisecond = await newResultsFile(dir, 'tickets', at);
    assert.equal(new Set([first, sameSecond, sameMillisecond]).size, 3, `${first} / ${sameSecond} / ${sameMillisecond}`);
    for (const path of [first, sameSecond, sameMillisecond]) {
      assert.ok(existsSync(path), `${basename(path)} is taken on disk, so another window cannot pick it too`);
      assert.match(basename(path), /^tickets-2026-11-30T12-00-00-\d{3}Z(-\d+)?\.results\.jsonl$/);
    }
    assert.equal(readdirSync(dir).length, 3);
  });

  it('never reuses a file that is already there, such as an earlier job\'s results', async () => {
    const at = new Date('2026-11-30T12:00:00.250Z');
    const earlier = join(dir, 'tickets-2026-11-30T12-00-00-250Z.results.jsonl');
    await writeFile(earlier, '{"type":"job"}\n');
    const path = await newResultsFile(dir, 'tickets', at);
    assert.notEqual(path, earlier);
    assert.equal(basename(path), 'tickets-2026-11-30T12-00-00-250Z-2.results.jsonl');
  });

  it('keeps only letters, digits, - and _ of a prompt name', () => {
    assert.equal(resultsSlug('Classify: tickets / EU'), 'Classify-tickets-EU');
    assert.equal(resultsSlug('../..'), 'prompt');
  });

  it('discards a reserved file only while it is empty: a written one, a folder or a link is kept', async () => {
    const unused = await newResultsFile(dir, 'tickets');
    const written = await newResultsFile(dir, 'tickets');
    await writeFile(written, '{"type":"job"}\n');
    const folder = join(dir, 'folder.results.jsonl');
    await mkdir(folder);
    const link = join(dir, 'link.results.jsonl');
    await symlink(unused, link);
    assert.equal(await discardUnusedResultsFile(link), false, 'a link is not followed');
    assert.equal(await discardUnusedResultsFile(unused), true);
    assert.equal(existsSync(unused), false);
    assert.equal(await discardUnusedResultsFile(written), false);
    assert.equal(await discardUnusedResultsFile(folder), false);
    assert.equal(await discardUnusedResultsFile(join(dir, 'missing.results.jsonl')), false);
    assert.ok(existsSync(written) && existsSync(folder));
  });
});
