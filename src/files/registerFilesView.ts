// The Files view and its commands, wired without loading the files bundle: the view's provider and
// each command require it on first use (see features.ts), so activation does not grow.
import * as vscode from 'vscode';
import type { FileRow, FilesCommand, FilesFeature, FilesTreeProvider } from './filesFeature';

export interface LoadedFiles extends vscode.Disposable {
  feature: FilesFeature;
  tree: FilesTreeProvider;
  command(command: FilesCommand, row: FileRow | undefined): Promise<void>;
}

export const FILES_VIEW_ID = 'promptWorkbench.files';

export function registerFilesView(files: () => LoadedFiles): vscode.Disposable {
  const changed = new vscode.EventEmitter<void>();
  let following: vscode.Disposable | undefined;
  const provider: vscode.TreeDataProvider<FileRow> = {
    onDidChangeTreeData: changed.event,
    getTreeItem: (row) => files().tree.getTreeItem(row),
    getChildren: (row) => {
      const loaded = files();
      following ??= loaded.feature.onDidChange(() => changed.fire());
      return loaded.tree.getChildren(row);
    },
  };
  const view = vscode.window.createTreeView(FILES_VIEW_ID, { treeDataProvider: provider });
  void vscode.commands.executeCommand('setContext', 'promptWorkbench.filesView', true);
  const command = (name: FilesCommand) => async (row?: FileRow) => {
    await files().command(name, row);
    changed.fire();
  };
  return vscode.Disposable.from(
    changed,
    view,
    { dispose: () => following?.dispose() },
    vscode.commands.registerCommand('promptWorkbench.files.refresh', command('refresh')),
    vscode.commands.registerCommand('promptWorkbench.files.delete', command('delete')),
    vscode.commands.registerCommand('promptWorkbench.files.reupload', command('reupload')),
    vscode.commands.registerCommand('promptWorkbench.uploadPromptFiles', command('upload')),
  );
}
