// The cache advisor's quick fix, applied from the light bulb in the real workbench: the cursor in
// the block that ends the stable prefix, the light bulb, the action in its menu, and cache_control
// written into the file with its formatting kept.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FAKE_API_KEY, quickOpen, screenshot, useWorkbenchSession, waitUntil } from './workbenchSession';

const API_KEY = FAKE_API_KEY;
const FILE = 'handbook-questions.prompt.json';
const LONG_SYSTEM = Array.from({ length: 300 }, (_, i) => `Rule ${i}: answer politely and cite the handbook section.`).join(' ');

const PROMPT = {
  name: 'Handbook questions',
  variables: { question: { description: 'One question per row' } },
  dataset: { path: './questions.csv', map: { question: 'q' } },
  request: {
    model: 'claude-sonnet-5-5',
    max_tokens: 200,
    system: [{ type: 'text', text: LONG_SYSTEM }],
    messages: [{ role: 'user', content: '{{question}}' }],
  },
};
const TEXT = `${JSON.stringify(PROMPT, null, 2)}\n`;
/** The 1-based line of the system block's "type", where the cursor goes. */
const SYSTEM_LINE = TEXT.split('\n').findIndex((line, i, lines) => line.includes('"type": "text"') && (lines[i - 2] ?? '').includes('"system"')) + 1;

describe('cache quick fix from the light bulb (end-to-end)', function () {
  const workbench = useWorkbenchSession({
    simulator: { port: 0 },
    session: async (sim) => {
      assert.ok(SYSTEM_LINE > 0, 'the fixture has a system block');
      return {
        env: { ANTHROPIC_API_KEY: API_KEY },
        machineSettings: { 'promptWorkbench.apiBaseUrl': sim.url },
        userSettings: { 'workbench.startupEditor': 'none', 'editor.lightbulb.enabled': 'on' },
        files: { [FILE]: TEXT, 'questions.csv': 'q\nWhat is the hotel limit?\n' },
      };
    },
  });

  it('puts the cursor in the stable prefix, clicks the light bulb and applies "Add cache_control"', async () => {
    const page = workbench.session.page;
    await quickOpen(page, FILE);
    await page.locator('.monaco-editor .view-lines', { hasText: '"system"' }).first().waitFor({ timeout: 30_000 });

    // Go to the system block's line (Ctrl+G), as a person would, and let the advisor's hint arrive.
    await page.locator('.monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+G');
    await page.locator('.quick-input-widget input').waitFor();
    await page.keyboard.type(String(SYSTEM_LINE));
    await page.keyboard.press('Enter');

    const lightBulb = page.locator('.lightBulbWidget');
    await waitUntil('the light bulb', async () => (await lightBulb.isVisible()) || undefined, 60_000, 250);
    await screenshot(page, 'cache-quick-fix-light-bulb');
    await lightBulb.click();
    const action = page.locator('.action-widget .monaco-list-row', { hasText: 'Add cache_control to system[0]' });
    await action.first().waitFor({ timeout: 20_000 });
    assert.match((await action.first().textContent()) ?? '', /saves ~\$[\d.]+ per repeat run/);
    await action.first().click();

    await page.locator('.monaco-editor .view-lines', { hasText: '"cache_control"' }).first().waitFor({ timeout: 20_000 });
    await page.keyboard.press('Control+S');
    const onDisk = await waitUntil('the fix saved to disk', () => {
      const text = readFileSync(join(workbench.session.workspace, FILE), 'utf8');
      return text.includes('cache_control') ? text : undefined;
    });
    await screenshot(page, 'cache-quick-fix-applied');
    const saved = JSON.parse(onDisk) as typeof PROMPT & { request: { system: { cache_control?: unknown }[] } };
    assert.deepEqual(saved.request.system[0]?.cache_control, { type: 'ephemeral' });
    // Only the marker was inserted; every other line is as it was.
    assert.equal(onDisk.replace(/,\n\s*"cache_control": \{\n\s*"type": "ephemeral"\n\s*\}/, ''), TEXT);
  });
});
