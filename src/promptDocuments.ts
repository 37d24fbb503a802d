import type * as vscode from 'vscode';

/** `*.prompt.json` stays in the JSON language; the file name is what marks a prompt. */
export function isPromptDocument(document: vscode.TextDocument | undefined): document is vscode.TextDocument {
  return document !== undefined && document.uri.path.endsWith('.prompt.json');
}

export const promptSelector: vscode.DocumentSelector = [
  { language: 'json', pattern: '**/*.prompt.json' },
  { language: 'jsonc', pattern: '**/*.prompt.json' },
];
