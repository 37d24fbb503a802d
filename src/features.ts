import * as vscode from 'vscode';
import { ApiConnection } from './api/apiConnection';
import { redactingLog } from './api/redactingLog';
import { ApiKeyStore } from './apiKey/apiKeyStore';
import { registerApiKeyCommands } from './apiKey/registerApiKeyCommands';
import { registerPromptCodeLens } from './codeLens/promptCodeLens';
import { WorkbenchConfig } from './config/workbenchConfig';
import { isSdkLoaded } from './core/api/apiClient';
import { describeTarget } from './core/api/simulatorOffer';
import type * as BatchesFeatureModule from './batches/batchesFeature';
import type { BatchesFeature } from './batches/batchesFeature';
import { batchCommandIds } from './batches/batchesActivation';
import type * as CostDetailsModule from './costDetails/costDetails';
import { registerCaching } from './caching/registerCaching';
import type * as ChunkingFeatureModule from './chunking/chunkingFeature';
import type { ChunkingFeature } from './chunking/chunkingFeature';
import type * as DatasetFeatureModule from './datasets/datasetFeature';
import type * as FilesFeatureModule from './files/filesFeature';
import { registerFilesView, type LoadedFiles } from './files/registerFilesView';
import type { DatasetFeature } from './datasets/datasetFeature';
import { createNonce, panelHtml } from './panel/panelHtml';
import { registerDatasetCommands } from './datasets/registerDatasetCommands';
import { lazyFeature, registerLazyCommands, type LazyFeature } from './lazyFeature';
import { registerPromptDiagnostics } from './diagnostics/promptDiagnostics';
import { ModelLimits } from './models/modelLimits';
import { Prices } from './pricing/prices';
import type * as PromptCommandsModule from './promptCommands/promptCommands';
import { PromptDocuments, PromptFiles } from './promptDocuments';
import type { RunSummary } from './run/runController';
import type * as RunFeatureModule from './runFeature';
import { SpendTracking } from './spend/spendTracking';
import type * as SpendViewModule from './spend/spendView';
import { CostStatusBar } from './statusBar/costStatusBar';
import type { PromptWorkbenchApi } from './testApi';
import { TestProbe } from './testProbe';
import { RecentVariableValues } from './variables/variableValues';
import { WalkthroughProgress, walkthroughContext } from './walkthrough/walkthroughProgress';

// Every feature, wired. Bundled apart from src/extension.ts and loaded on first need (a prompt
// document, a command, a panel to restore), so activating the extension stays cheap.

export interface Features {
  /** The tests' window into the features: only in ExtensionMode.Test, never in a user's session. */
  api: Omit<PromptWorkbenchApi, 'activationMs' | 'featuresLoaded'> | undefined;
  restorePanel(panel: vscode.WebviewPanel, state: unknown): void;
  /** The Batches view's tree (the batches bundle is loaded now); `onChange` is called whenever it changes. */
  batchesTree(onChange: () => void): vscode.TreeDataProvider<unknown>;
  /** Takes up the batches an earlier window left unfinished (called after activation, never during it). */
  resumeBatches(): void;
}

export function activateFeatures(context: vscode.ExtensionContext): Features {
  const logChannel = vscode.window.createOutputChannel('Prompt Workbench Log', { log: true });
  const probe = context.extensionMode === vscode.ExtensionMode.Test ? new TestProbe() : undefined;
  const config = new WorkbenchConfig();
  const keys = new ApiKeyStore(context.secrets);
  const api = new ApiConnection(config, keys);
  // Every line logged passes through the one key redactor.
  const log = redactingLog(logChannel, api.redactor);
  const limits = new ModelLimits(api);
  const prices = new Prices(config, log);
  const files = new PromptFiles(config);
  const documents = new PromptDocuments(files, (model) => limits.get(model)?.maxOutputTokens);
  const recent = new RecentVariableValues(context.globalState);
  const spend = new SpendTracking({ globalStorageUri: context.globalStorageUri, config, prices, api, log });
  // The Files API feature is a sibling bundle (dist/files.js), required the first time a prompt
  // names a workspace file, a produced file is downloaded, or the Files view is opened.
  const uploads = lazyFeature('files', (): LoadedFiles => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const module = require('./files/filesFeature') as typeof FilesFeatureModule;
    const { feature, tree } = module.createFilesFeature({
      api,
      globalStorageUri: context.globalStorageUri,
      log,
      documents,
      ...(probe ? { pickSaveTarget: async () => probe.dialogs.saveTarget } : {}),
    });
    return { feature, tree, command: (command, row) => module.runFilesCommand(feature, documents, command, row), dispose: () => feature.dispose() };
  });
  // Counts see a prompt's workspace files by their uploads' ids (never uploading while typing).
  const filesForCount = (uri: vscode.Uri, request: Record<string, unknown>): Promise<Record<string, unknown>> => uploads.get().feature.countable(uri, request);
  const statusBar = new CostStatusBar({ documents, api, config, prices, limits, spend, filesForCount, ...(probe ? { onCountSent: () => probe.countRequestsSent++ } : {}) });
  // Cost Details and the spend view are sibling bundles (dist/costDetails.js, dist/spendPanel.js):
  // their commands build them on first use, so the edit path never loads them.
  const costDetails = lazyFeature('costDetails', () =>
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require('./costDetails/costDetails') as typeof CostDetailsModule).createCostDetails({
      documents,
      api,
      config,
      prices,
      limits,
      spend,
      filesForCount,
      onShown: () => walkthrough.mark(walkthroughContext.costRead),
    }),
  );
  const spendView = lazyFeature(
    'spendPanel',
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    () => new (require('./spend/spendView') as typeof SpendViewModule).SpendView({ extensionUri: context.extensionUri, spend, config, log }),
  );
  // Running prompts is a sibling bundle (dist/runs.js, see bundles.mjs): the runner, the panel and
  // the output channel are built on the first run, panel to restore or history to show.
  const runs = lazyFeature('runs', () =>
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require('./runFeature') as typeof RunFeatureModule).createRunFeature({
      extensionUri: context.extensionUri,
      files: () => uploads.get().feature,
      documents,
      api,
      config,
      prices,
      recent,
      log,
      storageUri: context.storageUri,
      spend,
      onPanelMessage: (message) => walkthrough.observePanelMessage(message),
      onPanelPost: (message) => message.type === 'runStarted' && walkthrough.mark(walkthroughContext.ran),
      ...(probe
        ? {
            onOutput: (text: string) => probe.recordOutput(text),
            onRunFinished: (summary: RunSummary) => (probe.lastRun = summary),
            confirmSend: async () => probe.dialogs.confirmSend === true,
          }
        : {}),
    }),
  );
  // New Prompt, from curl, Copy as curl / TypeScript: a sibling bundle too (dist/promptCommands.js).
  const promptCommands = lazyFeature('promptCommands', () =>
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require('./promptCommands/promptCommands') as typeof PromptCommandsModule).createPromptCommands({ documents, config, recent, redactor: api.redactor }),
  );
  const caching = registerCaching({
    parse: (document) => documents.parse(document),
    defaults: (document, prompt) => documents.defaults(document, prompt),
    findPrice: (model) => prices.find(model),
    onDidChangeNamedFiles: documents.onDidChangeNamedFiles,
    onDidChangePrices: config.onDidChange,
  });
  const walkthrough = new WalkthroughProgress(api, () => runs.get().controller.showHistory(vscode.window.activeTextEditor?.document.uri));
  // Datasets are a sibling bundle (dist/datasets.js, see bundles.mjs), required the first time they are used.
  const datasets: LazyFeature<DatasetFeature> = lazyFeature('datasets', () =>
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require('./datasets/datasetFeature') as typeof DatasetFeatureModule).createDatasetFeature(
      context.extensionUri,
      { html: panelHtml, createNonce },
      {
        documents,
        api,
        config,
        prices,
        spend,
        log,
        workspaceState: context.workspaceState,
        storagePath: context.storageUri?.fsPath,
        submitAsBatch: (job) => batches.get().jobs.submit(job),
        files: () => uploads.get().feature,
      },
    ),
  );
  // Batches are a sibling bundle too (dist/batches.js): the first submission, batch command or look
  // at the Batches view loads it, or, a few seconds after activation, batches left unfinished.
  const batches: LazyFeature<BatchesFeature> = lazyFeature('batches', () =>
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require('./batches/batchesFeature') as typeof BatchesFeatureModule).createBatchesFeature({
      api,
      spend,
      documents,
      log,
      workspaceState: context.workspaceState,
      storageUri: context.storageUri,
      files: () => uploads.get().feature,
      showResults: (resultsPath, view, retry) => datasets.get().controller.showBatchResults(resultsPath, view, retry),
      findPrice: (model) => prices.find(model),
      stitchChunks: (record, options) => (record.promptPath ? chunking.get().controller.stitchFinished(record.promptPath, record.resultsPath, options) : Promise.reject(new Error('the job does not name its prompt'))),
    }),
  );
  // Run Prompt over Chunks… is a sibling bundle too (dist/chunking.js): built by its first command.
  const chunking: LazyFeature<ChunkingFeature> = lazyFeature('chunking', () =>
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require('./chunking/chunkingFeature') as typeof ChunkingFeatureModule).createChunkingFeature(
      context.extensionUri,
      { html: panelHtml, createNonce },
      {
        documents, api, config, prices, limits, spend, log, workspaceState: context.workspaceState, storagePath: context.storageUri?.fsPath,
        showRun: (uri, recordId) => runs.get().controller.showRecord(uri, recordId),
        showResults: (resultsPath, view, retry) => datasets.get().controller.showBatchResults(resultsPath, view, retry),
        files: () => uploads.get().feature,
        submitAsBatch: (job) => batches.get().jobs.submitChunks(job),
        ...(probe ? { confirm: async () => probe.dialogs.confirmSend === true } : {}),
      },
    ),
  );
  let followBatchesTree: vscode.Disposable | undefined;
  const batchesTree = (onChange: () => void): vscode.TreeDataProvider<unknown> => {
    const tree = batches.get().tree;
    followBatchesTree ??= tree.onDidChangeTreeData(() => onChange());
    return tree as vscode.TreeDataProvider<unknown>;
  };

  context.subscriptions.push(
    logChannel,
    config,
    keys,
    api,
    limits,
    prices,
    files,
    spend,
    spendView,
    registerLazyCommands(spendView, {
      'promptWorkbench.showSpend': (view) => view.show(),
      'promptWorkbench.exportSpendCsv': (view, target) => view.exportCsv(target instanceof vscode.Uri ? target : undefined),
    }),
    documents,
    statusBar,
    costDetails,
    registerLazyCommands(costDetails, { 'promptWorkbench.showCostDetails': (details, uri) => details.show(uri instanceof vscode.Uri ? uri : undefined) }),
    runs,
    promptCommands,
    walkthrough,
    registerApiKeyCommands(keys, async (key) => void (await (await api.clientForKey(key)).models.list({ limit: 1 })), log, async () => describeTarget(await api.target())),
    registerPromptDiagnostics(documents),
    caching,
    registerLazyCommands(promptCommands, {
      'promptWorkbench.newPrompt': (commands, clicked) => commands.newPrompt(clicked),
      'promptWorkbench.newPromptFromCurl': (commands, clicked) => commands.newPromptFromCurl(clicked),
      'promptWorkbench.copyAsCurl': (commands, uri) => commands.copyAsCurl(uri),
      'promptWorkbench.copyAsTypeScript': (commands, uri) => commands.copyAsTypeScript(uri),
    }),
    registerPromptCodeLens(documents, statusBar),
    registerLazyCommands(runs, { 'promptWorkbench.run': (feature, uri) => feature.controller.run(uri instanceof vscode.Uri ? uri : undefined) }),
    // Nothing runs before the run feature is built: Stop does not build it.
    vscode.commands.registerCommand('promptWorkbench.stop', () => runs.loaded?.controller.stop()),
    datasets,
    registerDatasetCommands(() => datasets.get().controller),
    uploads,
    registerFilesView(() => uploads.get()),
    batches,
    { dispose: () => followBatchesTree?.dispose() },
    chunking,
    registerLazyCommands(chunking, { 'promptWorkbench.runOverChunks': (feature, uri) => feature.controller.runOverChunks(uri instanceof vscode.Uri ? uri : undefined) }),
    registerLazyCommands(batches, Object.fromEntries(batchCommandIds.map((id) => [id, (feature: BatchesFeature, arg: unknown) => feature.command(id, arg)]))),
  );

  const resumeBatches = (): void => void batches.get();
  const restorePanel = (webviewPanel: vscode.WebviewPanel, state: unknown): void => runs.get().restorePanel(webviewPanel, state);
  if (!probe) return { api: undefined, restorePanel, batchesTree, resumeBatches };
  const testApi: Features['api'] = {
    statusBar: () => statusBar.snapshot(),
    countRequestsSent: () => probe.countRequestsSent,
    costDetails: () => costDetails.loaded?.lastDetails(),
    sdkLoaded: isSdkLoaded,
    siblingsLoaded: () => [
      ...[datasets, uploads, batches, runs, promptCommands, costDetails, spendView, chunking].filter((sibling) => sibling.loaded).map((sibling) => sibling.name),
      ...(spend.gateLoaded ? ['spendGate'] : []),
    ],
    panelState: () => runs.get().panelState(),
    outputText: () => probe.outputText(),
    lastRun: () => probe.lastRun,
    historyFile: (uri) => runs.get().controller.historyFileFor(uri).fsPath,
    isRunning: () => runs.loaded?.controller.isRunning() ?? false,
    logUri: () => context.logUri,
    panelMessage: (message) => runs.get().panelMessage(message),
    spend: () => {
      const totals = spend.ledger.totals;
      return {
        monthToDate: spend.monthToDate(),
        ledgerFolder: spend.ledger.folder,
        realUsd: totals.usd,
        realCalls: totals.calls,
        simulatedCalls: totals.simulated.calls,
        countCalls: totals.countCalls,
        lastRefusal: runs.loaded?.controller.lastRefusal,
        warnings: [...spend.warningsShown],
        report: spendView.loaded?.report(),
      };
    },
    datasetPanel: () => ({ ...datasets.get().panel.snapshot(), job: datasets.get().controller.snapshot() }),
    batches: () => batches.get().jobs.snapshot(),
    batchesIdle: () => batches.get().jobs.idle(),
    reloadBatches: (pollPolicy) => batches.get().reload(pollPolicy),
    datasetMessage: async (message) => {
      await datasets.get().controller.handle(message);
      await datasets.get().controller.settled();
    },
    chunkPreview: () => ({ ...chunking.get().panel.snapshot(), job: chunking.get().controller.snapshot() }),
    chunkMessage: async (message, options) => {
      await chunking.get().controller.handle(message);
      if (options?.wait !== false) await chunking.get().controller.settled();
    },
    chunkStitch: async (promptPath, resultsPath) => void (await chunking.get().controller.stitchFinished(promptPath, resultsPath, { asked: true })),
    storeApiKeyForTests: (key: string | undefined) => (key ? keys.store(key) : keys.clear()),
    answerDialogsForTests: (answers) => void (probe.dialogs = answers),
    filesForTests: async () => {
      const feature = uploads.get().feature;
      const scope = await feature.scope();
      return {
        registryFile: feature.registry.file,
        uploads: (await feature.registry.entries(scope)).map((e) => ({ fileId: e.fileId, path: e.path, sha256: e.sha256 })),
        reloadFromStorage: () => feature.reopenRegistry(),
      };
    },
  };
  return { api: testApi, restorePanel, batchesTree, resumeBatches };
}
