// Where batch jobs are kept between windows. The records (core's BatchRecord: ids, hashes, the
// mapping's path and hash, times, the estimate, each batch's last known state) live in the
// workspace's memento, out of the workspace folder's reach; the files that are too big for it
// (the custom_id mapping, and what the job was made from, for a retry) live in the extension's
// workspace storage folder. A count of unsettled jobs is kept under a key of its own, so that
// activation can decide whether to come back for them without reading the records.
import type * as vscode from 'vscode';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isJobSettled, type BatchRecord } from '../core/batch/batchRecord';
import type { MapChunk } from '../core/chunking/chunkMap';
import type { DatasetPlan } from '../core/dataset/datasetPlan';
import type { PromptFile } from '../core/prompt/promptFile';
import { unsettledBatchJobsKey } from './batchesActivation';

export const BATCH_JOBS_KEY = 'promptWorkbench.batchJobs';
/** Settled jobs beyond this many are forgotten, oldest first (their files stay where they are). */
const KEPT_SETTLED = 50;

/** What a job was made from, so its failed rows can be sent again after a reload. */
export interface BatchJobInputs {
  prompt: PromptFile;
  promptValues: Record<string, string>;
  plan: DatasetPlan;
  /** The workspace folder every path of the job stays inside. */
  root: string;
}

/** What a chunked run's batch was made from, so its failed chunks can be sent again after a reload. */
export interface ChunkJobInputs {
  promptPath: string;
  promptName: string;
  prompt: PromptFile;
  model: string;
  maxTokens: number;
  expectedOutputTokens: number;
  fast: boolean;
  betas: string[];
  variable: string;
  sourcePath: string;
  /** Every chunk of the run, each with the request the map sends. */
  chunks: MapChunk[];
  /** The workspace folder every path of the job stays inside. */
  root: string;
}

function isRecord(value: unknown): value is BatchRecord {
  const r = value as Partial<BatchRecord> | null;
  return typeof r === 'object' && r !== null && typeof r.jobId === 'string' && /^[A-Za-z0-9_-]{1,80}$/.test(r.jobId) && Array.isArray(r.parts) && typeof r.resultsPath === 'string' && typeof r.mapping?.path === 'string';
}

export class BatchJobStore {
  constructor(
    private readonly state: vscode.Memento,
    /** The extension's workspace storage folder (context.storageUri). */
    private readonly folder: string,
  ) {}

  /** Every job, newest first. */
  all(): BatchRecord[] {
    const value = this.state.get<unknown>(BATCH_JOBS_KEY);
    return Array.isArray(value) ? value.filter(isRecord) : [];
  }

  get(jobId: string): BatchRecord | undefined {
    return this.all().find((r) => r.jobId === jobId);
  }

  /** Adds or replaces the job's record (called as each batch is created, polled and joined). */
  async save(record: BatchRecord): Promise<void> {
    const all = this.all();
    const at = all.findIndex((r) => r.jobId === record.jobId);
    const next = at < 0 ? [record, ...all] : all.map((r, i) => (i === at ? record : r));
    const settled = next.filter((r) => isJobSettled(r));
    const dropped = new Set(settled.slice(KEPT_SETTLED).map((r) => r.jobId));
    await this.write(next.filter((r) => !dropped.has(r.jobId)));
  }

  /** Forgets a job: its results file stays; its mapping and inputs in storage are deleted. */
  async forget(jobId: string): Promise<void> {
    await this.write(this.all().filter((r) => r.jobId !== jobId));
    await rm(this.inputsPath(jobId), { force: true });
    await rm(this.chunkInputsPath(jobId), { force: true });
    await rm(this.mappingPath(jobId), { force: true });
  }

  private async write(records: BatchRecord[]): Promise<void> {
    await this.state.update(BATCH_JOBS_KEY, records);
    await this.state.update(unsettledBatchJobsKey, records.filter((r) => !isJobSettled(r)).length);
  }

  /** Where a job's custom_id mapping is written: in storage, not beside the results in the workspace. */
  mappingPath(jobId: string): string {
    return join(this.folder, 'batches', `${jobId}.mapping.jsonl`);
  }

  private inputsPath(jobId: string): string {
    return join(this.folder, 'batches', `${jobId}.inputs.json`);
  }

  private chunkInputsPath(jobId: string): string {
    return join(this.folder, 'batches', `${jobId}.chunks.json`);
  }

  async saveChunkInputs(jobId: string, inputs: ChunkJobInputs): Promise<void> {
    await mkdir(join(this.folder, 'batches'), { recursive: true });
    await writeFile(this.chunkInputsPath(jobId), JSON.stringify(inputs), { mode: 0o600 });
  }

  async chunkInputs(jobId: string): Promise<ChunkJobInputs | undefined> {
    try {
      return JSON.parse(await readFile(this.chunkInputsPath(jobId), 'utf8')) as ChunkJobInputs;
    } catch {
      return undefined;
    }
  }

  async saveInputs(jobId: string, inputs: BatchJobInputs): Promise<void> {
    await mkdir(join(this.folder, 'batches'), { recursive: true });
    // The binding's column map is a Map: written as its entries.
    const plan = { ...inputs.plan, binding: { ...inputs.plan.binding, columns: [...inputs.plan.binding.columns] } };
    await writeFile(this.inputsPath(jobId), JSON.stringify({ ...inputs, plan }), { mode: 0o600 });
  }

  async inputs(jobId: string): Promise<BatchJobInputs | undefined> {
    let text: string;
    try {
      text = await readFile(this.inputsPath(jobId), 'utf8');
    } catch {
      return undefined;
    }
    const stored = JSON.parse(text) as BatchJobInputs & { plan: DatasetPlan & { binding: { columns: [string, string][] } } };
    return { ...stored, plan: { ...stored.plan, binding: { ...stored.plan.binding, columns: new Map(stored.plan.binding.columns) } } };
  }
}
