import * as vscode from 'vscode';
import type { DatasetController } from './datasetController';

/** The command is registered at once; the controller behind it is built on its first run. */
export function registerDatasetCommands(datasets: () => DatasetController): vscode.Disposable {
  return vscode.commands.registerCommand('promptWorkbench.runOverDataset', (uri?: vscode.Uri) => datasets().runOverDataset(uri instanceof vscode.Uri ? uri : undefined));
}
