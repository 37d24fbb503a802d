import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { BUNDLED_PRICES, costFromUsage, findPrice } from '../../src/core/pricing/priceTable';
import type { RateLimitSnapshot } from '../../src/core/spend/rateLimitHeaders';
import { monthOf, parseLedgerLine, type LedgerCall } from '../../src/core/spend/spendLedger';
import type { RunSummary } from '../../src/run/runController';
import { TEST_KEY, useSimulator } from './apiHarness';
import { eventually, workspaceFile, writePrompt } from './helpers';

function ledgerCalls(folder: string): LedgerCall[] {
  let text: string;
  try {
    text = readFileSync(join(folder, `spend-${monthOf(Date.now())}.jsonl`), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .map((line) => (line ? parseLedgerLine(line) : undefined))
    .filter((line): line is LedgerCall => line?.type === 'call');
}

describe('spend ledger, monthly budget and rate limits', function () {
  this.timeout(60_000);
  const harness = useSimulator({ outputTokens: 30 });
  const settings = () => vscode.workspace.getConfiguration('promptWorkbench');

  afterEach(async () => {
    await settings().update('monthlyBudgetUsd', undefined, vscode.ConfigurationTarget.Global);
  });

  it('records a run in the ledger with its actual cost, kept apart as simulated', async () => {
    const before = harness.api.spend();
    const summary = await vscode.commands.executeCommand<RunSummary | undefined>('promptWorkbench.run', workspaceFile('hello.prompt.json'));
    assert.equal(summary?.status, 'completed');
    const requestId = summary.outcome.requestId;
    assert.ok(requestId);
    const line = ledgerCalls(harness.api.spend().ledgerFolder).find((l) => l.requestId === requestId);
    assert.ok(line, 'the run has a ledger line with its request id');
    const usage = summary.outcome.usage;
    assert.ok(usage);
    const expected = costFromUsage(findPrice(BUNDLED_PRICES, 'claude-sonnet-5-5'), {
      input_tokens: usage.inputTokens,
      output_tokens: usage.outputTokens,
      cache_read_input_tokens: usage.cacheReadTokens,
      cache_creation_input_tokens: usage.cacheWriteTokens,
    });
    assert.ok(expected.known && expected.usd > 0);
    assert.equal(line.costUsd, expected.usd, 'the actual cost from the usage the simulator returned');
    assert.deepEqual([line.kind, line.model, line.promptName, line.simulated, line.priceAsOf], ['run', 'claude-sonnet-5-5', 'Hello', true, '2026-11-25']);
    assert.equal(line.usage.outputTokens, usage.outputTokens);
    assert.match(line.keyFingerprint, /^[0-9a-f]{12}$/);
    assert.equal(line.baseUrlHost, new URL(harness.sim.url).host);
    const after = harness.api.spend();
    assert.equal(after.simulatedCalls, before.simulatedCalls + 1);
    assert.equal(after.realUsd, before.realUsd, 'a simulated run never adds to real spend');
    assert.ok(!readFileSync(join(after.ledgerFolder, `spend-${monthOf(Date.now())}.jsonl`), 'utf8').includes('sk-ant-'), 'no key in the ledger');
  });

  it('refuses a run that would cross the monthly budget before any request reaches the simulator', async () => {
    await settings().update('monthlyBudgetUsd', 0.0001, vscode.ConfigurationTarget.Global);
    await eventually(() => (harness.api.spend().monthToDate.includes('budget') && !harness.api.spend().monthToDate.includes('no monthly') ? true : undefined), 'the budget setting to apply');
    const uri = await writePrompt('over-budget', { model: 'claude-sonnet-5-5', max_tokens: 1000, messages: [{ role: 'user', content: 'Hi' }] });
    const summary = await vscode.commands.executeCommand<RunSummary | undefined>('promptWorkbench.run', uri);
    assert.equal(summary, undefined, 'nothing was sent');
    assert.deepEqual(harness.sim.requests, [], 'not one request reached the simulator, not even a count');
    const refusal = harness.api.spend().lastRefusal ?? '';
    // 1,000 output tokens at $10 per million: $0.010, against a budget of $0.00010.
    assert.match(refusal, /^Not sent: the worst case, \$0\.010 \(up to 1,000 output tokens on claude-sonnet-5-5, before counting the input\)/);
    assert.match(refusal, /past your monthly budget of \$0\.00010/);
    assert.match(refusal, /cheaper model.*batch.*max_tokens.*monthlyBudgetUsd/);
  });

  it('refuses on the counted worst case when the output alone would fit', async () => {
    // 64 output tokens ($0.00064) fit a $0.0007 budget; with the counted input they do not.
    await settings().update('monthlyBudgetUsd', 0.0007, vscode.ConfigurationTarget.Global);
    await eventually(() => (harness.api.spend().monthToDate.includes('$0.00070 budget') ? true : undefined), 'the budget setting to apply');
    const uri = await writePrompt('over-budget-counted', { model: 'claude-sonnet-5-5', max_tokens: 64, messages: [{ role: 'user', content: 'word '.repeat(400) }] });
    const summary = await vscode.commands.executeCommand<RunSummary | undefined>('promptWorkbench.run', uri);
    assert.equal(summary, undefined);
    assert.deepEqual(harness.sim.requests.map((r) => r.endpoint), ['count_tokens'], 'the free count, and no message');
    assert.match(harness.api.spend().lastRefusal ?? '', /input tokens \+ up to 64 output tokens on claude-sonnet-5-5\), would take this month's spend/);
  });

  it('shows the rate limits read from the run\'s response headers in the cost details, with month-to-date', async () => {
    harness.sim.configure({ rateLimits: { requestsPerMinute: 4321, inputTokensPerMinute: 987_000, outputTokensPerMinute: 65_000 } });
    try {
      const uri = workspaceFile('hello.prompt.json');
      const summary = await vscode.commands.executeCommand<RunSummary | undefined>('promptWorkbench.run', uri);
      assert.equal(summary?.status, 'completed');
      const details = await vscode.commands.executeCommand<string | undefined>('promptWorkbench.showCostDetails', uri);
      assert.ok(details);
      assert.match(details, /Limits for the \*\*sonnet\*\* family, from the response headers of your call/);
      assert.match(details, /\| Requests per minute \| 4,321 \| 4,32[01] \|/);
      assert.match(details, /\| Input tokens per minute \| 987,000 \|/);
      assert.match(details, /\| Output tokens per minute \| 65,000 \|/);
      assert.match(details, /Evaluation, Start, Build, Scale, Custom/);
      assert.match(details, /### Spend this month\n\n\\?\$0\.00 this month \(no monthly budget set\); simulated apart: \d+ calls?/);
      // The limits are kept for the next window (a plan's first time estimate), and nothing else is.
      // Earlier calls may have written the file already: wait for this run's limits to reach it.
      let kept = '';
      const families = await eventually(() => {
        try {
          kept = readFileSync(join(harness.api.spend().ledgerFolder, 'rate-limits.json'), 'utf8');
        } catch {
          return undefined;
        }
        const written = (JSON.parse(kept) as { families: RateLimitSnapshot[] }).families;
        return written.find((f) => f.family === 'sonnet')?.requests?.limit === 4321 ? written : undefined;
      }, 'the rate limits kept in global storage');
      const allowed = ['family', 'model', 'seenAt', 'requests', 'tokens', 'inputTokens', 'outputTokens', 'fastInputTokens', 'fastOutputTokens'];
      for (const family of families) assert.deepEqual(Object.keys(family).filter((k) => !allowed.includes(k)), [], 'only limits are kept');
      assert.ok(!kept.includes(TEST_KEY), 'no key in the file');
      assert.deepEqual(Object.keys(families[0] ?? {}).filter((k) => !['family', 'model', 'seenAt', 'requests', 'tokens', 'inputTokens', 'outputTokens', 'fastInputTokens', 'fastOutputTokens'].includes(k)), []);
    } finally {
      harness.sim.configure({ rateLimits: {} });
    }
  });

  it('the spend view shows what the ledger holds and Export CSV writes this month\'s calls', async () => {
    const summary = await vscode.commands.executeCommand<RunSummary | undefined>('promptWorkbench.run', workspaceFile('hello.prompt.json'));
    assert.equal(summary?.status, 'completed');
    const report = await vscode.commands.executeCommand<{ simulated: { calls: number }; month: string; byDay: number[]; totalUsd: number } | undefined>('promptWorkbench.showSpend');
    assert.ok(report);
    assert.equal(report.month, monthOf(Date.now()));
    assert.equal(report.simulated.calls, harness.api.spend().simulatedCalls);
    assert.equal(Math.round(report.byDay.reduce((a, b) => a + b, 0) * 1e9), Math.round(report.totalUsd * 1e9));
    const target = workspaceFile('spend-export.csv');
    await vscode.commands.executeCommand('promptWorkbench.exportSpendCsv', target);
    const csv = new TextDecoder().decode(await vscode.workspace.fs.readFile(target));
    assert.match(csv, /^time,kind,model,prompt,/);
    assert.ok(csv.includes(summary.outcome.requestId ?? 'missing'), 'the run is in the export');
    await vscode.workspace.fs.delete(target);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });
});
