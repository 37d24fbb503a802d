// Helpers for end-to-end tests: a real VS Code server with the extension under development,
// its workbench in headless Chromium, driven through the UI as a person would.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Browser, Frame, Locator, Page } from 'playwright-core';
import { ensureTestHost, repoRoot } from '../launcher/hostSetup';
import { freshWorkspace } from '../launcher/testHost';
import { launchBrowser, startServer, withoutNoise, workbenchUrl, type RunningServer, type ServerOptions, type Workbench } from '../launcher/vscodeServer';
import { start, type Simulator, type SimulatorOptions } from '../simulator/server';

/**
 * The key every end-to-end test gives the extension: only the project's simulator sees it. Built
 * from two literals so no committed string looks like a real key to a secret scanner.
 */
export const FAKE_API_KEY = ['sk-ant', 'fake-e2e-key'].join('-');

export interface E2eSession extends Workbench {
  workspace: string;
}

export interface SessionOptions extends ServerOptions {
  /** The extension folder to load; null loads none (e.g. for an installed .vsix). Default: this repository. */
  extensionDevelopmentPath?: string | null;
  /**
   * Settings written to the server's machine settings (`<server-data-dir>/Machine/settings.json`)
   * before the workbench loads: the only place machine-scoped settings such as
   * `promptWorkbench.apiBaseUrl` can be set as a user would, without a workspace file.
   */
  machineSettings?: Record<string, unknown>;
  /**
   * User settings, written to `<user-data-dir>/User/settings.json` before the workbench loads (the
   * server keeps the browser workbench's user data there), e.g. `workbench.startupEditor`.
   */
  userSettings?: Record<string, unknown>;
  /** Extra workspace files (path relative to the workspace root → contents), written before the workbench loads. */
  files?: Record<string, string>;
  /** The folder the workspace copy is made in (default: the system temp folder), e.g. to put files beside it. */
  workspaceParent?: string;
  /** Called with the workspace folder after `files` are written and before the workbench loads (links, modes...). */
  prepareWorkspace?: (workspace: string) => void;
}

/**
 * The VS Code server's machine settings file. The server's user data folder is `--user-data-dir`
 * (the same folder as `--server-data-dir` here), and it keeps machine settings in `Machine/`.
 */
export function machineSettingsPath(server: RunningServer): string {
  return join(server.userDataDir, 'Machine', 'settings.json');
}

export async function startSession(options: SessionOptions = {}): Promise<E2eSession> {
  const host = ensureTestHost();
  const workspace = freshWorkspace(undefined, options.workspaceParent);
  for (const [relative, text] of Object.entries(options.files ?? {})) {
    const file = join(workspace, relative);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  options.prepareWorkspace?.(workspace);
  const developmentPath = options.extensionDevelopmentPath === null ? undefined : (options.extensionDevelopmentPath ?? repoRoot);
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  try {
    server = await startServer(host, options);
    const settingsFiles: [string, Record<string, unknown> | undefined][] = [
      [machineSettingsPath(server), options.machineSettings],
      [join(server.userDataDir, 'User', 'settings.json'), options.userSettings],
    ];
    for (const [file, settings] of settingsFiles) {
      if (!settings) continue;
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, `${JSON.stringify(settings, null, 2)}\n`);
    }
    browser = await launchBrowser(host);
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(workbenchUrl(server, { folder: workspace, ...(developmentPath ? { extensionDevelopmentPath: developmentPath } : {}) }));
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    const started = { server, browser };
    return {
      page,
      browser,
      server,
      workspace,
      close: async () => {
        await started.browser.close().catch(() => undefined);
        await started.server.stop();
        rmSync(workspace, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await browser?.close().catch(() => undefined);
    if (server) {
      process.stderr.write(withoutNoise(server.output()));
      await server.stop();
    }
    rmSync(workspace, { recursive: true, force: true });
    throw error;
  }
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

/**
 * Waits until the extension host has activated the extension (its `workspaceContains` event fires
 * soon after the workbench loads). Until then the command palette does not list its commands yet
 * and a filter typed early is not refreshed, so a test that types a command must wait for this,
 * as a person waits for the window to settle. Read from the extension host's log.
 */
export async function waitForActivation(session: E2eSession, extensionId = 'prompt-workbench.prompt-workbench', timeoutMs = 90_000): Promise<void> {
  const marker = `_doActivateExtension ${extensionId}`;
  await waitUntil(
    `the extension host to activate ${extensionId}`,
    () => filesUnder(join(session.server.userDataDir, 'logs')).some((file) => /exthost\.log$/.test(file) && readFileSync(file, 'utf8').includes(marker)),
    timeoutMs,
    250,
  );
}

/** Prints the server's log when a test failed, so the failure can be read from CI output. */
export function dumpLogOnFailure(session: E2eSession | undefined, test: Mocha.Context): void {
  if (session && test.currentTest?.state === 'failed') process.stderr.write(withoutNoise(session.server.output()));
}

/** On a failed test: the server's log, and a screenshot of what the workbench showed at that moment. */
export async function recordFailure(session: E2eSession | undefined, test: Mocha.Context): Promise<void> {
  if (!session || test.currentTest?.state !== 'failed') return;
  dumpLogOnFailure(session, test);
  const name = `failed-${(test.currentTest.title || 'test').replace(/[^\w-]+/g, '-').slice(0, 60)}`;
  const path = await screenshot(session.page, name).catch(() => undefined);
  if (path) process.stderr.write(`\n[e2e] screenshot of the failure: ${path}\n`);
}

/** A suite's workbench session and the simulator it talks to, once its `before` hook has made them. */
export interface WorkbenchSessionHandle {
  readonly session: E2eSession;
  readonly sim: Simulator;
}

/**
 * The hooks every end-to-end suite needs: before, start the simulator (`simulator`, on a free port)
 * and a workbench session on it (`session`, given the simulator), and wait for the extension to
 * activate (unless `activate` is false); after each failed test, record the failure (log and
 * screenshot); after, close the session and the simulator, then run `cleanup`.
 */
export function useWorkbenchSession(setup: {
  /** The simulator's options; false: the suite needs none. */
  simulator?: SimulatorOptions | false;
  /** The session's options, given the suite's simulator (none with `simulator: false`). */
  session?: (sim: Simulator) => SessionOptions | Promise<SessionOptions>;
  activate?: boolean;
  cleanup?: () => void | Promise<void>;
}): WorkbenchSessionHandle {
  let session: E2eSession | undefined;
  let sim: Simulator | undefined;
  before(async () => {
    if (setup.simulator !== false) sim = await start({ port: 0, ...setup.simulator });
    session = await startSession((await setup.session?.(sim as Simulator)) ?? {});
    if (setup.activate !== false) await waitForActivation(session);
  });
  afterEach(async function () {
    await recordFailure(session, this);
  });
  after(async () => {
    await session?.close();
    await sim?.close();
    await setup.cleanup?.();
  });
  return {
    get session(): E2eSession {
      if (!session) throw new Error('the workbench session has not started (its before hook failed)');
      return session;
    },
    get sim(): Simulator {
      if (!sim) throw new Error('the simulator has not started (the before hook failed)');
      return sim;
    },
  };
}

/**
 * Opens a workspace file through Quick Open (Ctrl+P), as a user would, in the active editor group.
 * First clicks the middle of the workbench to give it focus, unless `clickWorkbench` is false (when
 * a test has just chosen the editor group itself). While the workbench is still starting, Quick
 * Open can close again or list no files yet; then it is tried again, as a person would.
 */
export async function quickOpen(page: Page, fileName: string, options: { clickWorkbench?: boolean; timeoutMs?: number } = {}): Promise<void> {
  const tab = page.locator(`.tab[aria-label*="${fileName}"]`).first();
  const widget = page.locator('.quick-input-widget');
  const input = widget.locator('input');
  const deadline = Date.now() + (options.timeoutMs ?? 90_000);
  for (let attempt = 1; ; attempt++) {
    try {
      if (await widget.isVisible()) await page.keyboard.press('Escape');
      if (options.clickWorkbench !== false) await page.locator('.monaco-workbench').click({ position: { x: 700, y: 400 } }).catch(() => undefined);
      await page.keyboard.press('Control+P');
      await input.waitFor({ timeout: 10_000 });
      await input.fill(fileName);
      await widget.locator(`.quick-input-list .monaco-list-row[aria-label*="${fileName}"]`).first().waitFor({ timeout: 15_000 });
      await page.keyboard.press('Enter');
      await tab.waitFor({ timeout: 15_000 });
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`Quick Open did not open ${fileName} after ${attempt} attempts: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }
}

/**
 * Opens a prompt with Quick Open, then waits until the extension host follows it as the active
 * editor (the token item shows in the status bar). The tab shows before the extension host hears
 * of the new active editor; a palette command that acts on "the prompt in the active editor" sent
 * in between finds none and asks which prompt to run instead. For the first prompt shown: the item
 * shows for any prompt, so with one already showing, its showing would say nothing of this one.
 */
export async function openPromptForCommands(page: Page, fileName: string): Promise<void> {
  if (await costStatusItem(page).isVisible()) throw new Error(`openPromptForCommands(${fileName}): a prompt's token item already shows, so it cannot tell when the extension host follows this one`);
  await quickOpen(page, fileName);
  await costStatusItem(page).waitFor({ state: 'visible', timeout: 60_000 });
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

/** The Prompt Workbench token/cost item in the status bar. */
export function costStatusItem(page: Page): Locator {
  return page.locator('[id="prompt-workbench.prompt-workbench.promptWorkbench.cost"]');
}

/** An action button in the title bar of the active editor group(s), by its label (e.g. "Run Prompt"). */
export function editorTitleAction(page: Page, label: string): Locator {
  return page.locator(`.editor-group-container .editor-actions .action-label[aria-label^="${label}"]`);
}

/**
 * Waits until `check` returns a value other than undefined/false and returns it. For conditions
 * outside the browser (files on disk, the simulator's request log) and for polling the DOM of frames.
 */
export async function waitUntil<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${lastError instanceof Error ? lastError.message : String(lastError)})` : ''}`);
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, intervalMs));
  }
}

/**
 * The frame (a webview's inner iframe, for example) that holds `selector`. VS Code webviews are
 * two nested iframes; the content lives in the inner one, so the frames are searched, not the page.
 */
export async function frameWith(page: Page, selector: string, timeoutMs = 60_000): Promise<Frame> {
  return waitUntil(
    `a frame containing ${selector}`,
    async () => {
      for (const frame of page.frames()) {
        if (frame === page.mainFrame() || frame.isDetached()) continue;
        if ((await frame.locator(selector).count().catch(() => 0)) > 0) return frame;
      }
      return undefined;
    },
    timeoutMs,
    250,
  );
}

/** The API key a recorded request carried: `x-api-key`, or `Authorization: Bearer` as the SDK sends it. */
export function sentApiKey(headers: Record<string, string>): string | undefined {
  return headers['x-api-key'] ?? /^Bearer\s+(.+)$/i.exec(headers['authorization'] ?? '')?.[1]?.trim();
}

/** Saves a screenshot of the whole workbench under the temp folder and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const path = join(tmpdir(), `prompt-workbench-e2e-${name}.png`);
  await page.screenshot({ path });
  return path;
}
