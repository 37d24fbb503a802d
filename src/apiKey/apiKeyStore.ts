import * as vscode from 'vscode';

const secretName = 'promptWorkbench.anthropicApiKey';

export type KeySource = 'secretStorage' | 'environment';

/** The API key lives only in SecretStorage, with ANTHROPIC_API_KEY from the environment as the fallback. */
export class ApiKeyStore implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly listener: vscode.Disposable;

  constructor(private readonly secrets: vscode.SecretStorage) {
    this.listener = secrets.onDidChange((event) => {
      if (event.key === secretName) this.changed.fire();
    });
  }

  async get(): Promise<{ key: string; source: KeySource } | undefined> {
    const stored = await this.secrets.get(secretName);
    if (stored) return { key: stored, source: 'secretStorage' };
    const fromEnv = process.env['ANTHROPIC_API_KEY'];
    if (fromEnv) return { key: fromEnv, source: 'environment' };
    return undefined;
  }

  async store(key: string): Promise<void> {
    await this.secrets.store(secretName, key.trim());
  }

  async clear(): Promise<void> {
    await this.secrets.delete(secretName);
  }

  dispose(): void {
    this.listener.dispose();
    this.changed.dispose();
  }
}
