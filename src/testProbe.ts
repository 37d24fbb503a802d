import type * as vscode from 'vscode';
import type { RunSummary } from './run/runController';

const transcriptLimit = 2_000_000;

/**
 * What the integration tests read that a user's session has no use for: a bounded copy of the
 * output channel (VS Code cannot read one back), the count requests sent, the last run. Created
 * only when the extension runs under its tests (ExtensionMode.Test), so none of it exists for users.
 */
export class TestProbe {
  private transcript = '';
  countRequestsSent = 0;
  lastRun: RunSummary | undefined;
  /** How the tests answer dialogs they cannot click: the unknown-worst-case confirmation, the save dialog. */
  dialogs: { confirmSend?: boolean; saveTarget?: vscode.Uri } = {};

  recordOutput(text: string): void {
    this.transcript += text;
    if (this.transcript.length > transcriptLimit) this.transcript = this.transcript.slice(-transcriptLimit / 2);
  }

  outputText(): string {
    return this.transcript;
  }
}
