import * as vscode from 'vscode';
import { chunkedVariable } from '../core/chunking/chunkDeclaration';
import { statusText, type CostSummary } from '../core/pricing/costReport';
import { promptSelector, type PromptDocuments } from '../promptDocuments';

/** The live figures the lens repeats: the status bar provides them (wired in features.ts). */
export interface LiveCostFigures {
  summaryFor(document: vscode.TextDocument): CostSummary | undefined;
  readonly onDidChangeSummary: vscode.Event<void>;
}

/** Actions at the top of a .prompt.json: only ones that exist, so no lens is dead. */
export function registerPromptCodeLens(documents: PromptDocuments, statusBar: LiveCostFigures): vscode.Disposable {
  const changed = new vscode.EventEmitter<void>();
  const provider: vscode.CodeLensProvider = {
    onDidChangeCodeLenses: changed.event,
    provideCodeLenses(document) {
      const top = new vscode.Range(0, 0, 0, 0);
      const parsed = documents.parse(document);
      if (!parsed.prompt) return [new vscode.CodeLens(top, { title: '$(warning) Fix the problems to run or count this prompt', command: 'workbench.actions.view.problems' })];
      const summary = statusBar.summaryFor(document);
      return [
        // A prompt that chunks a long input runs over its chunks (a preview first), not as one request.
        chunkedVariable(parsed.prompt)
          ? new vscode.CodeLens(top, { title: '$(list-ordered) Run over Chunks…', command: 'promptWorkbench.runOverChunks', arguments: [document.uri], tooltip: 'Cut the long input into chunks sized by count_tokens, preview them and their cost, then run (nothing is sent before you start)' })
          : new vscode.CodeLens(top, { title: '$(play) Run', command: 'promptWorkbench.run', arguments: [document.uri], tooltip: 'Run this prompt (streams into the Prompt Workbench panel)' }),
        new vscode.CodeLens(top, {
          title: summary ? `$(symbol-numeric) ${statusText(summary)}` : '$(symbol-numeric) Count tokens and cost',
          command: 'promptWorkbench.showCostDetails',
          arguments: [document.uri],
          tooltip: 'Token count, expected / worst-case / batch cost, and a what-if across models',
        }),
        new vscode.CodeLens(top, { title: 'Copy as curl', command: 'promptWorkbench.copyAsCurl', arguments: [document.uri] }),
        new vscode.CodeLens(top, { title: 'Copy as TypeScript', command: 'promptWorkbench.copyAsTypeScript', arguments: [document.uri] }),
      ];
    },
  };
  return vscode.Disposable.from(
    changed,
    vscode.languages.registerCodeLensProvider(promptSelector, provider),
    statusBar.onDidChangeSummary(() => changed.fire()),
  );
}
