import * as vscode from 'vscode';

const transcriptLimit = 2_000_000;

/**
 * The *Prompt Workbench* output channel where responses stream. Keeps a bounded copy of what it
 * printed, because VS Code offers no way to read an output channel back (the tests read this).
 */
export class ResponseChannel implements vscode.Disposable {
  /** Created on the first run, not at activation. */
  private channel: vscode.OutputChannel | undefined;
  private transcript = '';

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
    this.transcript += text;
    if (this.transcript.length > transcriptLimit) this.transcript = this.transcript.slice(-transcriptLimit / 2);
  }

  text(): string {
    return this.transcript;
  }

  dispose(): void {
    this.channel?.dispose();
  }
}
