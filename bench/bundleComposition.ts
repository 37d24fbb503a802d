// What makes up a bundle of dist/: its sources and their bytes in the output (minified after
// `node esbuild.mjs --production`), read from the metafile esbuild.mjs writes to out/meta/.
// `node out/bench/bundleComposition.js [features] [count]` prints the list; `npm run bench` shows the top.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../test/launcher/hostSetup';

interface Metafile {
  outputs: Record<string, { bytes: number; inputs: Record<string, { bytesInOutput: number }> }>;
}

export interface BundleComposition {
  bytes: number;
  /** Sources by bytes in the output, largest first. */
  sources: { path: string; bytes: number }[];
  /** The same summed by folder (node_modules by package), largest first. */
  folders: { path: string; bytes: number }[];
}

function folderOf(path: string): string {
  const inPackage = /^(.*?node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(path);
  return inPackage ? (inPackage[1] as string) : path.replace(/\/[^/]+$/, '/');
}

export function bundleComposition(file: string): BundleComposition {
  const meta = JSON.parse(readFileSync(join(repoRoot, 'out', 'meta', `${file}.json`), 'utf8')) as Metafile;
  const output = meta.outputs[`dist/${file}.js`];
  if (!output) throw new Error(`out/meta/${file}.json has no dist/${file}.js`);
  const sources = Object.entries(output.inputs)
    .map(([path, input]) => ({ path, bytes: input.bytesInOutput }))
    .sort((a, b) => b.bytes - a.bytes);
  const byFolder = new Map<string, number>();
  for (const source of sources) byFolder.set(folderOf(source.path), (byFolder.get(folderOf(source.path)) ?? 0) + source.bytes);
  const folders = [...byFolder].map(([path, bytes]) => ({ path, bytes })).sort((a, b) => b.bytes - a.bytes);
  return { bytes: output.bytes, sources, folders };
}

/** "path 12.3 KB, path 4.5 KB, …" for the first `count` entries. */
export function describeTop(entries: { path: string; bytes: number }[], count: number): string {
  return entries
    .slice(0, count)
    .map((e) => `${e.path} ${(e.bytes / 1024).toFixed(1)}`)
    .join(', ');
}

if (require.main === module) {
  const file = process.argv[2] ?? 'features';
  const count = Number(process.argv[3] ?? 40);
  const composition = bundleComposition(file);
  const line = (e: { path: string; bytes: number }): string => `${(e.bytes / 1024).toFixed(1).padStart(8)} KB  ${e.path}\n`;
  process.stdout.write(`dist/${file}.js: ${(composition.bytes / 1024).toFixed(1)} KB\n\nby source\n`);
  composition.sources.slice(0, count).forEach((e) => process.stdout.write(line(e)));
  process.stdout.write('\nby folder\n');
  composition.folders.slice(0, count).forEach((e) => process.stdout.write(line(e)));
}
