// The batches feature, built on first need. esbuild bundles this file apart (dist/batches.js, see
// bundles.mjs); the features bundle requires it only when a batch is submitted, a batch command
// runs, the Batches view is first shown, or (a moment after activation) when an earlier window
// left batches unfinished.
import type * as vscode from 'vscode';
import type { PollPolicy } from '../core/batch/batchPolling';
import { runBatchCommand } from './batchCommands';
import type { BatchCommandId } from './batchesActivation';
import { BatchJobs, type BatchesDeps } from './batchJobs';
import { BatchesTree } from './batchesTree';

export type { BatchesDeps } from './batchJobs';

export interface BatchesFeature extends vscode.Disposable {
  readonly jobs: BatchJobs;
  /** The Batches view's data: the same object for the feature's life. */
  readonly tree: BatchesTree;
  /** Runs a batch command (registered by the features bundle under its id). */
  command(id: BatchCommandId, arg: unknown): Promise<void>;
  /**
   * Drops the jobs' in-memory state (poller, schedule, reservations) and builds it again from the
   * workspace state, as a new window does. For the reload test; the tests may shorten the delays.
   */
  reload(pollPolicy?: PollPolicy): void;
}

export function createBatchesFeature(deps: BatchesDeps): BatchesFeature {
  const tree: BatchesTree = new BatchesTree(() => jobs.views());
  let jobs = new BatchJobs(deps, () => tree.refresh());
  return {
    get jobs() {
      return jobs;
    },
    tree,
    command: (id, arg) => runBatchCommand(jobs, id, arg),
    reload: (pollPolicy) => {
      jobs.dispose();
      jobs = new BatchJobs({ ...deps, ...(pollPolicy ? { pollPolicy } : {}) }, () => tree.refresh());
      tree.refresh();
    },
    dispose: () => {
      jobs.dispose();
      tree.dispose();
    },
  };
}
