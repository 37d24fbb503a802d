// The ledger groups spend by key without ever holding the key: a salted hash prefix. The salt is
// random per installation, so the fingerprint cannot be looked up against a hash of a leaked key.
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';

/** Twelve hex digits: enough to tell a user's keys apart, far too few to identify a key. */
export function keyFingerprint(key: string, salt: string): string {
  return createHash('sha256').update(salt).update('\0').update(key).digest('hex').slice(0, 12);
}

/** The installation's salt, created (0600) on first use. Two windows racing keep the first one written. */
export async function readOrCreateSalt(file: string): Promise<string> {
  try {
    const existing = (await fs.readFile(file, 'utf8')).trim();
    if (existing.length >= 32) return existing;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await fs.mkdir(dirname(file), { recursive: true });
  try {
    await fs.writeFile(file, randomBytes(32).toString('hex'), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return (await fs.readFile(file, 'utf8')).trim();
}
