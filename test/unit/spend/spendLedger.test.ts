import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { monthOf, SpendLedger } from '../../../src/core/spend/spendLedger';
import { entry, tempFolder } from './ledgerFixture';

describe('SpendLedger', () => {
  it('appends JSON lines to the month file and reads them back with every field', async () => {
    const folder = await tempFolder();
    const now = Date.parse('2026-11-14T10:00:00Z');
    const ledger = new SpendLedger({ folder, now: () => now, writer: 'w1' });
    await ledger.append(entry({ requestId: 'req_a', costUsd: 0.25 }));
    await ledger.append(entry({ requestId: 'req_b', costUsd: 0.5, model: 'claude-haiku-5-5', promptName: 'Summarize' }));
    const text = await fs.readFile(join(folder, 'spend-2026-11.jsonl'), 'utf8');
    assert.equal(text.split('\n').filter(Boolean).length, 2);
    const lines = await ledger.readMonth('2026-11');
    assert.deepEqual(
      lines.map((l) => (l.type === 'call' ? [l.requestId, l.costUsd, l.model, l.time, l.writer, l.keyFingerprint, l.priceAsOf] : [])),
      [
        ['req_a', 0.25, 'claude-sonnet-5-5', '2026-11-14T10:00:00.000Z', 'w1', '0123456789ab', '2026-11-25'],
        ['req_b', 0.5, 'claude-haiku-5-5', '2026-11-14T10:00:00.000Z', 'w1', '0123456789ab', '2026-11-25'],
      ],
    );
    const totals = ledger.totals;
    assert.equal(totals.calls, 2);
    assert.equal(totals.usd, 0.75);
    assert.equal(totals.byDay[13], 0.75);
    assert.deepEqual(Object.fromEntries(totals.byModel), { 'claude-sonnet-5-5': { usd: 0.25, calls: 1 }, 'claude-haiku-5-5': { usd: 0.5, calls: 1 } });
    assert.deepEqual(Object.fromEntries(totals.byPrompt), { Classify: { usd: 0.25, calls: 1 }, Summarize: { usd: 0.5, calls: 1 } });
    assert.equal(totals.tokens.inputTokens, 2_000);
  });

  it('a new ledger over an existing file starts from its totals (another window, or a restart)', async () => {
    const folder = await tempFolder();
    const now = () => Date.parse('2026-11-14T10:00:00Z');
    const first = new SpendLedger({ folder, now });
    await first.append(entry({ costUsd: 1 }));
    await first.append(entry({ costUsd: 2 }));
    const second = new SpendLedger({ folder, now });
    assert.equal(second.totals.usd, 0, 'nothing read before refresh');
    assert.equal((await second.refresh()).usd, 3);
    await first.append(entry({ costUsd: 4 }));
    assert.equal((await second.refresh()).usd, 7, 'the other writer\'s new line is read incrementally');
  });

  it('splits files at the UTC month boundary and the totals follow the current month', async () => {
    const folder = await tempFolder();
    let now = Date.parse('2026-11-30T23:59:59Z');
    const ledger = new SpendLedger({ folder, now: () => now });
    await ledger.append(entry({ costUsd: 2 }));
    assert.equal(ledger.totals.month, '2026-11');
    assert.equal(ledger.totals.usd, 2);
    assert.equal(ledger.totals.byDay.length, 30);
    now = Date.parse('2026-12-01T00:00:01Z');
    await ledger.append(entry({ costUsd: 0.5 }));
    assert.equal(ledger.totals.month, '2026-12');
    assert.equal(ledger.totals.usd, 0.5, 'November is not carried into December');
    assert.equal(ledger.totals.byDay.length, 31);
    assert.equal(ledger.totals.byDay[0], 0.5);
    const files = (await fs.readdir(folder)).sort();
    assert.deepEqual(files, ['spend-2026-11.jsonl', 'spend-2026-12.jsonl']);
    assert.equal((await ledger.readMonth('2026-11')).length, 1);
    assert.equal(monthOf(Date.parse('2026-12-31T23:59:59.999Z')), '2026-12');
    assert.equal(monthOf(Date.parse('2027-01-01T00:00:00Z')), '2027-01');
  });

  it('an entry is filed by its own time, even when recorded after the month turned', async () => {
    const folder = await tempFolder();
    const ledger = new SpendLedger({ folder, now: () => Date.parse('2026-12-01T00:00:05Z') });
    await ledger.append(entry({ costUsd: 3, time: '2026-11-30T23:59:58.000Z' }));
    assert.equal(ledger.totals.usd, 0, 'not December spend');
    assert.equal((await ledger.readMonth('2026-11')).length, 1);
  });

  it('two processes appending at once lose nothing and tear no line', async function () {
    this.timeout(60_000);
    const folder = await tempFolder();
    const script = join(__dirname, 'ledgerWriter.js');
    const perWriter = 400;
    const time = '2026-11-14T10:00:00Z';
    const run = (writer: string) =>
      new Promise<void>((resolve, reject) => {
        const child = spawn(process.execPath, [script, folder, writer, String(perWriter), time], { stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer ${writer} exited ${code}: ${stderr}`))));
      });
    await Promise.all([run('A'), run('B')]);
    const raw = (await fs.readFile(join(folder, 'spend-2026-11.jsonl'), 'utf8')).split('\n').filter(Boolean);
    assert.equal(raw.length, 2 * perWriter);
    for (const line of raw) JSON.parse(line);
    const ledger = new SpendLedger({ folder, now: () => Date.parse(time) });
    const totals = await ledger.refresh();
    assert.equal(totals.calls, 2 * perWriter);
    assert.equal(totals.unreadableLines, 0);
    const ids = new Set((await ledger.readMonth('2026-11')).map((l) => (l.type === 'call' ? l.requestId : '')));
    for (const writer of ['A', 'B']) for (let i = 0; i < perWriter; i++) assert.ok(ids.has(`req_${writer}_${i}`), `req_${writer}_${i} is missing`);
  });

  it('keeps simulated calls apart from real spend', async () => {
    const folder = await tempFolder();
    const ledger = new SpendLedger({ folder, now: () => Date.parse('2026-11-14T10:00:00Z') });
    await ledger.append(entry({ costUsd: 1 }));
    await ledger.append(entry({ costUsd: 5, simulated: true, model: 'claude-opus-5-5', promptName: 'Sim' }));
    const totals = ledger.totals;
    assert.equal(totals.usd, 1);
    assert.equal(totals.calls, 1);
    assert.deepEqual(totals.simulated, { usd: 5, calls: 1 });
    assert.equal(totals.byModel.has('claude-opus-5-5'), false);
    assert.equal(totals.byPrompt.has('Sim'), false);
    assert.equal(totals.byDay[13], 1);
  });

  it('counts free counting calls without billing them', async () => {
    const folder = await tempFolder();
    const ledger = new SpendLedger({ folder, now: () => Date.parse('2026-11-14T10:00:00Z') });
    ledger.countCall(false);
    ledger.countCall(false);
    ledger.countCall(true);
    await ledger.flushCounts();
    assert.equal(ledger.totals.countCalls, 3);
    assert.equal(ledger.totals.usd, 0);
    assert.equal(ledger.totals.calls, 0);
    assert.equal((await ledger.readMonth('2026-11')).length, 2, 'one line for real counts, one for simulated');
  });

  it('an unpriced call is counted but never read as $0 spend', async () => {
    const folder = await tempFolder();
    const ledger = new SpendLedger({ folder, now: () => Date.parse('2026-11-14T10:00:00Z') });
    await ledger.append(entry({ costUsd: null, priceAsOf: null, model: 'claude-new-9' }));
    assert.equal(ledger.totals.unpricedCalls, 1);
    assert.equal(ledger.totals.calls, 1);
    assert.equal(ledger.totals.usd, 0);
  });

  it('skips a torn or foreign line and keeps a line still being written for the next read', async () => {
    const folder = await tempFolder();
    const now = () => Date.parse('2026-11-14T10:00:00Z');
    const ledger = new SpendLedger({ folder, now });
    await ledger.append(entry({ costUsd: 1 }));
    const file = join(folder, 'spend-2026-11.jsonl');
    const full = JSON.stringify({ type: 'call', time: '2026-11-14T10:00:00.000Z', ...entry({ costUsd: 2 }) });
    await fs.appendFile(file, 'not json\n' + full.slice(0, 20));
    assert.equal((await ledger.refresh()).usd, 1);
    assert.equal(ledger.totals.unreadableLines, 1);
    await fs.appendFile(file, full.slice(20) + '\n');
    assert.equal((await ledger.refresh()).usd, 3, 'the completed line is read whole');
  });

  it('writes the month file readable by the user only', async () => {
    const folder = await tempFolder();
    const ledger = new SpendLedger({ folder, now: () => Date.parse('2026-11-14T10:00:00Z') });
    await ledger.append(entry());
    const mode = (await fs.stat(join(folder, 'spend-2026-11.jsonl'))).mode & 0o777;
    if (process.platform !== 'win32') assert.equal(mode, 0o600);
  });

  it('a new window starts from the month\'s checkpoint and gets the same totals as a full read', async () => {
    const folder = await tempFolder();
    const now = () => Date.parse('2026-11-14T10:00:00Z');
    const writer = new SpendLedger({ folder, now });
    const appends: Promise<unknown>[] = [];
    for (let i = 0; i < 4_000; i++) appends.push(writer.append(entry({ costUsd: 0.001, promptName: `p${i % 7}`, model: i % 2 ? 'claude-haiku-5-5' : 'claude-sonnet-5-5' })));
    await Promise.all(appends);
    await writer.append(entry({ costUsd: 2, promptName: 'after' }));
    const checkpointFile = join(folder, 'spend-2026-11.totals.json');
    const checkpoint = JSON.parse(await fs.readFile(checkpointFile, 'utf8')) as { offset: number };
    const size = (await fs.stat(join(folder, 'spend-2026-11.jsonl'))).size;
    assert.ok(checkpoint.offset > 0 && checkpoint.offset < size, 'a checkpoint part-way through the month');

    const fromCheckpoint = await new SpendLedger({ folder, now }).refresh();
    await fs.rm(checkpointFile);
    const fromScratch = await new SpendLedger({ folder, now }).refresh();
    assert.equal(fromScratch.calls, 4_001);
    assert.deepEqual({ ...fromCheckpoint, byModel: [...fromCheckpoint.byModel], byPrompt: [...fromCheckpoint.byPrompt] }, { ...fromScratch, byModel: [...fromScratch.byModel], byPrompt: [...fromScratch.byPrompt] });
  });

  it('ignores a checkpoint that does not match the file (offset past the end, or inside a line)', async () => {
    const folder = await tempFolder();
    const now = () => Date.parse('2026-11-14T10:00:00Z');
    await new SpendLedger({ folder, now }).append(entry({ costUsd: 1 }));
    const bogus = (offset: number) => JSON.stringify({ v: 1, offset, totals: { month: '2026-11', usd: 999, calls: 999, byDay: [], byModel: [], byPrompt: [] } });
    for (const offset of [10_000_000, 5]) {
      await fs.writeFile(join(folder, 'spend-2026-11.totals.json'), bogus(offset));
      assert.equal((await new SpendLedger({ folder, now }).refresh()).usd, 1, `offset ${offset}`);
    }
    // The same checkpoint at the end of the line is taken (so the two cases above were refusals).
    const size = (await fs.stat(join(folder, 'spend-2026-11.jsonl'))).size;
    await fs.writeFile(join(folder, 'spend-2026-11.totals.json'), bogus(size));
    assert.equal((await new SpendLedger({ folder, now }).refresh()).usd, 999);
  });
});
