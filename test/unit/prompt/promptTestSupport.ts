// Shared by the prompt format's unit tests: where the repository is, and how to state an
// expected source range readably.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { lookupOf, readNamedFile } from '../../../src/core/files/namedFiles';
import type { PromptDiagnostic, PromptParseOptions } from '../../../src/core/prompt/promptFile';

/** The repository root: the nearest folder above this file with a package.json (works from out/ and from test/). */
export const repoRoot = ((): string => {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`No package.json above ${__dirname}`);
    dir = parent;
  }
  return dir;
})();

export function readRepoFile(relativePath: string): string {
  return readFileSync(join(repoRoot, relativePath), 'utf8');
}

/** Options that resolve a prompt's relative paths against a folder of the repository, as the extension does. */
export function fileOptionsFor(folder: string): PromptParseOptions {
  const scope = { root: join(repoRoot, folder), promptDir: join(repoRoot, folder), maxBytes: 8 * 1024 * 1024 };
  return { namedFile: (path) => lookupOf(readNamedFile(path, scope)) };
}

/**
 * A text with one range marked as ⟦…⟧: returns the text without the markers and the range's
 * UTF-16 offset and length, so a table can say where a diagnostic belongs without counting.
 */
export function marked(template: string): { text: string; offset: number; length: number } {
  const start = template.indexOf('⟦');
  const end = template.indexOf('⟧');
  if (start === -1 || end < start || template.indexOf('⟦', start + 1) !== -1) throw new Error(`Mark exactly one range with ⟦…⟧ in: ${template}`);
  return { text: template.slice(0, start) + template.slice(start + 1, end) + template.slice(end + 1), offset: start, length: end - start - 1 };
}

/** 0-based line and UTF-16 character of an offset, with VS Code's line breaks (\r\n, \n or \r). */
export function positionAt(text: string, offset: number): { line: number; character: number } {
  let line = 0;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    const c = text[i];
    if (c === '\n' || (c === '\r' && text[i + 1] !== '\n')) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, character: offset - lineStart };
}

/** A diagnostic as [code, severity, startLine, startChar, endLine, endChar]: the form the fixtures' expectations are written in. */
export function diagnosticRange(text: string, d: PromptDiagnostic): [string, string, number, number, number, number] {
  const start = positionAt(text, d.offset);
  const end = positionAt(text, d.offset + d.length);
  return [d.code, d.severity, start.line, start.character, end.line, end.character];
}

/** A small deterministic PRNG (mulberry32) returning numbers in [0, 1), so generated test inputs are the same on every run. */
export function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
