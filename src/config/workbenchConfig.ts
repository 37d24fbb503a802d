import * as vscode from 'vscode';

/** Where run history is written. */
export type HistoryLocation = 'besidePrompt' | 'workspaceStorage';

export interface WorkbenchSettings {
  /** API base URL. Machine-scoped: a workspace can never redirect the key. */
  apiBaseUrl: string;
  /** Pause after typing before an exact token count is requested. */
  countDelayMs: number;
  /** Ask before sending when the worst-case cost exceeds this (USD). The user's value only. */
  confirmAboveUsd: number;
  /** Refuse to send when the worst-case cost exceeds this (USD). The user's value only. */
  maxRunCostUsd: number;
  /** Extra or overriding prices, USD per million tokens, keyed by model id. The user's value only. */
  priceOverrides: Record<string, Record<string, unknown>>;
  /** Models compared in the cost details' what-if table. */
  whatIfModels: string[];
  historyLocation: HistoryLocation;
  /** Largest file a prompt may name (variable file, values file), in MB. The user's own value only. */
  maxReferencedFileMB: number;
  /** The monthly API budget in USD (0 = none). Application-scoped: only the user's own value counts. */
  monthlyBudgetUsd: number;
  /** Percentages of the budget at which a warning shows, once each per month. */
  budgetWarningPercents: number[];
  /** Tool rounds (tool_use replies answered with results) one conversation may take. */
  maxToolRounds: number;
  /** The most requests a dataset job keeps in flight at once. */
  datasetConcurrency: number;
  /** Share of the context window a chunk's default target leaves free, 0..0.9. */
  chunkingHeadroom: number;
  /** Ask the API why a run missed the prompt cache (diagnostics.previous_message_id on runs of the same prompt). */
  cacheDiagnostics: boolean;
}

const section = 'promptWorkbench';
export const defaultApiBaseUrl = 'https://api.anthropic.com';

/**
 * A setting's value from the user's own settings (or the default), never from a workspace or
 * folder: a cloned repository's `.vscode/settings.json` is written by someone else. A user value
 * of the wrong type falls back to the default rather than to whatever the workspace says.
 */
function userValue<T>(c: vscode.WorkspaceConfiguration, key: string, fallback: T, valid: (value: unknown) => value is T): T {
  const inspected = c.inspect<unknown>(key);
  const user = inspected?.globalValue;
  if (valid(user)) return user;
  const byDefault = inspected?.defaultValue;
  return valid(byDefault) ? byDefault : fallback;
}

const isUsd = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 0;
const isMegabytes = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 0;
const isObject = (value: unknown): value is Record<string, Record<string, unknown>> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isPercentList = (value: unknown): value is number[] => Array.isArray(value) && value.every((p) => typeof p === 'number' && Number.isFinite(p) && p > 0);

/** Tool rounds one conversation may take unless the promptWorkbench.maxToolRounds setting says otherwise. */
const defaultMaxToolRounds = 10;

/** A whole number of tool rounds, at least 1; anything else is the default. */
function toolRounds(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 1 ? Math.floor(value) : defaultMaxToolRounds;
}

function read(): WorkbenchSettings {
  const c = vscode.workspace.getConfiguration(section);
  // The base URL and the money settings are read from the user level only, whatever a workspace
  // file says (package.json scopes them machine/application, and this enforces it here too).
  const baseUrl = c.inspect<string>('apiBaseUrl');
  return {
    apiBaseUrl: (baseUrl?.globalValue ?? baseUrl?.defaultValue ?? defaultApiBaseUrl).replace(/\/+$/, ''),
    countDelayMs: Math.max(50, c.get<number>('countDelayMs', 400)),
    confirmAboveUsd: userValue(c, 'confirmAboveUsd', 0.5, isUsd),
    maxRunCostUsd: userValue(c, 'maxRunCostUsd', 5, isUsd),
    priceOverrides: userValue(c, 'priceOverrides', {}, isObject),
    whatIfModels: c.get<string[]>('whatIfModels', ['claude-haiku-5-5', 'claude-sonnet-5-5', 'claude-opus-5-5']),
    historyLocation: c.get<HistoryLocation>('historyLocation', 'besidePrompt'),
    maxReferencedFileMB: userValue(c, 'maxReferencedFileMB', 8, isMegabytes),
    monthlyBudgetUsd: userValue(c, 'monthlyBudgetUsd', 0, isUsd),
    budgetWarningPercents: userValue(c, 'budgetWarningPercents', [50, 80, 100], isPercentList),
    maxToolRounds: toolRounds(c.get<unknown>('maxToolRounds')),
    datasetConcurrency: Math.min(64, Math.max(1, Math.floor(c.get<number>('datasetConcurrency', 8)))),
    chunkingHeadroom: chunkingHeadroom(c.get<unknown>('chunking.headroomPercent')),
    cacheDiagnostics: c.get<unknown>('cacheDiagnostics') === true,
  };
}

/** The headroom setting as a share: 10% unless a number from 0 to 90 is set. */
function chunkingHeadroom(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.min(90, Math.max(0, value)) / 100 : 0.1;
}

/** One typed view of the settings, read once and again only when they change. */
export class WorkbenchConfig implements vscode.Disposable {
  private current = read();
  private readonly changed = new vscode.EventEmitter<WorkbenchSettings>();
  readonly onDidChange = this.changed.event;
  private readonly listener = vscode.workspace.onDidChangeConfiguration((event) => {
    if (!event.affectsConfiguration(section)) return;
    this.current = read();
    this.changed.fire(this.current);
  });

  get settings(): WorkbenchSettings {
    return this.current;
  }

  dispose(): void {
    this.listener.dispose();
    this.changed.dispose();
  }
}
