import * as vscode from 'vscode';
import type { PromptDiagnostic } from '../core/prompt/promptFile';
import { isPromptDocument, type PromptDocuments } from '../promptDocuments';

const severities: Record<PromptDiagnostic['severity'], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

export function toVsDiagnostic(document: vscode.TextDocument, problem: PromptDiagnostic): vscode.Diagnostic {
  const range = new vscode.Range(document.positionAt(problem.offset), document.positionAt(problem.offset + problem.length));
  const diagnostic = new vscode.Diagnostic(range, problem.message, severities[problem.severity]);
  diagnostic.source = 'Prompt Workbench';
  diagnostic.code = problem.code;
  if (problem.code === 'unused-variable') diagnostic.tags = [vscode.DiagnosticTag.Unnecessary];
  return diagnostic;
}

/** Problems in .prompt.json files, in the Problems panel at their exact ranges, updated as the user types. */
export function registerPromptDiagnostics(documents: PromptDocuments, debounceMs = 150): vscode.Disposable {
  const collection = vscode.languages.createDiagnosticCollection('promptWorkbench');
  const timers = new Map<string, ReturnType<typeof setTimeout>>();

  const refresh = (document: vscode.TextDocument): void => {
    if (document.isClosed) return;
    const parsed = documents.parse(document);
    collection.set(document.uri, parsed.diagnostics.map((problem) => toVsDiagnostic(document, problem)));
  };
  const schedule = (document: vscode.TextDocument): void => {
    if (!isPromptDocument(document)) return;
    const key = document.uri.toString();
    clearTimeout(timers.get(key));
    // Debounced: a burst of keystrokes in a large prompt costs one parse, after the pause.
    timers.set(key, setTimeout(() => {
      timers.delete(key);
      refresh(document);
    }, debounceMs));
  };

  vscode.workspace.textDocuments.filter(isPromptDocument).forEach(refresh);
  return vscode.Disposable.from(
    collection,
    vscode.workspace.onDidOpenTextDocument((document) => isPromptDocument(document) && refresh(document)),
    // A file a prompt names appeared, changed or went away, or the folder was trusted.
    documents.onDidChangeNamedFiles(() => vscode.workspace.textDocuments.filter(isPromptDocument).forEach(refresh)),
    vscode.workspace.onDidChangeTextDocument((event) => schedule(event.document)),
    vscode.workspace.onDidCloseTextDocument((document) => {
      clearTimeout(timers.get(document.uri.toString()));
      collection.delete(document.uri);
    }),
    { dispose: () => timers.forEach((timer) => clearTimeout(timer)) },
  );
}
