import * as vscode from 'vscode';
import { createHash } from 'node:crypto';
import { findModel } from '../core/models/modelCatalogue';
import type { ApiConnection } from '../api/apiConnection';

export interface ModelLimit {
  contextWindow: number;
  maxOutputTokens: number;
  source: 'Models API' | 'bundled table';
}

/**
 * Context window and maximum output per model: from the Models API (fetched once per key, on the
 * first network use), falling back to the bundled table when there is no key or no network.
 */
export class ModelLimits implements vscode.Disposable {
  private fromApi: { keyHash: string; limits: Map<string, ModelLimit> } | undefined;
  private loading: Promise<void> | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly api: ApiConnection) {}

  get(model: string): ModelLimit | undefined {
    const live = this.fromApi?.limits.get(model);
    if (live) return live;
    const bundled = findModel(model);
    return bundled ? { contextWindow: bundled.contextWindow, maxOutputTokens: bundled.maxOutputTokens, source: 'bundled table' } : undefined;
  }

  /** Loads the Models API list for the current key, once; failures keep the bundled table. */
  refresh(): Promise<void> {
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async load(): Promise<void> {
    // Restricted Mode makes no Models API call; the bundled table serves until the folder is trusted.
    if (!vscode.workspace.isTrusted) return;
    const key = await this.api.currentKey();
    if (!key) return;
    const keyHash = createHash('sha256').update(key).digest('hex');
    if (this.fromApi?.keyHash === keyHash) return;
    try {
      const client = await this.api.client();
      const limits = new Map<string, ModelLimit>();
      for await (const model of client.models.list({ limit: 100 }, { maxRetries: 0 })) {
        if (model.max_input_tokens && model.max_tokens) {
          limits.set(model.id, { contextWindow: model.max_input_tokens, maxOutputTokens: model.max_tokens, source: 'Models API' });
        }
      }
      this.fromApi = { keyHash, limits };
      this.changed.fire();
    } catch {
      // Offline or no permission: the bundled table stays in use.
    }
  }

  dispose(): void {
    this.changed.dispose();
  }
}
