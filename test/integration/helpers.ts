import * as vscode from 'vscode';
import type { PromptWorkbenchApi } from '../../src/testApi';

export const extensionId = 'prompt-workbench.prompt-workbench';

export async function activateExtension(): Promise<PromptWorkbenchApi> {
  const extension = vscode.extensions.getExtension<PromptWorkbenchApi>(extensionId);
  if (!extension) throw new Error(`${extensionId} is not installed in this extension host`);
  return extension.activate();
}

export function workspaceFile(relative: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the integration tests need a workspace folder');
  return vscode.Uri.joinPath(folder.uri, relative);
}

export async function openPrompt(relative: string): Promise<vscode.TextEditor> {
  const document = await vscode.workspace.openTextDocument(workspaceFile(relative));
  return vscode.window.showTextDocument(document);
}

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
