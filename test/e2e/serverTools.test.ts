// A server-tool reply in the real workbench: a prompt with code execution and web search runs
// after the user confirms the unknown worst case in VS Code's own dialog, and the panel shows the
// code, its output and return code, the produced file's Download button, the search results and
// the citations, with every link a button (no <a href> the page could follow) showing its address.
import * as assert from 'node:assert/strict';
import type { Frame, Page } from 'playwright-core';
import { editorTitleAction, FAKE_API_KEY, frameWith, quickOpen, screenshot, useWorkbenchSession, waitUntil } from './workbenchSession';

const PROMPT = 'server-tools.prompt.json';
const prompt = {
  name: 'Search and compute',
  request: {
    model: 'claude-sonnet-5-5',
    max_tokens: 2000,
    tools: [
      { type: 'web_search_20260318', name: 'web_search', max_uses: 1 },
      { type: 'code_execution_20250825', name: 'code_execution' },
    ],
    messages: [{ role: 'user', content: 'Look it up, then compute a table.' }],
  },
};

function panelFrame(page: Page): Promise<Frame> {
  return frameWith(page, '[data-testid="run-output"]', 60_000);
}

describe('server tools in the run panel (end-to-end)', function () {
  const workbench = useWorkbenchSession({
    simulator: { outputTokens: 40 },
    session: (sim) => ({
      env: { ANTHROPIC_API_KEY: FAKE_API_KEY },
      machineSettings: { 'promptWorkbench.apiBaseUrl': sim.url },
      userSettings: { 'workbench.startupEditor': 'none', 'workbench.secondarySideBar.defaultVisibility': 'hidden' },
      files: { [PROMPT]: `${JSON.stringify(prompt, null, 2)}\n` },
    }),
  });

  it('asks before sending, then renders code, output, return code, a produced file, search results and citations', async () => {
    const page = workbench.session.page;
    await quickOpen(page, PROMPT);
    const run = editorTitleAction(page, 'Run Prompt');
    await run.waitFor({ timeout: 30_000 });
    await run.click();
    // The worst case of a server-tool request is unknown: VS Code's modal asks, naming why.
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 30_000 });
    assert.match(await dialog.innerText(), /server tools/);
    assert.equal(workbench.sim.requests.filter((r) => r.endpoint === 'messages').length, 0, 'nothing sent before the answer');
    await dialog.getByRole('button', { name: 'Send' }).click();

    const frame = await panelFrame(page);
    await waitUntil('the run to complete', async () => (await frame.locator('[data-testid="run-status"]').innerText()).trim() === 'completed', 60_000);
    const output = frame.locator('[data-testid="run-output"]');
    await screenshot(page, 'server-tools-panel');

    // Code execution: the bash command, its stdout and stderr, the return code, the produced file.
    assert.ok((await output.locator('[data-testid="server-tool-code"]').allInnerTexts()).includes('python3 /tmp/script.py'));
    const stdout = await output.locator('[data-testid="stdout"]').allInnerTexts();
    assert.ok(stdout.includes('wrote 3 rows\n') || stdout.includes('wrote 3 rows'), JSON.stringify(stdout));
    assert.ok((await output.locator('[data-testid="return-code"]').allInnerTexts()).includes('Return code: 0'));
    assert.equal(await output.locator('[data-testid="download-file"]').count(), 1);

    // Web search: three results and two cited sources, each a button showing its address.
    const links = output.locator('[data-testid="result-links"] .link-button');
    assert.equal(await links.count(), 3);
    assert.match((await links.first().getAttribute('data-url')) ?? '', /^https:\/\/example\.com\/simulated\//);
    assert.equal(await output.locator('[data-testid="citations"] li').count(), 2);
    assert.equal(await output.locator('a[href]').count(), 0, 'no link the page itself could follow');
  });
});
