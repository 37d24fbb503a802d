import * as vscode from 'vscode';

/** The *Prompt Workbench* output channel where responses stream. */
export class ResponseChannel implements vscode.Disposable {
  /** Created on the first run, not at activation. */
  private channel: vscode.OutputChannel | undefined;

  /** `onWrite` sees everything printed (the tests' copy; absent in a user's session). */
  constructor(private readonly onWrite?: (text: string) => void) {}

  startRun(title: string): void {
    this.write(`\n━━ ${title}\n`);
  }

  append(text: string): void {
    this.write(text);
  }

  endRun(note: string): void {
    this.write(`\n━━ ${note}\n`);
  }

  private write(text: string): void {
    this.channel ??= vscode.window.createOutputChannel('Prompt Workbench');
    this.channel.append(text);
    this.onWrite?.(text);
  }

  dispose(): void {
    this.channel?.dispose();
  }
}
