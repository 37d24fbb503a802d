// Run Prompt over Chunks in the real workbench, as a person would: the long-contract example open,
// its CodeLens "Run over Chunks…", the preview (a webview: nested iframes) with the chunks, their
// sizes and the cost, a chunk's start opened in the contract, Start, and the stitched output in the
// run panel. The simulator runs here in the mocha process; the extension reaches it through the
// machine-scoped base URL and ANTHROPIC_API_KEY.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../launcher/hostSetup';
import { start, type Simulator } from '../simulator/server';
import { frameWith, quickOpen, recordFailure, startSession, waitForActivation, waitUntil, type E2eSession, FAKE_API_KEY } from './workbenchSession';

const PROMPT = 'long-contract-chunked.prompt.json';

describe('run over chunks in the workbench (end-to-end)', function () {
  this.timeout(600_000);
  let sim: Simulator;
  let session: E2eSession | undefined;

  before(async () => {
    sim = await start({
      port: 0,
      outputTokens: 30,
      // Each chunk's reply says which part it read; the reduce says how many results reached it.
      replyText: (body) => {
        const text = JSON.stringify(body);
        if (text.includes('Merge them into one list')) return `MERGED OBLIGATIONS FROM ${(text.match(/--- chunk \d+ of \d+ ---/g) ?? []).length} PARTS`;
        return text.includes('<contract_part>') ? 'OBLIGATIONS OF ONE PART' : undefined;
      },
    });
    const prompt = JSON.parse(readFileSync(join(repoRoot, 'examples', PROMPT), 'utf8')) as Record<string, unknown>;
    delete prompt['$schema'];
    session = await startSession({
      env: { ANTHROPIC_API_KEY: FAKE_API_KEY },
      machineSettings: { 'promptWorkbench.apiBaseUrl': sim.url },
      userSettings: { 'workbench.startupEditor': 'none', 'workbench.secondarySideBar.defaultVisibility': 'hidden' },
      files: { [PROMPT]: `${JSON.stringify(prompt, null, 2)}\n`, 'data/long-contract.md': readFileSync(join(repoRoot, 'examples', 'data', 'long-contract.md'), 'utf8') },
    });
    await waitForActivation(session);
  });
  afterEach(async function () {
    await recordFailure(session, this);
  });
  after(async () => {
    await session?.close();
    await sim?.close();
  });

  it('runs the long-contract example from its CodeLens: the preview first, then the stitched output in the run panel', async () => {
    const page = session!.page;
    await quickOpen(page, PROMPT);
    const lens = page.locator('.monaco-editor .codelens-decoration a', { hasText: 'Run over Chunks' }).first();
    await lens.waitFor({ timeout: 90_000 });
    await lens.click();

    // The preview: how many chunks, their sizes, the cost; nothing sent yet.
    const frame = await frameWith(page, '[data-chunk-count]', 120_000);
    const chunks = Number(await frame.locator('[data-chunk-count]').getAttribute('data-chunk-count'));
    assert.ok(chunks >= 3, `${chunks} chunks of the 60 KB contract at 4,000 tokens`);
    assert.equal(await frame.locator('tr[data-chunk]').count(), chunks, 'a row per chunk');
    assert.match(await frame.locator('[data-cost="total-now"]').innerText(), /\$[\d.]+ expected · \$[\d.]+ worst case/);
    assert.match(await frame.locator('[data-cost="total-batch"]').innerText(), /\$[\d.]+ expected/);
    assert.equal(await frame.locator('[data-limits]').getAttribute('data-limits'), 'send');
    assert.ok(await frame.locator('[data-action="submitBatch"]').isDisabled(), 'Submit as Batch waits for the batch path');
    assert.equal(sim.requestCount('messages'), 0, 'nothing is sent before Start');

    // A chunk's start opens the contract there.
    await frame.locator('[data-open-chunk="1"]').click();
    await page.locator('.tab[aria-label*="long-contract.md"]').first().waitFor({ timeout: 30_000 });

    const startButton = frame.locator('[data-action="start"]');
    await waitUntil('an enabled Start', async () => (await startButton.isVisible()) && (await startButton.isEnabled()), 30_000, 250);
    await startButton.click();
    // A worst case above the confirm threshold asks first (a modal), answered Start.
    await page.locator('.monaco-dialog-box .monaco-button', { hasText: /^Start$/ }).click({ timeout: 3_000 }).catch(() => undefined);

    // The stitched output opens in the run panel like a run.
    const panel = await frameWith(page, '[data-testid="run-output"]', 120_000);
    const output = panel.locator('[data-testid="run-output"]');
    await waitUntil('the stitched output in the run panel', async () => (await output.innerText()).includes(`MERGED OBLIGATIONS FROM ${chunks} PARTS`), 120_000, 250);
    assert.equal(sim.requestCount('messages'), chunks + 1, 'one request per chunk, and the reduce');
    await waitUntil('the preview to say finished', async () => (await frame.locator('body').getAttribute('data-state')) === 'finished', 30_000, 250);
  });
});
