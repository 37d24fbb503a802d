import * as vscode from 'vscode';
import { ApiKeyStore } from './apiKey/apiKeyStore';
import { registerApiKeyCommands } from './apiKey/registerApiKeyCommands';
import { ApiConnection } from './api/apiConnection';
import { WorkbenchConfig } from './config/workbenchConfig';
import { isSdkLoaded } from './core/apiClient';
import { CostStatusBar } from './statusBar/costStatusBar';
import type { PromptWorkbenchApi } from './testApi';

/** Set by the bundle's first and last statements (see esbuild.mjs); absent when not bundled. */
declare const __promptWorkbenchLoadStart: number | undefined;
declare const __promptWorkbenchLoadEnd: number | undefined;

export function activate(context: vscode.ExtensionContext): PromptWorkbenchApi {
  const activateStart = performance.now();
  const log = vscode.window.createOutputChannel('Prompt Workbench Log', { log: true });
  const config = new WorkbenchConfig();
  const keys = new ApiKeyStore(context.secrets);
  const api = new ApiConnection(config, keys);
  const statusBar = new CostStatusBar();

  context.subscriptions.push(
    log,
    config,
    keys,
    api,
    statusBar,
    registerApiKeyCommands(keys, async (key) => void (await (await api.clientForKey(key)).models.list({ limit: 1 })), log),
  );

  const activationMs =
    typeof __promptWorkbenchLoadStart === 'number' && typeof __promptWorkbenchLoadEnd === 'number'
      ? __promptWorkbenchLoadEnd - __promptWorkbenchLoadStart + (performance.now() - activateStart)
      : undefined;
  return {
    statusBar: () => statusBar.snapshot(),
    sdkLoaded: isSdkLoaded,
    activationMs: () => activationMs,
  };
}

export function deactivate(): void {}
