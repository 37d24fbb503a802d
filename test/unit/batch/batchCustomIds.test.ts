import assert from 'node:assert/strict';
import { CUSTOM_ID_PATTERN, CustomIdAllocator, sanitiseCustomId } from '../../../src/core/batch/batchCustomIds';

describe('batch custom_ids', () => {
  it('keeps a key that is already valid', () => {
    assert.equal(sanitiseCustomId('T-1042_b'), 'T-1042_b');
    assert.equal(sanitiseCustomId('17'), '17');
  });

  it('replaces characters the API refuses, and names an empty key', () => {
    assert.equal(sanitiseCustomId('order #12/ä'), 'order__12__');
    assert.equal(sanitiseCustomId(''), 'row');
    assert.match(sanitiseCustomId('"; rm -rf /'), CUSTOM_ID_PATTERN);
  });

  it('shortens a long key to 64 characters, with a hash of the whole key so long keys sharing a start differ', () => {
    const a = sanitiseCustomId(`${'x'.repeat(80)}a`);
    const b = sanitiseCustomId(`${'x'.repeat(80)}b`);
    assert.equal(a.length, 64);
    assert.equal(b.length, 64);
    assert.notEqual(a, b);
    assert.match(a, CUSTOM_ID_PATTERN);
    assert.ok(a.startsWith('x'.repeat(53)));
  });

  it('makes ids unique within the job: repeated keys and keys that sanitise alike get suffixes', () => {
    const ids = new CustomIdAllocator();
    assert.equal(ids.next('a b'), 'a_b');
    assert.equal(ids.next('a_b'), 'a_b-2');
    assert.equal(ids.next('a/b'), 'a_b-3');
    // A key that happens to look like a suffixed id is not given twice either.
    assert.equal(ids.next('a_b-2'), 'a_b-2-2');
    const long = 'y'.repeat(64);
    assert.equal(ids.next(long), long);
    const second = ids.next(long);
    assert.equal(second.length, 64);
    assert.ok(second.endsWith('-2'));
    assert.equal(ids.size, 6);
  });

  it('every id matches the API pattern and none repeats over many awkward keys', () => {
    const ids = new CustomIdAllocator();
    const seen = new Set<string>();
    const keys = ['', ' ', 'é', '0', '00', 'a'.repeat(200), ...Array.from({ length: 500 }, (_, i) => `${i % 7 === 0 ? 'dup' : `k ${i}`}${'?'.repeat(i % 3)}`)];
    for (const key of keys) {
      const id = ids.next(key);
      assert.match(id, CUSTOM_ID_PATTERN);
      assert.ok(!seen.has(id), id);
      seen.add(id);
    }
  });
});

describe('batch custom_id allocator memory', () => {
  it('keeps 8 to 16 bytes per row, not the ids, and still never repeats an id over 200,000 rows', () => {
    const ids = new CustomIdAllocator();
    const seen = new Set<string>();
    for (let i = 0; i < 200_000; i++) {
      // Every fourth key repeats an earlier one; every tenth differs only in characters the API refuses.
      const key = i % 4 === 3 ? `T-${i - 3}` : i % 10 === 5 ? `T ${i - 5}` : `T-${i}`;
      const id = ids.next(key);
      assert.ok(!seen.has(id), `${id} given twice`);
      seen.add(id);
    }
    assert.equal(ids.size, 200_000);
    assert.ok(ids.tableBytes <= 200_000 * 32, `${ids.tableBytes} bytes`);
    assert.ok(ids.tableBytes >= 200_000 * 8);
  });
});
