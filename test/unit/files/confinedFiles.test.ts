import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendConfined, ConfinementError, readConfined } from '../../../src/core/files/confinedFiles';
import { validateForSend } from '../../../src/core/prompt/promptFile';
import { appendRunRecord, readRunRecords, recordedRequestErrors, type RunRecord } from '../../../src/core/run/runHistory';

/** The send check the run feature hands recordedRequestErrors (PromptDocuments.validateText). */
const sendCheck = (text: string) => validateForSend(text).diagnostics;

const posixOnly = process.platform === 'win32' ? it.skip : it;

function record(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    version: 2,
    recordId: 'run-1',
    promptName: '$(touch /tmp/pwned)',
    promptPath: 'x.prompt.json',
    model: 'claude-haiku-4-5',
    startedAt: '2026-11-30T00:00:00.000Z',
    status: 'completed',
    request: { model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'echo "$(curl evil)"' }] },
    timings: { durationMs: 1 },
    betas: [],
    ...overrides,
  };
}

describe('run history never follows a link out of the workspace', () => {
  let base: string;
  let workspace: string;
  let outside: string;
  const bashrc = '# the user shell start-up file\n';

  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'pw-history-'));
    workspace = join(base, 'workspace');
    outside = join(base, 'home');
    mkdirSync(join(workspace, 'prompts'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(join(outside, '.bashrc'), bashrc);
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  const historyFile = (): string => join(workspace, 'prompts', '.prompt-history', 'x.jsonl');

  posixOnly('refuses a committed history file that links to a file outside, and leaves that file as it was', async () => {
    mkdirSync(join(workspace, 'prompts', '.prompt-history'));
    symlinkSync(join(outside, '.bashrc'), historyFile());
    await assert.rejects(appendRunRecord(historyFile(), record(), [], workspace), (error: Error) => error instanceof ConfinementError && /symbolic link/.test(error.message));
    assert.equal(readFileSync(join(outside, '.bashrc'), 'utf8'), bashrc);
    // With the default root (the folder holding the history folder) too.
    await assert.rejects(appendRunRecord(historyFile(), record()), ConfinementError);
    assert.equal(readFileSync(join(outside, '.bashrc'), 'utf8'), bashrc);
  });

  posixOnly('refuses a history folder that is a link, and a link anywhere on the way down from the workspace', async () => {
    symlinkSync(outside, join(workspace, 'prompts', '.prompt-history'));
    await assert.rejects(appendRunRecord(historyFile(), record(), [], workspace), ConfinementError);
    assert.deepEqual(execFileSync('ls', ['-A', outside], { encoding: 'utf8' }).trim().split('\n'), ['.bashrc'], 'nothing written outside');

    rmSync(join(workspace, 'prompts'), { recursive: true });
    symlinkSync(outside, join(workspace, 'prompts'));
    await assert.rejects(appendRunRecord(historyFile(), record(), [], workspace), /prompts is a symbolic link/);
    assert.equal(existsSync(join(outside, '.prompt-history')), false, 'no folder made through the link');
  });

  posixOnly('refuses a hard-linked history file', async () => {
    mkdirSync(join(workspace, 'prompts', '.prompt-history'));
    linkSync(join(outside, '.bashrc'), historyFile());
    await assert.rejects(appendRunRecord(historyFile(), record(), [], workspace), /not a plain file/);
    assert.equal(readFileSync(join(outside, '.bashrc'), 'utf8'), bashrc);
  });

  posixOnly('creates history files with mode 0600 and folders with 0700', async () => {
    await appendRunRecord(historyFile(), record(), [], workspace);
    assert.equal(statSync(historyFile()).mode & 0o777, 0o600);
    assert.equal(statSync(join(workspace, 'prompts', '.prompt-history')).mode & 0o777, 0o700);
    assert.equal((await readRunRecords(historyFile(), 200, workspace))[0]?.promptName, '$(touch /tmp/pwned)', 'hostile names stay data');
  });

  it('gives a new .prompt-history folder a .gitignore of *, and leaves an existing folder alone', async () => {
    await appendRunRecord(historyFile(), record(), [], workspace);
    assert.equal(readFileSync(join(workspace, 'prompts', '.prompt-history', '.gitignore'), 'utf8'), '*\n');
    const other = join(workspace, 'kept');
    mkdirSync(join(other, '.prompt-history'), { recursive: true });
    await appendRunRecord(join(other, '.prompt-history', 'y.jsonl'), record(), [], workspace);
    assert.equal(existsSync(join(other, '.prompt-history', '.gitignore')), false, 'a folder the user made is theirs');
  });

  posixOnly('refuses to read history through a link', async () => {
    mkdirSync(join(workspace, 'prompts', '.prompt-history'));
    writeFileSync(join(outside, 'records.jsonl'), `${JSON.stringify(record())}\n`);
    symlinkSync(join(outside, 'records.jsonl'), historyFile());
    await assert.rejects(readRunRecords(historyFile(), 200, workspace), ConfinementError);
    assert.equal(await readConfined(workspace, join(workspace, 'prompts', 'none', 'x.jsonl')), undefined, 'a missing file is no history');
  });

  it('refuses a path that is not inside the folder', async () => {
    await assert.rejects(appendConfined(workspace, join(outside, 'x.jsonl'), 'x'), ConfinementError);
  });
});

describe('a recorded request is checked like a prompt before it is sent again', () => {
  it('finds nothing wrong with a record as the workbench writes it, placeholder-like text included', () => {
    assert.deepEqual(recordedRequestErrors(record({ request: { model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'literal {{name}} from a value' }] } }), sendCheck), []);
  });

  it('refuses a record the repository could have written: no max_tokens number, no messages, a hostile model type', () => {
    const errors = (request: Record<string, unknown>): string[] => recordedRequestErrors(record({ request }), sendCheck).map((d) => d.code);
    assert.ok(errors({ model: 'claude-haiku-4-5', max_tokens: '1e9', messages: [{ role: 'user', content: 'x' }] }).includes('wrong-type'));
    assert.ok(errors({ model: 'claude-haiku-4-5', max_tokens: 10, messages: [] }).includes('empty-messages'));
    assert.ok(errors({ model: { toString: 'x' }, max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }).length > 0);
    assert.ok(errors({ model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'x' }] }).includes('missing-field'));
  });
});
