import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RateLimitBoard, type RateLimitSnapshot } from '../../../src/core/spend/rateLimitHeaders';
import { readRateLimitFile, writeRateLimitFile } from '../../../src/core/spend/rateLimitStore';

const headers = (rpm: number, itpm: number, otpm: number, reset: string): Record<string, string> => ({
  'anthropic-ratelimit-requests-limit': String(rpm),
  'anthropic-ratelimit-requests-remaining': String(rpm - 1),
  'anthropic-ratelimit-requests-reset': reset,
  'anthropic-ratelimit-input-tokens-limit': String(itpm),
  'anthropic-ratelimit-input-tokens-remaining': String(itpm - 5_000),
  'anthropic-ratelimit-input-tokens-reset': reset,
  'anthropic-ratelimit-output-tokens-limit': String(otpm),
  'anthropic-ratelimit-output-tokens-remaining': String(otpm - 1_000),
  'anthropic-ratelimit-output-tokens-reset': reset,
});

describe('rate limits kept between windows', () => {
  let folder: string;
  beforeEach(() => (folder = mkdtempSync(join(tmpdir(), 'pw-limits-'))));
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it('reads back what it wrote, family by family', async () => {
    const board = new RateLimitBoard();
    const t = Date.parse('2026-11-30T10:00:00Z');
    board.observe(headers(50, 30_000, 8_000, '2026-11-30T10:00:30Z'), 'claude-haiku-5-5', t);
    board.observe(headers(4_000, 2_000_000, 400_000, '2026-11-30T10:00:10Z'), 'claude-sonnet-5-5', t);
    const path = join(folder, 'spend', 'rate-limits.json');
    await writeRateLimitFile(path, board.all());
    assert.deepEqual(await readRateLimitFile(path), board.all());
  });

  it('restores an old snapshot with full buckets, keeps a fresh one, and never replaces what this window saw', () => {
    const now = Date.parse('2026-11-30T12:00:00Z');
    const old: RateLimitSnapshot = { family: 'haiku', model: 'claude-haiku-5-5', seenAt: '2026-11-29T09:00:00.000Z', requests: { limit: 50, remaining: 3, reset: '2026-11-29T09:00:40.000Z' }, inputTokens: { limit: 30_000, remaining: 0 } };
    const fresh: RateLimitSnapshot = { family: 'opus', model: 'claude-opus-5-5', seenAt: '2026-11-30T11:59:50.000Z', requests: { limit: 40, remaining: 12, reset: '2026-11-30T12:00:20.000Z' } };
    const seen: RateLimitSnapshot = { family: 'sonnet', model: 'claude-sonnet-5-5', seenAt: '2026-11-28T00:00:00.000Z', requests: { limit: 1, remaining: 1 } };
    const board = new RateLimitBoard();
    board.observe(headers(4_000, 2_000_000, 400_000, '2026-11-30T12:00:05Z'), 'claude-sonnet-5-5', now);
    board.restore([old, fresh, seen], now);
    assert.deepEqual(board.forModel('claude-haiku-5-5'), { family: 'haiku', model: 'claude-haiku-5-5', seenAt: old.seenAt, requests: { limit: 50, remaining: 50 }, inputTokens: { limit: 30_000, remaining: 30_000 } });
    assert.deepEqual(board.forModel('claude-opus-5-5'), fresh);
    assert.equal(board.forModel('claude-sonnet-5-5')?.requests?.limit, 4_000, "this window's own limits win");
  });

  it('gives nothing for a missing, broken or foreign file, and drops entries that are not limits', async () => {
    const path = join(folder, 'rate-limits.json');
    assert.deepEqual(await readRateLimitFile(path), []);
    writeFileSync(path, '{ not json');
    assert.deepEqual(await readRateLimitFile(path), []);
    writeFileSync(path, JSON.stringify({ version: 99, families: [] }));
    assert.deepEqual(await readRateLimitFile(path), []);
    // A valid file behind a link, or padded past the size cap, is not read.
    const valid = JSON.stringify({ version: 1, families: [{ family: 'haiku', model: 'claude-haiku-5-5', seenAt: '2026-11-30T10:00:00.000Z', requests: { limit: 50, remaining: 50 } }] });
    const target = join(folder, 'elsewhere.json');
    writeFileSync(target, valid);
    assert.equal((await readRateLimitFile(target)).length, 1, 'the same content is read from a plain file');
    const link = join(folder, 'linked.json');
    symlinkSync(target, link);
    assert.deepEqual(await readRateLimitFile(link), []);
    writeFileSync(path, valid + ' '.repeat(300 * 1024));
    assert.deepEqual(await readRateLimitFile(path), []);
    writeFileSync(
      path,
      JSON.stringify({
        version: 1,
        families: [
          { family: 'haiku', model: 'claude-haiku-5-5', seenAt: '2026-11-30T10:00:00.000Z', requests: { limit: 50, remaining: 70 }, apiKey: 'sk-ant-x' },
          { family: '../../etc', model: 'x', seenAt: '2026-11-30T10:00:00.000Z', requests: { limit: 1, remaining: 1 } },
          { family: 'opus', model: 'claude-opus-5-5', seenAt: 'yesterday', requests: { limit: 1, remaining: 1 } },
          { family: 'sonnet', model: 'claude-sonnet-5-5', seenAt: '2026-11-30T10:00:00.000Z', requests: { limit: -4, remaining: 1 }, inputTokens: { limit: 'many', remaining: 1 } },
          'haiku',
        ],
      }),
    );
    assert.deepEqual(await readRateLimitFile(path), [{ family: 'haiku', model: 'claude-haiku-5-5', seenAt: '2026-11-30T10:00:00.000Z', requests: { limit: 50, remaining: 50 } }]);
  });

  it('writes only the limits, whatever else a snapshot object carries', async () => {
    const path = join(folder, 'rate-limits.json');
    const carrying = { family: 'haiku', model: 'claude-haiku-5-5', seenAt: '2026-11-30T10:00:00.000Z', requests: { limit: 50, remaining: 50 }, headers: { 'x-api-key': 'sk-ant-secret' } } as RateLimitSnapshot;
    await writeRateLimitFile(path, [carrying]);
    const text = readFileSync(path, 'utf8');
    assert.ok(!text.includes('sk-ant-secret'));
    assert.deepEqual(await readRateLimitFile(path), [{ family: 'haiku', model: 'claude-haiku-5-5', seenAt: '2026-11-30T10:00:00.000Z', requests: { limit: 50, remaining: 50 } }]);
  });
});
