// Run records, one JSON object per line, appended after every run.
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Message } from '@anthropic-ai/sdk/resources/messages/messages';
import type { RunErrorView } from '../api/runError';

export interface RunRecord {
  version: 1;
  recordId: string;
  promptName: string;
  /** The prompt file's path relative to the workspace (or absolute outside one). */
  promptPath: string;
  model: string;
  startedAt: string;
  status: 'completed' | 'cancelled' | 'failed';
  /** The resolved request as sent: variables filled in, no headers, no key. */
  request: Record<string, unknown>;
  /** The final message, or the partial one kept after a cancel or error. */
  response?: Message;
  error?: RunErrorView;
  requestId?: string;
  costUsd?: number;
  costText?: string;
  timings: { durationMs: number; timeToFirstTokenMs?: number; outputTokensPerSecond?: number };
}

/** Replaces every occurrence of each secret in every string of `value` (defence in depth). */
export function redactSecrets<T>(value: T, secrets: readonly string[]): T {
  const present = secrets.filter((s) => s.length >= 8);
  if (present.length === 0) return value;
  const text = JSON.stringify(value);
  if (!present.some((s) => text.includes(s))) return value;
  let redacted = text;
  for (const secret of present) redacted = redacted.split(secret).join('[redacted]');
  return JSON.parse(redacted) as T;
}

export async function appendRunRecord(file: string, record: RunRecord, secrets: readonly string[] = []): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await appendFile(file, `${JSON.stringify(redactSecrets(record, secrets))}\n`, 'utf8');
}

/** The newest `limit` records, newest first. Lines that do not parse are skipped, not fatal. */
export async function readRunRecords(file: string, limit = 200): Promise<RunRecord[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const records: RunRecord[] = [];
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0 && records.length < limit; i--) {
    const line = lines[i]?.trim();
    if (!line) continue;
    try {
      const parsed = JSON.parse(line) as RunRecord;
      if (parsed.version === 1 && parsed.recordId) records.push(parsed);
    } catch {
      // A torn last line (crash mid-write) must not hide the rest of the history.
    }
  }
  return records;
}

/** A short preview of a response's text for history lists. */
export function responsePreview(message: Message | undefined, length = 120): string {
  const text = (message?.content ?? [])
    .map((block) => (block.type === 'text' ? block.text : block.type === 'tool_use' ? `[tool_use ${block.name}]` : ''))
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (text.length <= length) return text;
  // Cut before a whole character: slicing between the halves of a surrogate pair (an emoji) leaves a lone half.
  const cut = text.slice(0, length - 1);
  return `${/[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut}…`;
}
