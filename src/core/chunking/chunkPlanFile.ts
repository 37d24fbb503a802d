// The chunks of a chunked job, saved beside its results file. A cancelled or interrupted job is
// resumed against these very chunks: the finished chunks' results are keyed by chunk index, so
// cutting the text again (and perhaps differently, after an edit) would pair old results with
// new chunks. The plan is used only when the source text and the request around the chunks are
// still the ones it was made for; otherwise the job starts over.
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import type { TextChunk } from './chunker';

export const CHUNK_PLAN_VERSION = 1;

export interface SavedChunkPlan {
  v: typeof CHUNK_PLAN_VERSION;
  /** sha256 of the source text, and of everything else that shapes a chunk's request. */
  sourceSha256: string;
  requestSha256: string;
  targetTokens: number;
  overlapTokens: number;
  overheadTokens: number;
  countCalls: number;
  chunks: TextChunk[];
}

/** The plan file of a results file: `x.results.jsonl` → `x.chunks.json`. */
export function chunkPlanPath(resultsPath: string): string {
  return resultsPath.endsWith('.results.jsonl') ? `${resultsPath.slice(0, -'.results.jsonl'.length)}.chunks.json` : `${resultsPath}.chunks.json`;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The fingerprint of what, besides the source, decides the chunks and their requests. */
export function requestFingerprint(parts: unknown): string {
  return sha256(JSON.stringify(parts));
}

function isChunk(value: unknown, length: number): value is TextChunk {
  const c = value as Partial<TextChunk> | null;
  return (
    typeof c === 'object' && c !== null &&
    Number.isInteger(c.index) && Number.isInteger(c.start) && Number.isInteger(c.end) && Number.isInteger(c.contextStart) &&
    typeof c.tokens === 'number' && (c.contextStart as number) <= (c.start as number) && (c.start as number) < (c.end as number) && (c.end as number) <= length
  );
}

/**
 * The saved plan when it fits this source and request, else undefined (missing, unreadable,
 * another version, or made for other text). Its chunks must tile the text exactly: a file edited
 * by hand is not trusted to.
 */
export async function readChunkPlan(path: string, source: { text: string; sha256: string }, requestSha256: string): Promise<SavedChunkPlan | undefined> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch {
    return undefined;
  }
  const plan = parsed as Partial<SavedChunkPlan> | null;
  if (typeof plan !== 'object' || plan === null || plan.v !== CHUNK_PLAN_VERSION) return undefined;
  if (plan.sourceSha256 !== source.sha256 || plan.requestSha256 !== requestSha256) return undefined;
  if (!Array.isArray(plan.chunks) || !plan.chunks.every((chunk) => isChunk(chunk, source.text.length))) return undefined;
  let expected = 0;
  for (const [i, chunk] of plan.chunks.entries()) {
    if (chunk.index !== i || chunk.start !== expected) return undefined;
    expected = chunk.end;
  }
  if (expected !== source.text.length) return undefined;
  return plan as SavedChunkPlan;
}

export async function writeChunkPlan(path: string, plan: SavedChunkPlan): Promise<void> {
  await writeFile(path, `${JSON.stringify(plan)}\n`, { mode: 0o600 });
}
