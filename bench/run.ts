// `npm run bench`: every benchmark, printed as a table. Figures are medians of several runs;
// a figure with a target says whether it meets it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../test/launcher/hostSetup';
import { benchActivation, benchBundleSize } from './activationBench';
import { printFigures, type BenchFigure } from './benchResult';

type Bench = () => Promise<BenchFigure[]> | BenchFigure[];

/** Benchmarks that live in their own modules; each exports one function returning figures. */
const modules: [file: string, exportName: string][] = [
  ['simulatorBench', 'benchSimulatorStreaming'],
  ['validationBench', 'benchValidation'],
  ['estimateBench', 'benchEstimate'],
  ['editPathBench', 'benchEditPath'],
  ['countingBench', 'benchCounting'],
  ['streamingBench', 'benchStreaming'],
  ['datasetBench', 'benchDatasets'],
  ['gridBench', 'benchGrid'],
  ['markdownBench', 'benchStreamingMarkdown'],
  ['ledgerBench', 'benchLedger'],
  ['batchBench', 'benchBatches'],
  ['chunkingBench', 'benchChunking'],
  ['cacheAdvisorBench', 'benchCacheAdvisor'],
];

async function main(): Promise<void> {
  const only = process.argv[2];
  const build = spawnSync(process.execPath, ['esbuild.mjs', '--production'], { cwd: repoRoot, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('production build failed');
  let missed = 0;
  const run = async (group: string, bench: Bench): Promise<void> => {
    if (only && !group.includes(only)) return;
    const figures = await bench();
    printFigures(group, figures);
    missed += figures.filter((f) => f.ok === false).length;
  };
  await run('bundle', benchBundleSize);
  for (const [file, exportName] of modules) {
    const path = join(__dirname, `${file}.js`);
    if (!existsSync(path)) continue;
    const loaded = (await import(path)) as Record<string, Bench | undefined>;
    const bench = loaded[exportName];
    if (bench) await run(file, bench);
  }
  await run('activation', () => benchActivation());
  process.stdout.write(`\n${missed === 0 ? 'All targets met.' : `${missed} target(s) missed.`}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
