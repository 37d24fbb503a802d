import assert from 'node:assert/strict';
import { keyFingerprint, readOrCreateSalt } from '../../../src/core/spend/keyFingerprint';
import { monthToDateText, ThresholdWatch, type BudgetSettings } from '../../../src/core/spend/monthlyBudget';
import { SpendLedger } from '../../../src/core/spend/spendLedger';
import { entry, tempFolder } from './ledgerFixture';

describe('monthly budget', () => {
  async function watched(settings: BudgetSettings, writer = 'me') {
    const folder = await tempFolder();
    let now = Date.parse('2026-11-14T10:00:00Z');
    const ledger = new SpendLedger({ folder, now: () => now, writer });
    const watch = new ThresholdWatch(writer, () => settings);
    const crossed: number[] = [];
    ledger.onLine((line, totals) => crossed.push(...watch.observe(line, totals).map((c) => c.percent)));
    return { ledger, crossed, folder, setNow: (t: string) => (now = Date.parse(t)) };
  }

  it('warns the first time each threshold is crossed, and only once', async () => {
    const { ledger, crossed } = await watched({ monthlyBudgetUsd: 10, warningPercents: [50, 80, 100] });
    await ledger.append(entry({ costUsd: 4 }));
    assert.deepEqual(crossed, []);
    await ledger.append(entry({ costUsd: 2 }));
    assert.deepEqual(crossed, [50]);
    await ledger.append(entry({ costUsd: 0.5 }));
    assert.deepEqual(crossed, [50], 'still above 50%: no second warning');
    await ledger.append(entry({ costUsd: 5 }));
    assert.deepEqual(crossed, [50, 80, 100], 'one line crossing two thresholds warns for both');
    await ledger.append(entry({ costUsd: 5 }));
    assert.deepEqual(crossed, [50, 80, 100]);
  });

  it('thresholds already behind month-to-date when a window starts are not announced; another window\'s crossing is not announced here', async () => {
    const { ledger, crossed, folder } = await watched({ monthlyBudgetUsd: 10, warningPercents: [50, 80, 100] });
    const other = new SpendLedger({ folder, now: () => Date.parse('2026-11-14T10:00:00Z'), writer: 'other' });
    await other.append(entry({ costUsd: 6 }));
    await ledger.refresh();
    assert.deepEqual(crossed, []);
    await other.append(entry({ costUsd: 3 }));
    await ledger.refresh();
    assert.deepEqual(crossed, [], '80% was crossed by the other window');
    await ledger.append(entry({ costUsd: 1 }));
    assert.deepEqual(crossed, [100]);
  });

  it('simulated spend never crosses a threshold', async () => {
    const { ledger, crossed } = await watched({ monthlyBudgetUsd: 1, warningPercents: [50] });
    await ledger.append(entry({ costUsd: 5, simulated: true }));
    assert.deepEqual(crossed, []);
  });

  it('a new month warns again', async () => {
    const { ledger, crossed, setNow } = await watched({ monthlyBudgetUsd: 10, warningPercents: [50] });
    await ledger.append(entry({ costUsd: 6 }));
    setNow('2026-12-02T10:00:00Z');
    await ledger.append(entry({ costUsd: 6 }));
    assert.deepEqual(crossed, [50, 50]);
  });

  it('month-to-date text gives spend, budget, share and what is left, and keeps simulated apart', async () => {
    const { ledger } = await watched({ monthlyBudgetUsd: 0, warningPercents: [] });
    await ledger.append(entry({ costUsd: 12.4 }));
    await ledger.append(entry({ costUsd: 3, simulated: true }));
    assert.equal(monthToDateText(ledger.totals, 50), '$12.40 this month of a $50.00 budget (24.8%), $37.60 left; simulated apart: 1 call, $3.00');
    assert.equal(monthToDateText(ledger.totals, 0), '$12.40 this month (no monthly budget set); simulated apart: 1 call, $3.00');
  });

  it('the key fingerprint is a salted 12-digit prefix that never contains the key', async () => {
    const folder = await tempFolder();
    const salt = await readOrCreateSalt(`${folder}/salt`);
    assert.equal(await readOrCreateSalt(`${folder}/salt`), salt, 'the salt is kept');
    const key = 'sk-ant-test-0123';
    const print = keyFingerprint(key, salt);
    assert.match(print, /^[0-9a-f]{12}$/);
    assert.notEqual(print, keyFingerprint(key, 'another salt'));
    assert.notEqual(print, keyFingerprint('sk-ant-test-0124', salt));
  });
});
