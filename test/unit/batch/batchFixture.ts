// Shared set-up for the batch tests: datasets written to a temporary folder, plans made against
// the simulator (count_tokens through the official SDK), and a real SpendGate over a temporary ledger.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Anthropic from '@anthropic-ai/sdk';
import { planDataset, type DatasetPlan } from '../../../src/core/dataset/datasetPlan';
import type { BindingSpec } from '../../../src/core/dataset/datasetBinding';
import type { DatasetSource } from '../../../src/core/dataset/datasetSource';
import { readResultLines, type JobLine, type RowResult } from '../../../src/core/dataset/datasetResults';
import { BUNDLED_PRICES, findPrice } from '../../../src/core/pricing/priceTable';
import type { PromptFile } from '../../../src/core/prompt/promptFile';
import { SpendGate, type SpendLimits } from '../../../src/core/spend/spendGate';
import { SpendLedger } from '../../../src/core/spend/spendLedger';

export const MODEL = 'claude-haiku-5-5';
export const price = findPrice(BUNDLED_PRICES, MODEL);

export const summarise: PromptFile = {
  name: 'Summarise',
  expectedOutputTokens: 24,
  request: { model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'Summarise: {{text}}' }] },
};

/** A temporary folder for one describe block. */
export function useTempDir(): { path: string } {
  const dir = { path: '' };
  before(async () => {
    dir.path = await mkdtemp(join(tmpdir(), 'pw-batch-'));
  });
  after(async () => {
    await rm(dir.path, { recursive: true, force: true });
  });
  return dir;
}

/** A CSV of `rows` rows `id,text` (text from `textOf`, empty values allowed). */
export async function writeCsv(path: string, rows: number, textOf: (i: number) => string, idOf: (i: number) => string = (i) => `r${i}`): Promise<DatasetSource> {
  const lines = ['id,text'];
  for (let i = 0; i < rows; i++) lines.push(`${idOf(i)},${textOf(i)}`);
  await writeFile(path, `${lines.join('\n')}\n`);
  return { format: 'csv', path };
}

export async function planFor(client: Anthropic, prompt: PromptFile, source: DatasetSource, binding: BindingSpec = { keyColumn: 'id' }): Promise<DatasetPlan> {
  return planDataset({
    prompt,
    promptValues: {},
    source,
    binding,
    price: findPrice(BUNDLED_PRICES, prompt.request.model),
    maxConcurrency: 4,
    countTokens: async (params, signal) => ({ inputTokens: (await client.messages.countTokens(params, { signal, maxRetries: 0 })).input_tokens }),
  });
}

export async function gateFor(folder: string, limits: Partial<SpendLimits> = {}, now: () => number = Date.now): Promise<{ gate: SpendGate; ledger: SpendLedger }> {
  const ledger = new SpendLedger({ folder: join(folder, 'spend'), now, writer: 'test' });
  const settings: SpendLimits = { confirmAboveUsd: 100, maxRunCostUsd: 1_000, monthlyBudgetUsd: 0, ...limits };
  const gate = new SpendGate({
    ledger,
    limits: () => settings,
    prices: (model) => findPrice(BUNDLED_PRICES, model),
    target: async () => ({ keyFingerprint: 'fp0123456789', baseUrlHost: '127.0.0.1' }),
    now,
  });
  return { gate, ledger };
}

/** The row lines of a results file, latest per key. */
export async function latestRows(path: string): Promise<Map<string, RowResult>> {
  const rows = new Map<string, RowResult>();
  for await (const line of readResultLines(path)) if (line.type === 'row') rows.set(line.key, line);
  return rows;
}

export async function jobLines(path: string): Promise<JobLine[]> {
  const jobs: JobLine[] = [];
  for await (const line of readResultLines(path)) if (line.type === 'job') jobs.push(line);
  return jobs;
}
