// The first five minutes, as a newcomer lives them: `npm start` on a machine without a key, the
// printed address opened in Chromium, the first example open in a trusted workspace, Run Prompt
// from the command palette, the answer streaming into the panel labelled as simulated, and the
// walkthrough. Then the same start with a key in the environment (a fake key, pointed at a
// simulator this test runs, so no real call is made) shows no simulator label anywhere.
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Frame, Page } from 'playwright-core';
import { start, type Simulator } from '../simulator/server';
import { ensureTestHost, repoRoot } from '../launcher/hostSetup';
import { launchBrowser } from '../launcher/vscodeServer';
import { costStatusItem, frameWith, sentApiKey, waitUntil, FAKE_API_KEY } from './workbenchSession';

const FAKE_KEY = FAKE_API_KEY;
const firstExample = 'classify-ticket.prompt.json';

interface StartedScript {
  child: ChildProcess;
  url: string;
  output: () => string;
  stop(): Promise<void>;
}

/** Runs `npm start -- <args>` as a user would, and waits for the address it prints. */
async function npmStart(args: string[], env: NodeJS.ProcessEnv): Promise<StartedScript> {
  const child = spawn('npm', ['start', '--', ...args], { cwd: repoRoot, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.pid === undefined) return;
    const pid = child.pid;
    const signal = (name: NodeJS.Signals): void => {
      try {
        process.kill(-pid, name);
      } catch {
        // The group has already gone.
      }
    };
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    // Ctrl-C, as a user stops it.
    signal('SIGINT');
    await Promise.race([exited, new Promise((done) => setTimeout(done, 10_000).unref())]);
    if (child.exitCode === null) signal('SIGKILL');
  };
  try {
    const exitedEarly = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`npm start exited with ${code} before printing an address`))));
    exitedEarly.catch(() => undefined); // it is raced below; after that, exiting is expected
    const printed = waitUntil('npm start to print the workbench address', () => /^\s+(http:\/\/127\.0\.0\.1:\d+\/\?tkn=\S+)$/m.exec(output)?.[1], 150_000, 250);
    const url = await Promise.race([printed, exitedEarly]);
    return { child, url, output: () => output, stop };
  } catch (error) {
    process.stderr.write(`\n[npm start]\n${output}\n`);
    await stop();
    throw error;
  }
}

/** The environment of a newcomer's shell: no key. */
function shellWithoutKey(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env['ANTHROPIC_API_KEY'];
  delete env['PORT'];
  return env;
}

/**
 * Runs a command from the palette by its full title, and only that one: Enter is pressed only when
 * the highlighted entry is exactly `title`. While the window is still settling (the extension
 * activating, workspace trust resolving) the entry may not be listed yet; then the palette is
 * opened again, as a person would.
 */
async function runExactlyFromPalette(page: Page, title: string, timeoutMs = 60_000): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  const input = widget.locator('input');
  const focused = widget.locator('.quick-input-list .monaco-list-row.focused');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await widget.isVisible()) await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    await input.waitFor();
    await input.fill(`>${title}`);
    const listed = await focused
      .filter({ hasText: title })
      .waitFor({ timeout: 5_000 })
      .then(() => true, () => false);
    if (listed) {
      const label = (await focused.locator('.label-name').innerText()).replace(/\s+/g, ' ').trim();
      assert.equal(label, title, 'the highlighted palette entry');
      await page.keyboard.press('Enter');
      return;
    }
    if (Date.now() > deadline) throw new Error(`The command palette did not offer "${title}"`);
  }
}

function panelFrame(page: Page): Promise<Frame> {
  return frameWith(page, '[data-testid="run-output"]', 90_000);
}

async function openWorkbench(browser: Browser, url: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(url, { timeout: 120_000, waitUntil: 'domcontentloaded' });
  await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
  return page;
}

const historyDir = join(repoRoot, 'examples', '.prompt-history');

function historyFiles(): string[] {
  return existsSync(historyDir) ? readdirSync(historyDir).filter((name) => name.endsWith('.jsonl')).map((name) => join(historyDir, name)) : [];
}

/** npm start opens the repository's own examples/, so the runs' history lands there: put it back as it was. */
function restoreHistory(before: Map<string, number> | undefined, existed: boolean): void {
  if (!existed) {
    rmSync(historyDir, { recursive: true, force: true });
    return;
  }
  for (const file of historyFiles()) {
    const size = before?.get(file);
    if (size === undefined) rmSync(file, { force: true });
    else if (statSync(file).size > size) truncateSync(file, size);
  }
}

describe('a newcomer runs npm start (end-to-end)', function () {
  this.timeout(300_000);
  let browser: Browser;
  let started: StartedScript | undefined;
  let page: Page | undefined;
  let historyBefore: Map<string, number>;
  const historyExisted = existsSync(historyDir);

  before(async () => {
    browser = await launchBrowser(ensureTestHost());
    historyBefore = new Map(historyFiles().map((file) => [file, statSync(file).size]));
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') {
      if (started) process.stderr.write(`\n[npm start]\n${started.output()}\n`);
      const shot = join(tmpdir(), `prompt-workbench-e2e-newcomer-${Date.now()}.png`);
      if (await page?.screenshot({ path: shot }).then(() => true, () => false)) process.stderr.write(`[e2e] screenshot of the failure: ${shot}\n`);
    }
    await page?.close().catch(() => undefined);
    page = undefined;
    await started?.stop();
    started = undefined;
  });
  after(async () => {
    await browser?.close();
    restoreHistory(historyBefore, historyExisted);
  });

  it('without a key: a trusted examples folder, the first example, Run Prompt from the palette, a simulated answer labelled as one, and the walkthrough', async () => {
    started = await npmStart([], shellWithoutKey());
    assert.match(started.output(), /local API simulator/);
    // The token is in the address, and the server refuses an address without it.
    const withoutToken = started.url.replace(/tkn=[^&]+&?/, '');
    const refused = await fetch(withoutToken);
    assert.equal(refused.status, 403, `the server answered ${refused.status} without the connection token`);

    page = await openWorkbench(browser, started.url);
    // The first example is open, in a trusted workspace, with nothing in front of it.
    await page.locator(`.tab.active[aria-label*="${firstExample}"]`).waitFor({ timeout: 60_000 });
    assert.equal(await page.locator('.tab[aria-label*="Welcome"]').count(), 0, 'a Welcome tab is open');
    assert.equal(await page.locator('.part.auxiliarybar').isVisible(), false, 'the secondary side bar (Chat) is showing');
    assert.equal(await page.getByText('Restricted Mode').count(), 0, 'the workspace opened in Restricted Mode');

    // The status bar says the figures come from the simulator.
    const costItem = costStatusItem(page);
    await waitUntil('the cost item to say simulator', async () => /simulator/.test(await costItem.innerText()), 90_000, 250);

    // Run it from the palette by its full title: the highlighted entry is Run Prompt, not New Prompt.
    await page.locator('.monaco-editor .view-lines').first().click();
    await runExactlyFromPalette(page, 'Prompt Workbench: Run Prompt');

    const frame = await panelFrame(page);
    const status = (): Promise<string> => frame.locator('[data-testid="run-status"]').innerText().then((text) => text.trim());
    const output = frame.locator('[data-testid="run-output"]');
    await frame.locator('[data-testid="simulator-banner"]').waitFor({ timeout: 60_000 });
    await waitUntil('the run to complete', async () => (await status()) === 'completed', 60_000, 250);
    assert.match(await frame.locator('[data-testid="simulator-banner"]').innerText(), /simulator/i);
    assert.ok((await output.innerText()).trim().length > 0, 'no answer in the panel');

    // Once more, now that the panel is on screen: the answer is seen while it is still arriving.
    await page.locator('.monaco-editor .view-lines').first().click();
    await runExactlyFromPalette(page, 'Prompt Workbench: Run Prompt');
    await waitUntil('text in the panel while the run is going', async () => (await status()) === 'running' && (await output.innerText()).trim().length > 0, 60_000, 20);
    assert.equal(await frame.locator('[data-testid="simulator-banner"]').count(), 1, 'the banner is missing while the answer streams');
    await waitUntil('the second run to complete', async () => (await status()) === 'completed', 60_000, 250);

    // The history marks the run as simulated.
    const grown = await waitUntil('a history record', () => historyFiles().find((file) => statSync(file).size > (historyBefore.get(file) ?? 0)), 30_000);
    const last = JSON.parse(readFileSync(grown, 'utf8').trim().split('\n').at(-1) ?? '{}') as { simulated?: boolean };
    assert.equal(last.simulated, true);

    // The walkthrough, from the palette: the steps the newcomer has done are ticked, the others not.
    await runExactlyFromPalette(page, 'Prompt Workbench: Get Started');
    await page.getByText('Get started with Prompt Workbench').first().waitFor({ timeout: 30_000 });
    const step = (id: string) => page!.locator(`button.getting-started-step[data-step-id$="#${id}"]`);
    const ticked = async (id: string): Promise<boolean> => (await step(id).getAttribute('aria-checked')) === 'true';
    for (const id of ['apiKey', 'openExample', 'run']) await waitUntil(`the "${id}" step to be ticked`, () => ticked(id), 30_000, 250);
    assert.equal(await ticked('continue'), false, 'Continue is ticked before it was used');
    assert.equal(await ticked('history'), false, 'the history step is ticked before it was looked at');
    // The dataset and batch step is there, with its own page, and not done before a dataset was run.
    await step('dataset').waitFor({ timeout: 30_000 });
    assert.equal(await ticked('dataset'), false, 'the dataset step is ticked before a dataset was run');
    await step('dataset').click();
    await page.getByText('Nothing is sent until you start it.').first().waitFor({ timeout: 30_000 });
    // Doing a step from the walkthrough ticks it at once.
    await step('history').click();
    await page.locator('.getting-started-step a, .getting-started-step .button-link', { hasText: 'Show Run History' }).first().click();
    await waitUntil('the history step to be ticked', () => ticked('history'), 30_000, 250);
  });

  it('with a key in the environment: no simulator label anywhere', async () => {
    let sim: Simulator | undefined;
    try {
      sim = await start({ port: 0 });
      // A fake key pointed at a simulator, so the "real API" path is taken without a real call.
      started = await npmStart(['--pass-key', '--api-base-url', sim.url], { ...shellWithoutKey(), ANTHROPIC_API_KEY: FAKE_KEY });
      assert.doesNotMatch(started.output(), /local API simulator/);
      page = await openWorkbench(browser, started.url);
      await page.locator(`.tab.active[aria-label*="${firstExample}"]`).waitFor({ timeout: 60_000 });
      const status = costStatusItem(page);
      await waitUntil('an exact count in the status bar', async () => /tok/.test(await status.innerText()) && !(await status.innerText()).includes('~'), 90_000, 250);
      assert.doesNotMatch(await status.innerText(), /simulator/i);

      await page.locator('.monaco-editor .view-lines').first().click();
      await runExactlyFromPalette(page, 'Prompt Workbench: Run Prompt');
      const frame = await panelFrame(page);
      await waitUntil('the run to complete', async () => (await frame.locator('[data-testid="run-status"]').innerText()).trim() === 'completed', 90_000, 250);
      assert.equal(await frame.locator('[data-testid="simulator-banner"]').count(), 0);
      const sent = sim.requests.filter((r) => r.endpoint === 'messages');
      assert.ok(sent.length > 0, 'the run did not reach the API');
      assert.ok(sent.every((r) => sentApiKey(r.headers) === FAKE_KEY), 'the run was not sent with the key from the environment');
    } finally {
      await sim?.close();
    }
  });
});
