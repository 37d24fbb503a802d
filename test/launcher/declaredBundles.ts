import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { repoRoot } from './hostSetup';

/** One file of dist/, as bundles.mjs declares it (see the kinds explained there). */
export interface DeclaredBundle {
  file: string;
  kind: 'node' | 'sibling' | 'worker' | 'library' | 'browser';
  entry?: string;
  module?: string;
  loadedBy?: string;
  owns?: string[];
  note: string;
}

/** The bundles esbuild.mjs builds, read from the one list in bundles.mjs. */
export async function declaredBundles(): Promise<DeclaredBundle[]> {
  const loaded = (await import(pathToFileURL(join(repoRoot, 'bundles.mjs')).href)) as { bundles: DeclaredBundle[] };
  return loaded.bundles;
}
