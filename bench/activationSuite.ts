// Runs inside the VS Code extension host (as an extensionTestsPath module): activates the
// extension once, from cold, and writes how long that took to the file named by the environment.
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
  writeFileSync(out, JSON.stringify({ activationMs: api.activationMs(), hostActivateMs, sdkLoaded: api.sdkLoaded() }));
}
