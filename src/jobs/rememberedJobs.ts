import type * as vscode from 'vscode';

/**
 * The unfinished jobs of a kind, remembered in workspace state (the last 20) so that after a window
 * reload the same command offers to resume them. Each is known by its results file.
 */
export class RememberedJobs<Job extends { promptPath: string; resultsPath: string }> {
  constructor(
    private readonly workspaceState: vscode.Memento,
    private readonly key: string,
    /** The job's own path fields (besides promptPath and resultsPath) that must be strings. */
    private readonly paths: readonly Exclude<keyof Job, 'promptPath' | 'resultsPath'>[],
  ) {}

  all(): Job[] {
    const value = this.workspaceState.get<unknown>(this.key);
    if (!Array.isArray(value)) return [];
    const fields = ['promptPath', 'resultsPath', ...this.paths] as string[];
    // Workspace state outlives versions: an entry of another shape is passed over.
    return value.filter((job): job is Job => typeof job === 'object' && job !== null && fields.every((field) => typeof (job as Record<string, unknown>)[field] === 'string'));
  }

  async remember(job: Job): Promise<void> {
    await this.workspaceState.update(this.key, [...this.all().filter((j) => j.resultsPath !== job.resultsPath), job].slice(-20));
  }

  async forget(resultsPath: string): Promise<void> {
    await this.workspaceState.update(this.key, this.all().filter((j) => j.resultsPath !== resultsPath));
  }
}
