// What src/extension.ts and src/features.ts need of the batches feature before its bundle loads,
// and nothing else: it is bundled into the activation shim and the features bundle, so it imports nothing.

/** The Batches view (package.json `views`). */
export const batchesViewId = 'promptWorkbench.batches';

/** Workspace state: how many batch jobs are not settled yet (a number, cheap to read at activation). */
export const unsettledBatchJobsKey = 'promptWorkbench.batchJobs.unsettled';

/** How long after activation unfinished batches of an earlier window are taken up again. */
export const resumeBatchesAfterMs = 3_000;

/** The batch commands: the features bundle registers these ids and hands each call to the batches bundle. */
export const batchCommandIds = [
  'promptWorkbench.showBatches',
  'promptWorkbench.refreshBatches',
  'promptWorkbench.cancelBatch',
  'promptWorkbench.openBatchResults',
  'promptWorkbench.retryBatchFailed',
  'promptWorkbench.forgetBatch',
  'promptWorkbench.stitchBatchChunks',
] as const;

export type BatchCommandId = (typeof batchCommandIds)[number];
