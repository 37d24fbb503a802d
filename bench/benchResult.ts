import { performance } from 'node:perf_hooks';

/** One figure printed by `npm run bench`. */
export interface BenchFigure {
  name: string;
  value: number;
  unit: string;
  /** The target the issue set, if any, e.g. "< 50". */
  target?: string;
  /** Whether the figure meets the target; undefined when there is no target. */
  ok?: boolean;
  detail?: string;
}

/** Median of a list of samples (the mean of the two middle ones for an even count). */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) throw new Error('median of no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** What timedMedian measured, in milliseconds. */
export interface TimedMedian {
  medianMs: number;
  maxMs: number;
  /** The median CPU time of the process (all its threads, garbage collection helpers included). */
  cpuMs: number;
}

/**
 * Times `run` over `warmup + samples` runs and keeps the last `samples`: the wall-clock median and
 * maximum, and the median CPU time of the process, which on a shared machine shows our own cost
 * when other processes stretch the wall clock. `input(i, runs)`, when given, makes each run's
 * input outside the timing (one at a time: holding them all would add garbage collection).
 */
export function timedMedian<T>(samples: number, warmup: number, run: (input: T) => unknown, input?: (i: number, runs: number) => T): TimedMedian {
  const times: number[] = [];
  const cpuTimes: number[] = [];
  const runs = warmup + samples;
  for (let i = 0; i < runs; i++) {
    const given = input?.(i, runs) as T;
    const cpu = process.cpuUsage();
    const start = performance.now();
    run(given);
    const elapsed = performance.now() - start;
    const used = process.cpuUsage(cpu);
    if (i >= warmup) {
      times.push(elapsed);
      cpuTimes.push((used.user + used.system) / 1000);
    }
  }
  return { medianMs: median(times), maxMs: Math.max(...times), cpuMs: median(cpuTimes) };
}

/** Prints figures as a group of lines, with the target and whether it was met. */
export function printFigures(group: string, figures: readonly BenchFigure[]): void {
  process.stdout.write(`\n${group}\n`);
  for (const f of figures) {
    const verdict = f.ok === undefined ? '' : f.ok ? '  ok' : '  MISSED';
    const target = f.target ? ` (target ${f.target} ${f.unit})` : '';
    process.stdout.write(`  ${f.name}: ${f.value.toFixed(f.value < 10 ? 2 : 1)} ${f.unit}${target}${verdict}\n`);
    if (f.detail) process.stdout.write(`    ${f.detail}\n`);
  }
}

/** Runs one benchmark module on its own (`node out/bench/<name>.js`) and prints its figures. */
export function runAlone(group: string, bench: () => Promise<BenchFigure[]>): void {
  bench().then(
    (figures) => printFigures(group, figures),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
