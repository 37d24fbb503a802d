// Run Prompt over Dataset in the real workbench, as a person would: the example prompt and its
// 200-row CSV, the command from the explorer's context menu, the plan in the dataset panel (a
// webview: nested iframes), Start, the grid filling while the job runs, a filter to the rows the
// simulator failed, Retry failed rows, and every row ending done. The simulator runs here in the
// mocha process; the extension reaches it through the machine-scoped base URL and ANTHROPIC_API_KEY.
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { repoRoot } from '../launcher/hostSetup';
import { FAKE_API_KEY, frameWith, useWorkbenchSession, waitUntil } from './workbenchSession';

const API_KEY = FAKE_API_KEY;
const PROMPT = 'classify-tickets-dataset.prompt.json';
const ROWS = 200;
const FAILED = 4;

interface ResultLine {
  type: string;
  key: string;
  status: string;
}

/** The latest result of every row in the newest results file beside the dataset. */
function latestResults(workspace: string, file?: string): { file: string; latest: Map<string, string> } {
  const folder = join(workspace, 'data');
  const name = file ?? readdirSync(folder).filter((n) => n.endsWith('.results.jsonl')).sort().at(-1);
  assert.ok(name, 'a results file beside the dataset');
  const latest = new Map<string, string>();
  for (const line of readFileSync(join(folder, name), 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const parsed = JSON.parse(line) as ResultLine;
    if (parsed.type === 'row') latest.set(parsed.key, parsed.status);
  }
  return { file: name, latest };
}

/** The dataset panel's content frame. */
function gridFrame(page: Page): Promise<Frame> {
  return frameWith(page, '[data-action="start"]', 90_000);
}

/** "12 of 200 rows · …" → [12, 200]. */
async function totals(frame: Frame): Promise<[number, number]> {
  const text = await frame.locator('[data-totals]').innerText();
  const match = /^([\d,]+) of ([\d,]+) rows/.exec(text.trim());
  return match ? [Number(match[1]?.replace(/,/g, '')), Number(match[2]?.replace(/,/g, ''))] : [0, 0];
}

/**
 * The rows as they are seen are drawn on the grid's canvas (gridCanvas.ts): ink in the rows of the
 * view and none below its last row, the DOM rows' own text transparent under it (not drawn twice),
 * and a click where a row is drawn opens that row beside the grid.
 */
async function checkDrawnRows(page: Page, frame: Frame, viewRows: number): Promise<void> {
  await frame.locator('.grid-viewport.drawn canvas.grid-canvas').waitFor({ timeout: 10_000 });
  // Pixels with any ink in each of the first viewRows + 2 rows of the canvas (the view is scrolled to
  // its top), and whether the first row has a solid pixel of the errored rows' colour.
  await waitUntil(
    'the canvas to draw the filtered rows, in the errored rows\' colour',
    async () => {
      const { rows, errorColour } = (await frame.evaluate(`(() => {
        const canvas = document.querySelector('.grid-canvas');
        const ratio = canvas.width / canvas.clientWidth;
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, Math.round(${(viewRows + 2) * 24} * ratio)).data;
        const rows = new Array(${viewRows + 2}).fill(0);
        const [r, g, b] = getComputedStyle(document.querySelector('.grid-swatches .status-errored')).color.match(/\\d+/g).map(Number);
        let errorColour = false;
        for (let i = 3; i < data.length; i += 4) {
          if (data[i] === 0) continue;
          const row = Math.floor(Math.floor(i / 4 / canvas.width) / (24 * ratio));
          rows[row]++;
          if (row === 0 && data[i] === 255 && Math.abs(data[i - 3] - r) + Math.abs(data[i - 2] - g) + Math.abs(data[i - 1] - b) < 12) errorColour = true;
        }
        return { rows, errorColour };
      })()`)) as { rows: number[]; errorColour: boolean };
      return rows.slice(0, viewRows).every((n) => n > 0) && rows.slice(viewRows).every((n) => n === 0) && errorColour;
    },
    10_000,
    100,
  );
  assert.equal(await frame.evaluate(`getComputedStyle(document.querySelector('.grid-rows .grid-row')).color`), 'rgba(0, 0, 0, 0)', 'the DOM rows\' text is transparent under the canvas');
  // The second row of the view, clicked where it is drawn.
  const second = (await frame.evaluate(`[...document.querySelectorAll('.grid-rows .grid-row')].find((row) => row.style.transform === 'translateY(24px)').dataset.key`)) as string;
  const box = await frame.locator('.grid-viewport').boundingBox();
  assert.ok(box, 'the grid is on screen');
  await page.mouse.click(box.x + box.width / 2, box.y + 24 + 12);
  await waitUntil('the clicked row to open beside the grid', async () => (await frame.locator('.detail h3').count()) > 0 && (await frame.locator('.detail h3').innerText()).startsWith(`${second} `), 10_000);
}

/** The pixel rows of the grid's canvas that have ink, as offsets into the rows' own 24 px (what a row's text covers). */
async function inkPhases(frame: Frame, scrollTop: number): Promise<number[]> {
  return (await frame.evaluate(`(() => {
    const canvas = document.querySelector('.grid-canvas');
    const ratio = canvas.width / canvas.clientWidth;
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    const phases = new Set();
    for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) phases.add((Math.floor(Math.floor(i / 4 / canvas.width) / ratio) + ${scrollTop}) % 24);
    return [...phases].sort((a, b) => a - b);
  })()`)) as number[];
}

/**
 * The canvas stays at the top of the view and is drawn at the scroll offset: scrolled by a part of a
 * row, its text is where the rows are (the same offsets into each row as at the top).
 */
async function checkScrolledDrawing(frame: Frame): Promise<void> {
  await frame.locator('.grid-viewport.drawn canvas.grid-canvas').waitFor({ timeout: 10_000 });
  const atTop = await inkPhases(frame, 0);
  assert.ok(atTop.length > 0 && atTop.length < 24, `the rows' text covers part of each row at the top: ${atTop.join(',')}`);
  // Five rows and 10 px down: a row's text is 10 px higher on the canvas than it would be unscrolled.
  const scrolled = 5 * 24 + 10;
  await frame.evaluate(`document.querySelector('.grid-viewport').scrollTop = ${scrolled}`);
  await waitUntil(
    'the canvas to draw the rows where they scrolled to',
    async () => (await frame.evaluate(`document.querySelector('.grid-viewport').scrollTop`)) === scrolled && JSON.stringify(await inkPhases(frame, scrolled)) === JSON.stringify(atTop),
    10_000,
    100,
  );
  await frame.evaluate(`document.querySelector('.grid-viewport').scrollTop = 0`);
  await waitUntil('the canvas to draw the top rows again', async () => JSON.stringify(await inkPhases(frame, 0)) === JSON.stringify(atTop), 10_000, 100);
}

/** Right-click the prompt in the explorer and choose Run Prompt over Dataset…, as a person would. */
async function runOverDatasetFromExplorer(page: Page): Promise<void> {
  await waitUntil(
    'the explorer context menu to run the command',
    async () => {
      if (!(await page.locator('.explorer-folders-view').isVisible())) {
        await page.locator('.monaco-workbench').click({ position: { x: 700, y: 400 } });
        await page.keyboard.press('Control+Shift+E');
      }
      const item = page.locator('.explorer-folders-view .monaco-list-row', { hasText: PROMPT }).first();
      await item.waitFor({ timeout: 10_000 });
      await item.click({ button: 'right' });
      // Right after a reload the entry shows disabled until workspace trust is known (its enablement): try again then.
      const entry = page.locator('.monaco-menu .action-item:not(.disabled)', { hasText: 'Run Prompt over Dataset' }).first();
      try {
        await entry.waitFor({ timeout: 5_000 });
      } catch (error) {
        await page.keyboard.press('Escape');
        throw error;
      }
      await entry.click();
      // A click that lands while the menu is still settling (right after a reload) can leave it open
      // with nothing run: then close it and try again. A closed menu means the command ran.
      try {
        await page.locator('.monaco-menu').waitFor({ state: 'detached', timeout: 5_000 });
      } catch (error) {
        await page.keyboard.press('Escape');
        throw error;
      }
      return true;
    },
    120_000,
    1_000,
  );
}

/** Start from the plan; a worst case above the confirm threshold asks first (a modal), answered Start. */
async function startFromPlan(page: Page, frame: Frame): Promise<void> {
  const startButton = frame.locator('[data-action="start"]');
  await waitUntil('the plan with an enabled Start', async () => (await startButton.isVisible()) && (await startButton.isEnabled()) && (await frame.locator('h2').count()) > 0, 120_000, 250);
  await startButton.click();
  const confirm = page.locator('.monaco-dialog-box .monaco-button', { hasText: /^Start$/ });
  await confirm.click({ timeout: 3_000 }).catch(() => undefined);
}

describe('datasets in the workbench (end-to-end)', function () {
  this.timeout(600_000);
  const workbench = useWorkbenchSession({
    simulator: { outputTokens: 20 },
    session: async (sim) => {
      const csv = readFileSync(join(repoRoot, 'examples', 'data', 'tickets.csv'), 'utf8');
      const prompt = JSON.parse(readFileSync(join(repoRoot, 'examples', PROMPT), 'utf8')) as Record<string, unknown>;
      delete prompt['$schema'];
      // The row's id goes into its request too, so the simulator's log says which row each request was for (tickets repeat).
      (prompt['variables'] as Record<string, unknown>)['id'] = { description: 'The ticket id (the dataset\'s id column)' };
      const message = (prompt['request'] as { messages: { content: string }[] }).messages[0] as { content: string };
      message.content = `Ticket {{id}}\n${message.content}`;
      return {
        env: { ANTHROPIC_API_KEY: API_KEY },
        machineSettings: { 'promptWorkbench.apiBaseUrl': sim.url },
        userSettings: { 'workbench.startupEditor': 'none', 'workbench.secondarySideBar.defaultVisibility': 'hidden' },
        files: { [PROMPT]: `${JSON.stringify(prompt, null, 2)}\n`, 'data/tickets.csv': csv },
      };
    },
  });

  /** The row keys of the messages requests from `from` on. */
  function sentKeys(from = 0): string[] {
    return workbench.sim.requests
      .slice(from)
      .filter((r) => r.endpoint === 'messages')
      .map((r) => {
        const content = String((r.body as { messages: { content: string }[] }).messages[0]?.content ?? '');
        return /^Ticket (\S+)\n/.exec(content)?.[1] ?? `unknown: ${content.slice(0, 40)}`;
      });
  }

  it('runs the example over its 200-row CSV from the explorer, fills the grid live, filters to the failed rows and retries them', async () => {
    const page = workbench.session.page;
    await runOverDatasetFromExplorer(page);
    const frame = await gridFrame(page);
    assert.equal(workbench.sim.requestCount('messages'), 0, 'nothing is sent before Start');
    // Before there are results, Retry and Export have nothing to act on and are not offered.
    assert.equal(await frame.locator('[data-action="retryFailed"]').isVisible(), false, 'no Retry before results');
    assert.equal(await frame.locator('[data-action="exportCsv"]').isVisible(), false, 'no Export before results');
    // A few rows fail (403 is not retried), and replies take a moment so the grid can be seen filling.
    workbench.sim.configure({ latencyMs: 150 });
    workbench.sim.enqueueFault({ fault: 'permission', endpoint: 'messages', times: FAILED });
    await startFromPlan(page, frame);

    const seen: number[] = [];
    await waitUntil(
      'the grid to fill to 200 rows',
      async () => {
        const [, all] = await totals(frame);
        if (all !== seen.at(-1)) seen.push(all);
        return all === ROWS;
      },
      180_000,
      100,
    );
    assert.ok(seen.filter((n) => n > 0 && n < ROWS).length >= 2, `the grid filled in steps while the job ran: ${seen.join(' → ')}`);
    await frame.locator('body[data-state="finished"]').waitFor({ timeout: 60_000 });
    workbench.sim.configure({ latencyMs: 0 });
    assert.equal(workbench.sim.requestCount('messages'), ROWS);
    const failedKeys = sentKeys().slice(0, FAILED).sort();
    await checkScrolledDrawing(frame);

    await frame.locator('[data-control="status"]').selectOption('errored');
    await waitUntil('the filter to show only the failed rows', async () => (await totals(frame))[0] === FAILED, 30_000);
    const shown = await frame.locator('.grid-rows .grid-row').evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-key'), r.getAttribute('data-status')]));
    assert.deepEqual(shown.map(([key]) => key).sort(), failedKeys);
    assert.ok(shown.every(([, status]) => status === 'errored'));
    await checkDrawnRows(page, frame, FAILED);
    // checkDrawnRows opened a failed row beside the grid.
    assert.match(await frame.locator('.detail p').first().innerText(), /^errored/);

    await frame.locator('[data-action="retryFailed"]').click();
    await waitUntil('the retried rows to leave the errored filter', async () => (await totals(frame))[0] === 0 && (await frame.locator('body[data-state="finished"]').count()) === 1, 120_000, 250);
    // The opened row left the view (the filter shows errored rows, and it succeeded): the host still sends it, and its detail follows.
    await waitUntil('the opened row\'s detail to show its retry succeeded', async () => /^succeeded/.test(await frame.locator('.detail p').first().innerText()), 10_000);
    assert.equal(workbench.sim.requestCount('messages'), ROWS + FAILED, 'only the failed rows were sent again');
    assert.deepEqual(sentKeys().slice(ROWS).sort(), failedKeys);
    await frame.locator('[data-control="status"]').selectOption('succeeded');
    await waitUntil('every row to show as succeeded', async () => (await totals(frame))[0] === ROWS, 30_000);
    const { latest } = latestResults(workbench.session.workspace);
    assert.equal([...latest.values()].filter((s) => s === 'succeeded').length, ROWS);
  });
  /** How many times the extension host has activated the extension so far (its log says so each time). */
  function activations(): number {
    const marker = '_doActivateExtension prompt-workbench.prompt-workbench';
    const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
    return files(join(workbench.session.server.userDataDir, 'logs'))
      .filter((file) => /exthost\d*\.log$/.test(file))
      .reduce((n, file) => n + readFileSync(file, 'utf8').split(marker).length - 1, 0);
  }

  it('resumes a job after the extension host restarts, without sending its finished rows again', async () => {
    const page = workbench.session.page;
    await runOverDatasetFromExplorer(page);
    let frame = await gridFrame(page);
    // Slow replies, so the job is still running when the host goes.
    workbench.sim.configure({ latencyMs: 2_000 });
    await startFromPlan(page, frame);
    const { file } = await waitUntil('some rows to finish', () => {
      const results = latestResults(workbench.session.workspace);
      return results.latest.size >= 16 && results;
    }, 120_000, 100);
    // A reload of this web workbench ends the extension host (the server logs its exit, code 0) and
    // starts a new one while the server, the workspace and the simulator stay: a true restart of the
    // host. (It has no Restart Extension Host command, and a remote host that is killed is not
    // started again: the workbench's reconnection is refused.)
    const activated = activations();
    await page.reload();
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await waitUntil('the extension host to activate the extension again', () => activations() > activated, 180_000, 500);
    workbench.sim.configure({ latencyMs: 0 });
    // What the old host finished, read once it is gone: none of it may be sent again.
    // (A row cancelled in flight is written as canceled, and is sent again.)
    const done = new Map([...latestResults(workbench.session.workspace, file).latest].filter(([, status]) => status !== 'canceled'));
    assert.ok(done.size >= 16 && done.size < ROWS, `the job was interrupted part way (${done.size} rows done)`);
    const afterRestart = workbench.sim.requests.length;

    await runOverDatasetFromExplorer(page);
    const resume = page.locator('.monaco-dialog-box .monaco-button', { hasText: /^Resume$/ });
    await resume.click({ timeout: 60_000 });
    frame = await gridFrame(page);
    await waitUntil('the plan to say which rows are already done', async () => /already done \(resumed\)/.test(await frame.locator('.plan').innerText()), 60_000, 250);
    await startFromPlan(page, frame);
    await frame.locator('body[data-state="finished"]').waitFor({ timeout: 180_000 });

    const resent = sentKeys(afterRestart).filter((key) => done.has(key));
    assert.deepEqual(resent, [], 'rows finished before the restart are not sent again');
    const { latest } = latestResults(workbench.session.workspace, file);
    assert.equal(latest.size, ROWS, 'the resumed job wrote to the same results file');
    assert.ok([...latest.values()].every((s) => s === 'succeeded'), 'every row ends done');
  });
});
