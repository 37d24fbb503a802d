import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activateExtension, eventually, openPrompt } from './helpers';

describe('activation', () => {
  it('activates inside the extension host without loading the SDK', async () => {
    const api = await activateExtension();
    assert.equal(api.sdkLoaded(), false, '@anthropic-ai/sdk must be loaded on first network use, not during activation');
    assert.ok((api.activationMs() ?? -1) >= 0, 'the bundle timed its own activation');
    assert.equal(api.featuresLoaded(), false, 'the features bundle waits for a prompt or a command');
  });

  it('registers every command the manifest contributes', async () => {
    await activateExtension();
    const registered = new Set(await vscode.commands.getCommands(true));
    const extension = vscode.extensions.getExtension('prompt-workbench.prompt-workbench');
    const contributed = (extension?.packageJSON as { contributes: { commands: { command: string }[] } }).contributes.commands;
    assert.ok(contributed.length >= 2);
    for (const { command } of contributed) {
      assert.ok(command.startsWith('promptWorkbench.'), `${command} is prefixed`);
      assert.ok(registered.has(command), `${command} is registered`);
    }
  });

  it('hands the test API out only because the tests run it in ExtensionMode.Test', async () => {
    const api = await activateExtension();
    const extension = vscode.extensions.getExtension('prompt-workbench.prompt-workbench');
    assert.equal(extension?.exports, api);
    assert.equal(typeof api.panelMessage, 'function');
  });

  it('the features bundle itself registers every contributed command (not only the activation stand-ins), before any sibling bundle loads', async () => {
    const api = await activateExtension();
    // Loading the features disposes every stand-in first, so what is left is the features' own.
    api.statusBar();
    assert.equal(api.featuresLoaded(), true);
    // The commands of the features in sibling bundles (bundles.mjs) are registered by features.js
    // itself; their code loads on first use (this suite runs first in its host: none was used yet).
    assert.deepEqual(api.siblingsLoaded(), [], 'no sibling bundle is loaded with the features bundle');
    const registered = new Set(await vscode.commands.getCommands(true));
    const extension = vscode.extensions.getExtension('prompt-workbench.prompt-workbench');
    const contributed = (extension?.packageJSON as { contributes: { commands: { command: string }[] } }).contributes.commands.map((c) => c.command);
    assert.deepEqual(
      contributed.filter((command) => !registered.has(command)),
      [],
      'contributed commands the features bundle does not register',
    );
  });

  it('shows its status bar item only while a .prompt.json is the active editor', async () => {
    const api = await activateExtension();
    await openPrompt('hello.prompt.json');
    await eventually(() => (api.featuresLoaded() ? true : undefined), 'the features to load for a prompt document');
    assert.equal(api.statusBar().visible, true);
    await eventually(() => (api.statusBar().text.match(/\d/) ? true : undefined), 'the status bar to show a count');
    // The edit path (checks, counts, the status bar) needs no sibling: not the spend gate, the spend
    // view or Cost Details, which features.js registers but leaves in their own bundles.
    assert.deepEqual(api.siblingsLoaded(), [], 'sibling bundles loaded by opening a prompt');
    const other = await vscode.workspace.openTextDocument({ language: 'markdown', content: '# not a prompt' });
    await vscode.window.showTextDocument(other);
    assert.equal(api.statusBar().visible, false);
  });
});
