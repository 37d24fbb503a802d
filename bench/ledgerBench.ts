// The spend ledger at the size of a busy month (issue 13): appending 100,000 entries and computing
// the month's totals; reading a month of 100,000 entries in a new window (from the checkpoint, and
// from scratch); and the status bar tooltip's month-to-date, which reads the running totals only.
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { monthToDateText } from '../src/core/spend/monthlyBudget';
import { SpendLedger, type LedgerCall } from '../src/core/spend/spendLedger';
import { median, runAlone, type BenchFigure } from './benchResult';

const ENTRIES = 100_000;
const RUNS = 3;
const NOW = Date.parse('2026-11-20T12:00:00Z');

function entry(i: number): Omit<LedgerCall, 'type' | 'time' | 'writer'> & { time: string } {
  return {
    time: new Date(Date.parse('2026-11-01T00:00:00Z') + (i % 19) * 86_400_000 + i).toISOString(),
    keyFingerprint: '0123456789ab',
    baseUrlHost: 'api.anthropic.com',
    model: ['claude-haiku-5-5', 'claude-sonnet-5-5', 'claude-opus-5-5'][i % 3] as string,
    promptName: `dataset-prompt-${i % 25}`,
    kind: 'dataset',
    usage: { inputTokens: 1_200 + (i % 100), outputTokens: 180, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, cacheReadTokens: i % 4 ? 0 : 900 },
    costUsd: 0.0021 + (i % 10) / 10_000,
    priceAsOf: '2026-11-25',
    requestId: `req_011C${String(i).padStart(20, '0')}`,
    simulated: false,
    ...(i % 4 ? {} : { cacheSavingsUsd: 0.0017 }),
  };
}

async function folder(): Promise<string> {
  return fs.mkdtemp(join(tmpdir(), 'pw-ledger-bench-'));
}

export async function benchLedger(): Promise<BenchFigure[]> {
  const appendMs: number[] = [];
  const coldCheckpointMs: number[] = [];
  const coldScratchMs: number[] = [];
  const tooltipMs: number[] = [];
  let bytes = 0;
  let total = 0;
  for (let run = 0; run < RUNS; run++) {
    const dir = await folder();
    const ledger = new SpendLedger({ folder: dir, now: () => NOW });
    // A dataset job's appends: issued as results arrive, written together by the ledger.
    let start = performance.now();
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < ENTRIES; i++) {
      pending.push(ledger.append(entry(i)));
      if (pending.length === 1_000) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
    total = (await ledger.refresh()).usd;
    appendMs.push(performance.now() - start);
    if (ledger.totals.calls !== ENTRIES) throw new Error(`expected ${ENTRIES} calls, read ${ledger.totals.calls}`);
    bytes = (await fs.stat(ledger.fileFor('2026-11'))).size;

    // A new window reading the month: from the checkpoint the writer left, then from scratch.
    start = performance.now();
    const fromCheckpoint = await new SpendLedger({ folder: dir, now: () => NOW }).refresh();
    coldCheckpointMs.push(performance.now() - start);
    await fs.rm(ledger.checkpointFor('2026-11'));
    start = performance.now();
    const fromScratch = await new SpendLedger({ folder: dir, now: () => NOW }).refresh();
    coldScratchMs.push(performance.now() - start);
    if (Math.abs(fromCheckpoint.usd - fromScratch.usd) > 1e-6 || fromCheckpoint.calls !== fromScratch.calls) throw new Error('checkpoint and full read disagree');

    // The tooltip: month-to-date from the running totals, 1,000 times (one per keystroke, say).
    start = performance.now();
    let text = '';
    for (let i = 0; i < 1_000; i++) text = monthToDateText(ledger.totals, 500);
    tooltipMs.push((performance.now() - start) / 1_000);
    if (!text.startsWith('$')) throw new Error(text);
    await fs.rm(dir, { recursive: true, force: true });
  }
  const mb = (bytes / 1024 / 1024).toFixed(1);
  const cold = median(coldCheckpointMs);
  const tooltip = median(tooltipMs);
  return [
    { name: `append ${ENTRIES.toLocaleString('en-US')} entries and compute the month's totals`, value: median(appendMs), unit: 'ms', detail: `${mb} MB month file; total $${total.toFixed(2)}; median of ${RUNS}` },
    { name: `read a month of ${ENTRIES.toLocaleString('en-US')} entries in a new window (checkpoint + tail)`, value: cold, unit: 'ms', target: '< 50', ok: cold < 50 },
    { name: `read a month of ${ENTRIES.toLocaleString('en-US')} entries from scratch (no checkpoint; baseline)`, value: median(coldScratchMs), unit: 'ms', detail: `the checkpoint is ${(median(coldScratchMs) / cold).toFixed(0)}x faster` },
    { name: 'status bar tooltip month-to-date (running totals, per render)', value: tooltip, unit: 'ms', target: '< 50', ok: tooltip < 50 },
  ];
}

if (require.main === module) runAlone('ledgerBench', benchLedger);
