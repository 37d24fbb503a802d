// Message Batch figures (issue 15):
// - building batch requests for 100,000 rows: a CSV read and bound row by row, each row given a
//   custom_id and serialised, the job split into batches and every batch body read to its end as
//   the SDK would send it, the mapping file written; rows per second and peak RSS, each run in a
//   child process, against a baseline in the same run (reading and binding the same rows only);
// - joining 100,000 result lines to their rows: collectBatchResults over the official SDK's
//   results() iterator, fed by a local JSONL file in the exact shape of the API's results (in no
//   particular order) through the SDK's `fetch` option; the mapping hash-checked, every line
//   written as a RowResult with its cost and every succeeded row recorded in a spend ledger
//   through a real SpendGate (a ledger line per group of results); lines per second, against a baseline of decoding the same lines
//   through the SDK only, and the live heap every 10,000 lines (memory must not grow with the
//   stream).
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MappingWriter } from '../src/core/batch/batchMapping';
import { median, runAlone, type BenchFigure } from './benchResult';

const ROWS = 100_000;
const RUNS = 3;

type Write = (text: string) => Promise<void>;

function writer(path: string): { write: Write; end: () => Promise<void> } {
  const out = createWriteStream(path);
  return {
    write: (text) => new Promise((resolve) => (out.write(text) ? resolve() : out.once('drain', () => resolve()))),
    end: () => new Promise((resolve) => out.end(() => resolve())),
  };
}

/** 100,000 support tickets of about 1 KB, a tenth of them quoted across lines. */
async function writeTickets(path: string): Promise<void> {
  const out = writer(path);
  const filler = 'lorem ipsum dolor sit amet; consectetur adipiscing elit; '.repeat(17);
  await out.write('id,tier,ticket\r\n');
  for (let i = 0; i < ROWS; i++) {
    const ticket = i % 10 === 0 ? `"Row ${i} says ""help""\r\n${filler}"` : `Row ${i} ${filler}`;
    await out.write(`T-${i},${i % 3 === 0 ? 'pro' : 'free'},${ticket}\r\n`);
  }
  await out.end();
}

interface BuildReading {
  rows: number;
  parts: number;
  bytes: number;
  ms: number;
  cpuMs: number;
  peakRssMb: number;
  /** The custom_id allocator's fingerprint table after the job. */
  idTableMb?: number;
}

function child<T>(script: string, args: string[], nodeOptions: string[] = []): T {
  const result = spawnSync(process.execPath, [...nodeOptions, join(__dirname, script), ...args], { encoding: 'utf8', maxBuffer: 1024 * 1024 });
  if (result.status !== 0) throw new Error(`${script} failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

async function benchBuild(dir: string): Promise<BenchFigure[]> {
  const path = join(dir, 'tickets.csv');
  await writeTickets(path);
  const mb = statSync(path).size / 1024 / 1024;
  const build: BuildReading[] = [];
  const baseline: BuildReading[] = [];
  for (let i = 0; i < RUNS; i++) {
    baseline.push(child<BuildReading>('batchBuildChild.js', ['baseline', path, '']));
    build.push(child<BuildReading>('batchBuildChild.js', ['build', path, join(dir, `mapping-${i}.jsonl`)]));
  }
  if (build.some((b) => b.rows !== ROWS)) throw new Error(`built ${build.map((b) => b.rows).join('/')} requests, expected ${ROWS}`);
  const rowsPerSecond = median(build.map((b) => (b.rows / b.ms) * 1000));
  const baselinePerSecond = median(baseline.map((b) => (b.rows / b.ms) * 1000));
  const perCpuSecond = median(build.map((b) => (b.rows / b.cpuMs) * 1000));
  const baselinePerCpuSecond = median(baseline.map((b) => (b.rows / b.cpuMs) * 1000));
  const rss = Math.max(...build.map((b) => b.peakRssMb));
  const first = build[0]!;
  return [
    {
      name: `building batch requests for ${ROWS.toLocaleString('en-US')} rows (${mb.toFixed(0)} MB CSV -> ${first.parts} batch${first.parts === 1 ? '' : 'es'}, ${(first.bytes / 1024 / 1024).toFixed(0)} MB of request bodies)`,
      value: rowsPerSecond,
      unit: 'rows/s',
      target: '>= 50000',
      ok: rowsPerSecond >= 50_000,
      detail: `median of ${RUNS}, each in its own process (${perCpuSecond.toFixed(0)} rows per CPU-second); built, split and encoded into the create bodies (read to the end as the SDK sends them) with the mapping file written, not sent; baseline (reading and binding the same rows only) ${baselinePerSecond.toFixed(0)} rows/s (${baselinePerCpuSecond.toFixed(0)} per CPU-second), ratio ${(rowsPerSecond / baselinePerSecond).toFixed(2)}`,
    },
    {
      name: 'peak RSS while building batch requests',
      value: rss,
      unit: 'MB',
      target: '< 300',
      ok: rss < 300,
      detail: `the largest of ${RUNS} runs; what grows with the job's rows is the custom_id allocator (unique within the whole job, so it must remember every id): ${(first.idTableMb ?? 0).toFixed(1)} MB of 64-bit fingerprints for ${ROWS.toLocaleString('en-US')} rows (8-16 bytes a row, was a Set of strings, ~25 MB); rows, requests and batch bodies stream`,
    },
  ];
}

/** A deterministic permutation of 0..n-1: results come back in no particular order. */
function shuffled(n: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let seed = 0x5eed;
  for (let i = n - 1; i > 0; i--) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    const j = seed % (i + 1);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

/** One result line in the API's exact shape (anthropic-api.md §15): mostly succeeded, some errored and expired. */
function resultLine(i: number): string {
  const customId = `T-${i}`;
  if (i % 50 === 7) return JSON.stringify({ custom_id: customId, result: { type: 'errored', error: { type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: Input should be less than or equal to 128000' }, request_id: null } } });
  if (i % 100 === 3) return JSON.stringify({ custom_id: customId, result: { type: 'expired' } });
  const text = `Category: ${i % 4 === 0 ? 'billing' : 'login_and_access'}. Priority P${1 + (i % 3)}. The customer reports that ticket ${i} needs attention soon.`;
  return JSON.stringify({
    custom_id: customId,
    result: {
      type: 'succeeded',
      message: {
        id: `msg_01Bench${String(i).padStart(16, '0')}`,
        type: 'message',
        role: 'assistant',
        model: 'claude-haiku-5-5',
        content: [{ type: 'text', text, citations: null }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        stop_details: null,
        container: null,
        diagnostics: null,
        usage: { input_tokens: 260 + (i % 40), output_tokens: 30 + (i % 20), cache_creation_input_tokens: 0, cache_read_input_tokens: 0, cache_creation: null, server_tool_use: null, service_tier: 'batch', speed: null, inference_geo: null, output_tokens_details: null },
      },
    },
  });
}

export async function joinFixture(dir: string, lines: number): Promise<{ resultsPath: string; mappingPath: string; sha256: string; mb: number }> {
  const resultsPath = join(dir, `results-${lines}.jsonl`);
  const out = writer(resultsPath);
  for (const i of shuffled(lines)) await out.write(`${resultLine(i)}\n`);
  await out.end();
  const mappingPath = join(dir, `mapping-${lines}.jsonl`);
  const mapping = await MappingWriter.open(mappingPath, 'bench');
  for (let i = 0; i < lines; i++) await mapping.append({ customId: `T-${i}`, part: 0, index: i, key: `T-${i}`, where: `line ${i + 2}` });
  const { sha256 } = await mapping.close();
  return { resultsPath, mappingPath, sha256, mb: statSync(resultsPath).size / 1024 / 1024 };
}

interface JoinReading {
  lines: number;
  ms: number;
  cpuMs: number;
  liveHeapMb: number[];
  /** The mapping index the join held for the batch. */
  mappingIndexMb: number;
  peakRssMb: number;
}

async function benchJoin(dir: string): Promise<BenchFigure[]> {
  const fixture = await joinFixture(dir, ROWS);
  const args = [fixture.resultsPath, fixture.mappingPath, fixture.sha256, String(ROWS)];
  const joins: JoinReading[] = [];
  const baseline: JoinReading[] = [];
  for (let i = 0; i < RUNS; i++) {
    baseline.push(child<JoinReading>('batchJoinChild.js', ['baseline', ...args]));
    joins.push(child<JoinReading>('batchJoinChild.js', ['join', ...args]));
  }
  const memory = child<JoinReading>('batchJoinChild.js', ['join-memory', ...args], ['--expose-gc']);
  if (joins.some((j) => j.lines !== ROWS)) throw new Error(`joined ${joins.map((j) => j.lines).join('/')} lines, expected ${ROWS}`);
  const linesPerSecond = median(joins.map((j) => (j.lines / j.ms) * 1000));
  const linesPerCpuSecond = median(joins.map((j) => (j.lines / j.cpuMs) * 1000));
  const baselinePerSecond = median(baseline.map((b) => (b.lines / b.ms) * 1000));
  const baselinePerCpuSecond = median(baseline.map((b) => (b.lines / b.cpuMs) * 1000));
  const rss = Math.max(...joins.map((j) => j.peakRssMb));
  const heap = memory.liveHeapMb;
  const growth = (heap.at(-1) ?? 0) - (heap[0] ?? 0);
  return [
    {
      name: `joining ${ROWS.toLocaleString('en-US')} result lines to their rows (${fixture.mb.toFixed(0)} MB of results)`,
      value: linesPerSecond,
      unit: 'lines/s',
      target: '>= 50000',
      ok: linesPerSecond >= 50_000,
      detail: `median of ${RUNS}, each in its own process (${linesPerCpuSecond.toFixed(0)} lines per CPU-second: the process's CPU time, all threads, over the timed join alone, as for the baseline); source: a local JSONL stream in the exact SDK result shape, shuffled, read through the SDK's batches.results() (a fetch serving the file; not the simulator); mapping hash-checked, RowResult lines written, every succeeded row recorded in a spend ledger through SpendGate (one line per group of 1,000 results, with a calls count); baseline (decoding the same lines through the SDK only) ${baselinePerSecond.toFixed(0)} lines/s (${baselinePerCpuSecond.toFixed(0)} per CPU-second), ratio ${(linesPerSecond / baselinePerSecond).toFixed(2)}`,
    },
    {
      name: 'live heap growth while joining, from 10,000 to 100,000 lines',
      value: growth,
      unit: 'MB',
      target: '< 5',
      ok: growth < 5,
      detail: `constant memory: live heap after a full collection every 10,000 lines: ${heap.map((h) => h.toFixed(1)).join(', ')} MB (the result stream is never held); the mapping index is loaded before the first line, one batch's entries at a time, so it is bounded by the 100,000 requests a batch may hold: ${joins[0]!.mappingIndexMb.toFixed(1)} MB for ${ROWS.toLocaleString('en-US')} entries (their lines as text plus a typed-array hash table; was a Map of entry objects, ~25 MB); peak RSS ${rss.toFixed(0)} MB`,
    },
  ];
}

export async function benchBatches(): Promise<BenchFigure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'pw-batch-bench-'));
  try {
    return [...(await benchBuild(dir)), ...(await benchJoin(dir))];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) runAlone('batches', benchBatches);
