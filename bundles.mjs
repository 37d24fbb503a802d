// Every file esbuild writes to dist/, declared once. esbuild.mjs builds them from this list,
// `.vscodeignore` lets exactly these into the .vsix, and test/e2e/vsix.test.ts expects exactly
// these in the package (test/unit/bundles.test.ts checks the first two agree).
//
// Kinds:
//   node     CommonJS for the extension host.
//   sibling  a node bundle another one requires lazily, on its first use. In every other bundle an
//            import of its entry becomes `require('./<file>.js')`, so its code and its module-level
//            state exist once, in its own file. Require it only inside a function (see
//            `lazyFeature` in src/lazyFeature.ts): a static import would load it with its loader,
//            and test/unit/bundles.test.ts fails. `owns` lists the sources (a path, or a folder
//            ending in /) that only load with it: the bundles loaded before it (its `loadedBy`
//            chain) must not contain them, which keeps dist/features.js small.
//   worker   a node bundle a worker thread runs; it may import a library statically.
//   library  a dependency bundled apart (`import 'ajv'` becomes `require('./ajv.js')` everywhere).
//   browser  a webview's IIFE script, loaded by its page.

/**
 * @typedef {{ file: string, kind: 'node' | 'sibling' | 'worker' | 'library' | 'browser', entry?: string, module?: string,
 *   loadedBy?: string, owns?: string[], note: string }} DeclaredBundle
 * @type {DeclaredBundle[]}
 */
export const bundles = [
  { file: 'extension', kind: 'node', entry: 'src/extension.ts', note: 'activation only: a 2 KB shim that requires features.js on first need' },
  {
    file: 'features',
    kind: 'sibling',
    entry: 'src/features.ts',
    loadedBy: 'extension',
    note: 'every feature registered, and what the edit path needs (checks, counts, status bar); loaded by the first prompt, command or panel to restore',
  },
  {
    file: 'datasets',
    kind: 'sibling',
    entry: 'src/datasets/datasetFeature.ts',
    loadedBy: 'features',
    owns: ['src/core/dataset/', 'src/core/scheduler/', 'src/datasets/datasetController.ts', 'src/datasets/datasetPanel.ts'],
    note: 'Run Prompt over Dataset… and its panel: sources, the plan, the scheduler',
  },
  {
    file: 'files',
    kind: 'sibling',
    entry: 'src/files/filesFeature.ts',
    loadedBy: 'features',
    owns: ['src/files/filesFeature.ts', 'src/core/files/workspaceUploads.ts', 'src/core/files/uploadRegistry.ts'],
    note: 'the Files API: workspace file uploads (hash dedupe), produced-file downloads, the Files view; loaded by the first prompt naming a workspace file, a download or the view',
  },
  {
    file: 'batches',
    kind: 'sibling',
    entry: 'src/batches/batchesFeature.ts',
    loadedBy: 'features',
    owns: ['src/core/batch/', 'src/batches/batchJobs.ts', 'src/batches/batchJobStore.ts', 'src/batches/batchPoller.ts', 'src/batches/batchesTree.ts', 'src/batches/batchCommands.ts'],
    note: 'Message Batches: Submit as Batch, the Batches view, polling, joining the results; loaded by the first batch command, the view, or unfinished batches after activation',
  },
  {
    file: 'runs',
    kind: 'sibling',
    entry: 'src/runFeature.ts',
    loadedBy: 'features',
    owns: ['src/run/', 'src/panel/runPanel.ts', 'src/panel/panelModel.ts', 'src/panel/panelMessageGuard.ts', 'src/core/run/'],
    note: 'Run Prompt, Stop, Continue, history: the runner, the run panel host and its model, the output channel',
  },
  {
    file: 'promptCommands',
    kind: 'sibling',
    entry: 'src/promptCommands/promptCommands.ts',
    loadedBy: 'features',
    owns: ['src/core/prompt/curl.ts', 'src/core/prompt/requestExport.ts'],
    note: 'New Prompt, New Prompt from curl, Copy as curl, Copy as TypeScript',
  },
  {
    file: 'caching',
    kind: 'sibling',
    entry: 'src/caching/cachingFeature.ts',
    loadedBy: 'features',
    owns: ['src/caching/cachingFeature.ts', 'src/core/caching/cacheAdvisor.ts'],
    note: "the cache advisor's diagnostics, quick fix and hover; required when a prompt is first checked",
  },
  {
    file: 'spendGate',
    kind: 'sibling',
    entry: 'src/spend/spendGateFeature.ts',
    loadedBy: 'features',
    owns: ['src/spend/spendGateFeature.ts', 'src/core/spend/spendGate.ts', 'src/core/pricing/costGuard.ts'],
    note: 'the spend gate every billed call goes through (the cap and the budget on the worst case, reservations, actual cost); required on the first billed call',
  },
  {
    file: 'spendPanel',
    kind: 'sibling',
    entry: 'src/spend/spendView.ts',
    loadedBy: 'features',
    owns: ['src/spend/spendView.ts', 'src/core/spend/spendReport.ts'],
    note: 'the spend view\'s host (its page is dist/spendView.js): Show Spend, Export Spend as CSV',
  },
  {
    file: 'costDetails',
    kind: 'sibling',
    entry: 'src/costDetails/costDetails.ts',
    loadedBy: 'features',
    owns: ['src/costDetails/costDetails.ts'],
    note: 'Show Cost Details: every figure and a what-if across models, as a Markdown preview',
  },
  {
    file: 'chunking',
    kind: 'sibling',
    entry: 'src/chunking/chunkingFeature.ts',
    loadedBy: 'features',
    owns: ['src/chunking/chunkController.ts', 'src/chunking/chunkPreviewPanel.ts', 'src/core/chunking/chunker.ts', 'src/core/chunking/chunkMap.ts', 'src/core/chunking/chunkPlanFile.ts'],
    note: 'Run Prompt over Chunks…: the chunker sized by count_tokens, the preview panel, the map through the scheduler and the stitch; loaded by its first command',
  },
  { file: 'schemaValidationWorker', kind: 'worker', entry: 'src/core/run/schemaValidationWorker.ts', note: 'the structured-output schema check, in a worker thread' },
  { file: 'anthropic-sdk', kind: 'library', module: '@anthropic-ai/sdk', note: 'the official SDK, on first network use' },
  { file: 'ajv', kind: 'library', module: 'ajv', note: 'JSON Schema validation of structured output, in the worker' },
  { file: 'webview', kind: 'browser', entry: 'src/webview/main.ts', note: 'the run panel' },
  { file: 'datasetGrid', kind: 'browser', entry: 'src/webview/datasetGrid.ts', note: 'the dataset panel: plan, progress, results grid' },
  { file: 'chunkPreview', kind: 'browser', entry: 'src/webview/chunkPreview.ts', note: 'the chunk preview: chunks, their sizes and places, the cost, start, cancel and resume' },
  { file: 'spendView', kind: 'browser', entry: 'src/webview/spend/main.ts', note: 'the spend view' },
];
