import * as vscode from 'vscode';
import type Anthropic from '@anthropic-ai/sdk';
import { createApiClient } from '../core/api/apiClient';
import { NoApiKeyError } from '../core/api/noApiKeyError';
import type { WorkbenchConfig } from '../config/workbenchConfig';
import type { ApiKeyStore } from '../apiKey/apiKeyStore';

/** Hands out an SDK client for the current key and base URL, creating it (and loading the SDK) on first use. */
export class ApiConnection implements vscode.Disposable {
  private cached: { key: string; baseURL: string; client: Promise<Anthropic> } | undefined;
  private readonly changedEmitter = new vscode.EventEmitter<void>();
  /** Fires when the key or the base URL changes (client() then builds a new client by itself). */
  readonly onDidChange = this.changedEmitter.event;
  private readonly listeners: vscode.Disposable[];

  constructor(
    private readonly config: WorkbenchConfig,
    private readonly keys: ApiKeyStore,
  ) {
    let baseURL = config.settings.apiBaseUrl;
    this.listeners = [
      // Other settings (the count delay, prices...) do not concern the connection.
      config.onDidChange((settings) => {
        if (settings.apiBaseUrl === baseURL) return;
        baseURL = settings.apiBaseUrl;
        this.changedEmitter.fire();
      }),
      keys.onDidChange(() => this.changedEmitter.fire()),
      this.changedEmitter,
    ];
  }

  async hasKey(): Promise<boolean> {
    return (await this.keys.get()) !== undefined;
  }

  /** The key in use, for cache keys and redaction only; never log or display it. */
  async currentKey(): Promise<string | undefined> {
    return (await this.keys.get())?.key;
  }

  /** The client, or NoApiKeyError when no key is set. */
  async client(): Promise<Anthropic> {
    const found = await this.keys.get();
    if (!found) throw new NoApiKeyError();
    const baseURL = this.config.settings.apiBaseUrl;
    if (this.cached?.key !== found.key || this.cached.baseURL !== baseURL) {
      this.cached = { key: found.key, baseURL, client: createApiClient({ apiKey: found.key, baseURL }) };
    }
    return this.cached.client;
  }

  /** A client for a key that is not stored yet, to check it with a cheap call. */
  async clientForKey(apiKey: string): Promise<Anthropic> {
    return createApiClient({ apiKey, baseURL: this.config.settings.apiBaseUrl, maxRetries: 0, timeoutMs: 20_000 });
  }

  dispose(): void {
    this.listeners.forEach((l) => l.dispose());
  }
}
