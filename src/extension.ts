// Activation only wires a loader: every feature lives in the features bundle (src/features.ts),
// which is required the first time it is needed, so activating costs almost nothing.
import * as vscode from 'vscode';
import { panelViewType } from './panel/panelViewType';
import { batchesViewId, resumeBatchesAfterMs, unsettledBatchJobsKey } from './batches/batchesActivation';
import type * as FeaturesModule from './features';
import type { Features } from './features';
import type { PromptWorkbenchApi } from './testApi';

/** Set by the bundle's first and last statements (see esbuild.mjs); absent when not bundled. */
declare const __promptWorkbenchLoadStart: number | undefined;
declare const __promptWorkbenchLoadEnd: number | undefined;

function isPromptUri(uri: vscode.Uri | undefined): boolean {
  return uri?.path.endsWith('.prompt.json') === true;
}

/** Returns the test API only under the extension's own tests (ExtensionMode.Test); nothing for users. */
export function activate(context: vscode.ExtensionContext): PromptWorkbenchApi | undefined {
  const activateStart = performance.now();
  let features: Features | undefined;
  const commandIds = ((context.extension.packageJSON as { contributes?: { commands?: { command: string }[] } }).contributes?.commands ?? []).map((c) => c.command);

  // Until the features load, each command is a stand-in that loads them and runs the real one.
  const standIns = commandIds.map((id) =>
    vscode.commands.registerCommand(id, (...args: unknown[]) => {
      load();
      return vscode.commands.executeCommand(id, ...args);
    }),
  );
  const triggers: vscode.Disposable[] = [];
  function load(): Features {
    if (features) return features;
    standIns.forEach((d) => d.dispose());
    triggers.forEach((d) => d.dispose());
    // A plain require: the features bundle is loaded synchronously, on first need.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const loaded = require('./features') as typeof FeaturesModule;
    features = loaded.activateFeatures(context);
    return features;
  }

  triggers.push(
    vscode.window.onDidChangeActiveTextEditor((editor) => isPromptUri(editor?.document.uri) && load()),
    vscode.workspace.onDidOpenTextDocument((document) => isPromptUri(document.uri) && load()),
  );
  // The Batches view asks for its items only when it is shown: the features (and the batches
  // bundle) load then, and this stand-in passes on what the real tree says.
  const batchesChanged = new vscode.EventEmitter<void>();
  const batchesTree = (): vscode.TreeDataProvider<unknown> => load().batchesTree(() => batchesChanged.fire());
  context.subscriptions.push(
    ...standIns,
    ...triggers,
    vscode.window.registerWebviewPanelSerializer(panelViewType, {
      deserializeWebviewPanel: async (panel, state: unknown) => load().restorePanel(panel, state),
    }),
    batchesChanged,
    vscode.window.registerTreeDataProvider<unknown>(batchesViewId, {
      onDidChangeTreeData: batchesChanged.event,
      getChildren: (node) => batchesTree().getChildren(node),
      getTreeItem: (node) => batchesTree().getTreeItem(node),
    }),
  );
  // Batches an earlier window left unfinished are polled again, but after activation, never during it.
  if ((context.workspaceState.get<number>(unsettledBatchJobsKey) ?? 0) > 0) {
    const resume = setTimeout(() => load().resumeBatches(), resumeBatchesAfterMs);
    context.subscriptions.push({ dispose: () => clearTimeout(resume) });
  }
  if (vscode.workspace.textDocuments.some((document) => isPromptUri(document.uri))) load();

  if (context.extensionMode !== vscode.ExtensionMode.Test) return undefined;
  const activationMs =
    typeof __promptWorkbenchLoadStart === 'number' && typeof __promptWorkbenchLoadEnd === 'number'
      ? __promptWorkbenchLoadEnd - __promptWorkbenchLoadStart + (performance.now() - activateStart)
      : undefined;
  const api = (): NonNullable<Features['api']> => {
    const testApi = load().api;
    if (!testApi) throw new Error('The features were loaded without their test API.');
    return testApi;
  };
  return {
    statusBar: () => api().statusBar(),
    countRequestsSent: () => api().countRequestsSent(),
    costDetails: () => api().costDetails(),
    sdkLoaded: () => features?.api?.sdkLoaded() ?? false,
    activationMs: () => activationMs,
    featuresLoaded: () => features !== undefined,
    siblingsLoaded: () => features?.api?.siblingsLoaded() ?? [],
    panelState: () => api().panelState(),
    outputText: () => api().outputText(),
    lastRun: () => api().lastRun(),
    historyFile: (uri) => api().historyFile(uri),
    isRunning: () => api().isRunning(),
    logUri: () => context.logUri,
    panelMessage: (message) => api().panelMessage(message),
    spend: () => api().spend(),
    datasetPanel: () => api().datasetPanel(),
    datasetMessage: (message) => api().datasetMessage(message),
    chunkPreview: () => api().chunkPreview(),
    chunkMessage: (message, options) => api().chunkMessage(message, options),
    chunkStitch: (promptPath, resultsPath) => api().chunkStitch(promptPath, resultsPath),
    batches: () => api().batches(),
    batchesIdle: () => api().batchesIdle(),
    reloadBatches: (pollPolicy) => api().reloadBatches(pollPolicy),
    storeApiKeyForTests: (key) => api().storeApiKeyForTests(key),
    answerDialogsForTests: (answers) => api().answerDialogsForTests(answers),
    filesForTests: () => api().filesForTests(),
  };
}

export function deactivate(): void {}
