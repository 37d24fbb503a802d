import * as vscode from 'vscode';
import type { ApiKeyStore } from './apiKeyStore';

/** A cheap authenticated call that proves a key works (e.g. listing one model). */
export type KeyCheck = (key: string) => Promise<void>;

/** Which key is active, as its source and last four characters only (see describeTarget). */
export type ActiveKeyDescription = () => Promise<string>;

export function registerApiKeyCommands(store: ApiKeyStore, checkKey: KeyCheck, log: vscode.LogOutputChannel, activeKey: ActiveKeyDescription): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.commands.registerCommand('promptWorkbench.setApiKey', async (): Promise<boolean> => {
      const before = await activeKey();
      const key = await vscode.window.showInputBox({
        title: 'Anthropic API key',
        prompt: `In use now: ${before}. A key set here is stored in VS Code SecretStorage only, never in settings or files.`,
        password: true,
        ignoreFocusOut: true,
        placeHolder: 'sk-ant-…',
        validateInput: (value) => (value.trim().length < 8 ? 'That does not look like an API key.' : undefined),
      });
      if (!key) return false;
      try {
        await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: 'Checking the API key…' },
          () => checkKey(key.trim()),
        );
      } catch (error) {
        const status = (error as { status?: number }).status;
        if (status === 401 || status === 403) {
          void vscode.window.showErrorMessage('The API rejected that key. Check it in the Anthropic Console and try again.');
          return false;
        }
        // Offline or a server problem: the key may well be fine, so keep it and say so.
        log.warn(`Could not verify the API key (${status ?? 'network'}); stored it anyway.`);
        await store.store(key);
        void vscode.window.showWarningMessage(`Stored the key, but could not verify it now (network or server problem). In use: ${await activeKey()}.`);
        return true;
      }
      await store.store(key);
      void vscode.window.showInformationMessage(`API key verified and stored in SecretStorage. In use: ${await activeKey()}.`);
      return true;
    }),
    vscode.commands.registerCommand('promptWorkbench.clearApiKey', async () => {
      await store.clear();
      void vscode.window.showInformationMessage(`Removed the API key from SecretStorage. In use now: ${await activeKey()}.`);
    }),
  );
}
