import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { promptFromCurl } from '../../src/core/prompt/curl';
import { activateExtension, eventually, openPrompt, resetEditors, workspaceFile, writePrompt } from './helpers';

type Expected = { code: string; severity: vscode.DiagnosticSeverity; range: [number, number, number, number] };

const { Error: E, Warning: W } = vscode.DiagnosticSeverity;

function ours(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'Prompt Workbench');
}

function describeDiagnostic(d: vscode.Diagnostic): string {
  return `${String(d.code)} ${d.severity} ${d.range.start.line}:${d.range.start.character}-${d.range.end.line}:${d.range.end.character}`;
}

describe('authoring .prompt.json files', function () {
  this.timeout(60_000);
  before(activateExtension);
  afterEach(resetEditors);

  it('shows each problem of a broken prompt at its exact range in the Problems panel', async () => {
    const uri = workspaceFile('broken.prompt.json');
    await openPrompt('broken.prompt.json');
    const expected: Expected[] = [
      { code: 'wrong-type', severity: E, range: [6, 26, 6, 32] },
      { code: 'max-tokens-above-model', severity: E, range: [9, 18, 9, 24] },
      { code: 'sampling-parameter-removed', severity: W, range: [10, 4, 10, 17] },
      { code: 'first-message-not-user', severity: E, range: [12, 16, 12, 27] },
      { code: 'undefined-variable', severity: E, range: [13, 57, 13, 69] },
    ];
    const diagnostics = await eventually(() => (ours(uri).length >= expected.length ? ours(uri) : undefined), 'the diagnostics');
    assert.deepEqual(
      diagnostics.map(describeDiagnostic).sort(),
      expected.map((e) => `${e.code} ${e.severity} ${e.range[0]}:${e.range[1]}-${e.range[2]}:${e.range[3]}`).sort(),
    );
    const temperature = diagnostics.find((d) => d.code === 'sampling-parameter-removed');
    assert.match(temperature?.message ?? '', /2026-10-21/, 'the warning says why');
  });

  it('reports invalid JSON where it is, and updates as the user types', async () => {
    const uri = workspaceFile('invalid-json.prompt.json');
    const editor = await openPrompt('invalid-json.prompt.json');
    const syntax = await eventually(() => ours(uri).find((d) => d.code === 'json-syntax'), 'the syntax error');
    assert.equal(describeDiagnostic(syntax), `json-syntax ${E} 4:4-4:16`);
    // Typing the missing comma fixes it.
    const line = editor.document.lineAt(3);
    await editor.edit((edit) => edit.insert(line.range.end, ','));
    await eventually(() => (ours(uri).some((d) => d.code === 'json-syntax') ? undefined : true), 'the syntax error to go away');
  });

  it('offers the known model ids from the schema when completing "model"', async () => {
    const editor = await openPrompt('hello.prompt.json');
    const text = editor.document.getText();
    const at = text.indexOf('"claude-sonnet-5-5"') + 1;
    const list = await eventually(async () => {
      const items = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', editor.document.uri, editor.document.positionAt(at));
      const labels = items.items.map((item) => (typeof item.label === 'string' ? item.label : item.label.label));
      return labels.some((l) => l.includes('claude-opus-5-5')) ? labels : undefined;
    }, 'model completions from the schema', 20_000);
    assert.ok(list.some((l) => l.includes('claude-haiku-5-5')));
  });

  it('puts only live actions in the CodeLens at the top of a prompt', async () => {
    const editor = await openPrompt('hello.prompt.json');
    const lenses = await eventually(async () => {
      const found = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', editor.document.uri);
      return found.length > 0 ? found : undefined;
    }, 'code lenses');
    const registered = new Set(await vscode.commands.getCommands(true));
    const commands = lenses.map((lens) => lens.command?.command ?? '');
    assert.ok(commands.includes('promptWorkbench.run'));
    assert.ok(commands.includes('promptWorkbench.showCostDetails'));
    for (const command of commands) assert.ok(registered.has(command), `${command} exists`);
  });

  it('copies the resolved request as curl and as TypeScript, with the key only as $ANTHROPIC_API_KEY', async () => {
    await openPrompt('hello.prompt.json');
    const curl = await vscode.commands.executeCommand<string>('promptWorkbench.copyAsCurl');
    assert.equal(await vscode.env.clipboard.readText(), curl);
    assert.match(curl, /x-api-key: \$ANTHROPIC_API_KEY/);
    assert.ok(curl.includes('Say hello in English'), 'variables resolved');
    assert.equal(promptFromCurl(curl).request.model, 'claude-sonnet-5-5', 'the copied command reads back as the same request');
    const ts = await vscode.commands.executeCommand<string>('promptWorkbench.copyAsTypeScript');
    assert.match(ts, /import Anthropic from '@anthropic-ai\/sdk'/);
    assert.match(ts, /messages\.create|messages\.stream/);
    assert.ok(!/sk-ant-/.test(curl + ts), 'no key value');
  });

  it("carries the prompt's betas: curl as an anthropic-beta header, TypeScript through client.beta.messages", async () => {
    const betas = ['task-budgets-2026-03-13'];
    const uri = await writePrompt('with-betas', { model: 'claude-opus-5', max_tokens: 100, messages: [{ role: 'user', content: 'Hi' }] }, { betas });
    const curl = await vscode.commands.executeCommand<string>('promptWorkbench.copyAsCurl', uri);
    assert.deepEqual(promptFromCurl(curl).betas, betas, 'the curl command reads back with the betas');
    const ts = await vscode.commands.executeCommand<string>('promptWorkbench.copyAsTypeScript', uri);
    assert.match(ts, /client\.beta\.messages\.create\(\{\n {4}betas: \[\n {6}"task-budgets-2026-03-13"/);
  });
});
