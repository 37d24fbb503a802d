// Run records, one JSON object per line, appended after every run.
import { appendConfined, readConfined } from '../files/confinedFiles';
import type { PromptDiagnostic } from '../prompt/promptFile';
import { findPlaceholders } from '../prompt/template';
import { createHash } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import type { Message } from '@anthropic-ai/sdk/resources/messages/messages';
import type { ErrorAction, RunErrorView } from '../api/runError';
import { redactKeysDeep } from '../api/keyRedaction';

/**
 * What a record keeps of a failed run's error. Its own type, not the panel's RunErrorView, so
 * reshaping the panel never silently changes the file format.
 */
export interface RecordedError {
  title: string;
  message: string;
  requestId?: string;
  retryAfterSeconds?: number;
  fieldPath?: string;
  /** What the user could do about it ('retry', 'setKey', 'chooseModel', 'openSettings'). */
  actions: string[];
}

/** The fields every version of a record has. */
interface RunRecordFields {
  recordId: string;
  promptName: string;
  /** The prompt file's path relative to the workspace (or absolute outside one). */
  promptPath: string;
  model: string;
  startedAt: string;
  /** Answered by the local API simulator (`npm start` without a key), not by Claude; nothing was billed. */
  simulated?: boolean;
  status: 'completed' | 'cancelled' | 'failed';
  /** The resolved request as sent: variables filled in, no headers, no key. */
  request: Record<string, unknown>;
  /** The final message, or the partial one kept after a cancel or error (the API's own shape). */
  response?: Message;
  error?: RecordedError;
  requestId?: string;
  costUsd?: number;
  costText?: string;
  /** The local diff at send time: the first prefix block that changed since the prompt's previous run. */
  cacheChange?: string;
  /** Said about the request as sent (a beta added automatically). */
  sendNotes?: string[];
  timings: { durationMs: number; timeToFirstTokenMs?: number; outputTokensPerSecond?: number };
  /**
   * Set on the record of a call a dataset job made (an optional field: version 2 readers that
   * predate it ignore it). Such records live in the job's own history file (jobHistoryFile), never
   * in the prompt's, so a 100,000-row job leaves the prompt's history as it was.
   */
  dataset?: DatasetCallRef;
  /**
   * Set on the stitched output of a run over chunks (optional, as `dataset`): the record's response
   * is the stitched text, its request the top reduce request (or the prompt, for concatenation),
   * and its cost the whole job's. Run it again with Run Prompt over Chunks, not as a single request.
   */
  chunked?: ChunkedRunRef;
}

/** Where a stitched output came from. */
export interface ChunkedRunRef {
  /** The per-chunk results file and the chunked source, relative to the workspace folder. */
  results: string;
  source: string;
  chunks: number;
  /** Reduce requests sent, at every level (0 when the results were concatenated), and the levels. */
  reduceRequests: number;
  levels: number;
}

/** Which job and row a recorded call belongs to. */
export interface DatasetCallRef {
  /** The job's results file, relative to the workspace folder. */
  results: string;
  /** The row's key (its key column's value, or its index) and its index in the dataset. */
  key: string;
  index: number;
  /** Requests sent for this row in this job, 429s and overloads included. */
  attempts: number;
}

/** Version 1 (0.1.0): the request without the beta names it was sent with. */
export interface RunRecordV1 extends RunRecordFields {
  version: 1;
}

/** Version 2: adds `betas`, the anthropic-beta names the run was sent with, so a rerun sends them again. */
export interface RunRecordV2 extends RunRecordFields {
  version: 2;
  betas: string[];
}

/** The record written today; older versions are upgraded to it when read. */
export type RunRecord = RunRecordV2;
export const RUN_RECORD_VERSION: RunRecord['version'] = 2;

/** The current record from a parsed line of any known version, or undefined for anything else. */
export function upgradeRunRecord(parsed: unknown): RunRecord | undefined {
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const record = parsed as Partial<RunRecordV1 | RunRecordV2>;
  if (typeof record.recordId !== 'string' || !record.recordId) return undefined;
  if (record.version === 1) {
    const { version: _version, ...fields } = record as RunRecordV1;
    return { version: 2, ...fields, betas: [] };
  }
  if (record.version === 2) {
    const v2 = record as RunRecordV2;
    return Array.isArray(v2.betas) && v2.betas.every((b) => typeof b === 'string') ? v2 : { ...v2, betas: [] };
  }
  // A newer version (written by a later release) is not guessed at.
  return undefined;
}

const errorActions: readonly ErrorAction[] = ['retry', 'setKey', 'chooseModel', 'openSettings'];

/** The error as a record keeps it. */
export function recordedError(view: RunErrorView): RecordedError {
  const { title, message, requestId, retryAfterSeconds, fieldPath, actions } = view;
  return {
    title,
    message,
    ...(requestId !== undefined ? { requestId } : {}),
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
    ...(fieldPath !== undefined ? { fieldPath } : {}),
    actions: [...actions],
  };
}

/** A recorded error as the panel shows it; actions this version does not know are left out. */
export function errorViewOf(error: RecordedError): RunErrorView {
  const { actions, ...rest } = error;
  return { ...rest, actions: actions.filter((a): a is ErrorAction => (errorActions as readonly string[]).includes(a)) };
}

/**
 * Replaces every occurrence of each secret in every string of `value` (defence in depth). Only the
 * known keys: a prompt that talks about key formats keeps its words. A key holding a newline is
 * found too (it used to be missed: searched for in the JSON text, where the newline is escaped).
 */
export function redactSecrets<T>(value: T, secrets: readonly string[]): T {
  if (!secrets.some((s) => s.length >= 8)) return value;
  return redactKeysDeep(value, secrets, { shapes: false });
}

export type HistoryLocation = 'besidePrompt' | 'workspaceStorage';

/**
 * A prompt's history file: `.prompt-history/<name>.jsonl` beside the prompt, or, in the
 * extension's workspace storage, `history/<hash of the prompt's URI>-<name>.jsonl`.
 */
export function promptHistoryFile(promptPath: string, promptUri: string, location: HistoryLocation, storagePath: string | undefined): string {
  const name = `${basename(promptPath, '.prompt.json')}.jsonl`;
  if (location === 'workspaceStorage' && storagePath !== undefined) {
    const hash = createHash('sha256').update(promptUri).digest('hex').slice(0, 12);
    return join(storagePath, 'history', `${hash}-${name}`);
  }
  return join(dirname(promptPath), '.prompt-history', name);
}

/**
 * The history file of one dataset job: a record per call, in a folder beside the prompt's history
 * file (`<name>.jobs/<results file name>.jsonl`), so the prompt's own history, which the panel
 * reads whole, does not grow by a line per row.
 */
export function jobHistoryFile(promptHistory: string, resultsPath: string): string {
  const job = basename(resultsPath).replace(/\.results\.jsonl$/, '').replace(/\.jsonl$/, '');
  return join(dirname(promptHistory), `${basename(promptHistory, '.jsonl')}.jobs`, `${job}.jsonl`);
}

/**
 * Appends a record to a history file inside `root` (the prompt's workspace folder; by default the
 * folder holding the history folder). Never through a symbolic link, file mode 0600, and a history
 * folder it creates gets a `.gitignore` of `*`: records hold the resolved request, files included.
 */
export async function appendRunRecord(file: string, record: RunRecord, secrets: readonly string[] = [], root = dirname(dirname(file))): Promise<void> {
  await appendRunRecords(file, [record], secrets, root);
}

/** appendRunRecord for many records at once: one write of all their lines (a dataset job's calls). */
export async function appendRunRecords(file: string, records: readonly RunRecord[], secrets: readonly string[] = [], root = dirname(dirname(file))): Promise<void> {
  if (records.length === 0) return;
  await appendConfined(root, file, records.map((record) => `${JSON.stringify(redactSecrets(record, secrets))}\n`).join(''), { ignoreNewFolders: true });
}

/**
 * The errors that stop a recorded request from being sent again, found by the same checks Run
 * applies to a prompt: a history file is data the repository may have written. Placeholder-like
 * text in the record was a value when it ran, so it is declared as itself and stays literal.
 * `validate` is the send check (validateForSend), passed in by the caller so that the run feature's
 * bundle uses the checks features.js already holds instead of carrying its own copy.
 */
export function recordedRequestErrors(record: RunRecord, validate: (promptText: string) => readonly PromptDiagnostic[]): PromptDiagnostic[] {
  const literal: Record<string, string> = {};
  for (const use of findPlaceholders(record.request)) literal[use.name] = `{{${use.name}}}`;
  const text = JSON.stringify({ variables: literal, ...(record.betas.length ? { betas: record.betas } : {}), request: record.request });
  return validate(text).filter((d) => d.severity === 'error');
}

/** The newest `limit` records, newest first. Lines that do not parse are skipped, not fatal. */
export async function readRunRecords(file: string, limit = 200, root = dirname(dirname(file))): Promise<RunRecord[]> {
  const text = await readConfined(root, file);
  if (text === undefined) return [];
  const records: RunRecord[] = [];
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0 && records.length < limit; i--) {
    const line = lines[i]?.trim();
    if (!line) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      // A torn last line (crash mid-write) must not hide the rest of the history.
      continue;
    }
    const record = upgradeRunRecord(parsed);
    if (record) records.push(record);
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
