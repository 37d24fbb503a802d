// One measurement for batchBench: join a batch's result lines to their rows (collectBatchResults:
// mapping read and hash-checked, every line matched through its custom_id, written as a RowResult
// with its cost at batch prices, every succeeded row recorded in a spend ledger through a real
// SpendGate, one ledger line per group of results) — or, the baseline, only decode the lines through the SDK. The lines come from a
// local JSONL file in the exact shape of the API's results, read through the official SDK's
// `batches.results()` with a `fetch` that serves the file (no network, no simulator). In a
// process of its own, so its peak RSS is the join's alone. Mode `join-memory` (run with
// --expose-gc) also reads the live heap after a full collection every 10,000 lines.
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import Anthropic from '@anthropic-ai/sdk';
import type { MessageBatch } from '@anthropic-ai/sdk/resources/messages/batches';
import type { BatchRecord } from '../src/core/batch/batchRecord';
import { readMapping } from '../src/core/batch/batchMapping';
import { collectBatchResults } from '../src/core/batch/batchResults';
import { BUNDLED_PRICES, findPrice } from '../src/core/pricing/priceTable';
import { SpendGate } from '../src/core/spend/spendGate';
import { SpendLedger } from '../src/core/spend/spendLedger';

export const BENCH_BATCH_ID = 'msgbatch_01BenchBenchBenchBenchBe';

/** An SDK client whose results() reads `resultsPath`: retrieve answers an ended batch, its results_url streams the file. */
export function fileServedClient(resultsPath: string, requests: number): Anthropic {
  const batch: MessageBatch = {
    id: BENCH_BATCH_ID,
    type: 'message_batch',
    processing_status: 'ended',
    request_counts: { processing: 0, succeeded: requests, errored: 0, canceled: 0, expired: 0 },
    created_at: '2026-11-25T12:00:00Z',
    expires_at: '2026-11-26T12:00:00Z',
    ended_at: '2026-11-25T12:30:00Z',
    cancel_initiated_at: null,
    archived_at: null,
    results_url: `https://bench.invalid/v1/messages/batches/${BENCH_BATCH_ID}/results`,
  };
  return new Anthropic({
    apiKey: 'sk-ant-bench',
    baseURL: 'https://bench.invalid',
    maxRetries: 0,
    fetch: async (url) => {
      if (String(url).endsWith('/results')) {
        return new Response(Readable.toWeb(createReadStream(resultsPath)) as ReadableStream, { headers: { 'content-type': 'application/binary' } });
      }
      return new Response(JSON.stringify(batch), { headers: { 'content-type': 'application/json' } });
    },
  });
}

async function main(): Promise<void> {
  const [mode, resultsPath, mappingPath, sha256, count] = process.argv.slice(2) as [string, string, string, string, string];
  const requests = Number(count);
  const client = fileServedClient(resultsPath, requests);
  const folder = await mkdtemp(join(tmpdir(), 'pw-batch-join-'));
  let lines = 0;
  let ms: number;
  const liveHeapMb: number[] = [];
  let mappingIndexMb = 0;
  // CPU time of the timed part alone (the checks after it read the ledger and the mapping again).
  let cpu: NodeJS.CpuUsage;
  try {
    if (mode === 'baseline') {
      const cpuStart = process.cpuUsage();
      const started = process.hrtime.bigint();
      for await (const line of await client.messages.batches.results(BENCH_BATCH_ID)) if (line.custom_id) lines++;
      ms = Number(process.hrtime.bigint() - started) / 1e6;
      cpu = process.cpuUsage(cpuStart);
    } else {
      const ledger = new SpendLedger({ folder: join(folder, 'spend'), writer: 'bench' });
      const gate = new SpendGate({
        ledger,
        limits: () => ({ confirmAboveUsd: 1_000, maxRunCostUsd: 10_000, monthlyBudgetUsd: 0 }),
        prices: (model) => findPrice(BUNDLED_PRICES, model),
        target: async () => ({ keyFingerprint: 'fp0123456789', baseUrlHost: 'bench.invalid' }),
      });
      const billing = await gate.open({ kind: 'batch', batch: true, model: 'claude-haiku-5-5', promptName: 'bench', worstCaseUsd: 100, what: 'bench' });
      const record: BatchRecord = {
        v: 1,
        jobId: 'bench',
        promptName: 'bench',
        datasetPath: 'bench.csv',
        model: 'claude-haiku-5-5',
        betas: [],
        promptHash: '',
        datasetHash: '',
        structured: false,
        mapping: { path: mappingPath, sha256, rows: requests },
        resultsPath: join(folder, 'bench.results.jsonl'),
        createdAt: '2026-11-25T12:00:00Z',
        expiresAt: '2026-11-26T12:00:00Z',
        estimate: { rows: requests },
        parts: [
          {
            part: 0,
            id: BENCH_BATCH_ID,
            requests,
            bytes: 0,
            processingStatus: 'ended',
            requestCounts: { processing: 0, succeeded: requests, errored: 0, canceled: 0, expired: 0 },
            createdAt: '2026-11-25T12:00:00Z',
            expiresAt: '2026-11-26T12:00:00Z',
            endedAt: '2026-11-25T12:30:00Z',
            cancelInitiatedAt: null,
            archivedAt: null,
          },
        ],
        notSent: { skipped: 0, failed: 0 },
        simulated: false,
      };
      const cpuStart = process.cpuUsage();
      const started = process.hrtime.bigint();
      // Live heap (after a full collection) as the stream flows: what the join holds, not what it has yet to collect.
      const gc = (globalThis as { gc?: () => void }).gc;
      const joined = await collectBatchResults({
        client,
        record,
        billing,
        onResult: () => {
          if (++lines % 10_000 === 0 && mode === 'join-memory' && gc) {
            gc();
            liveHeapMb.push(process.memoryUsage().heapUsed / 1024 / 1024);
          }
        },
      });
      ms = Number(process.hrtime.bigint() - started) / 1e6;
      cpu = process.cpuUsage(cpuStart);
      billing.close();
      const t = joined.totals!;
      if (t.unjoined > 0 || t.missing > 0) throw new Error(`join reported ${t.unjoined} unjoined and ${t.missing} missing: ${t.problems[0] ?? ''}`);
      if ((await ledger.refresh()).calls !== t.succeeded) throw new Error(`ledger has ${ledger.totals.calls} calls, ${t.succeeded} rows succeeded`);
      // What the join held of the mapping for its batch (read again here, after the timing).
      const index = await readMapping(mappingPath, sha256, 0);
      if (index.ok) mappingIndexMb = index.entries.bytes / 1024 / 1024;
    }
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
  process.stdout.write(JSON.stringify({ lines, ms, cpuMs: (cpu.user + cpu.system) / 1000, liveHeapMb, mappingIndexMb, peakRssMb: process.resourceUsage().maxRSS / 1024 }));
}

if (require.main === module) void main();
