import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePreviewMessage } from '../../../src/chunking/chunkProtocol';
import type { TextChunk } from '../../../src/core/chunking/chunker';
import { chunkPlanPath, readChunkPlan, requestFingerprint, sha256, writeChunkPlan, type SavedChunkPlan } from '../../../src/core/chunking/chunkPlanFile';

const text = 'First paragraph.\n\nSecond paragraph, a little longer.\n\nThird.';
const chunk = (index: number, start: number, end: number, contextStart = start): TextChunk => ({ index, start, end, contextStart, tokens: 10, cutAt: 'paragraph', withinTarget: true });

describe('the saved chunks of a chunked job (resume against the same chunks)', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pw-chunk-plan-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const source = { text, sha256: sha256(text) };
  const requestSha = requestFingerprint({ request: { model: 'm', messages: [] } });
  const plan = (chunks: TextChunk[], overrides: Partial<SavedChunkPlan> = {}): SavedChunkPlan => ({ v: 1, sourceSha256: source.sha256, requestSha256: requestSha, targetTokens: 10, overlapTokens: 2, overheadTokens: 5, countCalls: 3, chunks, ...overrides });

  it('sits beside the results file', () => {
    assert.equal(chunkPlanPath('/w/data/doc.p-1.results.jsonl'), '/w/data/doc.p-1.chunks.json');
    assert.equal(chunkPlanPath('/w/x.jsonl'), '/w/x.jsonl.chunks.json');
  });

  it('reads back a plan for the same text and request', async () => {
    const path = join(dir, 'same.chunks.json');
    const saved = plan([chunk(0, 0, 18), chunk(1, 18, 53, 10), chunk(2, 53, text.length, 40)]);
    await writeChunkPlan(path, saved);
    assert.deepEqual(await readChunkPlan(path, source, requestSha), saved);
  });

  it('is not used for another text, another request, or chunks that do not tile the text', async () => {
    const path = join(dir, 'other.chunks.json');
    await writeChunkPlan(path, plan([chunk(0, 0, 18), chunk(1, 18, text.length)]));
    const edited = `${text} More.`;
    assert.equal(await readChunkPlan(path, { text: edited, sha256: sha256(edited) }, requestSha), undefined, 'the text changed');
    assert.equal(await readChunkPlan(path, source, requestFingerprint({ request: { model: 'other' } })), undefined, 'the prompt changed');
    for (const chunks of [
      [chunk(0, 0, 18), chunk(1, 20, text.length)], // a gap
      [chunk(0, 0, 18), chunk(1, 18, 30)], // short of the end
      [chunk(0, 0, 18), chunk(2, 18, text.length)], // an index skipped
      [chunk(0, 0, 18), chunk(1, 18, text.length, 19)], // context after the start
    ]) {
      await writeChunkPlan(path, plan(chunks));
      assert.equal(await readChunkPlan(path, source, requestSha), undefined, JSON.stringify(chunks.map((c) => [c.index, c.contextStart, c.start, c.end])));
    }
    await writeFile(path, '{ torn');
    assert.equal(await readChunkPlan(path, source, requestSha), undefined, 'not JSON');
    assert.equal(await readChunkPlan(join(dir, 'missing.chunks.json'), source, requestSha), undefined, 'no file');
  });
});

describe('chunk preview protocol: messages from the page are checked', () => {
  it('accepts the known messages and a chunk index, nothing else', () => {
    assert.deepEqual(parsePreviewMessage({ type: 'start' }), { type: 'start' });
    assert.deepEqual(parsePreviewMessage({ type: 'openChunk', index: 3, extra: 'x' }), { type: 'openChunk', index: 3 });
    for (const bad of [null, 'start', { type: 'run' }, { type: 'openChunk' }, { type: 'openChunk', index: -1 }, { type: 'openChunk', index: 1.5 }, { type: 'openChunk', index: '2' }]) {
      assert.equal(parsePreviewMessage(bad), undefined, JSON.stringify(bad));
    }
    assert.deepEqual(parsePreviewMessage({ type: 'cancel', path: '/etc/passwd' }), { type: 'cancel' }, 'extra fields are dropped');
  });
});
