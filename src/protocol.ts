// Every message between the extension host and the Prompt Workbench panel, both directions.
// Both sides switch on `type` exhaustively. Shared by src/ (host) and src/webview/ (browser):
// types only. The types core produces (blocks, errors, structured output) are core's own; this
// file imports them from there, never the other way round (lint-enforced).
import type { RunErrorView, ErrorAction } from './core/api/runError';
import type { ApiCitation, BlockAppend, BlockKind, BlockStart, CitationView, LinkView, ServerToolResultView } from './core/run/streamBlocks';
import type { StructuredOutputView } from './core/run/structuredOutputView';
import type { CacheReportView } from './core/caching/cacheReport';

export type { ApiCitation, BlockAppend, BlockKind, BlockStart, CacheReportView, CitationView, ErrorAction, LinkView, RunErrorView, ServerToolResultView, StructuredOutputView };

/** Why a reply was refused (the API's stop_details on stop_reason "refusal"). */
export interface RefusalView {
  /** cyber, bio, frontier_llm, reasoning_extraction, general_harms, or null when it maps to none. */
  category: string | null;
  explanation: string | null;
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
  /** What the prompt cache did: reads, writes, hit rate, saving, and why it missed. */
  cache?: CacheReportView;
  /** The refusal's category and explanation, when stop_reason is refusal. */
  refusal?: RefusalView;
  /** Said about the request as sent, e.g. a beta added automatically. */
  sendNotes?: string[];
}

export interface RunHeaderView {
  runId: string;
  promptName: string;
  promptPath: string;
  model: string;
  startedAt: string;
  /** Answered by the local API simulator, not by Claude: the panel shows a banner. */
  simulated?: boolean;
}

export interface HistoryEntryView {
  recordId: string;
  promptName: string;
  model: string;
  startedAt: string;
  simulated?: boolean;
  status: Exclude<RunStatus, 'running'>;
  costText?: string;
  /** "cache 92% read, saved $0.012; system changed: 9,812 tokens missed". */
  cacheText?: string;
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
  | { type: 'errorAction'; runId: string; action: ErrorAction }
  /** Opens a link of a search result or citation in the browser (the host checks it is http(s)). */
  | { type: 'openLink'; url: string }
  /** Saves a file the run's code produced into the workspace, through a save dialog. */
  | { type: 'downloadFile'; runId: string; fileId: string };

/** What the panel persists with setState and gets back after a reload (and via the serializer). */
export interface PanelState {
  current?: RunView;
  history: HistoryEntryView[];
  compare?: { left: RunView; right: RunView };
}
