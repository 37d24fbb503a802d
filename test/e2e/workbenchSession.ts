// Helpers for end-to-end tests: a real VS Code server with the extension under development,
// its workbench in headless Chromium, driven through the UI as a person would.
import { rmSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { ensureTestHost, repoRoot } from '../launcher/hostSetup';
import { freshWorkspace } from '../launcher/testHost';
import { openWorkbench, withoutNoise, type ServerOptions, type Workbench } from '../launcher/vscodeServer';

export interface E2eSession extends Workbench {
  workspace: string;
}

export async function startSession(options: ServerOptions & { extensionDevelopmentPath?: string | null } = {}): Promise<E2eSession> {
  const host = ensureTestHost();
  const workspace = freshWorkspace();
  const developmentPath = options.extensionDevelopmentPath === null ? undefined : (options.extensionDevelopmentPath ?? repoRoot);
  const workbench = await openWorkbench(host, { ...options, folder: workspace, extensionDevelopmentPath: developmentPath });
  return {
    ...workbench,
    workspace,
    close: async () => {
      await workbench.close();
      rmSync(workspace, { recursive: true, force: true });
    },
  };
}

/** Prints the server's log when a test failed, so the failure can be read from CI output. */
export function dumpLogOnFailure(session: E2eSession | undefined, test: Mocha.Context): void {
  if (session && test.currentTest?.state === 'failed') process.stderr.write(withoutNoise(session.server.output()));
}

/** Opens a workspace file through Quick Open, as a user would. */
export async function quickOpen(page: Page, fileName: string): Promise<void> {
  await page.locator('.monaco-workbench').click({ position: { x: 700, y: 400 } }).catch(() => undefined);
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(fileName);
  await page.locator('.quick-input-list .monaco-list-row').first().waitFor();
  await page.keyboard.press('Enter');
  await page.locator(`.tab[aria-label*="${fileName}"]`).first().waitFor();
}

/** Runs a command from the command palette (F1), typed as a user would. */
export async function runFromPalette(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(`>${title}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor();
  await page.keyboard.press('Enter');
}
