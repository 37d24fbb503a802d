// Every message between the extension host and the Prompt Workbench panel, both directions.
// Both sides switch on `type` exhaustively. Shared by src/ (host) and src/webview/ (browser):
// types only, no imports.

/** One content block of a response as the panel shows it. */
export type BlockKind = 'text' | 'thinking' | 'redacted_thinking' | 'tool_use' | 'server_tool' | 'other';

export interface BlockStart {
  index: number;
  kind: BlockKind;
  /** Tool name for tool_use / server tools; the raw block type for `other`. */
  name?: string;
  /** tool_use id, needed to answer with a tool_result. */
  id?: string;
}

/** Text appended to a block since the last update (text, thinking, or partial tool-input JSON). */
export interface BlockAppend {
  index: number;
  text: string;
}

export interface UsageView {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  thinkingTokens?: number;
  /**
   * The run stopped before the API reported its final usage (cancelled, or an error mid-stream):
   * outputTokens is estimated from the text received, and the cost is an estimate too.
   */
  outputEstimated?: boolean;
}

export type ErrorAction = 'retry' | 'setKey' | 'chooseModel' | 'openSettings';

export interface RunErrorView {
  /** Short title, e.g. "Rate limited". */
  title: string;
  /** What happened and what to do next. */
  message: string;
  requestId?: string;
  /** Seconds until a retry can succeed (429), for a countdown. */
  retryAfterSeconds?: number;
  /** The request field the API named, e.g. "messages.0.content". */
  fieldPath?: string;
  actions: ErrorAction[];
}

export interface StructuredOutputView {
  /** Pretty-printed JSON, or the raw text when it does not parse. */
  pretty: string;
  parsed: boolean;
  /** Schema violations found by ajv, as "path: message" lines; empty when valid. */
  errors: string[];
}

export interface ToolUseView {
  id: string;
  name: string;
  inputJson: string;
}

export type RunStatus = 'running' | 'completed' | 'cancelled' | 'failed';

export interface RunOutcomeView {
  status: Exclude<RunStatus, 'running'>;
  stopReason?: string;
  /** The stop reason in words, with what to do about it. */
  stopExplanation?: string;
  usage?: UsageView;
  /** Actual cost from usage and the price table, e.g. "$0.0123", or "cost unknown: …". */
  costText?: string;
  timeToFirstTokenMs?: number;
  outputTokensPerSecond?: number;
  durationMs?: number;
  requestId?: string;
  error?: RunErrorView;
  structured?: StructuredOutputView;
  /** Tool calls awaiting results when stop_reason is tool_use. */
  pendingTools?: ToolUseView[];
  /** Whether Continue can send another turn (pause_turn, tool_use, or a finished turn). */
  canContinue: boolean;
  /** How many tool rounds this conversation has taken, and the bound. */
  toolRounds?: { used: number; max: number };
}

export interface RunHeaderView {
  runId: string;
  promptName: string;
  promptPath: string;
  model: string;
  startedAt: string;
}

export interface HistoryEntryView {
  recordId: string;
  promptName: string;
  model: string;
  startedAt: string;
  status: Exclude<RunStatus, 'running'>;
  costText?: string;
  preview: string;
}

/** A whole run as the panel can show it again (from history, or after a reload). */
export interface RunView {
  header: RunHeaderView;
  blocks: (BlockStart & { text: string })[];
  status: RunStatus;
  outcome?: RunOutcomeView;
}

export type HostToPanel =
  | { type: 'runStarted'; header: RunHeaderView }
  | { type: 'runProgress'; runId: string; starts: BlockStart[]; appends: BlockAppend[] }
  | { type: 'runFinished'; runId: string; outcome: RunOutcomeView }
  | { type: 'showRun'; run: RunView }
  | { type: 'history'; entries: HistoryEntryView[] }
  | { type: 'compare'; left: RunView; right: RunView };

export type PanelToHost =
  | { type: 'ready' }
  | { type: 'stop'; runId: string }
  | { type: 'retry'; runId: string }
  | { type: 'continue'; runId: string; message: string; mode: 'inPlace' | 'newFile' }
  | { type: 'submitToolResults'; runId: string; results: { toolUseId: string; content: string; isError: boolean }[] }
  | { type: 'listHistory' }
  | { type: 'openRun'; recordId: string }
  | { type: 'compareRuns'; leftRecordId: string; rightRecordId: string }
  | { type: 'rerun'; recordId: string }
  | { type: 'errorAction'; action: ErrorAction };

/** What the panel persists with setState and gets back after a reload (and via the serializer). */
export interface PanelState {
  current?: RunView;
  history: HistoryEntryView[];
  compare?: { left: RunView; right: RunView };
}
