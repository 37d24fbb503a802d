// The Batches commands. The features bundle registers their ids (batchesActivation.ts) and hands
// each call here, in the batches bundle, so the commands add next to nothing to the features. From
// the view they get the job's node (context menus) or its id (the item's click); from the palette,
// nothing, and ask.
import * as vscode from 'vscode';
import type { BatchRecord } from '../core/batch/batchRecord';
import type { BatchJobs } from './batchJobs';
import { batchesViewId, type BatchCommandId } from './batchesActivation';

function jobIdOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  const node = arg as { kind?: unknown; job?: { jobId?: unknown } } | undefined;
  return typeof node?.job?.jobId === 'string' ? node.job.jobId : undefined;
}

async function pickJob(jobs: BatchJobs, title: string, which: (record: BatchRecord) => boolean): Promise<string | undefined> {
  const candidates = jobs.records().filter(which);
  if (candidates.length === 0) {
    void vscode.window.showInformationMessage('No batch job fits. Submit one from a dataset plan (Run Prompt over Dataset…, then Submit as Batch).');
    return undefined;
  }
  if (candidates.length === 1) return candidates[0]?.jobId;
  const picked = await vscode.window.showQuickPick(
    candidates.map((record) => ({ label: `${record.promptName} × ${record.datasetPath.split(/[\\/]/).pop() ?? ''}`, description: record.parts.map((p) => p.id).join(', '), detail: `created ${record.createdAt}`, jobId: record.jobId })),
    { title },
  );
  return picked?.jobId;
}

const unfinished = (r: BatchRecord): boolean => r.parts.some((p) => p.processingStatus !== 'ended');
const withResults = (r: BatchRecord): boolean => r.parts.some((p) => p.joined !== undefined);
const settled = (r: BatchRecord): boolean => r.parts.every((p) => p.joined === 'done');

/** Runs one of the batch commands (batchCommandIds) with the argument VS Code passed. */
export async function runBatchCommand(jobs: BatchJobs, id: BatchCommandId, arg: unknown): Promise<void> {
  switch (id) {
    case 'promptWorkbench.showBatches':
      await vscode.commands.executeCommand(`${batchesViewId}.focus`);
      return;
    case 'promptWorkbench.refreshBatches':
      return jobs.refresh();
    case 'promptWorkbench.cancelBatch': {
      const jobId = jobIdOf(arg) ?? (await pickJob(jobs, 'Cancel which batch job?', unfinished));
      if (jobId) await jobs.cancel(jobId);
      return;
    }
    case 'promptWorkbench.openBatchResults': {
      const jobId = jobIdOf(arg) ?? (await pickJob(jobs, 'Open the results of which batch job?', withResults));
      if (jobId) await jobs.openResults(jobId);
      return;
    }
    case 'promptWorkbench.retryBatchFailed': {
      const jobId = jobIdOf(arg) ?? (await pickJob(jobs, 'Retry the failed rows of which batch job?', settled));
      if (jobId) await jobs.retryFailed(jobId);
      return;
    }
    case 'promptWorkbench.stitchBatchChunks': {
      const jobId = jobIdOf(arg) ?? (await pickJob(jobs, 'Stitch the chunks of which batch job?', (r) => r.chunked !== undefined && settled(r)));
      if (jobId) await jobs.stitch(jobId);
      return;
    }
    case 'promptWorkbench.forgetBatch': {
      const jobId = jobIdOf(arg) ?? (await pickJob(jobs, 'Remove which ended batch job from the list?', settled));
      if (jobId) await jobs.forget(jobId);
      return;
    }
  }
}
