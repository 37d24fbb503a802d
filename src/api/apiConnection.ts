import * as vscode from 'vscode';
import type Anthropic from '@anthropic-ai/sdk';
import { createApiClient } from '../core/api/apiClient';
import { KeyRedactor } from '../core/api/keyRedaction';
import { NoApiKeyError } from '../core/api/noApiKeyError';
import { chooseApiTarget, simulatorOffer, type ApiTarget, type SimulatorOffer } from '../core/api/simulatorOffer';
import type { WorkbenchConfig } from '../config/workbenchConfig';
import type { ApiKeyStore } from '../apiKey/apiKeyStore';

/**
 * Hands out an SDK client for the current target (the simulator `npm start` offers, or the API
 * with the user's key), creating it (and loading the SDK) on first use.
 */
export class ApiConnection implements vscode.Disposable {
  private cached: { key: string; baseURL: string; client: Promise<Anthropic> } | undefined;
  /** Read once: the extension host's environment does not change while it runs. */
  private readonly simulator: SimulatorOffer | undefined = simulatorOffer(process.env);
  private readonly changedEmitter = new vscode.EventEmitter<void>();
  /** Fires when the key or the base URL changes (client() then builds a new client by itself). */
  readonly onDidChange = this.changedEmitter.event;
  private readonly listeners: vscode.Disposable[];
  /** Redacts every key this connection has handed to the SDK (and the environment's) from text that is shown or logged. */
  readonly redactor = new KeyRedactor([process.env['ANTHROPIC_API_KEY']]);

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

  /** Where calls go now: the simulator, the API with a key, or nowhere (no key). */
  async target(): Promise<ApiTarget | undefined> {
    const target = chooseApiTarget(this.simulator, await this.keys.get(), this.config.settings.apiBaseUrl);
    this.redactor.remember(target?.key);
    return target;
  }

  /** Whether calls go to the simulator (every answer is then labelled as simulated). */
  async isSimulated(): Promise<boolean> {
    return (await this.target())?.kind === 'simulator';
  }

  /** Whether a run can be sent: a key is set, or the simulator is in use. */
  async hasKey(): Promise<boolean> {
    return (await this.target()) !== undefined;
  }

  /** The key in use, for cache keys and redaction only; never log or display it. */
  async currentKey(): Promise<string | undefined> {
    return (await this.target())?.key;
  }

  /** The client, or NoApiKeyError when no key is set and no simulator is offered. */
  async client(): Promise<Anthropic> {
    return (await this.connect()).client;
  }

  /** The client together with the target it talks to, so a caller labels what it gets truthfully. */
  async connect(): Promise<{ client: Anthropic; target: ApiTarget }> {
    const target = await this.target();
    if (!target) throw new NoApiKeyError();
    if (this.cached?.key !== target.key || this.cached.baseURL !== target.baseURL) {
      this.cached = { key: target.key, baseURL: target.baseURL, client: createApiClient({ apiKey: target.key, baseURL: target.baseURL }) };
    }
    return { client: await this.cached.client, target };
  }

  /** A client for a key that is not stored yet, to check it with a cheap call. */
  async clientForKey(apiKey: string): Promise<Anthropic> {
    this.redactor.remember(apiKey);
    return createApiClient({ apiKey, baseURL: this.config.settings.apiBaseUrl, maxRetries: 0, timeoutMs: 20_000 });
  }

  dispose(): void {
    this.listeners.forEach((l) => l.dispose());
  }
}
