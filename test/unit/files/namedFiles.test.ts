import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lexicalNamedPath, locateNamedFile, lookupOf, readNamedFile, writtenPathProblem, type NamedFileScope } from '../../../src/core/files/namedFiles';
import { parsePromptFile } from '../../../src/core/prompt/promptFile';

const secret = 'AKIA-THE-SECRET-CREDENTIALS';

describe('files a prompt names: resolved inside the workspace, read safely', () => {
  let base: string;
  let workspace: string;
  let scope: NamedFileScope;

  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'pw-named-'));
    workspace = join(base, 'workspace');
    mkdirSync(join(workspace, 'prompts', 'data'), { recursive: true });
    writeFileSync(join(base, 'secret.txt'), secret);
    mkdirSync(join(base, 'outside'));
    writeFileSync(join(base, 'outside', 'creds'), secret);
    writeFileSync(join(workspace, 'prompts', 'data', 'handbook.md'), 'Refunds within 30 days.');
    writeFileSync(join(workspace, 'shared.md'), 'Shared text.');
    scope = { root: workspace, promptDir: join(workspace, 'prompts'), maxBytes: 1024 };
  });

  afterEach(() => rmSync(base, { recursive: true, force: true }));

  const refused = (written: string, code: string, messagePattern?: RegExp): void => {
    const read = readNamedFile(written, scope);
    assert.equal(read.ok, false, `${written} must be refused`);
    if (read.ok) return;
    assert.equal(read.problem.code, code, `${written}: ${read.problem.message}`);
    if (messagePattern) assert.match(read.problem.message, messagePattern);
    assert.doesNotMatch(read.problem.message, new RegExp(secret), 'no byte of the file in the message');
  };

  it('reads a file beside the prompt, and one reached by a .. that stays inside the folder', () => {
    assert.deepEqual(readNamedFile('data/handbook.md', scope), { ok: true, text: 'Refunds within 30 days.', realPath: realpathSync(join(workspace, 'prompts', 'data', 'handbook.md')) });
    const shared = readNamedFile('../shared.md', scope);
    assert.equal(shared.ok && shared.text, 'Shared text.');
    assert.equal(readNamedFile('data/../data/./handbook.md', scope).ok, true);
  });

  it('refuses a .. escape out of the workspace folder, with / or \\ separators', () => {
    refused('../../secret.txt', 'outside-workspace', /leads outside this prompt's workspace folder.*Nothing was read/);
    refused('..\\..\\secret.txt', 'outside-workspace');
    refused('data/../../../outside/creds', 'outside-workspace');
    // Even a file that does not exist: the path alone is refused, nothing is looked up.
    refused('../../../../.aws/credentials', 'outside-workspace');
  });

  it('refuses absolute, home-relative, drive and network (UNC) paths from their text alone', () => {
    refused(join(base, 'secret.txt'), 'absolute-path', /absolute path/);
    refused('~/.aws/credentials', 'absolute-path');
    refused('C:\\Users\\me\\.aws\\credentials', 'absolute-path');
    refused('C:secret.txt', 'absolute-path');
    refused('\\\\attacker.example\\share\\x.md', 'absolute-path', /network \(UNC\) path/);
    refused('//attacker.example/share/x.md', 'absolute-path', /UNC/);
    refused('\\\\?\\C:\\secret.txt', 'absolute-path', /UNC/);
    refused('data/handbook.md\0.txt', 'absolute-path', /NUL/);
    assert.equal(writtenPathProblem('data/handbook.md'), undefined);
    assert.equal(writtenPathProblem('./x~y.md'), undefined);
  });

  it('refuses a symbolic link to a file outside the folder, and a path through a linked folder', () => {
    symlinkSync(join(base, 'secret.txt'), join(workspace, 'prompts', 'data', 'notes.md'));
    symlinkSync(join(base, 'outside'), join(workspace, 'prompts', 'linked'));
    refused('data/notes.md', 'outside-workspace', /symbolic link to a file outside/);
    refused('linked/creds', 'outside-workspace', /symbolic link/);
    // The same path passes the text check: only resolving the real path catches it.
    assert.equal(lexicalNamedPath('linked/creds', scope).ok, true);
  });

  it('follows a symbolic link that stays inside the folder, and a workspace opened through a link', () => {
    symlinkSync(join(workspace, 'shared.md'), join(workspace, 'prompts', 'alias.md'));
    assert.equal(lookupOf(readNamedFile('alias.md', scope)).kind, 'found');
    const linkedRoot = join(base, 'workspace-link');
    symlinkSync(workspace, linkedRoot);
    const viaLink = { ...scope, root: linkedRoot, promptDir: join(linkedRoot, 'prompts') };
    const read = readNamedFile('data/handbook.md', viaLink);
    assert.equal(read.ok && read.text, 'Refunds within 30 days.');
    assert.equal(readNamedFile('../../secret.txt', viaLink).ok, false);
  });

  it('refuses a named pipe at once instead of waiting for a writer', function () {
    if (process.platform === 'win32') this.skip();
    execFileSync('mkfifo', [join(workspace, 'prompts', 'pipe')]);
    const started = Date.now();
    refused('pipe', 'not-a-file', /named pipe \(FIFO\), not a regular file/);
    // A blocking open would never return (mocha's timeout would fail the test first).
    assert.ok(Date.now() - started < 5_000);
  });

  it('refuses folders and devices', function () {
    refused('data', 'not-a-file', /is a folder/);
    refused('.', 'not-a-file');
    if (process.platform === 'win32') this.skip();
    // /dev/zero would grow a read until the host dies; inside a "workspace" of /dev it is refused as a device.
    const devScope = { root: '/dev', promptDir: '/dev', maxBytes: 1024 };
    const zero = readNamedFile('zero', devScope);
    assert.equal(!zero.ok && zero.problem.code, 'not-a-file');
    assert.match(!zero.ok ? zero.problem.message : '', /a device/);
    // And from a real workspace a link to it leads outside.
    symlinkSync('/dev/zero', join(workspace, 'prompts', 'values.json'));
    refused('values.json', 'outside-workspace');
  });

  it('refuses a file above the size cap, naming the cap and the setting, and reads one at the cap', () => {
    writeFileSync(join(workspace, 'prompts', 'big.txt'), 'x'.repeat(1025));
    writeFileSync(join(workspace, 'prompts', 'fits.txt'), 'x'.repeat(1024));
    const hinted = { ...scope, sizeLimitHint: '(setting "promptWorkbench.maxReferencedFileMB")' };
    const big = readNamedFile('big.txt', hinted);
    assert.equal(big.ok, false);
    assert.match(!big.ok ? big.problem.message : '', /above the 0\.001 MB limit for files a prompt names \(setting "promptWorkbench\.maxReferencedFileMB"\)\. Nothing was read\./);
    assert.equal(!big.ok && big.problem.code, 'file-too-large');
    const fits = readNamedFile('fits.txt', hinted);
    assert.equal(fits.ok && fits.text.length, 1024);
  });

  it('says a missing file is missing, and strips a byte order mark', () => {
    refused('data/missing.md', 'file-not-found');
    writeFileSync(join(workspace, 'prompts', 'bom.json'), '\ufeff{"a": 1}');
    const read = readNamedFile('bom.json', scope);
    assert.equal(read.ok && read.text, '{"a": 1}');
  });

  it('with no folder open, keeps files beside the prompt', () => {
    const alone = { root: join(workspace, 'prompts'), promptDir: join(workspace, 'prompts'), maxBytes: 1024 };
    assert.equal(readNamedFile('data/handbook.md', alone).ok, true);
    const up = readNamedFile('../shared.md', alone);
    assert.equal(!up.ok && up.problem.code, 'outside-workspace');
  });

  it('locates without reading: a file is checked with lstat only', () => {
    const located = locateNamedFile('data/handbook.md', scope);
    assert.equal(located.ok && located.stats.size, 'Refunds within 30 days.'.length);
  });

  it('turns every refusal into an error at the path in the prompt, and reads nothing for it', () => {
    symlinkSync(join(base, 'secret.txt'), join(workspace, 'prompts', 'data', 'notes.md'));
    const text = JSON.stringify({
      valuesFile: '../../secret.txt',
      variables: { a: { file: '/etc/passwd' }, b: { file: 'data/notes.md' }, c: { file: '\\\\host\\share\\x' }, d: { file: 'data/handbook.md' } },
      request: { model: 'claude-sonnet-5-5', max_tokens: 10, messages: [{ role: 'user', content: '{{a}} {{b}} {{c}} {{d}}' }] },
    });
    const asked: string[] = [];
    const parsed = parsePromptFile(text, {
      namedFile: (path) => {
        asked.push(path);
        return lookupOf(readNamedFile(path, scope));
      },
    });
    const errors = parsed.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.code, text.slice(d.offset, d.offset + d.length)]);
    assert.deepEqual(errors, [
      ['outside-workspace', '"../../secret.txt"'],
      ['absolute-path', '"/etc/passwd"'],
      ['outside-workspace', '"data/notes.md"'],
      ['absolute-path', '"\\\\\\\\host\\\\share\\\\x"'],
    ]);
    assert.equal(parsed.prompt, undefined, 'a prompt with a refused file is never sent');
    assert.deepEqual(asked.sort(), ['../../secret.txt', 'data/handbook.md', 'data/notes.md'], 'absolute and network paths never reach the host');
    assert.doesNotMatch(JSON.stringify(parsed.diagnostics), new RegExp(secret));
  });

  it('shows a file left unread in Restricted Mode as information, not as missing', () => {
    const text = JSON.stringify({
      valuesFile: 'values.json',
      request: { model: 'claude-sonnet-5-5', max_tokens: 10, messages: [{ role: 'user', content: '{{x}}' }] },
    });
    const parsed = parsePromptFile(text, { namedFile: () => ({ kind: 'unchecked', reason: 'Restricted Mode' }) });
    assert.deepEqual(parsed.diagnostics.map((d) => [d.code, d.severity]), [
      ['file-not-read', 'info'],
      ['undefined-variable', 'warning'],
    ]);
  });
});
