import * as vscode from 'vscode';
import type { ApiConnection } from '../api/apiConnection';
import type { PanelToHost } from '../protocol';
import { isPromptDocument } from '../promptDocuments';

// The "Get started with Prompt Workbench" walkthrough (package.json, contributes.walkthroughs).
// Steps that a command completes use onCommand; the others use these context keys, set the moment
// the user does the thing (never in advance).

export const walkthroughId = 'prompt-workbench.prompt-workbench#promptWorkbench.getStarted';

/** Context keys the walkthrough's onContext completion events read. */
export const walkthroughContext = {
  /** A key is set or the simulator is in use: a run can be sent. */
  apiReady: 'promptWorkbench.apiReady',
  /** Calls go to the local API simulator. */
  simulator: 'promptWorkbench.simulator',
  /** A .prompt.json file was opened in an editor. */
  promptOpened: 'promptWorkbench.walkthrough.promptOpened',
  /** Continue was used in the panel. */
  continued: 'promptWorkbench.walkthrough.continued',
  /** A run was opened, compared or rerun from the panel's history. */
  historyUsed: 'promptWorkbench.walkthrough.historyUsed',
  /** The cost details were shown. */
  costRead: 'promptWorkbench.walkthrough.costRead',
  /** A run was sent. */
  ran: 'promptWorkbench.walkthrough.ran',
} as const;

type StepKey = (typeof walkthroughContext)[keyof typeof walkthroughContext];

async function setContext(key: string, value: boolean): Promise<void> {
  await vscode.commands.executeCommand('setContext', key, value);
}

/** Sets the walkthrough's context keys as the user goes, and registers its commands. */
export class WalkthroughProgress implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  /** The step keys that are true now. */
  private readonly done = new Set<StepKey>();

  constructor(
    private readonly api: ApiConnection,
    showHistory: () => Promise<void>,
  ) {
    this.disposables.push(
      api.onDidChange(() => void this.followApi()),
      vscode.window.onDidChangeActiveTextEditor((editor) => this.followEditor(editor)),
      vscode.commands.registerCommand('promptWorkbench.getStarted', () => this.open()),
      vscode.commands.registerCommand('promptWorkbench.openExample', () => this.openExample()),
      vscode.commands.registerCommand('promptWorkbench.showHistory', showHistory),
    );
    void this.followApi();
    this.followEditor(vscode.window.activeTextEditor);
  }

  /** The user did a step's thing. */
  mark(key: StepKey, value = true): void {
    if (value === this.done.has(key)) return;
    if (value) this.done.add(key);
    else this.done.delete(key);
    void setContext(key, value);
  }

  /**
   * Opens the walkthrough. VS Code's walkthrough service starts on first use, and ticks a step
   * only when its context key changes after that: so the steps the user has already done are set
   * again once it is open, and it shows them done.
   */
  private async open(): Promise<void> {
    const done = [...this.done];
    for (const key of done) await setContext(key, false);
    await vscode.commands.executeCommand('workbench.action.openWalkthrough', walkthroughId, false);
    for (const key of done) if (this.done.has(key)) await setContext(key, true);
  }

  /** The panel's messages that mean a step was done. */
  observePanelMessage(message: PanelToHost): void {
    if (message.type === 'continue') this.mark(walkthroughContext.continued);
    if (message.type === 'openRun' || message.type === 'compareRuns' || message.type === 'rerun') this.mark(walkthroughContext.historyUsed);
  }

  private async followApi(): Promise<void> {
    const target = await this.api.target();
    this.mark(walkthroughContext.apiReady, target !== undefined);
    void setContext(walkthroughContext.simulator, target?.kind === 'simulator');
  }

  private followEditor(editor: vscode.TextEditor | undefined): void {
    if (isPromptDocument(editor?.document)) this.mark(walkthroughContext.promptOpened);
  }

  /** Lets the user pick one of the workspace's prompt files and opens it. */
  private async openExample(): Promise<void> {
    const files = (await vscode.workspace.findFiles('**/*.prompt.json', '**/node_modules/**', 200)).sort((a, b) => a.path.localeCompare(b.path));
    if (files.length === 0) {
      void vscode.window.showInformationMessage('This workspace has no .prompt.json file yet. Create one with "Prompt Workbench: New Prompt".');
      return;
    }
    const picked = await vscode.window.showQuickPick(
      files.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), uri })),
      { title: 'Open a prompt file', placeHolder: 'Choose a .prompt.json file' },
    );
    if (picked) await vscode.window.showTextDocument(picked.uri);
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}
