// The panel's view model: how each host message changes the PanelState, plus the wording and number
// formats the panel shows. Pure (no DOM, no `vscode`): the browser bundle renders from it and
// persists it with setState, and the unit tests drive it directly.
import { formatCount } from '../core/format';
import type {
  BlockStart,
  HistoryEntryView,
  HostToPanel,
  PanelState,
  RunOutcomeView,
  RunView,
} from '../protocol';

export type RunBlock = RunView['blocks'][number];

/** The state of a panel that has shown nothing yet. */
export function emptyPanelState(): PanelState {
  return { history: [] };
}

/**
 * The state after one host message. Never mutates `state`; returns the same object when the message
 * changes nothing (e.g. progress for a run the panel is no longer showing), so callers can compare.
 */
export function applyHostMessage(state: PanelState, message: HostToPanel): PanelState {
  switch (message.type) {
    case 'runStarted':
      return { ...state, current: { header: message.header, blocks: [], status: 'running' } };
    case 'runProgress': {
      const current = state.current;
      if (!current || current.header.runId !== message.runId || current.status !== 'running') return state;
      if (message.starts.length === 0 && message.appends.length === 0) return state;
      return { ...state, current: { ...current, blocks: applyProgress(current.blocks, message.starts, message.appends) } };
    }
    case 'runFinished': {
      const current = state.current;
      if (!current || current.header.runId !== message.runId) return state;
      return { ...state, current: { ...current, status: message.outcome.status, outcome: message.outcome } };
    }
    case 'showRun':
      return { ...state, current: message.run };
    case 'history':
      return { ...state, history: message.entries };
    case 'compare':
      return { ...state, compare: { left: message.left, right: message.right } };
    default:
      return assertNever(message);
  }
}

/** The panel state without the side-by-side comparison (the user closed it). */
export function closeCompare(state: PanelState): PanelState {
  if (!state.compare) return state;
  const { compare: _closed, ...rest } = state;
  return rest;
}

function applyProgress(blocks: readonly RunBlock[], starts: readonly BlockStart[], appends: readonly { index: number; text: string }[]): RunBlock[] {
  const next = blocks.slice();
  const position = new Map<number, number>();
  next.forEach((block, i) => position.set(block.index, i));
  let needsSort = false;
  const ensure = (start: BlockStart): number => {
    const at = position.get(start.index);
    if (at !== undefined) return at;
    const last = next[next.length - 1];
    if (last && last.index > start.index) needsSort = true;
    next.push({ ...start, text: '' });
    position.set(start.index, next.length - 1);
    return next.length - 1;
  };
  for (const start of starts) {
    const at = ensure(start);
    const existing = next[at];
    if (existing) next[at] = { ...start, text: existing.text };
  }
  for (const append of appends) {
    if (append.text === '') continue;
    // The host sends a start before any append; a stray append still keeps its text, as plain text.
    const at = ensure({ index: append.index, kind: 'text' });
    const block = next[at];
    if (block) next[at] = { ...block, text: block.text + append.text };
  }
  if (needsSort) next.sort((a, b) => a.index - b.index);
  return next;
}

/** Throws on a message type this panel does not know: the `never` makes forgetting one a compile error. */
export function assertNever(value: never): never {
  throw new Error(`Unexpected message: ${JSON.stringify(value)}`);
}

/** Whether a value restored by `getState()` (or handed back by the serializer) looks like a PanelState. */
export function isPanelState(value: unknown): value is PanelState {
  if (!isRecord(value) || !Array.isArray(value['history'])) return false;
  if (value['current'] !== undefined && !isRunView(value['current'])) return false;
  const compare = value['compare'];
  if (compare !== undefined && !(isRecord(compare) && isRunView(compare['left']) && isRunView(compare['right']))) return false;
  return value['history'].every((entry) => isRecord(entry) && typeof entry['recordId'] === 'string');
}

function isRunView(value: unknown): value is RunView {
  if (!isRecord(value) || !isRecord(value['header']) || typeof value['header']['runId'] !== 'string') return false;
  if (typeof value['status'] !== 'string' || !Array.isArray(value['blocks'])) return false;
  return value['blocks'].every((block) => isRecord(block) && typeof block['index'] === 'number' && typeof block['text'] === 'string');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Output characters kept by `compactPanelState` unless told otherwise (about 250,000 tokens of text). */
export const PERSISTED_OUTPUT_CHARS = 1_000_000;
const PERSISTED_PREVIEW_CHARS = 300;

/**
 * The state to hand to setState: block text beyond `maxOutputChars` in all (current run first, then
 * the comparison) is cut with a note, and history previews are shortened. History keeps every run in
 * full, so nothing is lost for good.
 */
export function compactPanelState(state: PanelState, maxOutputChars = PERSISTED_OUTPUT_CHARS): PanelState {
  let budget = maxOutputChars;
  const compactRun = (run: RunView): RunView => {
    let changed = false;
    const blocks = run.blocks.map((block) => {
      if (block.text.length <= budget) {
        budget -= block.text.length;
        return block;
      }
      changed = true;
      const kept = block.text.slice(0, budget);
      const dropped = block.text.length - kept.length;
      budget = 0;
      return { ...block, text: `${kept}\n\n[${formatCount(dropped)} more characters were not kept when the panel saved its state; open this run from History to see all of it.]` };
    });
    return changed ? { ...run, blocks } : run;
  };
  const next: PanelState = {
    history: state.history.map((entry) =>
      entry.preview.length > PERSISTED_PREVIEW_CHARS ? { ...entry, preview: `${entry.preview.slice(0, PERSISTED_PREVIEW_CHARS)}…` } : entry,
    ),
  };
  if (state.current) next.current = compactRun(state.current);
  if (state.compare) next.compare = { left: compactRun(state.compare.left), right: compactRun(state.compare.right) };
  return next;
}

/**
 * How long to wait between saves while a run streams: each save serializes the whole output, so
 * 1 s for ordinary output, stretching to 10 s as it approaches a megabyte. The run's end always saves.
 */
export function streamingSaveIntervalMs(state: PanelState): number {
  const chars = state.current?.blocks.reduce((sum, block) => sum + block.text.length, 0) ?? 0;
  return Math.min(10_000, Math.max(1000, Math.round(chars / 100)));
}

/** The history selection for Compare after the user toggles `recordId`: at most two, the newest kept. */
export function toggleCompareSelection(selected: readonly string[], recordId: string): string[] {
  if (selected.includes(recordId)) return selected.filter((id) => id !== recordId);
  return [...selected, recordId].slice(-2);
}

/** Drops selected records that are no longer in the history list. */
export function pruneCompareSelection(selected: readonly string[], history: readonly HistoryEntryView[]): string[] {
  const present = new Set(history.map((entry) => entry.recordId));
  return selected.filter((id) => present.has(id));
}

export const PARTIAL_OUTPUT_KEPT = 'partial output kept';

/** The marker for a run that ended early but kept what it had streamed, e.g. "failed — partial output kept". */
export function partialOutputNote(run: RunView): string | undefined {
  if (run.status !== 'cancelled' && run.status !== 'failed') return undefined;
  const hasOutput = run.blocks.some((block) => block.text.length > 0);
  if (!hasOutput) return undefined;
  return `${run.status} — ${PARTIAL_OUTPUT_KEPT}`;
}

/** What the live region announces when a run's status changes. */
export function runAnnouncement(run: RunView): string {
  const name = run.header.promptName;
  switch (run.status) {
    case 'running':
      return `Running ${name} on ${run.header.model}.`;
    case 'completed':
      return `${name} completed${run.outcome?.costText ? `, ${run.outcome.costText}` : ''}.`;
    case 'cancelled':
      return `${name} cancelled${partialOutputNote(run) ? '; partial output kept' : ''}.`;
    case 'failed':
      return `${name} failed${run.outcome?.error ? `: ${run.outcome.error.title}` : ''}.`;
    default:
      return assertNever(run.status);
  }
}

/** Pretty JSON when the text parses (finished tool input, server tool blocks), else the text as it is. */
export function prettyJsonOrRaw(text: string): { text: string; parsed: boolean } {
  if (text.trim() === '') return { text, parsed: false };
  try {
    return { text: JSON.stringify(JSON.parse(text), null, 2), parsed: true };
  } catch {
    return { text, parsed: false };
  }
}

/** The heading shown on a non-text block. */
export function blockTitle(block: BlockStart): string {
  switch (block.kind) {
    case 'text':
      return 'Text';
    case 'thinking':
      return 'Thinking';
    case 'redacted_thinking':
      return 'Redacted thinking';
    case 'tool_use':
      return `Tool call: ${block.name ?? 'unnamed tool'}`;
    case 'server_tool':
      return `Server tool: ${block.name ?? 'unnamed tool'}`;
    case 'server_tool_result':
      return serverToolResultTitle(block.name ?? 'unknown');
    case 'other':
      return `Block: ${block.name ?? 'unknown type'}`;
    default:
      return assertNever(block.kind);
  }
}

/** Whole seconds left of a retry-after wait, `elapsedMs` after the error arrived; never negative. */
export function retrySecondsLeft(retryAfterSeconds: number, elapsedMs: number): number {
  return Math.max(0, Math.ceil(retryAfterSeconds - elapsedMs / 1000));
}

/** Whether Continue needs a new user message: pause_turn resends the conversation as it is. */
export function continueNeedsMessage(outcome: RunOutcomeView): boolean {
  return outcome.stopReason !== 'pause_turn';
}

/** Whether the Continue form applies: pending tool calls are answered with tool results instead. */
export function showsContinue(outcome: RunOutcomeView): boolean {
  return outcome.canContinue && (outcome.pendingTools?.length ?? 0) === 0;
}

/** Why no more tool results can be sent, and the setting that raises the limit. */
export function toolRoundLimitText(outcome: RunOutcomeView): string {
  const max = outcome.toolRounds?.max ?? 0;
  return `This conversation has used all ${max} tool round${max === 1 ? '' : 's'} allowed. Raise the promptWorkbench.maxToolRounds setting to go on.`;
}

/** Whether another tool round is allowed. */
export function toolRoundsLeft(outcome: RunOutcomeView): boolean {
  return !outcome.toolRounds || outcome.toolRounds.used < outcome.toolRounds.max;
}

/** "850 ms", "12.3 s", "2 min 05 s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return 'unknown';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const totalSeconds = Math.round(ms / 1000);
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = totalSeconds % 60;
  return `${minutes} min ${String(seconds).padStart(2, '0')} s`;
}

export function formatTokensPerSecond(rate: number): string {
  if (!Number.isFinite(rate) || rate < 0) return 'unknown';
  return `${rate >= 100 ? Math.round(rate) : rate.toFixed(1)} tokens/s`;
}

/** A local date and time for an ISO timestamp, or the text unchanged when it does not parse. */
export function formatStartedAt(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** The heading of a server tool's result block. */
export function serverToolResultTitle(blockType: string): string {
  switch (blockType) {
    case 'code_execution_tool_result':
      return 'Code execution result';
    case 'bash_code_execution_tool_result':
      return 'Bash result';
    case 'text_editor_code_execution_tool_result':
      return 'Text editor result';
    case 'web_search_tool_result':
      return 'Web search results';
    case 'web_fetch_tool_result':
      return 'Web fetch result';
    default:
      return `Result: ${blockType}`;
  }
}

/** A server tool call's input as the panel shows it: a line saying what it does, and the code it runs. */
export function serverToolCallView(name: string | undefined, inputJson: string): { label: string; code?: string } | undefined {
  let input: unknown;
  try {
    input = JSON.parse(inputJson);
  } catch {
    return undefined;
  }
  if (typeof input !== 'object' || input === null) return undefined;
  const fields = input as Record<string, unknown>;
  const text = (key: string): string | undefined => (typeof fields[key] === 'string' ? (fields[key] as string) : undefined);
  switch (name) {
    case 'code_execution':
      return text('code') !== undefined ? { label: 'Python', code: text('code') as string } : undefined;
    case 'bash_code_execution':
      return text('command') !== undefined ? { label: 'bash', code: text('command') as string } : undefined;
    case 'text_editor_code_execution': {
      const label = `${text('command') ?? 'edit'} ${text('path') ?? ''}`.trim();
      const code = text('file_text') ?? text('new_str');
      return code !== undefined ? { label, code } : { label };
    }
    case 'web_search':
      return text('query') !== undefined ? { label: `Search: ${text('query') as string}` } : undefined;
    case 'web_fetch':
      return text('url') !== undefined ? { label: `Fetch: ${text('url') as string}` } : undefined;
    default:
      return undefined;
  }
}
