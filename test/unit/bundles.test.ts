// The bundles of dist/ as bundles.mjs declares them, checked against what esbuild built (the
// metafiles esbuild.mjs writes to out/meta/) and what .vscodeignore lets into the package: a
// sibling bundle stays lazy (never imported statically, so it never loads with its loader), keeps
// its own sources out of the bundles loaded before it, and ships.
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { declaredBundles, type DeclaredBundle } from '../launcher/declaredBundles';
import { repoRoot } from './prompt/promptTestSupport';

interface Metafile {
  inputs: Record<string, { imports: { path: string; kind: string; external?: boolean }[] }>;
}

function metafile(file: string): Metafile {
  const path = join(repoRoot, 'out', 'meta', `${file}.json`);
  assert.ok(existsSync(path), `out/meta/${file}.json exists (written by node esbuild.mjs)`);
  return JSON.parse(readFileSync(path, 'utf8')) as Metafile;
}

/** What each source contributes to a bundle's output, from its metafile. */
function outputInputs(file: string): Record<string, { bytesInOutput: number }> {
  const meta = JSON.parse(readFileSync(join(repoRoot, 'out', 'meta', `${file}.json`), 'utf8')) as { outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }> };
  const output = meta.outputs[`dist/${file}.js`];
  assert.ok(output, `out/meta/${file}.json describes dist/${file}.js`);
  return output.inputs;
}

/** Imports of other bundles' files (`./x.js`, external) in a metafile, with the module that makes each. */
function bundleImports(meta: Metafile): { from: string; file: string; kind: string }[] {
  return Object.entries(meta.inputs).flatMap(([from, input]) =>
    input.imports.filter((i) => i.external && /^\.\/[\w-]+\.js$/.test(i.path)).map((i) => ({ from, file: i.path.slice(2, -3), kind: i.kind })),
  );
}

/** The bundles loaded before a sibling: its loader, its loader's loader, and so on. */
function loadersOf(bundle: DeclaredBundle, all: DeclaredBundle[]): DeclaredBundle[] {
  const loader = all.find((b) => b.file === bundle.loadedBy);
  return loader ? [loader, ...loadersOf(loader, all)] : [];
}

/** A lazy load: a require() inside a function, or an import() (which esbuild makes one). */
const lazyKinds = ['require-call', 'dynamic-import'];

describe('bundles (bundles.mjs, esbuild metafiles, .vscodeignore)', () => {
  let bundles: DeclaredBundle[] = [];
  before(async () => {
    bundles = await declaredBundles();
  });
  const nodeBundles = (): DeclaredBundle[] => bundles.filter((b) => b.kind === 'node' || b.kind === 'sibling');

  it('.vscodeignore lets in exactly the declared bundles', () => {
    const allowed = readFileSync(join(repoRoot, '.vscodeignore'), 'utf8')
      .split('\n')
      .map((line) => /^!dist\/(.+)\.js$/.exec(line.trim())?.[1])
      .filter((file): file is string => file !== undefined);
    assert.deepEqual([...allowed].sort(), bundles.map((b) => b.file).sort());
  });

  it('every declared entry exists and every sibling names a declared Node bundle as its loader', () => {
    for (const bundle of bundles) {
      if (bundle.entry) assert.ok(existsSync(join(repoRoot, bundle.entry)), `${bundle.entry} exists`);
      if (bundle.kind === 'sibling') {
        assert.ok(
          nodeBundles().some((b) => b.file === bundle.loadedBy),
          `${bundle.file}'s loadedBy (${bundle.loadedBy}) is a node or sibling bundle`,
        );
      }
    }
  });

  it('other bundles load a sibling or a library only lazily, never by a static import (a worker may import a library)', () => {
    const lazyFiles = new Set(bundles.filter((b) => b.kind === 'sibling' || b.kind === 'library').map((b) => b.file));
    const eager = [...nodeBundles(), ...bundles.filter((b) => b.kind === 'worker')].flatMap((bundle) =>
      bundleImports(metafile(bundle.file))
        .filter((i) => lazyFiles.has(i.file) && !lazyKinds.includes(i.kind))
        .filter((i) => !(bundle.kind === 'worker' && bundles.some((b) => b.file === i.file && b.kind === 'library')))
        .map((i) => `dist/${bundle.file}.js: ${i.from} loads ${i.file}.js with a static import (${i.kind}); require it inside a function (see src/lazyFeature.ts)`),
    );
    assert.deepEqual(eager, []);
  });

  it('each sibling is required by the bundle that bundles.mjs says loads it', () => {
    for (const sibling of bundles.filter((b) => b.kind === 'sibling')) {
      const loads = bundleImports(metafile(sibling.loadedBy ?? '')).map((i) => i.file);
      assert.ok(loads.includes(sibling.file), `dist/${sibling.loadedBy}.js requires ${sibling.file}.js`);
    }
  });

  it('no sibling carries its own copy of the prompt checks features.js holds (the history send check used to copy them into runs.js)', () => {
    // A few hundred bytes of constants (the API version, removed parameters) may be copied; the
    // checker itself (tens of KB) only in features.js.
    const copies = bundles
      .filter((b) => b.kind === 'sibling' && b.file !== 'features')
      .map((b) => ({ file: b.file, bytes: outputInputs(b.file)['src/core/prompt/promptChecks.ts']?.bytesInOutput ?? 0 }))
      .filter((copy) => copy.bytes > 2048)
      .map((copy) => `dist/${copy.file}.js carries ${copy.bytes} bytes of src/core/prompt/promptChecks.ts`);
    assert.deepEqual(copies, []);
  });

  it("a sibling's own sources are in no bundle loaded before it", () => {
    const misplaced: string[] = [];
    for (const sibling of bundles.filter((b) => b.kind === 'sibling')) {
      const owned = (source: string): boolean => (sibling.owns ?? []).some((own) => (own.endsWith('/') ? source.startsWith(own) : source === own));
      const ownSources = Object.keys(metafile(sibling.file).inputs).filter(owned);
      for (const own of sibling.owns ?? []) assert.ok(ownSources.some((s) => s.startsWith(own)), `${own} is in dist/${sibling.file}.js (owns names a real source)`);
      for (const loader of loadersOf(sibling, bundles)) {
        for (const source of Object.keys(metafile(loader.file).inputs).filter(owned)) misplaced.push(`${source} (owned by ${sibling.file}) is in dist/${loader.file}.js`);
      }
    }
    assert.deepEqual(misplaced, []);
  });
});
