import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
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
export async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 10_000, describeState?: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${describeState ? `; state: ${describeState()}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Writes a .prompt.json into the workspace and returns its URI. */
export async function writePrompt(name: string, request: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<vscode.Uri> {
  const uri = workspaceFile(`${name}.prompt.json`);
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(JSON.stringify({ name, ...extra, request }, null, 2)));
  return uri;
}

/** Reverts every edited document and closes all editors, so each test starts from the files on disk. */
export async function resetEditors(): Promise<void> {
  for (const document of vscode.workspace.textDocuments) {
    if (!document.isDirty || document.isUntitled) continue;
    // Put the text on disk back (reverting by command may ask a question, which tests cannot answer).
    const onDisk = new TextDecoder().decode(await vscode.workspace.fs.readFile(document.uri));
    const edit = new vscode.WorkspaceEdit();
    edit.replace(document.uri, new vscode.Range(document.positionAt(0), document.positionAt(document.getText().length)), onDisk);
    await vscode.workspace.applyEdit(edit);
    await document.save();
  }
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

/** Every file below `dir` (none when it does not exist). */
export function filesUnder(dir: string): string[] {
  try {
    return readdirSync(dir).flatMap((name) => {
      const full = join(dir, name);
      return statSync(full).isDirectory() ? filesUnder(full) : [full];
    });
  } catch {
    return [];
  }
}
