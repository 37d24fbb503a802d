// The rate limits seen, kept between windows in the extension's global storage, so that the first
// dataset plan of a day can estimate its time at the limits the user's calls last reported. The
// file holds only the limits of each model family and when they were seen: no key, no request.
import { lstat, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { RATE_LIMIT_BUCKET_FIELDS, type RateLimitBucket, type RateLimitSnapshot } from './rateLimitHeaders';

const FILE_VERSION = 1;
/** More families than the API has; a file with more is not ours. */
const MAX_FAMILIES = 64;
/** Far above what MAX_FAMILIES snapshots take (a few hundred bytes each); a larger file is not read. */
const MAX_FILE_BYTES = 256 * 1024;

function bucketOf(value: unknown): RateLimitBucket | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { limit, remaining, reset } = value as Record<string, unknown>;
  if (typeof limit !== 'number' || !Number.isFinite(limit) || limit < 0) return undefined;
  if (typeof remaining !== 'number' || !Number.isFinite(remaining) || remaining < 0) return undefined;
  return { limit, remaining: Math.min(remaining, limit), ...(typeof reset === 'string' && !Number.isNaN(Date.parse(reset)) ? { reset } : {}) };
}

function snapshotOf(value: unknown): RateLimitSnapshot | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const { family, model, seenAt } = record;
  if (typeof family !== 'string' || !/^[a-z]{1,32}$/.test(family)) return undefined;
  if (typeof model !== 'string' || model.length > 200 || typeof seenAt !== 'string' || Number.isNaN(Date.parse(seenAt))) return undefined;
  const snapshot: RateLimitSnapshot = { family, model, seenAt };
  let any = false;
  for (const field of RATE_LIMIT_BUCKET_FIELDS) {
    const b = bucketOf(record[field]);
    if (b) {
      snapshot[field] = b;
      any = true;
    }
  }
  return any ? snapshot : undefined;
}

/** The snapshots in a rate-limits file; a missing, unreadable, oversized or foreign file (or a link) gives none. */
export async function readRateLimitFile(path: string): Promise<RateLimitSnapshot[]> {
  let parsed: unknown;
  try {
    const stats = await lstat(path);
    if (!stats.isFile() || stats.size > MAX_FILE_BYTES) return [];
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch {
    return [];
  }
  if (typeof parsed !== 'object' || parsed === null) return [];
  const { version, families } = parsed as Record<string, unknown>;
  if (version !== FILE_VERSION || !Array.isArray(families)) return [];
  return families.slice(0, MAX_FAMILIES).map(snapshotOf).filter((s): s is RateLimitSnapshot => s !== undefined);
}

/** Writes the snapshots (whole file, through a temporary file so a crash never leaves half of one). */
export async function writeRateLimitFile(path: string, snapshots: readonly RateLimitSnapshot[]): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const families = snapshots.slice(0, MAX_FAMILIES).map((s) => {
    const kept: RateLimitSnapshot = { family: s.family, model: s.model, seenAt: s.seenAt };
    for (const field of RATE_LIMIT_BUCKET_FIELDS) if (s[field]) kept[field] = s[field];
    return kept;
  });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify({ version: FILE_VERSION, families }, null, 1)}\n`);
  await rename(temporary, path);
}
