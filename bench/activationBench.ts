import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTestHost, repoRoot } from '../test/launcher/hostSetup';
import { runIntegrationSuite } from '../test/launcher/testHost';
import { median, type BenchFigure } from './benchResult';

/** Cold activation inside the real extension host, one fresh server per sample. */
export async function benchActivation(runs = 5): Promise<BenchFigure[]> {
  const host = ensureTestHost();
  const samples: number[] = [];
  const hostSamples: number[] = [];
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
      const result = JSON.parse(readFileSync(out, 'utf8')) as { activationMs?: number; hostActivateMs: number; sdkLoaded: boolean };
      if (result.activationMs === undefined) throw new Error('the bundle did not record its load start');
      samples.push(result.activationMs);
      hostSamples.push(result.hostActivateMs);
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
  ];
}

/** Size of the production (minified) extension bundle; run after `node esbuild.mjs --production`. */
export function benchBundleSize(): BenchFigure[] {
  const figures: BenchFigure[] = [];
  for (const [name, file, limitKb] of [
    ['extension bundle, loaded at activation (minified)', 'dist/extension.js', 150],
    ['features bundle, loaded on first need (minified)', 'dist/features.js', 150],
    ['SDK bundle, loaded on first network use (minified)', 'dist/anthropic-sdk.js', undefined],
    ['webview bundle (minified)', 'dist/webview.js', undefined],
  ] as const) {
    const kb = statSync(join(repoRoot, file)).size / 1024;
    figures.push({ name, value: kb, unit: 'KB', ...(limitKb ? { target: `< ${limitKb}`, ok: kb < limitKb } : {}) });
  }
  return figures;
}
