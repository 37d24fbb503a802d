// The `custom_id` of each request of a batch job. The API takes 1 to 64 characters of
// [a-zA-Z0-9_-], unique within a batch (anthropic-api.md §15); results come back in no particular
// order and are matched on it. We make ids unique within the whole job (all its batches), so one
// lookup joins any result to its row, and readable: taken from the row's key (or index), so a
// person reading the raw results can still tell which row is which.
import { createHash } from 'node:crypto';

export const CUSTOM_ID_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;
export const CUSTOM_ID_MAX_LENGTH = 64;

/** Characters of the hash appended when a key is too long to keep whole. */
const HASH_CHARS = 10;

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, HASH_CHARS);
}

/**
 * A row key as a valid custom_id: characters outside [a-zA-Z0-9_-] become `_`; an empty key
 * becomes `row`; a key longer than 64 keeps its start plus a hash of the whole key, so two long
 * keys that share a start still get different ids.
 */
export function sanitiseCustomId(key: string): string {
  if (CUSTOM_ID_PATTERN.test(key)) return key;
  let id = key.replace(/[^a-zA-Z0-9_-]/g, '_');
  if (id.length === 0) id = 'row';
  if (id.length > CUSTOM_ID_MAX_LENGTH) id = `${id.slice(0, CUSTOM_ID_MAX_LENGTH - HASH_CHARS - 1)}-${shortHash(key)}`;
  return id;
}

/**
 * Hands out custom_ids unique within one job. A key that sanitises to an id already given (two
 * keys that differ only in characters the API refuses, or the same key twice) gets a `-2`, `-3`...
 * suffix, the id shortened first when the suffix would not fit.
 *
 * Uniqueness needs to remember every id given, but not the ids themselves: a 64-bit fingerprint
 * of each is kept in an open-addressing table of typed arrays, 8 to 16 bytes per row (1 to 2 MB
 * per 100,000 rows) instead of a Set of strings (about 25 MB). Two different ids with the same
 * fingerprint (odds about n² / 2^65) only make the second one take a suffix it did not need: an
 * id given twice is always caught.
 */
export class CustomIdAllocator {
  private low = new Int32Array(1024);
  private high = new Int32Array(1024);
  private count = 0;

  /** A fresh id for a row, from its key (its key column's value, or its index). */
  next(key: string): string {
    const base = sanitiseCustomId(key);
    if (this.claim(base)) return base;
    for (let n = 2; ; n++) {
      const suffix = `-${n}`;
      const id = `${base.slice(0, CUSTOM_ID_MAX_LENGTH - suffix.length)}${suffix}`;
      if (this.claim(id)) return id;
    }
  }

  get size(): number {
    return this.count;
  }

  /** Bytes the table holds. */
  get tableBytes(): number {
    return this.low.byteLength + this.high.byteLength;
  }

  /** Records `id` unless its fingerprint is already there; true when it was not. */
  private claim(id: string): boolean {
    if ((this.count + 1) * 2 > this.low.length) this.grow();
    // Two 32-bit hashes of the id's characters (FNV-1a, and a multiply-xorshift with another seed); (0, 0) marks an empty slot.
    let a = 0x811c9dc5;
    let b = 0x9747b28c;
    for (let i = 0; i < id.length; i++) {
      const c = id.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
      b ^= b >>> 15;
    }
    if (a === 0 && b === 0) b = 1;
    return this.insert(a, b);
  }

  private insert(a: number, b: number): boolean {
    const mask = this.low.length - 1;
    for (let slot = (a ^ (b >>> 7)) & mask; ; slot = (slot + 1) & mask) {
      const la = this.low[slot]!;
      const hb = this.high[slot]!;
      if (la === 0 && hb === 0) {
        this.low[slot] = a;
        this.high[slot] = b;
        this.count++;
        return true;
      }
      if (la === a && hb === b) return false;
    }
  }

  private grow(): void {
    const low = this.low;
    const high = this.high;
    this.low = new Int32Array(low.length * 2);
    this.high = new Int32Array(high.length * 2);
    this.count = 0;
    for (let slot = 0; slot < low.length; slot++) if (low[slot] !== 0 || high[slot] !== 0) this.insert(low[slot]!, high[slot]!);
  }
}
