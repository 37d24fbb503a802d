import * as vscode from 'vscode';
import type { PromptDiagnostic } from '../core/prompt/promptFile';
import { followPromptEdits, isPromptDocument, type PromptDocuments } from '../promptDocuments';

const severities: Record<PromptDiagnostic['severity'], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

function diagnosticKey(d: vscode.Diagnostic): string {
  return `${String(d.code)}@${d.range.start.line}:${d.range.start.character}-${d.range.end.line}:${d.range.end.character} ${d.message}`;
}

/** Compared by content, so publishing the same set again (which fires the change event) is skipped. */
function sameDiagnostics(a: readonly vscode.Diagnostic[], b: readonly vscode.Diagnostic[]): boolean {
  return a.length === b.length && a.every((d, i) => diagnosticKey(d) === diagnosticKey(b[i] as vscode.Diagnostic));
}

export function toVsDiagnostic(document: vscode.TextDocument, problem: PromptDiagnostic): vscode.Diagnostic {
  const range = new vscode.Range(document.positionAt(problem.offset), document.positionAt(problem.offset + problem.length));
  const diagnostic = new vscode.Diagnostic(range, problem.message, severities[problem.severity]);
  diagnostic.source = ourSource;
  diagnostic.code = problem.code;
  if (problem.code === 'unused-variable') diagnostic.tags = [vscode.DiagnosticTag.Unnecessary];
  return diagnostic;
}

/**
 * One report per problem. VS Code's own JSON support checks every .prompt.json too: its syntax
 * check always runs, and its schema check (contributes.jsonValidation) reports types, required
 * fields, allowed values and deprecated keys. Where it reports a problem, the Problems panel shows
 * it once, from VS Code; the extension reports what the schema cannot know (variables, files,
 * model limits, the API version's rules) and anything VS Code left unreported. Syntax errors are
 * always VS Code's. The extension still refuses to send a prompt with any error of its own.
 */
export function withoutReportsOfOthers(ours: readonly vscode.Diagnostic[], all: readonly vscode.Diagnostic[]): vscode.Diagnostic[] {
  const theirs = all.filter((d) => d.source !== ourSource);
  return ours.filter(
    (d) => d.code !== 'json-syntax' && !theirs.some((other) => other.range.start.line === d.range.start.line && other.range.intersection(d.range) !== undefined),
  );
}

const ourSource = 'Prompt Workbench';

/** Problems in .prompt.json files, in the Problems panel at their exact ranges, updated as the user types. */
export function registerPromptDiagnostics(documents: PromptDocuments, debounceMs = 150): vscode.Disposable {
  const collection = vscode.languages.createDiagnosticCollection('promptWorkbench');

  /** Each document's own problems, before the ones VS Code also reports are left out. */
  const own = new Map<string, vscode.Diagnostic[]>();
  const publish = (uri: vscode.Uri): void => {
    const mine = own.get(uri.toString());
    if (mine) collection.set(uri, withoutReportsOfOthers(mine, vscode.languages.getDiagnostics(uri)));
  };
  const refresh = (document: vscode.TextDocument): void => {
    if (document.isClosed) return;
    const parsed = documents.parse(document);
    own.set(document.uri.toString(), parsed.diagnostics.map((problem) => toVsDiagnostic(document, problem)));
    publish(document.uri);
  };
  const edits = followPromptEdits(debounceMs, refresh, (document) => {
    own.delete(document.uri.toString());
    collection.delete(document.uri);
  });

  vscode.workspace.textDocuments.filter(isPromptDocument).forEach(refresh);
  return vscode.Disposable.from(
    collection,
    edits,
    vscode.workspace.onDidOpenTextDocument((document) => isPromptDocument(document) && refresh(document)),
    // A file a prompt names appeared, changed or went away, or the folder was trusted.
    documents.onDidChangeNamedFiles(() => vscode.workspace.textDocuments.filter(isPromptDocument).forEach(refresh)),
    // VS Code's JSON check reports after ours, and again as the user types.
    vscode.languages.onDidChangeDiagnostics((event) => {
      for (const uri of event.uris) {
        const mine = own.get(uri.toString());
        if (!mine) continue;
        const next = withoutReportsOfOthers(mine, vscode.languages.getDiagnostics(uri));
        // Our own set() fires this event too: publish only when the outcome changes.
        if (!sameDiagnostics(next, collection.get(uri) ?? [])) collection.set(uri, next);
      }
    }),
  );
}
