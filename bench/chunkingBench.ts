// Chunking figures (issue 16), against the simulator in this process and the chunker in a child:
// - count_tokens calls per chunk for a 10 MB document (target ≤ 1.3);
// - chunk size against the target: the largest deviation of any chunk but the last (target ±2%);
// - wall time and peak RSS of chunking 10 MB, against a plain split at the same boundaries (the
//   paragraphs packed by the offline estimate, no counting) measured in the same run.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { start } from '../test/simulator/server';
import { englishText } from '../test/unit/chunking/sampleTexts';
import { median, runAlone, type BenchFigure } from './benchResult';

const DOCUMENT_CHARS = 10 * 1024 * 1024;
const TARGET_TOKENS = 20_000;
const RUNS = 3;

interface ChildFigures {
  chunks: number;
  countCalls?: number;
  requests?: number;
  within?: number;
  inner?: number;
  maxDeviation?: number;
  ms: number;
  peakRssMb: number;
}

function runChild(args: string[]): Promise<ChildFigures> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(__dirname, 'chunkingChild.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (data: Buffer) => (out += data.toString()));
    child.stderr.on('data', (data: Buffer) => (err += data.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as ChildFigures) : reject(new Error(`chunkingChild failed: ${err}`))));
  });
}

export async function benchChunking(): Promise<BenchFigure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'pw-chunking-bench-'));
  const path = join(dir, 'document.md');
  const sim = await start();
  try {
    writeFileSync(path, englishText(DOCUMENT_CHARS, 16));
    const counted: ChildFigures[] = [];
    const plain: ChildFigures[] = [];
    for (let i = 0; i < RUNS; i++) {
      plain.push(await runChild(['plain', path, String(TARGET_TOKENS)]));
      counted.push(await runChild(['chunk', path, String(TARGET_TOKENS), sim.url]));
    }
    const last = counted[counted.length - 1]!;
    const callsPerChunk = median(counted.map((c) => c.countCalls! / c.chunks));
    const deviation = Math.max(...counted.map((c) => c.maxDeviation!)) * 100;
    const ms = median(counted.map((c) => c.ms));
    const plainMs = median(plain.map((c) => c.ms));
    const rss = Math.max(...counted.map((c) => c.peakRssMb));
    const plainRss = Math.max(...plain.map((c) => c.peakRssMb));
    return [
      {
        name: `count_tokens calls per chunk, 10 MB document (${last.chunks} chunks of ${TARGET_TOKENS.toLocaleString('en-US')} tokens, overlap 200)`,
        value: callsPerChunk,
        unit: 'calls/chunk',
        target: '≤ 1.3',
        ok: callsPerChunk <= 1.3,
        detail: `${last.countCalls} counts for ${last.chunks} chunks (${last.requests} requests with the overhead count), median of ${RUNS} runs`,
      },
      {
        name: 'chunk size against the target, largest deviation of any chunk but the last',
        value: deviation,
        unit: '%',
        target: '≤ 2',
        ok: deviation <= 2,
        detail: `${last.within} of ${last.inner} inner chunks within ±2% (counted by the simulator's count_tokens)`,
      },
      {
        name: 'chunking a 10 MB document with counted sizes, wall time',
        value: ms,
        unit: 'ms',
        detail: `a plain split at the same paragraph boundaries by the offline estimate (no counting): ${plainMs.toFixed(0)} ms (×${(ms / plainMs).toFixed(1)}); median of ${RUNS}, each in its own process, the simulator in the bench's process`,
      },
      {
        name: 'chunking a 10 MB document with counted sizes, peak RSS',
        value: rss,
        unit: 'MB',
        detail: `the plain split: ${plainRss.toFixed(0)} MB`,
      },
    ];
  } finally {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) runAlone('chunking', benchChunking);
