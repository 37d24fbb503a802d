import * as vscode from 'vscode';
import { basename } from 'node:path';
import { isPromptDocument } from './promptDocuments';

/**
 * The prompt a job command runs when none was named: the saved prompt in the active editor, or
 * one the user picks from the workspace's `.prompt.json` files (the first 200, node_modules left out).
 */
export async function pickPromptFile(title: string): Promise<vscode.Uri | undefined> {
  const active = vscode.window.activeTextEditor?.document;
  if (isPromptDocument(active) && active.uri.scheme === 'file') return active.uri;
  const found = await vscode.workspace.findFiles('**/*.prompt.json', '**/node_modules/**', 200);
  if (found.length === 0) {
    void vscode.window.showInformationMessage('No .prompt.json file in this workspace: create one first (Prompt Workbench: New Prompt).');
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    found.map((uri) => ({ label: basename(uri.fsPath), description: vscode.workspace.asRelativePath(uri), uri })),
    { title },
  );
  return picked?.uri;
}
