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
  let id = key.replace(/[^a-zA-Z0-9_-]/g, '_');
  if (id.length === 0) id = 'row';
  if (id.length > CUSTOM_ID_MAX_LENGTH) id = `${id.slice(0, CUSTOM_ID_MAX_LENGTH - HASH_CHARS - 1)}-${shortHash(key)}`;
  return id;
}

/**
 * Hands out custom_ids unique within one job. A key that sanitises to an id already given (two
 * keys that differ only in characters the API refuses, or the same key twice) gets a `-2`, `-3`...
 * suffix, the id shortened first when the suffix would not fit. Holds the ids given so far (one
 * string per row), which the uniqueness needs.
 */
export class CustomIdAllocator {
  private readonly used = new Set<string>();

  /** A fresh id for a row, from its key (its key column's value, or its index). */
  next(key: string): string {
    const base = sanitiseCustomId(key);
    if (!this.used.has(base)) {
      this.used.add(base);
      return base;
    }
    for (let n = 2; ; n++) {
      const suffix = `-${n}`;
      const id = `${base.slice(0, CUSTOM_ID_MAX_LENGTH - suffix.length)}${suffix}`;
      if (!this.used.has(id)) {
        this.used.add(id);
        return id;
      }
    }
  }

  get size(): number {
    return this.used.size;
  }
}
