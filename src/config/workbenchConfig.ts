import * as vscode from 'vscode';

/** Where run history is written. */
export type HistoryLocation = 'besidePrompt' | 'workspaceStorage';

export interface WorkbenchSettings {
  /** API base URL. Machine-scoped: a workspace can never redirect the key. */
  apiBaseUrl: string;
  /** Pause after typing before an exact token count is requested. */
  countDelayMs: number;
  /** Ask before sending when the worst-case cost exceeds this (USD). */
  confirmAboveUsd: number;
  /** Refuse to send when the worst-case cost exceeds this (USD). */
  maxRunCostUsd: number;
  /** Extra or overriding prices, USD per million tokens, keyed by model id. */
  priceOverrides: Record<string, Record<string, unknown>>;
  /** Models compared in the cost details' what-if table. */
  whatIfModels: string[];
  historyLocation: HistoryLocation;
}

const section = 'promptWorkbench';
export const defaultApiBaseUrl = 'https://api.anthropic.com';

function read(): WorkbenchSettings {
  const c = vscode.workspace.getConfiguration(section);
  // apiBaseUrl is read from the machine/user level only, whatever a workspace file says.
  const baseUrl = c.inspect<string>('apiBaseUrl');
  return {
    apiBaseUrl: (baseUrl?.globalValue ?? baseUrl?.defaultValue ?? defaultApiBaseUrl).replace(/\/+$/, ''),
    countDelayMs: Math.max(50, c.get<number>('countDelayMs', 400)),
    confirmAboveUsd: c.get<number>('confirmAboveUsd', 0.5),
    maxRunCostUsd: c.get<number>('maxRunCostUsd', 5),
    priceOverrides: c.get<Record<string, Record<string, unknown>>>('priceOverrides', {}),
    whatIfModels: c.get<string[]>('whatIfModels', ['claude-haiku-5-5', 'claude-sonnet-5-5', 'claude-opus-5-5']),
    historyLocation: c.get<HistoryLocation>('historyLocation', 'besidePrompt'),
  };
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
