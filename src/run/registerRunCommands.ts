import * as vscode from 'vscode';
import type { RunController } from './runController';

export function registerRunCommands(runs: RunController): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.commands.registerCommand('promptWorkbench.run', (uri?: vscode.Uri) => runs.run(uri instanceof vscode.Uri ? uri : undefined)),
    vscode.commands.registerCommand('promptWorkbench.stop', () => runs.stop()),
  );
}
