import assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Message } from '@anthropic-ai/sdk/resources/messages/messages';
import { appendRunRecord, errorViewOf, jobHistoryFile, promptHistoryFile, readRunRecords, recordedError, redactSecrets, responsePreview, upgradeRunRecord, type RunRecord } from '../../../src/core/run/runHistory';
import { describeApiError } from '../../../src/core/api/apiErrors';

const KEY = 'sk-ant-fake-SECRET-abc_1';

function message(content: Json[]): Message {
  return {
    id: 'msg_01',
    type: 'message',
    role: 'assistant',
    model: 'claude-haiku-4-5',
    content,
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 3, output_tokens: 4 },
  } as unknown as Message;
}
type Json = Record<string, unknown>;

function record(n: number, overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    version: 2,
    recordId: `run-${n}`,
    promptName: 'Summarize',
    promptPath: 'prompts/summarize.prompt.json',
    model: 'claude-haiku-4-5',
    startedAt: new Date(Date.UTC(2026, 10, 25, 12, 0, n)).toISOString(),
    status: 'completed',
    request: { model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: `Question ${n} — naïve? 🧪` }] },
    response: message([{ type: 'text', text: `Answer ${n}`, citations: null }]),
    requestId: `req_${n}`,
    costUsd: 0.0001 * n,
    costText: '$0.0001',
    timings: { durationMs: 1000 + n, timeToFirstTokenMs: 200, outputTokensPerSecond: 50 },
    betas: [],
    ...overrides,
  };
}

describe('run history (JSON Lines in a temp dir)', () => {
  let dir: string;
  let file: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pw-history-'));
    // A folder that does not exist yet, as .prompt-history/ does before the first run.
    file = join(dir, '.prompt-history', 'nested', 'summarize.jsonl');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('round-trips records, creating the folder, one JSON object per line, newest first', async () => {
    const written = [record(1), record(2, { status: 'failed', error: { title: 'Rate limited', message: 'Retry in 3 s.', actions: ['retry'], retryAfterSeconds: 3 } }), record(3, { status: 'cancelled' })];
    for (const r of written) await appendRunRecord(file, r);
    const lines = (await readFile(file, 'utf8')).split('\n');
    assert.equal(lines.length, 4, 'three lines and a final newline');
    assert.equal(lines[3], '');
    assert.deepEqual(JSON.parse(lines[0] as string), written[0]);
    assert.deepEqual(await readRunRecords(file), [...written].reverse());
  });

  it('returns only the newest `limit` records', async () => {
    for (let i = 1; i <= 5; i++) await appendRunRecord(file, record(i));
    assert.deepEqual((await readRunRecords(file, 2)).map((r) => r.recordId), ['run-5', 'run-4']);
    assert.deepEqual((await readRunRecords(file, 0)).map((r) => r.recordId), []);
    assert.equal((await readRunRecords(file, 99)).length, 5);
  });

  it('defaults to the newest 200', async () => {
    await mkdir(join(dir, '.prompt-history', 'nested'), { recursive: true });
    await writeFile(file, Array.from({ length: 250 }, (_, i) => JSON.stringify(record(i))).join('\n') + '\n', 'utf8');
    const records = await readRunRecords(file);
    assert.equal(records.length, 200);
    assert.equal(records[0]?.recordId, 'run-249');
    assert.equal(records[199]?.recordId, 'run-50');
  });

  it('skips a torn last line (a crash mid-write) and keeps the rest of the history', async () => {
    await appendRunRecord(file, record(1));
    await appendRunRecord(file, record(2));
    const full = JSON.stringify(record(3));
    await appendFile(file, full.slice(0, Math.floor(full.length / 2)), 'utf8');
    assert.deepEqual((await readRunRecords(file)).map((r) => r.recordId), ['run-2', 'run-1']);
    // The next run appends after the torn line; both it and the older records are still read.
    await appendFile(file, '\n', 'utf8');
    await appendRunRecord(file, record(4));
    assert.deepEqual((await readRunRecords(file)).map((r) => r.recordId), ['run-4', 'run-2', 'run-1']);
  });

  it('skips lines that are not records of a known version, and blank or CRLF-ended lines do not matter', async () => {
    await mkdir(join(dir, '.prompt-history', 'nested'), { recursive: true });
    const lines = [
      JSON.stringify(record(1)),
      '',
      JSON.stringify({ ...record(2), version: 3 }),
      JSON.stringify({ ...record(3), recordId: '' }),
      'null',
      '42',
      '   ',
      `${JSON.stringify(record(4))}\r`,
    ];
    await writeFile(file, lines.join('\n'), 'utf8');
    assert.deepEqual((await readRunRecords(file)).map((r) => r.recordId), ['run-4', 'run-1']);
  });

  it('reads a missing file as no history, and fails loudly on other errors', async () => {
    assert.deepEqual(await readRunRecords(join(dir, 'nothing-here.jsonl')), []);
    await assert.rejects(readRunRecords(dir), /is not a regular file/);
  });

  it('never writes the API key, wherever it appears, and leaves the caller\'s record untouched', async () => {
    const leaky = record(1, {
      request: { model: 'claude-haiku-4-5', max_tokens: 10, messages: [{ role: 'user', content: `my key is ${KEY}, twice: ${KEY}` }], metadata: { [KEY]: KEY } },
      response: message([{ type: 'text', text: `echo ${KEY}`, citations: null }]),
      error: { title: 'Run failed', message: `x-api-key: ${KEY}`, actions: ['retry'] },
    });
    const before = structuredClone(leaky);
    await appendRunRecord(file, leaky, [KEY, 'short']);
    const raw = await readFile(file, 'utf8');
    assert.ok(!raw.includes(KEY), 'the key is nowhere in the file');
    assert.ok(!raw.includes('SECRETSECRET'));
    assert.equal(raw.match(/\[redacted\]/g)?.length, 6);
    const [read] = await readRunRecords(file);
    assert.equal((read?.request['messages'] as Json[])[0]?.['content'], 'my key is [redacted], twice: [redacted]');
    assert.deepEqual(leaky, before, 'the record in memory still has what the run used');
  });
});

// Written by 0.1.0's code (commit 925dbd9): a completed run and a 404, as RunController recorded them.
const v1Fixture = join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'history', 'runs-v1.jsonl');

describe('run record versions', () => {
  it('reads a version-1 file written by 0.1.0 as current records, newest first, with no betas', async () => {
    const records = await readRunRecords(v1Fixture);
    assert.deepEqual(
      records.map((r) => [r.version, r.recordId, r.status, r.model, r.betas]),
      [
        [2, '7d0c2c0e-5b0a-4d7e-9a51-0f2f6d1e0a02', 'failed', 'claude-no-such-model', []],
        [2, '7d0c2c0e-5b0a-4d7e-9a51-0f2f6d1e0a01', 'completed', 'claude-haiku-5-5', []],
      ],
    );
    const [failed, completed] = records;
    assert.equal(completed?.response?.content[0]?.type, 'text');
    assert.equal(completed?.costText, '$0.000014');
    assert.deepEqual(completed?.request['messages'], [{ role: 'user', content: 'Name a colour.' }]);
    assert.deepEqual(completed?.timings, { durationMs: 412, timeToFirstTokenMs: 120, outputTokensPerSecond: 55.5 });
    assert.equal(failed?.error?.title, 'Not found');
    assert.deepEqual(failed && errorViewOf(failed.error!).actions, ['chooseModel']);
  });

  it('writes version 2 with the betas, and reads it back unchanged', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pw-history-v2-'));
    try {
      const file = join(dir, 'p.jsonl');
      const written = record(1, { betas: ['task-budgets-2026-03-13'] });
      await appendRunRecord(file, written);
      assert.equal(JSON.parse(await readFile(file, 'utf8')).betas[0], 'task-budgets-2026-03-13');
      assert.deepEqual(await readRunRecords(file), [written]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps the error in its own shape: the panel view goes in and comes out, unknown actions are dropped', () => {
    const view = describeApiError({ status: 429, headers: { 'retry-after': '3' }, requestID: 'req_9', error: { error: { type: 'rate_limit_error', message: 'Slow down' } } });
    const kept = recordedError(view);
    assert.deepEqual(errorViewOf(kept), view);
    assert.deepEqual(errorViewOf({ ...kept, actions: ['retry', 'teleport'] }).actions, ['retry']);
  });

  it('does not guess at a newer version or a line without a record id', () => {
    assert.equal(upgradeRunRecord({ ...record(1), version: 3 }), undefined);
    assert.equal(upgradeRunRecord({ ...record(1), recordId: 7 }), undefined);
    assert.equal(upgradeRunRecord('text'), undefined);
    assert.deepEqual(upgradeRunRecord({ ...record(1), betas: 'x' })?.betas, [], 'betas that are not a list of names are none');
  });
});

describe('redactSecrets', () => {
  it('replaces a secret in strings, keys, arrays and nested objects, and keeps the shape', () => {
    const value = { a: KEY, b: [`pre ${KEY} post`, 1, true, null], c: { [`k-${KEY}`]: { d: KEY } } };
    assert.deepEqual(redactSecrets(value, [KEY]), { a: '[redacted]', b: ['pre [redacted] post', 1, true, null], c: { 'k-[redacted]': { d: '[redacted]' } } });
  });

  it('handles several secrets, and ignores ones shorter than 8 characters (too likely to match by chance)', () => {
    const other = 'sk-ant-admin-OTHER-000';
    assert.deepEqual(redactSecrets({ t: `${KEY} ${other} abc` }, [KEY, other, 'abc']), { t: '[redacted] [redacted] abc' });
  });

  it('returns the value as it was when no secret occurs, and does not mutate it when one does', () => {
    const clean = { t: 'nothing to hide' };
    assert.deepEqual(redactSecrets(clean, [KEY]), { t: 'nothing to hide' });
    assert.deepEqual(redactSecrets(clean, []), { t: 'nothing to hide' });
    const dirty = { t: KEY };
    redactSecrets(dirty, [KEY]);
    assert.equal(dirty.t, KEY);
  });
});

describe('responsePreview', () => {
  it('joins text blocks and tool calls, skips thinking, and collapses whitespace', () => {
    const preview = responsePreview(
      message([
        { type: 'thinking', thinking: 'secret plan', signature: 'sig' },
        { type: 'text', text: '  Let me\n\ncheck   the\tweather. ', citations: null },
        { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
        { type: 'text', text: 'Done.', citations: null },
      ]),
    );
    assert.equal(preview, 'Let me check the weather. [tool_use get_weather] Done.');
  });

  it('cuts long text to `length` characters, the last an ellipsis', () => {
    const long = message([{ type: 'text', text: 'abcdefghij'.repeat(30), citations: null }]);
    const preview = responsePreview(long);
    assert.equal(preview.length, 120);
    assert.equal(preview, `${'abcdefghij'.repeat(12).slice(0, 119)}…`);
    assert.equal(responsePreview(long, 10), 'abcdefghi…');
    assert.equal(responsePreview(message([{ type: 'text', text: 'exactly10!', citations: null }]), 10), 'exactly10!', 'no ellipsis at exactly the length');
  });

  it('never cuts an emoji in half', () => {
    const preview = responsePreview(message([{ type: 'text', text: `${'a'.repeat(8)}🧪🧪🧪`, citations: null }]), 10);
    assert.equal(preview, `${'a'.repeat(8)}…`);
    assert.doesNotMatch(preview, /[\uD800-\uDBFF](?![\uDC00-\uDFFF])/, 'no lone high surrogate');
  });

  it('is empty for no response or no text', () => {
    assert.equal(responsePreview(undefined), '');
    assert.equal(responsePreview(message([])), '');
    assert.equal(responsePreview(message([{ type: 'redacted_thinking', data: 'x' }])), '');
  });
});

describe('history files of a prompt and of its dataset jobs', () => {
  it('keeps a prompt\'s history beside it, or in workspace storage under a hash of its URI', () => {
    assert.equal(promptHistoryFile('/w/p/tickets.prompt.json', 'file:///w/p/tickets.prompt.json', 'besidePrompt', '/s'), join('/w/p', '.prompt-history', 'tickets.jsonl'));
    const stored = promptHistoryFile('/w/p/tickets.prompt.json', 'file:///w/p/tickets.prompt.json', 'workspaceStorage', '/s');
    assert.match(stored, /^\/s\/history\/[0-9a-f]{12}-tickets\.jsonl$/);
    assert.notEqual(stored, promptHistoryFile('/w/q/tickets.prompt.json', 'file:///w/q/tickets.prompt.json', 'workspaceStorage', '/s'), 'two prompts of the same name do not share a file');
    assert.equal(promptHistoryFile('/w/p/tickets.prompt.json', 'file:///w/p/tickets.prompt.json', 'workspaceStorage', undefined), join('/w/p', '.prompt-history', 'tickets.jsonl'));
  });

  it('gives each dataset job a file of its own beside the prompt\'s history, named after its results file', () => {
    assert.equal(jobHistoryFile('/w/p/.prompt-history/tickets.jsonl', '/w/data/Tickets-2026-11-30T05-00-00Z.results.jsonl'), '/w/p/.prompt-history/tickets.jobs/Tickets-2026-11-30T05-00-00Z.jsonl');
  });
});
