import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTestHost, repoRoot } from '../test/launcher/hostSetup';
import { runIntegrationSuite } from '../test/launcher/testHost';
import { declaredBundles } from '../test/launcher/declaredBundles';
import { median, type BenchFigure } from './benchResult';
import { bundleComposition, describeTop } from './bundleComposition';

/** Cold activation inside the real extension host, one fresh server per sample. */
export async function benchActivation(runs = 5): Promise<BenchFigure[]> {
  const host = ensureTestHost();
  const samples: number[] = [];
  const hostSamples: number[] = [];
  const featuresSamples: number[] = [];
  const runsSamples: number[] = [];
  let sdkLoaded = false;
  const scratch = mkdtempSync(join(tmpdir(), 'pw-bench-'));
  try {
    for (let i = 0; i < runs; i++) {
      const out = join(scratch, `activation-${i}.json`);
      const code = await runIntegrationSuite(host, join(repoRoot, 'out', 'bench', 'activationSuite.js'), {
        workspaceSource: join(repoRoot, 'bench', 'fixtures', 'emptyWorkspace'),
        env: { PROMPT_WORKBENCH_BENCH_OUT: out },
        quiet: true,
      });
      if (code !== 0 || !existsSync(out)) throw new Error(`activation run ${i} failed (exit ${code})`);
      const result = JSON.parse(readFileSync(out, 'utf8')) as { activationMs?: number; hostActivateMs: number; sdkLoaded: boolean; featuresLoadMs: number; runsLoadMs: number };
      if (result.activationMs === undefined) throw new Error('the bundle did not record its load start');
      samples.push(result.activationMs);
      hostSamples.push(result.hostActivateMs);
      featuresSamples.push(result.featuresLoadMs);
      runsSamples.push(result.runsLoadMs);
      sdkLoaded ||= result.sdkLoaded;
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const activation = median(samples);
  return [
    {
      name: 'activation: bundle evaluation + activate() in the extension host (cold, median)',
      value: activation,
      unit: 'ms',
      target: '< 15',
      ok: activation < 15 && !sdkLoaded,
      detail: `${runs} runs: ${samples.map((s) => s.toFixed(1)).join(', ')} ms; SDK loaded during activation: ${sdkLoaded ? 'yes' : 'no'}`,
    },
    {
      name: 'vscode.Extension.activate() as the host sees it, its own bookkeeping included (median, for context)',
      value: median(hostSamples),
      unit: 'ms',
    },
    {
      name: 'first prompt: loading dist/features.js and building every feature, after activation (cold, median, for context)',
      value: median(featuresSamples),
      unit: 'ms',
      detail: `${runs} runs: ${featuresSamples.map((s) => s.toFixed(1)).join(', ')} ms`,
    },
    {
      name: 'first Run Prompt: what loading the run feature (dist/runs.js) adds before the request is sent (cold, median, for context)',
      value: median(runsSamples),
      unit: 'ms',
      detail: `${runs} runs: ${runsSamples.map((s) => s.toFixed(1)).join(', ')} ms; paid once per window, by the first run or panel restore`,
    },
  ];
}

/**
 * Size of every bundle of the extension host (minified; run after `node esbuild.mjs --production`),
 * with the largest sources of the features bundle: what to move into a sibling when it grows.
 */
export async function benchBundleSize(): Promise<BenchFigure[]> {
  const figures: BenchFigure[] = [];
  const limitsKb: Record<string, number> = { extension: 150, features: 150 };
  for (const bundle of (await declaredBundles()).filter((b) => b.kind !== 'browser' || b.file === 'webview')) {
    const kb = statSync(join(repoRoot, 'dist', `${bundle.file}.js`)).size / 1024;
    const limitKb = limitsKb[bundle.file];
    const composition = bundle.file === 'features' ? bundleComposition('features') : undefined;
    figures.push({
      name: `dist/${bundle.file}.js (minified)`,
      value: kb,
      unit: 'KB',
      ...(limitKb ? { target: `< ${limitKb}`, ok: kb < limitKb } : {}),
      detail: composition ? `${bundle.note}. Largest sources (KB): ${describeTop(composition.sources, 8)}; by folder: ${describeTop(composition.folders, 6)}` : bundle.note,
    });
  }
  return figures;
}
