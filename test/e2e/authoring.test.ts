// Authoring a prompt in the real workbench, as a person would: New Prompt from the command
// palette, the name typed into the input box, the file opened; then the token count in the status
// bar follows what is typed into the editor. The extension counts against the local simulator.
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { countRequestTokens } from '../simulator/tokenizer';
import { costStatusItem, FAKE_API_KEY, screenshot, sentApiKey, useWorkbenchSession, waitUntil } from './workbenchSession';

const API_KEY = FAKE_API_KEY;
const PROMPT_NAME = 'tide-tables';
const PROMPT_FILE = `${PROMPT_NAME}.prompt.json`;

const TYPED = ' Start with a one-line summary, then give two concrete examples for a curious reader.';

/** "~1,234 tok · …" (estimate) or "23 tok · …" (exact) → the number of input tokens shown. */
function shownTokens(text: string): number {
  const match = /^~?([\d,]+) tok · /.exec(text);
  assert.ok(match, `no token count in the status bar text ${JSON.stringify(text)}`);
  return Number((match[1] ?? '').replace(/,/g, ''));
}

/** What the simulator answered to a recorded count_tokens request. */
function simulatorCount(body: unknown): number {
  const request = body as Record<string, unknown>;
  return countRequestTokens(request, String(request['model']));
}

describe('authoring in the workbench (end-to-end)', function () {
  const workbench = useWorkbenchSession({
    simulator: { port: 0 },
    session: (sim) => ({
      env: { ANTHROPIC_API_KEY: API_KEY },
      machineSettings: { 'promptWorkbench.apiBaseUrl': sim.url, 'promptWorkbench.countDelayMs': 200 },
      userSettings: { 'workbench.startupEditor': 'none' },
    }),
  });

  it('New Prompt, run from the command palette in the real workbench, creates and opens a file', async () => {
    const page = workbench.session.page;
    // Nothing is open yet, so the new prompt goes to the workspace root.
    await page.locator('.monaco-workbench').click({ position: { x: 700, y: 400 } });
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor();
    await page.keyboard.type('Prompt Workbench: New Prompt');
    // "New Prompt from curl" matches too: Enter must pick the command itself, so it must be the focused (first) row.
    await page.locator('.quick-input-list .monaco-list-row.focused[aria-label="Prompt Workbench: New Prompt"]').waitFor({ timeout: 20_000 });
    await page.keyboard.press('Enter');

    // The input box: titled "New prompt", prefilled with a suggestion that typing replaces.
    await page.locator('.quick-input-widget', { hasText: 'New prompt' }).waitFor({ timeout: 20_000 });
    await waitUntil('the suggested name in the input box', async () => (await input.inputValue()) === 'my-prompt');
    await page.keyboard.type(PROMPT_NAME);
    await page.keyboard.press('Enter');

    const tab = page.locator(`.tab[aria-label*="${PROMPT_FILE}"]`);
    await tab.first().waitFor({ timeout: 30_000 });
    assert.match((await page.locator('.tab.active').first().getAttribute('aria-label')) ?? '', new RegExp(PROMPT_FILE.replace(/\./g, '\\.')));
    await page.locator('.monaco-editor .view-lines', { hasText: '"request"' }).first().waitFor();
    await screenshot(page, 'authoring-new-prompt');

    const file = join(workbench.session.workspace, PROMPT_FILE);
    assert.ok(existsSync(file), `${file} should exist on disk`);
    const prompt = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; request?: { model?: unknown; messages?: unknown } };
    assert.equal(prompt.name, PROMPT_NAME);
    assert.ok(prompt.request && typeof prompt.request === 'object', 'the new prompt has a "request"');
    assert.equal(typeof prompt.request.model, 'string');
    assert.ok(Array.isArray(prompt.request.messages) && prompt.request.messages.length > 0);
  });

  it('shows the token count in the status bar and updates it as the user message is typed', async () => {
    const page = workbench.session.page;
    // The new prompt from the test above is the active editor.
    const item = costStatusItem(page);
    await item.waitFor({ state: 'visible', timeout: 30_000 });
    // The offline estimate (~) shows at once; wait for the exact count from the simulator's count_tokens.
    const exact = await waitUntil('an exact count (no ~) in the status bar', async () => {
      const text = (await item.innerText()).trim();
      return /^[\d,]+ tok · /.test(text) ? text : undefined;
    });
    assert.match(exact, /tok · \$[\d.]+ · .*ctx/);
    const counts = workbench.sim.requests.filter((r) => r.endpoint === 'count_tokens');
    assert.ok(counts.length > 0, 'the status bar counted with the simulator');
    assert.deepEqual(new Set(counts.map((r) => sentApiKey(r.headers))), new Set([API_KEY]), 'with the key from ANTHROPIC_API_KEY');
    const before = shownTokens(exact);

    // Click into the user message's string, go to its end, step inside the closing quote and type.
    const line = page.locator('.monaco-editor .view-line', { hasText: 'Write a short overview of' });
    await line.click();
    await page.keyboard.press('End');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.type(TYPED);

    // The exact count of the edited prompt: the simulator was asked for it (after the typing
    // paused), and the status bar shows what it answered.
    const edited = await waitUntil('a count_tokens request for the edited message', () =>
      workbench.sim.requests.filter((r) => r.endpoint === 'count_tokens' && r.status === 200 && JSON.stringify(r.body).includes(TYPED.trim())).at(-1),
    );
    const expected = simulatorCount(edited.body);
    assert.ok(expected > before, `the edited prompt counts more tokens (${before} → ${expected})`);
    const after = await waitUntil('the status bar to show the new exact count', async () => {
      const text = (await item.innerText()).trim();
      return text.startsWith(`${expected.toLocaleString('en-US')} tok · `) ? text : undefined;
    });
    assert.notEqual(after, exact);
    // The CodeLens above the prompt shows the same figures as the status bar.
    const lens = page.locator('.monaco-editor .codelens-decoration', { hasText: `${expected.toLocaleString('en-US')} tok` });
    await lens.first().waitFor({ timeout: 20_000 });
    await screenshot(page, 'authoring-status-bar-after-edit');
    // The edit kept the file valid: no problem marker replaced the count.
    assert.doesNotMatch(after, /problem/);
  });
});
