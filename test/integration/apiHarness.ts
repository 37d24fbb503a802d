// The local API simulator, started inside the extension host for the integration tests, with the
// extension pointed at it through the machine-scoped base URL setting and a test key.
import * as vscode from 'vscode';
import { start, type Simulator, type SimulatorOptions } from '../simulator/server';
import type { PromptWorkbenchApi } from '../../src/testApi';
import { activateExtension } from './helpers';

export const TEST_KEY = 'sk-ant-fake-integration';

export interface ApiHarness {
  sim: Simulator;
  api: PromptWorkbenchApi;
}

/** One simulator per describe block; the extension uses it with TEST_KEY. */
export function useSimulator(options: SimulatorOptions = {}): ApiHarness {
  const harness = {} as ApiHarness;
  before(async () => {
    harness.sim = await start({ port: 0, ...options });
    harness.api = await activateExtension();
    await vscode.workspace.getConfiguration('promptWorkbench').update('apiBaseUrl', harness.sim.url, vscode.ConfigurationTarget.Global);
    await harness.api.storeApiKeyForTests?.(TEST_KEY);
  });
  afterEach(() => harness.sim.reset());
  after(async () => {
    await vscode.workspace.getConfiguration('promptWorkbench').update('apiBaseUrl', undefined, vscode.ConfigurationTarget.Global);
    await harness.sim.close();
  });
  return harness;
}
