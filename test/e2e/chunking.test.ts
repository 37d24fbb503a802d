// Run Prompt over Chunks in the real workbench, as a person would: the long-contract example open,
// its CodeLens "Run over Chunks…", the preview (a webview: nested iframes) with the chunks, their
// sizes and the cost, a chunk's start opened in the contract, Start, and the stitched output in the
// run panel. The simulator runs here in the mocha process; the extension reaches it through the
// machine-scoped base URL and ANTHROPIC_API_KEY.
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame } from 'playwright-core';
import { repoRoot } from '../launcher/hostSetup';
import { englishText } from '../unit/chunking/sampleTexts';
import { FAKE_API_KEY, frameWith, quickOpen, useWorkbenchSession, waitForActivation, waitUntil } from './workbenchSession';

const PROMPT = 'long-contract-chunked.prompt.json';
const RESTART_PROMPT = 'restart-chunked.prompt.json';
const RESTART_TEXT = englishText(120_000, 31);

/** A prompt over a generated report, concatenated, for the reload test. */
const restartPrompt = {
  name: 'Restart over chunks',
  variables: { report: { file: './data/report.md', chunk: { targetTokens: 3000, overlapTokens: 50 } } },
  request: { model: 'claude-haiku-5-5', max_tokens: 40, messages: [{ role: 'user', content: 'Summarise this part:\n<report_part>\n{{report}}\n</report_part>' }] },
};

describe('run over chunks in the workbench (end-to-end)', function () {
  this.timeout(600_000);
  const workbench = useWorkbenchSession({
    simulator: {
      outputTokens: 30,
      // Each chunk's reply says which part it read; the reduce says how many results reached it.
      replyText: (body) => {
        const text = JSON.stringify(body);
        if (text.includes('Merge them into one list')) return `MERGED OBLIGATIONS FROM ${(text.match(/--- chunk \d+ of \d+ ---/g) ?? []).length} PARTS`;
        return text.includes('<contract_part>') ? 'OBLIGATIONS OF ONE PART' : undefined;
      },
    },
    session: (sim) => {
      const prompt = JSON.parse(readFileSync(join(repoRoot, 'examples', PROMPT), 'utf8')) as Record<string, unknown>;
      delete prompt['$schema'];
      return {
        env: { ANTHROPIC_API_KEY: FAKE_API_KEY },
        machineSettings: { 'promptWorkbench.apiBaseUrl': sim.url },
        // One chunk at a time, so the reload test can stop the job between two chunks.
        userSettings: { 'workbench.startupEditor': 'none', 'workbench.secondarySideBar.defaultVisibility': 'hidden', 'promptWorkbench.datasetConcurrency': 1 },
        files: {
          [PROMPT]: `${JSON.stringify(prompt, null, 2)}\n`,
          'data/long-contract.md': readFileSync(join(repoRoot, 'examples', 'data', 'long-contract.md'), 'utf8'),
          [RESTART_PROMPT]: `${JSON.stringify(restartPrompt, null, 2)}\n`,
          'data/report.md': RESTART_TEXT,
        },
      };
    },
  });

  it('runs the long-contract example from its CodeLens: the preview first, then the stitched output in the run panel', async () => {
    const page = workbench.session.page;
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
    assert.ok(await frame.locator('[data-action="submitBatch"]').isEnabled(), 'Submit as Batch (×0.5) is offered beside Start');
    assert.equal(workbench.sim.requestCount('messages'), 0, 'nothing is sent before Start');

    // A chunk's start opens the contract there.
    await frame.locator('[data-open-chunk="1"]').click();
    await page.locator('.tab[aria-label*="long-contract.md"]').first().waitFor({ timeout: 30_000 });
    // Beside the source the preview is narrow, and every value of the plan must still be on screen:
    // a long term once took the whole width and pushed the values out of view.
    const offScreen = async (): Promise<string[]> =>
      (await frame.evaluate(`[...document.querySelectorAll('dl dd')]
        .filter((value) => { const box = value.getBoundingClientRect(); return box.width < 40 || box.right > document.documentElement.clientWidth + 1; })
        .map((value) => value.previousElementSibling?.textContent ?? '?')`)) as string[];
    await waitUntil('every value of the plan on screen in the narrow preview', async () => (await offScreen()).length === 0, 15_000, 250).catch(async () => {
      assert.deepEqual(await offScreen(), [], 'plan values off screen (their terms listed)');
    });

    const startButton = frame.locator('[data-action="start"]');
    await waitUntil('an enabled Start', async () => (await startButton.isVisible()) && (await startButton.isEnabled()), 30_000, 250);
    await startButton.click();
    // A worst case above the confirm threshold asks first (a modal), answered Start.
    await page.locator('.monaco-dialog-box .monaco-button', { hasText: /^Start$/ }).click({ timeout: 3_000 }).catch(() => undefined);

    // The stitched output opens in the run panel like a run.
    const panel = await frameWith(page, '[data-testid="run-output"]', 120_000);
    const output = panel.locator('[data-testid="run-output"]');
    await waitUntil('the stitched output in the run panel', async () => (await output.innerText()).includes(`MERGED OBLIGATIONS FROM ${chunks} PARTS`), 120_000, 250);
    assert.equal(workbench.sim.requestCount('messages'), chunks + 1, 'one request per chunk, and the reduce');
    await waitUntil('the preview to say finished', async () => (await frame.locator('body').getAttribute('data-state')) === 'finished', 30_000, 250);
  });

  it('resumes a job a window reload stopped in the middle (a new extension host) without sending a finished chunk again', async () => {
    const page = workbench.session.page;
    const dataDir = join(workbench.session.workspace, 'data');
    const resultsFile = (): string | undefined => readdirSync(dataDir).find((name) => name.startsWith('report.Restart-over-chunks-') && name.endsWith('.results.jsonl'));
    const succeeded = (): string[] => {
      const name = resultsFile();
      if (!name) return [];
      return readFileSync(join(dataDir, name), 'utf8')
        .split('\n')
        .filter((line) => line.trim())
        .map((line) => JSON.parse(line) as { type: string; key: string; status: string })
        .filter((line) => line.type === 'row' && line.status === 'succeeded')
        .map((line) => line.key);
    };
    const openPreview = async (): Promise<Frame> => {
      await quickOpen(page, RESTART_PROMPT);
      const lens = page.locator('.monaco-editor .codelens-decoration a', { hasText: 'Run over Chunks' }).first();
      await lens.waitFor({ timeout: 90_000 });
      await lens.click();
      return frameWith(page, 'h2:has-text("Restart over chunks")', 120_000);
    };

    let frame = await openPreview();
    const chunks = Number(await frame.locator('[data-chunk-count]').getAttribute('data-chunk-count'));
    assert.ok(chunks >= 8, `${chunks} chunks`);
    workbench.sim.configure({ latencyMs: 1_500 });
    const start = frame.locator('[data-action="start"]');
    await waitUntil('an enabled Start', async () => (await start.isVisible()) && (await start.isEnabled()), 30_000, 250);
    await start.click();
    await page.locator('.monaco-dialog-box .monaco-button', { hasText: /^Start$/ }).click({ timeout: 3_000 }).catch(() => undefined);
    await waitUntil('three chunks finished on disk', () => succeeded().length >= 3, 120_000, 200);

    // The window goes away in the middle of the job (a reload: a new window and a new extension host).
    await page.reload();
    await waitForActivation(workbench.session);
    // The old host is gone once the results file stops growing.
    let kept = succeeded();
    await waitUntil('the results file to stop growing', async () => {
      await new Promise((resolveWait) => setTimeout(resolveWait, 2_500));
      const now = succeeded();
      const stable = now.length === kept.length;
      kept = now;
      return stable;
    }, 60_000, 0);
    assert.ok(kept.length >= 3 && kept.length < chunks, `${kept.length} of ${chunks} chunks kept`);
    workbench.sim.configure({ latencyMs: 0 });
    const before = workbench.sim.requests.length;

    frame = await openPreview();
    const done = frame.locator('[data-already-done]');
    await done.waitFor({ timeout: 60_000 });
    assert.equal(Number(await done.getAttribute('data-already-done')), kept.length, 'the preview marks the chunks finished before the reload');
    const resume = frame.locator('[data-action="start"]');
    await waitUntil('Resume', async () => (await resume.isEnabled()) && /Resume/.test(await resume.innerText()), 30_000, 250);
    await resume.click();
    await page.locator('.monaco-dialog-box .monaco-button', { hasText: /^Start$/ }).click({ timeout: 3_000 }).catch(() => undefined);
    await waitUntil('the job to finish', async () => (await frame.locator('body').getAttribute('data-state')) === 'finished', 120_000, 250);

    // Only the chunks without a result were sent after the reload.
    const plan = JSON.parse(readFileSync(join(dataDir, (resultsFile() ?? '').replace(/\.results\.jsonl$/, '.chunks.json')), 'utf8')) as { chunks: { start: number; end: number }[] };
    const sentAfter = workbench.sim.requests.slice(before).filter((r) => r.endpoint === 'messages').map((r) => JSON.stringify(r.body));
    assert.equal(sentAfter.length, chunks - kept.length);
    for (const key of kept) {
      const chunk = plan.chunks[Number(key.replace('chunk-', '')) - 1]!;
      const opening = JSON.stringify(RESTART_TEXT.slice(chunk.start + 5, chunk.start + 120)).slice(1, -1);
      assert.ok(!sentAfter.some((body) => body.includes(opening)), `${key} was not sent again`);
    }
    assert.equal(new Set(succeeded()).size, chunks, 'every chunk has its result');
  });
});
