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

  it('shows each problem of a broken prompt once, at its exact range, in the Problems panel', async () => {
    const uri = workspaceFile('broken.prompt.json');
    await openPrompt('broken.prompt.json');
    // VS Code's schema check reports some of these (the type of expectedOutputTokens, the
    // deprecated temperature), the extension the rest: each place has exactly one report.
    const expected: Expected[] = [
      { code: 'wrong-type', severity: E, range: [6, 26, 6, 32] },
      { code: 'max-tokens-above-model', severity: E, range: [9, 18, 9, 24] },
      { code: 'sampling-parameter-removed', severity: W, range: [10, 4, 10, 17] },
      { code: 'first-message-not-user', severity: E, range: [12, 16, 12, 27] },
      { code: 'undefined-variable', severity: E, range: [13, 57, 13, 69] },
    ];
    const at = (e: Expected) => new vscode.Range(e.range[0], e.range[1], e.range[2], e.range[3]);
    const reportsAt = (e: Expected) => vscode.languages.getDiagnostics(uri).filter((d) => d.range.start.line === e.range[0] && d.range.intersection(at(e)) !== undefined);
    // Settled: VS Code's JSON check has reported, and every expected place has exactly one report.
    await eventually(
      () => (vscode.languages.getDiagnostics(uri).some((d) => d.source !== 'Prompt Workbench') && expected.every((e) => reportsAt(e).length === 1) ? true : undefined),
      'one report at each problem',
    );
    for (const e of expected) {
      const [report] = reportsAt(e);
      // Where the extension reports, it is its own diagnostic at the exact range.
      if (report?.source === 'Prompt Workbench') assert.equal(describeDiagnostic(report), `${e.code} ${e.severity} ${e.range.join(':').replace(/^(\d+):(\d+):(\d+):(\d+)$/, '$1:$2-$3:$4')}`);
    }
    const temperature = reportsAt(expected[2] as Expected)[0];
    assert.match(temperature?.message ?? '', /2026-10-21/, 'the warning says why');
    // Nothing else is reported twice either.
    const all = vscode.languages.getDiagnostics(uri);
    for (const d of all) {
      const twins = all.filter((o) => o !== d && o.source !== d.source && o.range.start.line === d.range.start.line && o.range.intersection(d.range) !== undefined);
      assert.deepEqual(twins.map((t) => `${t.source}: ${t.message}`), [], `reported twice: ${d.source}: ${d.message}`);
    }
  });

  it('reports invalid JSON once, where it is (VS Code\'s JSON check), and updates as the user types', async () => {
    const uri = workspaceFile('invalid-json.prompt.json');
    const editor = await openPrompt('invalid-json.prompt.json');
    const onLine4 = () => vscode.languages.getDiagnostics(uri).filter((d) => d.range.start.line === 4);
    const syntax = await eventually(() => (onLine4().length > 0 ? onLine4() : undefined), 'the syntax error');
    // Give the extension's own check the time to report too, had it a report of its own to make.
    await new Promise((resolveWait) => setTimeout(resolveWait, 1000));
    assert.equal(onLine4().length, 1, `reported ${onLine4().length} times: ${onLine4().map((d) => `${d.source}: ${d.message}`).join('; ')}`);
    assert.notEqual(syntax[0]?.source, 'Prompt Workbench');
    assert.ok(!ours(uri).some((d) => d.code === 'json-syntax'));
    // Typing the missing comma fixes it.
    const line = editor.document.lineAt(3);
    await editor.edit((edit) => edit.insert(line.range.end, ','));
    await eventually(() => (onLine4().length === 0 ? true : undefined), 'the syntax error to go away');
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
