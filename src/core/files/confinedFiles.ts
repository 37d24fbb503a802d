// Writing and reading the workbench's own files (run history) inside a folder without ever
// following a symbolic link. A cloned repository can commit `.prompt-history` as a link to
// `~/.ssh`, or `.prompt-history/x.jsonl` as a link to `~/.bashrc`: every component of the path
// below the folder is checked with lstat, and the file itself is opened with O_NOFOLLOW.
import { constants, type Stats } from 'node:fs';
import { lstat, mkdir, open } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { isInside } from './namedFiles';

/** A path the workbench refuses to write or read through (a link, or not inside its folder). */
export class ConfinementError extends Error {
  override readonly name = 'ConfinementError';
}

const noFollow = constants.O_NOFOLLOW ?? 0;

async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Checks every folder from `root` (exclusive) down to `folder` (inclusive): each must be a real
 * folder, not a symbolic link. With `create`, missing folders are made (mode 0700). Returns the
 * folders it created, outermost first. `root` itself is the user's and is not checked.
 */
export async function confinedFolder(root: string, folder: string, options: { create: boolean }): Promise<{ exists: boolean; created: string[] }> {
  const base = resolve(root);
  const target = resolve(folder);
  if (!isInside(base, target)) throw new ConfinementError(`${target} is not inside ${base}`);
  const created: string[] = [];
  // The root is the caller's choice (a workspace folder, the extension's storage): made as needed, not checked.
  if (options.create) await mkdir(base, { recursive: true, mode: 0o700 });
  else if (!(await lstatOrUndefined(base))) return { exists: false, created };
  let current = base;
  for (const part of relative(base, target).split(sep).filter(Boolean)) {
    current = join(current, part);
    const stats = await lstatOrUndefined(current);
    if (stats?.isSymbolicLink()) throw new ConfinementError(`${current} is a symbolic link: the workbench does not write or read through links`);
    if (stats && !stats.isDirectory()) throw new ConfinementError(`${current} is not a folder`);
    if (stats) continue;
    if (!options.create) return { exists: false, created };
    try {
      await mkdir(current, { mode: 0o700 });
      created.push(current);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    // Made by someone else between the look and the mkdir: look again.
    const made = await lstat(current);
    if (!made.isDirectory() || made.isSymbolicLink()) throw new ConfinementError(`${current} is not a folder`);
  }
  return { exists: true, created };
}

/**
 * Appends `text` to `file` inside `root`, creating it with mode 0600 (and its folders with 0700),
 * never through a symbolic link. A folder it creates gets a `.gitignore` of `*` when
 * `ignoreNewFolders` is set, so what it holds is never committed by accident.
 */
export async function appendConfined(root: string, file: string, text: string, options: { ignoreNewFolders?: boolean } = {}): Promise<void> {
  const { created } = await confinedFolder(root, dirname(file), { create: true });
  if (options.ignoreNewFolders) {
    for (const folder of created) await writeNew(join(folder, '.gitignore'), '*\n');
  }
  let handle;
  try {
    handle = await open(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | noFollow, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw new ConfinementError(`${file} is a symbolic link: the workbench does not write through links`);
    throw error;
  }
  try {
    const stats = await handle.stat();
    // A hard link would write into a file that also lives elsewhere.
    if (!stats.isFile() || stats.nlink > 1) throw new ConfinementError(`${file} is not a plain file (links: ${stats.nlink})`);
    await handle.appendFile(text, 'utf8');
  } finally {
    await handle.close();
  }
}

async function writeNew(file: string, text: string): Promise<void> {
  try {
    const handle = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | noFollow, 0o600);
    try {
      await handle.writeFile(text, 'utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/** Reads `file` inside `root` without following any link; undefined when it (or a folder on the way) does not exist. */
export async function readConfined(root: string, file: string): Promise<string | undefined> {
  const { exists } = await confinedFolder(root, dirname(file), { create: false });
  if (!exists) return undefined;
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | noFollow);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw new ConfinementError(`${file} is a symbolic link: the workbench does not read through links`);
    throw error;
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new ConfinementError(`${file} is not a regular file`);
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}
