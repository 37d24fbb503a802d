import { dirname } from 'node:path';
import * as vscode from 'vscode';
import { lexicalNamedPath, locateNamedFile, lookupOf, readNamedFile, type NamedFileLookup, type NamedFileScope } from './core/files/namedFiles';

/** The Files API's per-file limit (anthropic-api.md §16); kept here so the live check does not load the files bundle. */
const MAX_UPLOAD_BYTES = 500 * 1024 * 1024;
import { parsePromptFile, validateForSend, type ParsedPrompt, type PromptFile, type PromptParseOptions } from './core/prompt/promptFile';
import { collectDefaults } from './core/prompt/template';
import type { WorkbenchConfig } from './config/workbenchConfig';

/** `*.prompt.json` stays in the JSON language; the file name is what marks a prompt. */
export function isPromptDocument(document: vscode.TextDocument | undefined): document is vscode.TextDocument {
  return document !== undefined && document.uri.path.endsWith('.prompt.json');
}

export const promptSelector: vscode.DocumentSelector = [
  { scheme: 'file', language: 'json', pattern: '**/*.prompt.json' },
  { scheme: 'file', language: 'jsonc', pattern: '**/*.prompt.json' },
];

/** Shown where a file would have been read in Restricted Mode. */
/**
 * Follows the edits of open prompt documents: `refresh` runs a pause (`debounceMs`) after the last
 * change of a burst, so a burst of keystrokes in a large prompt costs one pass; `forget` runs when
 * one closes, its pending refresh dropped. `schedule` asks for a refresh the same way.
 */
export function followPromptEdits(debounceMs: number, refresh: (document: vscode.TextDocument) => void, forget: (document: vscode.TextDocument) => void): vscode.Disposable & { schedule(document: vscode.TextDocument): void } {
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  const schedule = (document: vscode.TextDocument): void => {
    if (!isPromptDocument(document)) return;
    const key = document.uri.toString();
    clearTimeout(timers.get(key));
    timers.set(key, setTimeout(() => {
      timers.delete(key);
      if (!document.isClosed) refresh(document);
    }, debounceMs));
  };
  const subscriptions = vscode.Disposable.from(
    vscode.workspace.onDidChangeTextDocument((event) => schedule(event.document)),
    vscode.workspace.onDidCloseTextDocument((document) => {
      clearTimeout(timers.get(document.uri.toString()));
      timers.delete(document.uri.toString());
      forget(document);
    }),
  );
  return {
    schedule,
    dispose: () => {
      subscriptions.dispose();
      timers.forEach((timer) => clearTimeout(timer));
    },
  };
}

export const restrictedModeReason = 'files a prompt names are read only once you trust this folder (Restricted Mode)';

interface CachedLookup {
  /** The path as resolved without following links, and the real path read: a change to either drops the entry. */
  paths: string[];
  lookup: NamedFileLookup;
}

/** Entries kept; a prompt names a handful of files, a session opens a few dozen prompts. */
const cacheCapacity = 256;

/**
 * The files prompts name (variable files, values files). Each is read once through the core's
 * checks (inside the workspace folder, a regular file, under the size cap) and kept until a file
 * system watcher reports a change under its path, so typing in a prompt never touches the disk.
 * In Restricted Mode nothing is read at all; everything is looked at afresh once the folder is
 * trusted.
 */
export class PromptFiles implements vscode.Disposable {
  private readonly cache = new Map<string, CachedLookup>();
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when a file some prompt named may have changed, or the rules for reading them did. */
  readonly onDidChange = this.changed.event;
  /** Watchers for prompts outside every workspace folder (no folder open), by the folder watched. */
  private readonly outsideWatchers = new Map<string, vscode.Disposable>();
  private readonly disposables: vscode.Disposable[] = [];
  private changeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly config: WorkbenchConfig) {
    const watcher = vscode.workspace.createFileSystemWatcher('**/*');
    this.disposables.push(
      watcher,
      this.changed,
      ...[watcher.onDidCreate, watcher.onDidChange, watcher.onDidDelete].map((event) => event((uri) => this.fileChanged(uri))),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.forgetAll()),
      config.onDidChange(() => this.forgetAll()),
    );
  }

  /** The folder a prompt's files must stay inside, or undefined for an unsaved or virtual prompt. */
  scopeFor(document: vscode.TextDocument): NamedFileScope | undefined {
    if (document.uri.scheme !== 'file') return undefined;
    const promptDir = dirname(document.uri.fsPath);
    const folder = vscode.workspace.getWorkspaceFolder(document.uri);
    const root = folder?.uri.scheme === 'file' ? folder.uri.fsPath : promptDir;
    if (!folder) this.watchOutside(root);
    const megabytes = this.config.settings.maxReferencedFileMB;
    return { root, promptDir, maxBytes: Math.floor(megabytes * 1024 * 1024), sizeLimitHint: '(setting "promptWorkbench.maxReferencedFileMB")' };
  }

  /**
   * What is at a path a prompt names: its text, or why it was refused. `fresh` reads it again
   * (before a run, so a file saved a moment ago is sent as saved even if the watcher is late).
   */
  lookup(document: vscode.TextDocument, written: string, options: { fresh?: boolean } = {}): NamedFileLookup {
    if (!vscode.workspace.isTrusted) return { kind: 'unchecked', reason: restrictedModeReason };
    const scope = this.scopeFor(document);
    if (!scope) return { kind: 'unchecked', reason: 'the prompt is not saved in a folder, and paths are relative to it' };
    const key = `${scope.root}\n${scope.promptDir}\n${scope.maxBytes}\n${written}`;
    const hit = this.cache.get(key);
    if (hit && !options.fresh) {
      // Re-insert: the Map's order is the recency order.
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit.lookup;
    }
    const read = readNamedFile(written, scope);
    const lexical = lexicalNamedPath(written, scope);
    const paths = [...(lexical.ok ? [lexical.path] : []), ...(read.ok ? [read.realPath] : [])];
    this.cache.delete(key);
    this.cache.set(key, { paths, lookup: lookupOf(read) });
    if (this.cache.size > cacheCapacity) this.cache.delete(this.cache.keys().next().value as string);
    return lookupOf(read);
  }

  /**
   * Where a file to upload is (inside the workspace, a regular file, within the Files API's size
   * limit), without reading it: the Files API takes it whole at run time.
   */
  locateUpload(document: vscode.TextDocument, written: string): NamedFileLookup {
    if (!vscode.workspace.isTrusted) return { kind: 'unchecked', reason: restrictedModeReason };
    const scope = this.scopeFor(document);
    if (!scope) return { kind: 'unchecked', reason: 'the prompt is not saved in a folder, and paths are relative to it' };
    const located = locateNamedFile(written, { ...scope, maxBytes: MAX_UPLOAD_BYTES, sizeLimitHint: '(the Files API takes at most 500 MB per file)' });
    return located.ok ? { kind: 'found', text: '' } : { kind: 'problem', ...located.problem };
  }

  /** The text of a file a prompt names; throws an Error saying why when it cannot be used. */
  read(document: vscode.TextDocument, written: string, options: { fresh?: boolean } = {}): string {
    const lookup = this.lookup(document, written, options);
    if (lookup.kind === 'found') return lookup.text;
    throw new Error(lookup.kind === 'problem' ? lookup.message : `not read: ${lookup.reason}`);
  }

  private fileChanged(uri: vscode.Uri): void {
    if (uri.scheme !== 'file') return;
    const changedPath = uri.fsPath;
    let dropped = false;
    for (const [key, entry] of this.cache) {
      // A refusal or a missing file may be fixed by any change (a file created, a link replaced).
      const affected = entry.lookup.kind !== 'found' || entry.paths.some((path) => path === changedPath || path.startsWith(`${changedPath}/`) || path.startsWith(`${changedPath}\\`));
      if (affected) {
        this.cache.delete(key);
        dropped = true;
      }
    }
    if (dropped) this.fireSoon();
  }

  private forgetAll(): void {
    this.cache.clear();
    this.fireSoon();
  }

  /** One event for a burst of file changes (a checkout, a formatter saving many files). */
  private fireSoon(): void {
    clearTimeout(this.changeTimer);
    this.changeTimer = setTimeout(() => this.changed.fire(), 50);
  }

  private watchOutside(folder: string): void {
    if (this.outsideWatchers.has(folder)) return;
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(folder), '**/*'));
    const listeners = [watcher.onDidCreate, watcher.onDidChange, watcher.onDidDelete].map((event) => event((uri) => this.fileChanged(uri)));
    this.outsideWatchers.set(folder, vscode.Disposable.from(watcher, ...listeners));
  }

  dispose(): void {
    clearTimeout(this.changeTimer);
    this.disposables.forEach((d) => d.dispose());
    this.outsideWatchers.forEach((d) => d.dispose());
    this.outsideWatchers.clear();
    this.cache.clear();
  }
}

/**
 * One parse per document version, shared by diagnostics, the status bar, CodeLens and the run
 * command, so typing in a large prompt parses it once rather than once per feature.
 */
export class PromptDocuments implements vscode.Disposable {
  private readonly cache = new Map<string, { version: number; parsed: ParsedPrompt }>();
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when parses may be out of date though no document changed: a named file changed, or trust was granted. */
  readonly onDidChangeNamedFiles = this.changed.event;
  private readonly listeners: vscode.Disposable[];

  constructor(
    readonly files: PromptFiles,
    private readonly maxOutputTokens: (model: string) => number | undefined = () => undefined,
  ) {
    this.listeners = [
      vscode.workspace.onDidCloseTextDocument((document) => this.cache.delete(document.uri.toString())),
      files.onDidChange(() => {
        this.cache.clear();
        this.changed.fire();
      }),
      this.changed,
    ];
  }

  private parseOptions(document: vscode.TextDocument, fresh: boolean): PromptParseOptions {
    return {
      // Untitled and virtual documents have no folder to resolve against: do not check their files.
      ...(document.uri.scheme === 'file'
        ? { namedFile: (path: string) => this.files.lookup(document, path, { fresh }), workspaceFile: (path: string) => this.files.locateUpload(document, path) }
        : {}),
      maxOutputTokens: this.maxOutputTokens,
    };
  }

  /** The live (bounded) parse used while typing; named files come from the cache. */
  parse(document: vscode.TextDocument): ParsedPrompt {
    const key = document.uri.toString();
    const hit = this.cache.get(key);
    if (hit && hit.version === document.version) return hit.parsed;
    const parsed = parsePromptFile(document.getText(), this.parseOptions(document, false));
    this.cache.set(key, { version: document.version, parsed });
    return parsed;
  }

  /** The full check run before sending, whatever the size, with every named file read afresh. */
  /** The send check of a prompt text that is no document (a recorded request run again), without named files. */
  validateText(text: string): ParsedPrompt {
    return validateForSend(text);
  }

  validateForSend(document: vscode.TextDocument): ParsedPrompt {
    return validateForSend(document.getText(), this.parseOptions(document, true));
  }

  /**
   * The values a prompt supplies itself (defaults, file variables, values file), before anything
   * is asked; throws when a file cannot be used. `fresh` before a run, cached while typing.
   */
  defaults(document: vscode.TextDocument, prompt: PromptFile, options: { fresh?: boolean } = {}): Record<string, string> {
    return collectDefaults(prompt, (path) => this.files.read(document, path, options));
  }

  dispose(): void {
    this.listeners.forEach((l) => l.dispose());
    this.cache.clear();
  }
}
