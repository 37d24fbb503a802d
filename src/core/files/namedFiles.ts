// Files a prompt names (a variable's `file`, the `valuesFile`): where they may be, and how they
// are read. A cloned repository is written by someone else, so every path in it is treated as
// hostile: it must lead, after every symbolic link is followed, to a regular file inside the
// prompt's workspace folder (or beside the prompt when no folder is open), and it is read with a
// size cap and without ever blocking on a FIFO or a device. Editor-free: the VS Code glue passes
// the folder, the size cap and its own caching.
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, realpathSync, type Stats } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';

/** Where a prompt's files may be, and how large one may be. */
export interface NamedFileScope {
  /** The folder every named file must stay inside: the prompt's workspace folder, or its own folder. */
  root: string;
  /** The prompt file's folder: paths are written relative to it. */
  promptDir: string;
  /** Largest file read, in bytes. */
  maxBytes: number;
  /** Said after a too-large refusal, e.g. "(setting promptWorkbench.maxReferencedFileMB)". */
  sizeLimitHint?: string;
}

export type NamedFileProblemCode = 'absolute-path' | 'outside-workspace' | 'file-not-found' | 'not-a-file' | 'file-too-large' | 'file-unreadable';

export interface NamedFileProblem {
  code: NamedFileProblemCode;
  /** Says what was refused and why; always ends with what to do or that nothing was read. */
  message: string;
}

export type NamedFileRead = { ok: true; text: string; realPath: string } | { ok: false; problem: NamedFileProblem };

/** What the host found at a path a prompt names (path as written), as the prompt checks take it. */
export type NamedFileLookup =
  | { kind: 'found'; text: string }
  /** Refused or missing: an error diagnostic at the path; nothing was read. */
  | { kind: 'problem'; code: NamedFileProblemCode; message: string }
  /** Deliberately not looked at (Restricted Mode): an information diagnostic says why. */
  | { kind: 'unchecked'; reason: string };

export function lookupOf(read: NamedFileRead): NamedFileLookup {
  return read.ok ? { kind: 'found', text: read.text } : { kind: 'problem', ...read.problem };
}

/**
 * What is wrong with a path as written, from its text alone (no file system access): an absolute
 * path, a home-relative one, a Windows drive or network (UNC) path. Undefined when it is relative.
 * Backslashes count as separators on every platform, so a prompt means the same on all of them.
 */
export function writtenPathProblem(written: string): NamedFileProblem | undefined {
  const shown = JSON.stringify(written);
  if (written.includes('\0')) return { code: 'absolute-path', message: `${shown} contains a NUL character: nothing was read.` };
  if (/^[\\/]{2}/.test(written)) {
    return { code: 'absolute-path', message: `${shown} is a network (UNC) path: a prompt may only name files inside its workspace folder, by a path relative to the prompt. Nothing was read.` };
  }
  if (/^[\\/]|^[A-Za-z]:|^~/.test(written) || isAbsolute(written)) {
    return { code: 'absolute-path', message: `${shown} is an absolute path: a prompt may only name files inside its workspace folder, by a path relative to the prompt. Nothing was read.` };
  }
  return undefined;
}

/** Whether `path` is `root` or inside it (both absolute and normalised). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * The path as written, resolved against the prompt's folder without touching the disk, or the
 * problem: absolute, or leading outside the scope's root with `..`.
 */
export function lexicalNamedPath(written: string, scope: Pick<NamedFileScope, 'root' | 'promptDir'>): { ok: true; path: string } | { ok: false; problem: NamedFileProblem } {
  const problem = writtenPathProblem(written);
  if (problem) return { ok: false, problem };
  const path = resolve(scope.promptDir, written.replace(/\\/g, '/'));
  if (!isInside(resolve(scope.root), path)) {
    return {
      ok: false,
      problem: { code: 'outside-workspace', message: `${JSON.stringify(written)} leads outside this prompt's workspace folder: a prompt may only name files inside it. Nothing was read.` },
    };
  }
  return { ok: true, path };
}

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a folder';
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isSocket()) return 'a socket';
  if (stats.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

function mib(bytes: number): string {
  const value = bytes / (1024 * 1024);
  return `${value >= 10 ? value.toFixed(0) : value.toFixed(value >= 1 ? 1 : 3)} MB`;
}

function tooLarge(written: string, size: number | undefined, scope: NamedFileScope): NamedFileProblem {
  const actual = size === undefined ? 'larger than' : `${mib(size)}, above`;
  return {
    code: 'file-too-large',
    message: `${JSON.stringify(written)} is ${actual} the ${mib(scope.maxBytes)} limit for files a prompt names${scope.sizeLimitHint ? ` ${scope.sizeLimitHint}` : ''}. Nothing was read.`,
  };
}

function systemProblem(written: string, error: unknown): NamedFileProblem {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return { code: 'file-not-found', message: `File not found: ${written}` };
  if (code === 'ELOOP') return { code: 'file-unreadable', message: `${JSON.stringify(written)} is a loop of symbolic links. Nothing was read.` };
  return { code: 'file-unreadable', message: `${JSON.stringify(written)} cannot be read (${code ?? (error instanceof Error ? error.message : String(error))}).` };
}

/**
 * Resolves a named file to its real path (every symbolic link followed) and checks it: inside the
 * scope's root, a regular file, within the size cap. Reads no contents (lstat only).
 */
export function locateNamedFile(written: string, scope: NamedFileScope): { ok: true; realPath: string; stats: Stats } | { ok: false; problem: NamedFileProblem } {
  const lexical = lexicalNamedPath(written, scope);
  if (!lexical.ok) return lexical;
  let realPath: string;
  let realRoot: string;
  try {
    realRoot = realpathSync.native(resolve(scope.root));
    realPath = realpathSync.native(lexical.path);
  } catch (error) {
    return { ok: false, problem: systemProblem(written, error) };
  }
  if (!isInside(realRoot, realPath) && !(process.platform === 'win32' && isInside(realRoot.toLowerCase(), realPath.toLowerCase()))) {
    return {
      ok: false,
      problem: { code: 'outside-workspace', message: `${JSON.stringify(written)} is a symbolic link to a file outside this prompt's workspace folder: a prompt may only name files inside it. Nothing was read.` },
    };
  }
  let stats: Stats;
  try {
    stats = lstatSync(realPath);
  } catch (error) {
    return { ok: false, problem: systemProblem(written, error) };
  }
  if (!stats.isFile()) return { ok: false, problem: { code: 'not-a-file', message: `${JSON.stringify(written)} is ${kindOf(stats)}, not a regular file. Nothing was read.` } };
  if (stats.size > scope.maxBytes) return { ok: false, problem: tooLarge(written, stats.size, scope) };
  return { ok: true, realPath, stats };
}

// O_NOFOLLOW and O_NONBLOCK do not exist on Windows, where FIFOs and symlinks at this point are not a concern.
const openFlags = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOFOLLOW ?? 0);

/**
 * Reads a named file as UTF-8 after locateNamedFile's checks. The file is opened without
 * following a final symbolic link and without blocking (a FIFO swapped in after the check opens
 * at once instead of waiting for a writer), and the open handle is checked again: the same file
 * that was checked, still regular, still within the cap; at most maxBytes + 1 bytes are read.
 */
export function readNamedFile(written: string, scope: NamedFileScope): NamedFileRead {
  const located = locateNamedFile(written, scope);
  if (!located.ok) return located;
  let fd: number;
  try {
    fd = openSync(located.realPath, openFlags);
  } catch (error) {
    return { ok: false, problem: systemProblem(written, error) };
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile() || stats.ino !== located.stats.ino || stats.dev !== located.stats.dev) {
      return { ok: false, problem: { code: 'not-a-file', message: `${JSON.stringify(written)} changed while it was being opened (it is ${kindOf(stats)} now). Nothing was read.` } };
    }
    if (stats.size > scope.maxBytes) return { ok: false, problem: tooLarge(written, stats.size, scope) };
    // Read to the end, not to the size fstat gave: a file that grows meanwhile is still capped.
    const chunks: Buffer[] = [];
    let length = 0;
    for (let chunk = Buffer.allocUnsafe(Math.min(scope.maxBytes, stats.size) + 1); ; ) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      length += n;
      if (length > scope.maxBytes) return { ok: false, problem: tooLarge(written, undefined, scope) };
      // A new chunk each time: the one just read is kept in chunks.
      chunk = Buffer.allocUnsafe(Math.min(64 * 1024, scope.maxBytes - length + 1));
    }
    const buffer = Buffer.concat(chunks, length);
    let text = buffer.toString('utf8', 0, length);
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return { ok: true, text, realPath: located.realPath };
  } catch (error) {
    return { ok: false, problem: systemProblem(written, error) };
  } finally {
    closeSync(fd);
  }
}
