// Registers the cache advisor's diagnostics, quick fix and hover. Only this small file is in the
// features bundle: the advisor and its providers' logic (cachingFeature.ts, dist/caching.js) are
// required the first time a prompt is checked.
import * as vscode from 'vscode';
import type * as CachingFeatureModule from './cachingFeature';
import type { CachingDeps, CachingFeature } from './cachingFeature';
import { isPromptDocument, promptSelector } from '../promptDocuments';

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
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  const refresh = (document: vscode.TextDocument): void => {
    if (document.isClosed || !isPromptDocument(document)) return;
    collection.set(document.uri, feature().diagnostics(document));
  };
  const schedule = (document: vscode.TextDocument): void => {
    if (!isPromptDocument(document)) return;
    const key = document.uri.toString();
    clearTimeout(timers.get(key));
    timers.set(key, setTimeout(() => {
      timers.delete(key);
      refresh(document);
    }, debounceMs));
  };
  const refreshAll = (): void => vscode.workspace.textDocuments.filter(isPromptDocument).forEach(schedule);
  refreshAll();

  const disposable = vscode.Disposable.from(
    collection,
    vscode.workspace.onDidOpenTextDocument(schedule),
    vscode.workspace.onDidChangeTextDocument((event) => schedule(event.document)),
    vscode.workspace.onDidCloseTextDocument((document) => {
      clearTimeout(timers.get(document.uri.toString()));
      collection.delete(document.uri);
    }),
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
    { dispose: () => timers.forEach((timer) => clearTimeout(timer)) },
  );
  return { dispose: () => disposable.dispose(), feature };
}
