// The Files API in the editor: workspace files a prompt names are uploaded once (deduplicated by
// content hash, per key and base URL) as part of a run, files the model's code produced are saved
// into the workspace through a save dialog, and the Files view lists the uploads with delete and
// re-upload. A sibling bundle (dist/files.js), required the first time a prompt names a workspace
// file, a produced file is downloaded, or the Files view is opened.
import * as vscode from 'vscode';
import { basename, dirname, join } from 'node:path';
import { promises as fs } from 'node:fs';
import type Anthropic from '@anthropic-ai/sdk';
import { isInside } from '../core/files/namedFiles';
import { keyFingerprint, readOrCreateSalt } from '../core/spend/keyFingerprint';
import { isExpired, uploadScope, UploadRegistry, type UploadEntry } from '../core/files/uploadRegistry';
import { WORKSPACE_FILE_SOURCE, workspaceFileRefs } from '../core/files/workspaceFileRefs';
import { formatBytes, isFileGoneError, knownFileIds, MAX_UPLOAD_BYTES, prepareWorkspaceFiles, readWorkspaceFile, sha256Of, type PreparedUploads } from '../core/files/workspaceUploads';
import type { ApiConnection } from '../api/apiConnection';
import { requestForCounting } from '../pricing/promptCost';
import { isPromptDocument, type PromptDocuments } from '../promptDocuments';
import { producedFileIds } from '../core/run/serverToolResults';

export interface FilesFeatureDeps {
  api: ApiConnection;
  documents: PromptDocuments;
  /** Where a download goes: the save dialog, or the tests' answer. */
  pickSaveTarget?: (offered: vscode.Uri, title: string) => Promise<vscode.Uri | undefined>;
  globalStorageUri: vscode.Uri;
  log: vscode.LogOutputChannel;
}

/** One row of the Files view. */
export interface FileRow {
  entry: UploadEntry;
  expired: boolean;
}

/** The scope's root and the prompt's folder: where a prompt's paths are resolved. */
function filesScope(promptUri: vscode.Uri): { root: string; promptDir: string } {
  const promptDir = dirname(promptUri.fsPath);
  const folder = vscode.workspace.getWorkspaceFolder(promptUri);
  return { root: folder?.uri.scheme === 'file' ? folder.uri.fsPath : promptDir, promptDir };
}

export class FilesFeature implements vscode.Disposable {
  registry: UploadRegistry;
  private readonly salt: Promise<string>;
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when the uploads change (the Files view refreshes). */
  readonly onDidChange = this.changed.event;
  /** Content hashes of files the live count has seen, by real path, size and modification time. */
  private readonly hashes = new Map<string, { size: number; mtimeMs: number; sha256: string }>();

  constructor(private readonly deps: FilesFeatureDeps) {
    this.registry = new UploadRegistry(vscode.Uri.joinPath(deps.globalStorageUri, 'files', 'uploads.json').fsPath);
    // The same salt as the spend ledger: one fingerprint per key across the extension.
    this.salt = readOrCreateSalt(vscode.Uri.joinPath(deps.globalStorageUri, 'spend', 'fingerprint-salt').fsPath);
  }

  /** A new registry over the same file, as after a restart: nothing is kept in memory. */
  async reopenRegistry(): Promise<void> {
    this.registry = new UploadRegistry(this.registry.file);
    await this.registry.load();
    this.changed.fire();
  }

  /** Where uploads are visible: this key (fingerprint) at this base URL. */
  async scope(): Promise<string> {
    const target = await this.deps.api.target();
    if (!target) throw new Error('No API key: set one with "Prompt Workbench: Set API Key" first.');
    return uploadScope(keyFingerprint(target.key, await this.salt), target.baseURL);
  }

  /** Part of a run: uploads what is not uploaded yet and returns the request with file ids. */
  async prepare(promptUri: vscode.Uri, request: Record<string, unknown>, client: Anthropic): Promise<PreparedUploads> {
    const prepared = await prepareWorkspaceFiles(request, { client, registry: this.registry, scope: await this.scope(), files: filesScope(promptUri) });
    for (const notice of prepared.notices) {
      this.deps.log.info(notice);
      void vscode.window.showInformationMessage(notice);
    }
    for (const entry of prepared.uploaded) this.deps.log.info(`Uploaded ${entry.path} as ${entry.fileId} (${formatBytes(entry.sizeBytes)}).`);
    if (prepared.uploaded.length > 0 || prepared.notices.length > 0) this.changed.fire();
    return prepared;
  }

  /**
   * For the live count, which never uploads: the request with the ids of files already uploaded.
   * Throws, saying which, when a file is not uploaded yet (the count shows the estimate then).
   */
  async countable(promptUri: vscode.Uri, request: Record<string, unknown>): Promise<Record<string, unknown>> {
    const scope = await this.scope();
    await this.registry.load();
    const hashes = new Map<string, string>();
    for (const ref of workspaceFileRefs(request)) {
      const sha256 = await this.hashOf(promptUri, ref.path);
      if (sha256) hashes.set(ref.path, sha256);
    }
    const known = knownFileIds(request, hashes, this.registry, scope);
    if (known.missing.length > 0) {
      throw new Error(`${known.missing.join(', ')} not uploaded yet: the next run uploads ${known.missing.length === 1 ? 'it' : 'them'} (or run "Prompt Workbench: Upload Prompt Files")`);
    }
    return known.request;
  }

  /** The content hash of a workspace file, computed again only when its size or modification time changed. */
  private async hashOf(promptUri: vscode.Uri, path: string): Promise<string | undefined> {
    const scope = filesScope(promptUri);
    try {
      const full = join(scope.promptDir, path);
      const stats = await fs.stat(full);
      const cached = this.hashes.get(full);
      if (cached && cached.size === stats.size && cached.mtimeMs === stats.mtimeMs) return cached.sha256;
      const { bytes } = await readWorkspaceFile(path, scope, MAX_UPLOAD_BYTES);
      const sha256 = sha256Of(bytes);
      this.hashes.set(full, { size: stats.size, mtimeMs: stats.mtimeMs, sha256 });
      return sha256;
    } catch {
      return undefined;
    }
  }

  /**
   * After a run failed because a file it sent is gone (FileExpiredError, or a 404 on the file): the
   * ids are forgotten, so the next run uploads the content again; the user is told.
   */
  async afterRunError(request: Record<string, unknown>, error: unknown): Promise<boolean> {
    if (!isFileGoneError(error)) return false;
    const text = JSON.stringify(request['messages'] ?? []);
    const scope = await this.scope();
    const forgotten: string[] = [];
    for (const entry of await this.registry.entries(scope)) {
      if (text.includes(`"${entry.fileId}"`)) {
        await this.registry.forget(scope, entry.fileId);
        forgotten.push(entry.path);
      }
    }
    if (forgotten.length === 0) return false;
    this.changed.fire();
    const notice = `${forgotten.join(', ')} expired on the API: the next run uploads ${forgotten.length === 1 ? 'it' : 'them'} again.`;
    this.deps.log.info(notice);
    void vscode.window.showInformationMessage(notice);
    return true;
  }

  /** Uploads the workspace files of a prompt now (the user's Upload Prompt Files command). */
  async uploadPromptFiles(document: vscode.TextDocument, request: Record<string, unknown>): Promise<PreparedUploads> {
    return this.prepare(document.uri, request, await this.deps.api.client());
  }

  /** The Files view's rows: this key's uploads at this base URL, newest first. */
  async rows(): Promise<FileRow[]> {
    const now = Date.now();
    return (await this.registry.entries(await this.scope())).map((entry) => ({ entry, expired: isExpired(entry, now) }));
  }

  /** Deletes an upload on the API and forgets it (a file already gone there is just forgotten). */
  async delete(entry: UploadEntry): Promise<void> {
    const client = await this.deps.api.client();
    try {
      await client.files.delete(entry.fileId);
    } catch (error) {
      if (!isFileGoneError(error)) throw error;
    }
    await this.registry.forget(await this.scope(), entry.fileId);
    this.changed.fire();
  }

  /** Uploads the file an entry came from again (its current content), replacing the entry. */
  async reupload(entry: UploadEntry): Promise<UploadEntry> {
    const client = await this.deps.api.client();
    const root = entry.root;
    if (!root) throw new Error(`${entry.path}: the workspace folder it came from is not known; run a prompt that names it instead.`);
    const scope = await this.scope();
    await this.registry.forget(scope, entry.fileId);
    const request = { messages: [{ role: 'user', content: [{ type: entry.mimeType.startsWith('image/') ? 'image' : 'document', source: { type: WORKSPACE_FILE_SOURCE, path: entry.path } }] }] };
    // The path was recorded relative to the prompt's folder; the root's own path resolves it when the prompt sat at the root.
    const prepared = await prepareWorkspaceFiles(request, { client, registry: this.registry, scope, files: { root, promptDir: entry.promptDir ?? root } });
    this.changed.fire();
    const uploaded = prepared.uploaded[0] ?? prepared.reused[0];
    if (!uploaded) throw new Error(`${entry.path} was not uploaded.`);
    return uploaded;
  }

  /**
   * Saves a file the model's code produced into the workspace. The user picks the place in a save
   * dialog; the name offered is only the last component of the API's filename, and a place outside
   * the workspace is refused.
   */
  async download(fileId: string, content: readonly unknown[]): Promise<vscode.Uri | undefined> {
    // Only an id the reply's code produced: the panel's page cannot ask for any other file.
    if (!producedFileIds(content).includes(fileId)) throw new Error(`${fileId} is not a file this run's code produced.`);
    const client = await this.deps.api.client();
    const meta = await client.files.retrieveMetadata(fileId);
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) throw new Error('Open a folder first: produced files are saved into the workspace.');
    const offered = basename(meta.filename.replace(/\\/g, '/')).replace(/[^\w.\- ]/g, '_').replace(/^\.+/, '') || 'output';
    const title = `Save ${offered} (produced by the model's code)`;
    const defaultUri = vscode.Uri.joinPath(folder.uri, offered);
    const target = await (this.deps.pickSaveTarget ? this.deps.pickSaveTarget(defaultUri, title) : vscode.window.showSaveDialog({ defaultUri, title }));
    if (!target) return undefined;
    const inside = (vscode.workspace.workspaceFolders ?? []).some((f) => f.uri.scheme === target.scheme && isInside(f.uri.fsPath, target.fsPath));
    if (!inside) throw new Error(`Not saved: ${target.fsPath} is outside the workspace. Save produced files inside a workspace folder.`);
    const response = await client.files.download(fileId);
    const bytes = new Uint8Array(await response.arrayBuffer());
    await vscode.workspace.fs.writeFile(target, bytes);
    this.deps.log.info(`Saved produced file ${fileId} to ${target.fsPath} (${formatBytes(bytes.length)}).`);
    return target;
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/** The Files view: uploads with name, size, created and expiry; delete and re-upload on each. */
export class FilesTreeProvider implements vscode.TreeDataProvider<FileRow> {
  readonly onDidChangeTreeData: vscode.Event<void>;

  constructor(private readonly files: FilesFeature) {
    this.onDidChangeTreeData = files.onDidChange;
  }

  getTreeItem(row: FileRow): vscode.TreeItem {
    const { entry } = row;
    const item = new vscode.TreeItem(entry.filename, vscode.TreeItemCollapsibleState.None);
    const expires = entry.expiresAt ? (row.expired ? `expired ${entry.expiresAt}` : `expires ${entry.expiresAt}`) : 'does not expire';
    item.description = `${formatBytes(entry.sizeBytes)} · created ${entry.createdAt.slice(0, 16).replace('T', ' ')} · ${expires}`;
    item.tooltip = `${entry.path}\n${entry.fileId}\n${entry.mimeType}, ${formatBytes(entry.sizeBytes)}\ncreated ${entry.createdAt}\n${expires}\nsha256 ${entry.sha256}`;
    item.contextValue = row.expired ? 'promptWorkbench.file.expired' : 'promptWorkbench.file';
    item.iconPath = new vscode.ThemeIcon(row.expired ? 'warning' : 'file');
    item.id = entry.fileId;
    return item;
  }

  async getChildren(row?: FileRow): Promise<FileRow[]> {
    if (row) return [];
    try {
      return await this.files.rows();
    } catch {
      return [];
    }
  }
}

export function createFilesFeature(deps: FilesFeatureDeps): { feature: FilesFeature; tree: FilesTreeProvider } {
  const feature = new FilesFeature(deps);
  return { feature, tree: new FilesTreeProvider(feature) };
}

export type FilesCommand = 'delete' | 'reupload' | 'refresh' | 'upload';

/** Upload Prompt Files: the active prompt's workspace files, now (the user's action). */
async function uploadActivePrompt(feature: FilesFeature, documents: PromptDocuments): Promise<void> {
  const document = vscode.window.activeTextEditor?.document;
  if (!isPromptDocument(document)) return void vscode.window.showInformationMessage('Open a .prompt.json file that names workspace files to upload them.');
  if (!vscode.workspace.isTrusted) return void vscode.window.showErrorMessage('Files are uploaded only in a trusted workspace.');
  const parsed = documents.validateForSend(document);
  if (!parsed.prompt) return undefined;
  try {
    const prepared = await feature.uploadPromptFiles(document, requestForCounting(documents, document, parsed.prompt));
    void vscode.window.showInformationMessage(`Files: ${prepared.uploaded.length} uploaded, ${prepared.reused.length} already uploaded.`);
  } catch (error) {
    void vscode.window.showErrorMessage(`Not uploaded: ${error instanceof Error ? error.message : String(error)}`);
  }
  return undefined;
}

/** The Files view's commands, registered by the lazy wiring in features.ts (registerFilesView), run once this bundle loads. */
export async function runFilesCommand(feature: FilesFeature, documents: PromptDocuments, command: FilesCommand, row: FileRow | undefined): Promise<void> {
  if (command === 'upload') return uploadActivePrompt(feature, documents);
  try {
    if (command === 'refresh') {
      await feature.registry.load();
      return;
    }
    if (!row) return;
    if (command === 'delete') {
      const answer = await vscode.window.showWarningMessage(`Delete ${row.entry.filename} (${row.entry.fileId}) from the Files API? Prompts that name it upload it again on their next run.`, { modal: true }, 'Delete');
      if (answer === 'Delete') await feature.delete(row.entry);
    } else {
      const uploaded = await feature.reupload(row.entry);
      void vscode.window.showInformationMessage(`${row.entry.path} uploaded again as ${uploaded.fileId}.`);
    }
  } catch (error) {
    void vscode.window.showErrorMessage(error instanceof Error ? error.message : String(error));
  }
}
