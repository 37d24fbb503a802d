// Continuing a conversation writes the new turns into the prompt file itself (or a copy), so the
// whole history stays in the file the user owns and is resent on the next run.
import * as vscode from 'vscode';
import { appendTurnsToText } from '../core/run/conversation';

function formatting(document: vscode.TextDocument): { tabSize: number; insertSpaces: boolean; eol: string } {
  const editor = vscode.window.visibleTextEditors.find((e) => e.document === document);
  const tabSize = typeof editor?.options.tabSize === 'number' ? editor.options.tabSize : 2;
  const insertSpaces = editor?.options.insertSpaces !== false;
  return { tabSize, insertSpaces, eol: document.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n' };
}

/** Appends turns to the prompt in place (an undoable edit, then saved). */
export async function appendTurnsToPrompt(uri: vscode.Uri, turns: readonly Record<string, unknown>[], requestFields: Record<string, unknown> = {}): Promise<vscode.Uri | undefined> {
  const document = await vscode.workspace.openTextDocument(uri);
  const text = document.getText();
  const next = appendTurnsToText(text, turns, formatting(document), requestFields);
  const edit = new vscode.WorkspaceEdit();
  edit.replace(uri, new vscode.Range(document.positionAt(0), document.positionAt(text.length)), next);
  if (!(await vscode.workspace.applyEdit(edit))) {
    void vscode.window.showErrorMessage('Could not update the prompt file.');
    return undefined;
  }
  await document.save();
  return uri;
}

/** Writes a copy of the prompt with the turns appended, next to it, and opens it. */
export async function writeContinuedPrompt(uri: vscode.Uri, turns: readonly Record<string, unknown>[], requestFields: Record<string, unknown> = {}): Promise<vscode.Uri> {
  const document = await vscode.workspace.openTextDocument(uri);
  const next = appendTurnsToText(document.getText(), turns, formatting(document), requestFields);
  const base = uri.path.replace(/\.prompt\.json$/, '').replace(/-turn\d+$/, '');
  let target: vscode.Uri | undefined;
  for (let i = 2; ; i++) {
    target = uri.with({ path: `${base}-turn${i}.prompt.json` });
    try {
      await vscode.workspace.fs.stat(target);
    } catch {
      break;
    }
  }
  await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(next));
  await vscode.window.showTextDocument(target, { preview: false });
  return target;
}
