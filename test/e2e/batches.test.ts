// Message Batches in the real workbench, as a person would: plan a prompt over a 500-row CSV from
// the command palette, press Submit as Batch in the plan, see the job in the Batches view, wait
// for it to end (the simulator processes a batch in seconds; the extension polls with its own
// policy, 10 s after submission), and open its results: the grid holds all 500 rows at batch prices.
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { formatUsd } from '../../src/core/format';
import { estimateCost, findPrice, tokenUsageFromApi, BUNDLED_PRICES, type ApiUsage } from '../../src/core/pricing/priceTable';
import { FAKE_API_KEY, frameWith, openPromptForCommands, runFromPalette, useWorkbenchSession, waitUntil } from './workbenchSession';

const API_KEY = FAKE_API_KEY;
const MODEL = 'claude-haiku-5-5';
const ROWS = 500;

const prompt = {
  name: 'Classify tickets',
  variables: { ticket: { description: 'the ticket' } },
  expectedOutputTokens: 8,
  dataset: { path: './tickets.csv', keyColumn: 'id' },
  request: { model: MODEL, max_tokens: 40, messages: [{ role: 'user', content: 'Classify this ticket: {{ticket}}' }] },
};
const csv = ['id,ticket', ...Array.from({ length: ROWS }, (_, i) => `T${i},ticket number ${i} about ${i % 3 === 0 ? 'billing' : 'login'}`)].join('\n') + '\n';

/** The Batches view's row for the job. */
function jobRow(page: Page) {
  return page.locator('.pane-body .monaco-list-row', { hasText: 'tickets.csv' }).first();
}

describe('Message Batches in the workbench (end-to-end)', function () {
  this.timeout(300_000);
  const workbench = useWorkbenchSession({
    simulator: { outputTokens: 8, batchProcessingMs: 3_000 },
    session: (sim) => ({
      env: { ANTHROPIC_API_KEY: API_KEY },
      machineSettings: { 'promptWorkbench.apiBaseUrl': sim.url },
      userSettings: { 'workbench.startupEditor': 'none', 'workbench.secondarySideBar.defaultVisibility': 'hidden' },
      files: { 'classify.prompt.json': `${JSON.stringify(prompt, null, 2)}\n`, 'tickets.csv': csv },
    }),
  });

  it('submits a 500-row CSV as a batch, shows it in the Batches view until it ends, and opens its 500 results at batch prices', async () => {
    const page = workbench.session.page;
    await openPromptForCommands(page, 'classify.prompt.json');
    await runFromPalette(page, 'Prompt Workbench: Run Prompt over Dataset…');

    // The plan: nothing is sent until the button is pressed.
    const plan = await frameWith(page, '[data-action="submitBatch"]', 90_000);
    const submit = plan.locator('[data-action="submitBatch"]');
    await waitUntil('Submit as Batch to be selectable', async () => (await plan.locator('h2').count()) > 0 && (await submit.isEnabled()), 60_000);
    assert.equal(workbench.sim.requestCount('batches.create'), 0, 'nothing is sent before the click');
    assert.equal(workbench.sim.requestCount('messages'), 0);
    await submit.click();
    await waitUntil('the batch to be created', () => workbench.sim.requestCount('batches.create') === 1, 60_000);
    const created = workbench.sim.requests.find((r) => r.endpoint === 'batches.create')?.body as { requests: { custom_id: string }[] };
    assert.equal(created.requests.length, ROWS);
    assert.equal(new Set(created.requests.map((r) => r.custom_id)).size, ROWS, 'one unique custom_id per row');
    await waitUntil('the plan to say it was submitted', async () => /Submitted 500 rows/.test(await plan.locator('.state').innerText()), 30_000);
    assert.equal(workbench.sim.requestCount('messages'), 0, 'the rows went as a batch, not one by one');

    // The Batches view lists the job while it runs, then shows it ended.
    await runFromPalette(page, 'Prompt Workbench: Show Batches');
    const row = jobRow(page);
    // textContent: the narrow side bar cuts the description short on screen, not in the DOM.
    await waitUntil('the job in the Batches view', async () => /Classify tickets × tickets\.csv/.test((await row.textContent()) ?? ''), 60_000);
    await waitUntil('the job to end in the Batches view', async () => /ended · 500 succeeded/.test((await row.textContent()) ?? ''), 120_000, 500);
    assert.ok(workbench.sim.requestCount('batches.retrieve') >= 1, 'the job was polled');
    assert.equal(workbench.sim.requestCount('batches.results'), 1, 'its results were streamed once');

    // Open Results: the same grid a run made now fills, with every row and the batch price.
    await runFromPalette(page, 'Prompt Workbench: Open Batch Results');
    const grid = await frameWith(page, '[data-batch-summary]', 60_000);
    await waitUntil('the grid to hold every row', async () => /^500 of 500 rows/.test((await grid.locator('[data-totals]').innerText()).trim()), 30_000);
    const summary = await grid.locator('[data-batch-summary]').innerText();
    assert.match(summary, /500 succeeded · 0 errored · 0 canceled · 0 expired · \$[\d.]+ at batch prices \(×0\.5\)/);

    // Each row's cost is its usage at half the standard price; the grid's total is their sum.
    const resultsFile = readdirSync(workbench.session.workspace).find((name) => name.endsWith('.results.jsonl'));
    assert.ok(resultsFile, 'the results file is beside the dataset');
    const rows = readFileSync(join(workbench.session.workspace, resultsFile), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { type: string; status?: string; usage?: ApiUsage; costUsd?: number });
    const results = rows.filter((r) => r.type === 'row');
    assert.equal(results.length, ROWS);
    const price = findPrice(BUNDLED_PRICES, MODEL);
    let total = 0;
    for (const result of results) {
      assert.equal(result.status, 'succeeded');
      // The same usage at the standard price (the results carry service_tier "batch").
      const standard = estimateCost(price, { ...tokenUsageFromApi(result.usage!), batch: false });
      assert.ok(standard.known);
      assert.ok(Math.abs(result.costUsd! - standard.usd / 2) < 1e-12, `row cost ${result.costUsd} is half of ${standard.usd}`);
      total += result.costUsd!;
    }
    const shown = /· (\$[\d.]+) ·/.exec(await grid.locator('[data-totals]').innerText())?.[1];
    assert.equal(shown, formatUsd(total), 'the grid totals the batch cost');
    // A row's cost is shown to two significant digits, as everywhere else (it read "$0.0000").
    // The grid is in dataset order, so the dataset's first row is in view (the results file is in the order the batch answered).
    const first = (results as { key?: string; costUsd?: number }[]).find((r) => r.key === 'T0');
    assert.ok(first, 'the first row has a result');
    const cell = grid.locator(`.grid-rows .grid-row[data-key="${first.key}"] > :nth-child(6)`);
    assert.equal((await cell.innerText()).trim(), formatUsd(first.costUsd!));
    // The page holds only a window of the rows (the host keeps them all): scrolled to the end, it asks the host for the last ones.
    const last = (results as { key?: string; costUsd?: number }[]).find((r) => r.key === `T${ROWS - 1}`);
    assert.ok(last, 'the last row has a result');
    const lastCell = grid.locator(`.grid-rows .grid-row[data-key="${last.key}"] > :nth-child(6)`);
    await grid.evaluate("document.querySelector('.grid-viewport').scrollTop = 1e9");
    await waitUntil('the last row, sent by the host once the grid scrolled to it', async () => (await lastCell.count()) === 1 && (await lastCell.innerText()).trim() === formatUsd(last.costUsd!), 10_000, 100);
    assert.doesNotMatch(await grid.locator('.state').innerText(), /at batch prices/, 'the summary is shown once, in the header');
  });
});
