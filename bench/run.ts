// `npm run bench`: every benchmark, printed as a table. Figures are medians of several runs;
// a figure with a target says whether it meets it.
//
// Each group runs in a fresh Node process of its own. In one shared process a group inherited the
// heap and the JIT state the groups before it left behind: the 5 MB validation figure read 64 ms
// there and 31 ms alone, so a group's figure depended on its place in the list.
import { fork, spawnSync } from 'node:child_process';
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

/** Every group by the name it prints under, in the order `npm run bench` runs them. */
function groups(): [group: string, load: () => Promise<Bench | undefined>][] {
  const fromModule = modules
    .filter(([file]) => existsSync(join(__dirname, `${file}.js`)))
    .map(([file, exportName]): [string, () => Promise<Bench | undefined>] => [
      file,
      async () => ((await import(join(__dirname, `${file}.js`))) as Record<string, Bench | undefined>)[exportName],
    ]);
  return [
    ['bundle', async () => benchBundleSize],
    ...fromModule,
    ['activation', async () => () => benchActivation()],
  ];
}

/** The message a group's process sends back: how many of its figures missed their target. */
interface GroupOutcome {
  missed: number;
}

/** Runs one group in this process (the child side): prints its figures and reports the misses. */
async function runGroupHere(group: string): Promise<void> {
  const entry = groups().find(([name]) => name === group);
  if (!entry) throw new Error(`no bench group named ${group}`);
  const bench = await entry[1]();
  if (!bench) throw new Error(`bench group ${group} exports no benchmark`);
  const figures = await bench();
  printFigures(group, figures);
  const outcome: GroupOutcome = { missed: figures.filter((f) => f.ok === false).length };
  await new Promise<void>((resolve) => process.send?.(outcome, () => resolve()) ?? resolve());
}

/** Runs one group in a fresh process and resolves with its outcome (a crash is an error). */
function runGroupInChild(group: string): Promise<GroupOutcome> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['--group', group], { stdio: 'inherit' });
    let outcome: GroupOutcome | undefined;
    child.on('message', (message: GroupOutcome) => (outcome = message));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (outcome && code === 0) resolve(outcome);
      else reject(new Error(`bench group ${group} failed (${signal ?? `exit code ${code}`})`));
    });
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--group' && args[1]) return runGroupHere(args[1]);
  const only = args[0];
  const build = spawnSync(process.execPath, ['esbuild.mjs', '--production'], { cwd: repoRoot, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('production build failed');
  let missed = 0;
  for (const [group] of groups()) {
    if (only && !group.includes(only)) continue;
    missed += (await runGroupInChild(group)).missed;
  }
  process.stdout.write(`\n${missed === 0 ? 'All targets met.' : `${missed} target(s) missed.`}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
