// Registers the cache advisor's diagnostics, quick fix and hover. Only this small file is in the
// features bundle: the advisor and its providers' logic (cachingFeature.ts, dist/caching.js) are
// required the first time a prompt is checked.
import * as vscode from 'vscode';
import type * as CachingFeatureModule from './cachingFeature';
import type { CachingDeps, CachingFeature } from './cachingFeature';
import { followPromptEdits, isPromptDocument, promptSelector } from '../promptDocuments';

export interface RegisteredCaching extends vscode.Disposable {
  /** The feature (loading it if needed), for the tests. */
  feature(): CachingFeature;
}

export function registerCaching(deps: CachingDeps & { onDidChangeNamedFiles: vscode.Event<void>; onDidChangePrices: vscode.Event<unknown> }, debounceMs = 250): RegisteredCaching {
  let loaded: CachingFeature | undefined;
  const feature = (): CachingFeature => {
    if (!loaded) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { createCachingFeature } = require('./cachingFeature') as typeof CachingFeatureModule;
      loaded = createCachingFeature(deps);
    }
    return loaded;
  };
  const collection = vscode.languages.createDiagnosticCollection('promptWorkbench.caching');
  const edits = followPromptEdits(
    debounceMs,
    (document) => isPromptDocument(document) && collection.set(document.uri, feature().diagnostics(document)),
    (document) => collection.delete(document.uri),
  );
  const refreshAll = (): void => vscode.workspace.textDocuments.filter(isPromptDocument).forEach(edits.schedule);
  refreshAll();

  const disposable = vscode.Disposable.from(
    collection,
    edits,
    vscode.workspace.onDidOpenTextDocument(edits.schedule),
    deps.onDidChangeNamedFiles(refreshAll),
    deps.onDidChangePrices(refreshAll),
    vscode.languages.registerCodeActionsProvider(
      promptSelector,
      {
        provideCodeActions: (document, range, context) => feature().codeActions(document, range, context),
        resolveCodeAction: (action) => feature().resolveCodeAction(action),
      },
      { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] },
    ),
    vscode.languages.registerHoverProvider(promptSelector, { provideHover: (document, position) => feature().hover(document, position) }),
  );
  return { dispose: () => disposable.dispose(), feature };
}
