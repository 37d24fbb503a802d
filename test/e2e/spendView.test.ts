// The spend view in the real workbench: opened from the command palette as a person would, it
// draws this month's spend from the ledger in the extension's global storage. The ledger file is
// written before the view opens (as another window, or an earlier session, would have left it),
// so the chart's total is known: $1.75 of real spend on two days, and $9 simulated kept apart.
import * as assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConsoleMessage } from 'playwright-core';
import { frameWith, runFromPalette, useWorkbenchSession, waitForActivation } from './workbenchSession';

function ledgerLine(time: Date, costUsd: number, promptName: string, simulated = false): string {
  return JSON.stringify({
    type: 'call',
    time: time.toISOString(),
    keyFingerprint: '0123456789ab',
    baseUrlHost: 'api.anthropic.com',
    model: 'claude-sonnet-5-5',
    promptName,
    kind: 'run',
    usage: { inputTokens: 1000, outputTokens: 200, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, cacheReadTokens: 0 },
    costUsd,
    priceAsOf: '2026-11-25',
    requestId: `req_${promptName.length}_${costUsd}`,
    simulated,
  });
}

describe('spend view (end-to-end)', function () {
  this.timeout(240_000);
  // The ledger is written before the extension reads it (no wait for activation).
  const workbench = useWorkbenchSession({ simulator: false, activate: false });
  const consoleMessages: string[] = [];

  before(() => {
    const session = workbench.session;
    session.page.on('console', (message: ConsoleMessage) => consoleMessages.push(message.text()));
    const now = new Date();
    const month = `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
    const firstDay = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1, 9, 0, 0));
    const folder = join(session.server.userDataDir, 'User', 'globalStorage', 'prompt-workbench.prompt-workbench', 'spend');
    mkdirSync(folder, { recursive: true });
    writeFileSync(
      join(folder, `spend-${month}.jsonl`),
      [ledgerLine(firstDay, 0.5, 'Classify'), ledgerLine(now, 1.25, '<img src=x onerror="window.__pwned=1">'), ledgerLine(now, 9, 'Simulated run', true)].join('\n') + '\n',
    );
  });

  it('opens from the palette and draws this month\'s spend per day, with the chart\'s total', async () => {
    const page = workbench.session.page;
    await waitForActivation(workbench.session);
    await runFromPalette(page, 'Prompt Workbench: Show Spend');
    const frame = await frameWith(page, '[data-testid="chart-total"]');

    assert.equal((await frame.locator('[data-testid="chart-total"]').innerText()).trim(), '$1.75 this month');
    const chart = frame.locator('[data-testid="daily-chart"]');
    assert.equal(await chart.getAttribute('data-total-usd'), '1.75');
    const bars = await chart.locator('rect.bar').evaluateAll((rects) => rects.map((r) => Number(r.getAttribute('data-usd'))));
    assert.equal(Math.round(bars.reduce((a, b) => a + b, 0) * 100) / 100, 1.75, 'the bars add up to the total');
    assert.ok(bars.length >= 28 && bars.length <= 31, 'one bar per day of the month');
    assert.match(await chart.getAttribute('aria-label') ?? '', /\$1\.75 in total/);

    assert.match(await frame.locator('[data-testid="simulated"]').innerText(), /^1 calls, \$9\.00/);
    const byPrompt = await frame.locator('[data-testid="by-prompt"]').innerText();
    assert.match(byPrompt, /<img src=x onerror="window.__pwned=1">/, 'a hostile prompt name is shown as text');
    assert.equal(await frame.evaluate('typeof window.__pwned'), 'undefined');
    assert.doesNotMatch(byPrompt, /Simulated run/, 'simulated spend is not in the real breakdown');

    // Themed by the stylesheet the CSP lets in: the bars take the theme's chart colour, not the SVG default black.
    const fill = await chart.locator('rect.bar:not(.empty)').first().evaluate((r) => (globalThis as unknown as { getComputedStyle(e: unknown): { fill: string } }).getComputedStyle(r).fill);
    assert.notEqual(fill, 'rgb(0, 0, 0)');
    const csp = (await frame.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content')) ?? '';
    assert.match(csp, /script-src 'nonce-[0-9a-f]{64}'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.deepEqual(consoleMessages.filter((m) => /Content Security Policy|Refused to/i.test(m)), [], 'nothing the view does is refused by its CSP');
  });
});
