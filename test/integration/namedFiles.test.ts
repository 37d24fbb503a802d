import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { useSimulator } from './apiHarness';
import { eventually, resetEditors, workspaceFile, writePrompt } from './helpers';

const request = (content: string): Record<string, unknown> => ({ model: 'claude-sonnet-5-5', max_tokens: 64, messages: [{ role: 'user', content }] });

function diagnosticsOf(uri: vscode.Uri): [string, string][] {
  return vscode.languages.getDiagnostics(uri).map((d) => [String(d.code), d.message]);
}

describe('files a prompt names: only inside the workspace, read once', function () {
  this.timeout(60_000);
  const harness = useSimulator();
  const secret = `SECRET-${randomUUID()}`;
  let outside: string;

  before(() => {
    const root = workspaceFile('').fsPath;
    outside = join(dirname(root), `pw-outside-${randomUUID()}.txt`);
    writeFileSync(outside, secret);
  });
  after(() => rmSync(outside, { force: true }));
  afterEach(resetEditors);

  it('refuses a .. escape and a symbolic link out with errors at the paths, and never sends the file', async () => {
    const link = workspaceFile('innocent-notes.md').fsPath;
    symlinkSync(outside, link);
    try {
      const uri = await writePrompt('hostile-paths', request('hostile-paths: {{a}} {{b}}'), {
        variables: { a: { file: `../${outside.split(/[\\/]/).pop()}` }, b: { file: 'innocent-notes.md' } },
      });
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
      const problems = await eventually(() => {
        const found = diagnosticsOf(uri);
        return found.length >= 2 ? found : undefined;
      }, 'the two refusals in the Problems panel');
      assert.deepEqual(problems.map(([code]) => code).sort(), ['outside-workspace', 'outside-workspace']);
      assert.ok(problems.some(([, message]) => /symbolic link to a file outside/.test(message)));
      assert.match(harness.api.statusBar().text, /2 problems: not counted/);
      // Past the count delay: nothing may have been sent, least of all the file.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const sent = JSON.stringify(harness.sim.requests.map((r) => r.body));
      assert.ok(!sent.includes('hostile-paths:'), 'a prompt with refused files is not counted');
      assert.ok(!JSON.stringify(harness.sim.requests.map((r) => r.body)).includes(secret), 'no byte of the secret reaches the API');
    } finally {
      rmSync(link, { force: true });
    }
  });

  it('reads a values file once, counts with it, and counts again when it changes on disk', async () => {
    const values = workspaceFile('named-values.json');
    await vscode.workspace.fs.writeFile(values, new TextEncoder().encode(JSON.stringify({ topic: 'otters' })));
    const uri = await writePrompt('named-values', request('Write about {{topic}}.'), { valuesFile: 'named-values.json' });
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const sentContent = (): string[] => harness.sim.requests.filter((r) => r.endpoint === 'count_tokens').map((r) => JSON.stringify((r.body as { messages: unknown }).messages));
    await eventually(() => (sentContent().some((c) => c.includes('Write about otters.')) ? true : undefined), 'a count with the value from the file');
    await vscode.workspace.fs.writeFile(values, new TextEncoder().encode(JSON.stringify({ topic: 'beavers' })));
    // No edit of the prompt: the watcher alone must bring the new value in.
    await eventually(() => (sentContent().some((c) => c.includes('Write about beavers.')) ? true : undefined), 'a count with the changed value', 15_000);
  });

  it('refuses a file above the size cap from the user setting, naming the setting', async () => {
    const config = vscode.workspace.getConfiguration('promptWorkbench');
    await config.update('maxReferencedFileMB', 0.0001, vscode.ConfigurationTarget.Global);
    try {
      await vscode.workspace.fs.writeFile(workspaceFile('big-values.json'), new TextEncoder().encode(JSON.stringify({ topic: 'x'.repeat(500) })));
      const uri = await writePrompt('big-values', request('{{topic}}'), { valuesFile: 'big-values.json' });
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
      const problem = await eventually(() => diagnosticsOf(uri).find(([code]) => code === 'file-too-large'), 'the size refusal');
      assert.match(problem[1], /limit for files a prompt names \(setting "promptWorkbench\.maxReferencedFileMB"\)/);
    } finally {
      await config.update('maxReferencedFileMB', undefined, vscode.ConfigurationTarget.Global);
    }
  });
});
