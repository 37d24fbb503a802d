import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import * as vscode from 'vscode';
import { parsePromptFile, validateForSend, type ParsedPrompt, type PromptFile, type PromptParseOptions } from './core/prompt/promptFile';
import { collectDefaults } from './core/prompt/template';

/** `*.prompt.json` stays in the JSON language; the file name is what marks a prompt. */
export function isPromptDocument(document: vscode.TextDocument | undefined): document is vscode.TextDocument {
  return document !== undefined && document.uri.path.endsWith('.prompt.json');
}

export const promptSelector: vscode.DocumentSelector = [
  { scheme: 'file', language: 'json', pattern: '**/*.prompt.json' },
  { scheme: 'file', language: 'jsonc', pattern: '**/*.prompt.json' },
];

/** Resolves a path as written in a prompt (relative to the prompt file) to an absolute path. */
export function promptRelativePath(document: vscode.TextDocument, relative: string): string | undefined {
  if (document.uri.scheme !== 'file') return undefined;
  return isAbsolute(relative) ? relative : resolve(dirname(document.uri.fsPath), relative);
}

/** Reads a file named in a prompt (relative to it); throws when the prompt is unsaved or the file unreadable. */
export function readPromptFile(document: vscode.TextDocument, relative: string): string {
  const path = promptRelativePath(document, relative);
  if (path === undefined) throw new Error('the prompt is not saved in a folder');
  return readFileSync(path, 'utf8');
}

/** The values a prompt supplies itself (defaults, file variables, values file), before anything is asked. */
export function promptDefaults(document: vscode.TextDocument, prompt: PromptFile): Record<string, string> {
  return collectDefaults(prompt, (relative) => readPromptFile(document, relative));
}

function parseOptions(document: vscode.TextDocument, maxOutputTokens: (model: string) => number | undefined): PromptParseOptions {
  return {
    // Untitled and virtual documents have no folder to resolve against: do not flag their files.
    fileExists: (relative) => {
      const path = promptRelativePath(document, relative);
      return path === undefined || existsSync(path);
    },
    readFile: (relative) => {
      const path = promptRelativePath(document, relative);
      if (path === undefined || !existsSync(path)) return undefined;
      return readFileSync(path, 'utf8');
    },
    maxOutputTokens,
  };
}

/**
 * One parse per document version, shared by diagnostics, the status bar, CodeLens and the run
 * command, so typing in a large prompt parses it once rather than once per feature.
 */
export class PromptDocuments implements vscode.Disposable {
  private readonly cache = new Map<string, { version: number; parsed: ParsedPrompt }>();
  private readonly closed = vscode.workspace.onDidCloseTextDocument((document) => this.cache.delete(document.uri.toString()));

  constructor(private readonly maxOutputTokens: (model: string) => number | undefined = () => undefined) {}

  /** The live (bounded) parse used while typing. */
  parse(document: vscode.TextDocument): ParsedPrompt {
    const key = document.uri.toString();
    const hit = this.cache.get(key);
    if (hit && hit.version === document.version) return hit.parsed;
    const parsed = parsePromptFile(document.getText(), parseOptions(document, this.maxOutputTokens));
    this.cache.set(key, { version: document.version, parsed });
    return parsed;
  }

  /** The full check run before sending, whatever the size. */
  validateForSend(document: vscode.TextDocument): ParsedPrompt {
    const live = this.parse(document);
    if (!live.diagnostics.some((d) => d.code === 'too-large-to-validate')) return live;
    return validateForSend(document.getText(), parseOptions(document, this.maxOutputTokens));
  }

  dispose(): void {
    this.closed.dispose();
    this.cache.clear();
  }
}
