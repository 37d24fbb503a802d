import * as vscode from 'vscode';
import { requiredBetas } from '../core/models/requiredBetas';
import { promptFromCurl } from '../core/prompt/curl';
import { hasErrors, newPromptTemplate } from '../core/prompt/promptFile';
import { toCurl, toTypeScriptSdk } from '../core/prompt/requestExport';
import type { WorkbenchConfig } from '../config/workbenchConfig';
import { isPromptDocument, type PromptDocuments } from '../promptDocuments';
import { resolveVariables, type RecentVariableValues } from '../variables/variableValues';
import type { KeyRedactor } from '../core/api/keyRedaction';

export interface PromptCommandDeps {
  documents: PromptDocuments;
  config: WorkbenchConfig;
  recent: RecentVariableValues;
  /** A pasted curl command may hold a real key: error messages about it pass through the redactor. */
  redactor: KeyRedactor;
}

/** The folder a new prompt goes in: the explorer selection, else the active file's folder, else the first workspace folder. */
async function targetFolder(clicked: vscode.Uri | undefined): Promise<vscode.Uri | undefined> {
  if (clicked) {
    const stat = await vscode.workspace.fs.stat(clicked);
    return stat.type & vscode.FileType.Directory ? clicked : vscode.Uri.joinPath(clicked, '..');
  }
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active?.scheme === 'file' && vscode.workspace.getWorkspaceFolder(active)) return vscode.Uri.joinPath(active, '..');
  return vscode.workspace.workspaceFolders?.[0]?.uri;
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

/** Writes a new prompt file (never overwriting one) and opens it; an untitled editor when there is no folder. */
async function createPromptFile(clicked: vscode.Uri | undefined, suggestedName: string, text: (name: string) => string): Promise<vscode.Uri | undefined> {
  const folder = await targetFolder(clicked);
  const name = await vscode.window.showInputBox({
    title: 'New prompt',
    prompt: folder ? `Creates NAME.prompt.json in ${vscode.workspace.asRelativePath(folder)}` : 'Name of the prompt',
    value: suggestedName,
    validateInput: (value) => (/^[\w][\w .-]*$/.test(value.trim()) ? undefined : 'Use letters, digits, spaces, dots, dashes or underscores.'),
  });
  if (!name) return undefined;
  const base = name.trim().replace(/\.prompt\.json$/, '');
  if (!folder) {
    const document = await vscode.workspace.openTextDocument({ language: 'json', content: text(base) });
    await vscode.window.showTextDocument(document);
    return document.uri;
  }
  let target = vscode.Uri.joinPath(folder, `${base}.prompt.json`);
  for (let i = 2; await exists(target); i++) target = vscode.Uri.joinPath(folder, `${base}-${i}.prompt.json`);
  await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(text(base)));
  await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(target));
  return target;
}

async function curlFromUser(): Promise<string | undefined> {
  const clipboard = (await vscode.env.clipboard.readText()).trim();
  if (/^curl\s/.test(clipboard)) {
    const choice = await vscode.window.showQuickPick(
      [
        { label: 'Use the curl command on the clipboard', detail: clipboard.slice(0, 200), use: true },
        { label: 'Paste a curl command…', use: false },
      ],
      { title: 'New prompt from curl' },
    );
    if (!choice) return undefined;
    if (choice.use) return clipboard;
  }
  return vscode.window.showInputBox({
    title: 'New prompt from curl',
    prompt: 'Paste a curl command for POST /v1/messages, like the ones in the API docs. Any key in it is dropped.',
    ignoreFocusOut: true,
  });
}

/** The active prompt's request with variables resolved (asking for missing ones) and its betas, or undefined. */
async function resolvedActiveRequest(deps: PromptCommandDeps, uri?: vscode.Uri): Promise<{ request: Record<string, unknown>; betas: string[] } | undefined> {
  const document = uri ? await vscode.workspace.openTextDocument(uri) : vscode.window.activeTextEditor?.document;
  if (!isPromptDocument(document)) {
    void vscode.window.showInformationMessage('Open a .prompt.json file first.');
    return undefined;
  }
  const parsed = deps.documents.validateForSend(document);
  if (!parsed.prompt || hasErrors(parsed.diagnostics)) {
    void vscode.window.showErrorMessage('This prompt has errors; fix the problems shown in the Problems panel first.');
    return undefined;
  }
  let ownValues: Record<string, string>;
  try {
    // validateForSend has just read every named file afresh.
    ownValues = deps.documents.defaults(document, parsed.prompt);
  } catch (error) {
    void vscode.window.showErrorMessage(deps.redactor.errorText(error));
    return undefined;
  }
  const resolved = await resolveVariables(ownValues, parsed.prompt, deps.recent, true);
  return resolved ? { request: resolved.request, betas: requiredBetas(resolved.request, parsed.prompt.betas ?? []).betas } : undefined;
}

/**
 * New Prompt, New Prompt from curl, Copy as curl and Copy as TypeScript. esbuild bundles this file
 * apart (dist/promptCommands.js, see bundles.mjs): features.ts registers the commands at once and
 * requires this on the first one, so the curl parser and the exporters load only when used.
 */
export interface PromptCommands extends vscode.Disposable {
  newPrompt(clicked?: unknown): Promise<vscode.Uri | undefined>;
  newPromptFromCurl(clicked?: unknown): Promise<vscode.Uri | undefined>;
  copyAsCurl(uri?: unknown): Promise<string | undefined>;
  copyAsTypeScript(uri?: unknown): Promise<string | undefined>;
}

export function createPromptCommands(deps: PromptCommandDeps): PromptCommands {
  return {
    newPrompt: (clicked) => createPromptFile(clicked instanceof vscode.Uri ? clicked : undefined, 'my-prompt', newPromptTemplate),
    newPromptFromCurl: async (clicked) => {
      const command = await curlFromUser();
      if (!command) return undefined;
      let json: string;
      try {
        json = `${JSON.stringify(promptFromCurl(command), null, 2)}\n`;
      } catch (error) {
        void vscode.window.showErrorMessage(`Could not read that curl command: ${deps.redactor.errorText(error)}`);
        return undefined;
      }
      return createPromptFile(clicked instanceof vscode.Uri ? clicked : undefined, 'from-curl', () => json);
    },
    copyAsCurl: async (uri) => {
      const resolved = await resolvedActiveRequest(deps, uri instanceof vscode.Uri ? uri : undefined);
      if (!resolved) return undefined;
      let text: string;
      try {
        text = toCurl(resolved.request, { baseUrl: deps.config.settings.apiBaseUrl, betas: resolved.betas });
      } catch (error) {
        void vscode.window.showErrorMessage(`Not copied: ${deps.redactor.errorText(error)}`);
        return undefined;
      }
      await vscode.env.clipboard.writeText(text);
      void vscode.window.showInformationMessage('Copied as curl. It reads the key from $ANTHROPIC_API_KEY.');
      return text;
    },
    copyAsTypeScript: async (uri) => {
      const resolved = await resolvedActiveRequest(deps, uri instanceof vscode.Uri ? uri : undefined);
      if (!resolved) return undefined;
      const text = toTypeScriptSdk(resolved.request, { betas: resolved.betas });
      await vscode.env.clipboard.writeText(text);
      void vscode.window.showInformationMessage('Copied as a TypeScript program using @anthropic-ai/sdk.');
      return text;
    },
    dispose: () => undefined,
  };
}
