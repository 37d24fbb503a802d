// Runs inside the VS Code extension host (as an extensionTestsPath module): activates the
// extension once, from cold, and writes how long that took to the file named by the environment.
// Then, in the same host, what the first prompt and the first run add: loading the features bundle
// (dist/features.js, what opening a prompt requires), then the run feature's sibling bundle
// (dist/runs.js, what the first Run Prompt or panel restore requires before anything is sent).
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { PromptWorkbenchApi } from '../src/testApi';

export async function run(): Promise<void> {
  const out = process.env['PROMPT_WORKBENCH_BENCH_OUT'];
  if (!out) throw new Error('PROMPT_WORKBENCH_BENCH_OUT is not set');
  const extension = vscode.extensions.getExtension<PromptWorkbenchApi>('prompt-workbench.prompt-workbench');
  if (!extension) throw new Error('extension not found');
  if (extension.isActive) throw new Error('the extension was already active: the measurement would be void');
  const start = performance.now();
  const api = await extension.activate();
  const hostActivateMs = performance.now() - start;
  const activationMs = api.activationMs();
  const sdkLoaded = api.sdkLoaded();
  const featuresStart = performance.now();
  api.statusBar();
  const featuresLoadMs = performance.now() - featuresStart;
  if (!api.featuresLoaded() || api.siblingsLoaded().length > 0) throw new Error('the features bundle did not load alone');
  const runsStart = performance.now();
  api.panelState();
  const runsLoadMs = performance.now() - runsStart;
  if (!api.siblingsLoaded().includes('runs')) throw new Error('the run feature did not load');
  writeFileSync(out, JSON.stringify({ activationMs, hostActivateMs, sdkLoaded, featuresLoadMs, runsLoadMs }));
}
