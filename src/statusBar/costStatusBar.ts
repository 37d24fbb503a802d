import * as vscode from 'vscode';
import { isPromptDocument } from '../promptDocuments';

export interface StatusBarSnapshot {
  visible: boolean;
  text: string;
  tooltip: string;
}

/** The token and cost item shown while a .prompt.json is the active editor. */
export class CostStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('promptWorkbench.cost', vscode.StatusBarAlignment.Right, 100);
  private readonly listeners: vscode.Disposable[] = [];
  private visible = false;

  constructor() {
    this.item.name = 'Prompt Workbench: tokens and cost';
    this.listeners.push(vscode.window.onDidChangeActiveTextEditor((editor) => this.follow(editor)));
    this.follow(vscode.window.activeTextEditor);
  }

  private follow(editor: vscode.TextEditor | undefined): void {
    this.visible = isPromptDocument(editor?.document);
    if (!this.visible) {
      this.item.hide();
      return;
    }
    this.item.text = '$(symbol-numeric) Prompt Workbench';
    this.item.tooltip = 'Prompt Workbench: token counts appear here.';
    this.item.show();
  }

  snapshot(): StatusBarSnapshot {
    const tooltip = this.item.tooltip;
    return { visible: this.visible, text: this.item.text, tooltip: typeof tooltip === 'string' ? tooltip : (tooltip?.value ?? '') };
  }

  dispose(): void {
    this.listeners.forEach((l) => l.dispose());
    this.item.dispose();
  }
}
