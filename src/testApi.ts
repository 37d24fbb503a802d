import type * as vscode from 'vscode';
import type { BatchesSnapshot } from './batches/batchJobs';
import type { PollPolicy } from './core/batch/batchPolling';
import type { SpendReport } from './core/spend/spendReport';
import type { PanelState, PanelToHost } from './protocol';
import type { JobProgress } from './core/dataset/datasetJob';
import type { BatchResultsView, GridRow, GridToHost, JobState, PlanView, ProgressView } from './datasets/datasetProtocol';
import type { ChunkJobState, ChunkPreviewView, ChunkProgressView, PreviewToHost } from './chunking/chunkProtocol';
import type { RunSummary } from './run/runController';
import type { StatusBarSnapshot } from './statusBar/costStatusBar';

export interface SpendSnapshot {
  monthToDate: string;
  ledgerFolder: string;
  realUsd: number;
  realCalls: number;
  simulatedCalls: number;
  countCalls: number;
  /** The last send the spend cap or the monthly budget refused, with its message. */
  lastRefusal: string | undefined;
  /** Threshold warnings shown in this window. */
  warnings: string[];
  /** What the spend view was last given to draw. */
  report: SpendReport | undefined;
}

/**
 * What activate() returns when the extension runs under its tests (ExtensionMode.Test, i.e. an
 * extension host started with extensionTestsPath): a narrow window into the extension's state.
 * In any other mode activate() returns nothing, so no other extension can start runs through it.
 */
export interface PromptWorkbenchApi {
  statusBar(): StatusBarSnapshot;
  /** Exact count requests the status bar has sent to count_tokens. */
  countRequestsSent(): number;
  /** The Markdown of the last cost details view. */
  costDetails(): string | undefined;
  /** Whether @anthropic-ai/sdk has been loaded (it must not be during activation). */
  sdkLoaded(): boolean;
  /** The extension's own activation cost: bundle evaluation plus activate(), in ms (undefined when not bundled). */
  activationMs(): number | undefined;
  /** Whether the features bundle has been loaded (it is loaded on first need, not at activation). */
  featuresLoaded(): boolean;
  /** The sibling bundles (bundles.mjs) the features bundle has required so far, by name. */
  siblingsLoaded(): string[];
  /** What the panel has been told to show. */
  panelState(): PanelState;
  /** What the *Prompt Workbench* output channel printed (bounded). */
  outputText(): string;
  lastRun(): RunSummary | undefined;
  historyFile(promptUri: vscode.Uri): string;
  isRunning(): boolean;
  /** What the dataset panel has been told, and the job's own state. */
  datasetPanel(): {
    plan?: PlanView;
    /** A batch job's results shown in place of a plan (Open Batch Results). */
    batchResults?: BatchResultsView;
    state?: JobState;
    message?: string;
    rows: GridRow[];
    progress?: ProgressView;
    /** The cache line of the grid's totals, when a row used the cache. */
    cacheTotals?: string;
    visible: boolean;
    job: { state: JobState; progress?: JobProgress; resultsPath?: string; historyPath?: string };
  };
  /** The batch jobs of this workspace as the Batches view sees them (loads the batches bundle). */
  batches(): BatchesSnapshot;
  /** Resolves once no batch poll is running. */
  batchesIdle(): Promise<void>;
  /**
   * Disposes the batches feature and builds it again from workspace state, as a new window would
   * (the reload test), optionally with shorter polling delays.
   */
  reloadBatches(pollPolicy?: PollPolicy): void;
  /** Handles a message as if the dataset panel had sent it (a button), and waits for the job it starts to end. */
  datasetMessage(message: GridToHost): Promise<void>;
  /** What the chunk preview has been told, and the chunked job's own state (loads the chunking bundle). */
  chunkPreview(): {
    preview?: ChunkPreviewView;
    state?: ChunkJobState;
    message?: string;
    progress?: ChunkProgressView;
    visible: boolean;
    job: { state: ChunkJobState; progress?: ChunkProgressView; resultsPath?: string; planPath?: string; mapHistoryPath?: string; output?: { recordId: string; text: string; historyPath: string } };
  };
  /** Handles a message as if the chunk preview had sent it (a button), and by default waits for the job it starts to end. */
  chunkMessage(message: PreviewToHost, options?: { wait?: boolean }): Promise<void>;
  /** Stitches a chunked job whose every chunk has its result, as the batches feature does when a chunk batch ends. */
  chunkStitch(promptPath: string, resultsPath: string): Promise<void>;
  /** Handles a message as if the panel had sent it (the same entry point the webview uses). */
  panelMessage(message: PanelToHost): Promise<void>;
  /** The spend ledger as this window sees it: month-to-date, where the files are, the last refusal. */
  spend(): SpendSnapshot;
  /** The folder VS Code gives this extension for logs; its parent holds the output channels' log files. */
  logUri(): vscode.Uri;
  /** Answers the dialogs a test cannot click: Send on an unknown worst case, the save dialog of a download. */
  answerDialogsForTests(answers: { confirmSend?: boolean; saveTarget?: vscode.Uri }): void;
  /** The Files API feature: the persisted uploads, and a reload of them from storage (as after a restart). */
  filesForTests(): Promise<{ registryFile: string; uploads: { fileId: string; path: string; sha256: string }[]; reloadFromStorage(): Promise<void> }>;
  /** Stores a key as Set API Key does after its input box. */
  storeApiKeyForTests(key: string | undefined): Promise<void>;
}
