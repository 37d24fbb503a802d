import assert from 'node:assert/strict';
import { buildSpendReport, csvField, ledgerCsv } from '../../../src/core/spend/spendReport';
import { SpendLedger } from '../../../src/core/spend/spendLedger';
import { entry, tempFolder } from './ledgerFixture';

describe('spend report and CSV export', () => {
  it('builds the view from the running totals: per day, by model and by prompt (largest first), savings, simulated apart', async () => {
    const folder = await tempFolder();
    let now = Date.parse('2026-11-02T10:00:00Z');
    const ledger = new SpendLedger({ folder, now: () => now });
    await ledger.append(entry({ costUsd: 0.5, model: 'claude-haiku-5-5', promptName: 'A', cacheSavingsUsd: 0.2 }));
    now = Date.parse('2026-11-14T10:00:00Z');
    await ledger.append(entry({ costUsd: 1.25, promptName: 'B', batchSavingsUsd: 1.25 }));
    await ledger.append(entry({ costUsd: 9, simulated: true, promptName: 'C' }));
    const report = buildSpendReport(ledger.totals, { budgetUsd: 10, warningPercents: [50, 80, 100] }, []);
    assert.equal(report.month, '2026-11');
    assert.equal(report.totalUsd, 1.75);
    assert.equal(report.byDay.length, 30);
    assert.equal(report.byDay[1], 0.5);
    assert.equal(report.byDay[13], 1.25);
    assert.equal(report.byDay.reduce((a, b) => a + b, 0), report.totalUsd, 'the chart adds up to the total');
    assert.deepEqual(report.byModel.map((m) => [m.name, m.usd]), [['claude-sonnet-5-5', 1.25], ['claude-haiku-5-5', 0.5]]);
    assert.deepEqual(report.byPrompt.map((m) => m.name), ['B', 'A']);
    assert.equal(report.cacheSavingsUsd, 0.2);
    assert.equal(report.batchSavingsUsd, 1.25);
    assert.deepEqual(report.simulated, { usd: 9, calls: 1 });
    assert.deepEqual(report.tierNames, ['Evaluation', 'Start', 'Build', 'Scale', 'Custom']);
  });

  it('exports billed calls as CSV with a header, quoting, and no formula a spreadsheet would run', async () => {
    const folder = await tempFolder();
    const ledger = new SpendLedger({ folder, now: () => Date.parse('2026-11-14T10:00:00Z') });
    await ledger.append(entry({ costUsd: 0.25, promptName: 'Plain', requestId: 'req_1' }));
    await ledger.append(entry({ costUsd: null, priceAsOf: null, promptName: '=HYPERLINK("http://x","y")', requestId: 'req_2' }));
    await ledger.append(entry({ costUsd: 1, promptName: 'a, "quoted"\nname', simulated: true, requestId: 'req_3' }));
    ledger.countCall(false);
    await ledger.flushCounts();
    const csv = ledgerCsv(await ledger.readMonth('2026-11'));
    const rows = csv.split('\r\n');
    assert.equal(rows[0], 'time,kind,model,prompt,input_tokens,output_tokens,cache_write_5m_tokens,cache_write_1h_tokens,cache_read_tokens,cost_usd,price_as_of,estimated,simulated,cache_savings_usd,batch_savings_usd,request_id,batch_id,key_fingerprint,base_url_host,calls');
    assert.equal(rows[1], '2026-11-14T10:00:00.000Z,run,claude-sonnet-5-5,Plain,1000,200,0,0,0,0.25,2026-11-25,false,false,0,0,req_1,,0123456789ab,api.anthropic.com,1');
    assert.match(rows[2] ?? '', /^2026-11-14T10:00:00.000Z,run,claude-sonnet-5-5,"'=HYPERLINK\(""http:\/\/x"",""y""\)",1000,200,0,0,0,,,false,false/);
    assert.match(csv, /"a, ""quoted""\nname"/);
    assert.equal(csv.split('req_').length - 1, 3, 'count lines are not calls');
    assert.ok(csv.endsWith('\r\n'));
  });

  it('csvField leaves numbers alone (a negative number is not a formula) and neutralises text that starts like one', () => {
    assert.equal(csvField(-1.5), '-1.5');
    assert.equal(csvField('-1+2'), "'-1+2");
    assert.equal(csvField('@SUM(A1)'), "'@SUM(A1)");
    assert.equal(csvField(null), '');
    assert.equal(csvField(true), 'true');
  });
});
