// One build script for every target. The bundles in dist/ are declared in bundles.mjs (file, entry,
// kind, who loads them); this file turns each into esbuild options:
//   node, sibling, worker  Node, CommonJS, `vscode` external, minified with --production. dist/extension.js
//                  is activation only; it requires dist/features.js on first need, which requires
//                  its own siblings (datasets, ...) on their first use.
//   library        a dependency bundled apart, so activation and features.js never load it
//   browser        a webview's IIFE
//   node code      out/**: src, test and bench transpiled file by file for mocha and the launchers
// Each Node bundle's metafile goes to out/meta/<file>.json: test/unit/bundles.test.ts checks the
// siblings stay lazy, and `npm run bench` lists what makes up each bundle.
import * as esbuild from 'esbuild';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bundles } from './bundles.mjs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/**
 * Heavy libraries used only after activation (the SDK on first network use, ajv when a structured
 * output is validated) are bundled apart; their imports in the extension's bundles become lazy
 * requires of the library bundle, which keeps activation and the main bundle small.
 */
const libraries = bundles.filter((b) => b.kind === 'library');
const librariesApart = {
  name: 'libraries-apart',
  setup(build) {
    const byModule = new Map(libraries.map((b) => [b.module, b.file]));
    build.onResolve({ filter: /^[@a-z]/ }, (args) => (byModule.has(args.path) ? { path: `./${byModule.get(args.path)}.js`, external: true } : undefined));
  },
};

/**
 * In every Node bundle but its own, an import of a sibling bundle's entry stays a require of the
 * sibling's file (all bundles sit side by side in dist/), so its code is not copied in.
 */
const siblingEntries = new Map(bundles.filter((b) => b.kind === 'sibling').map((b) => [resolve(b.entry), b.file]));
const siblingsApart = (ownFile) => ({
  name: 'siblings-apart',
  setup(build) {
    build.onResolve({ filter: /^\.\.?\// }, (args) => {
      const target = resolve(args.resolveDir, args.path);
      const file = siblingEntries.get(`${target}.ts`) ?? siblingEntries.get(target);
      return file && file !== ownFile ? { path: `./${file}.js`, external: true } : undefined;
    });
  },
});

/** Writes a bundle's metafile to out/meta/<file>.json after each (re)build. */
const metafileOut = (file) => ({
  name: 'metafile-out',
  setup(build) {
    build.onEnd((result) => {
      if (!result.metafile) return;
      mkdirSync('out/meta', { recursive: true });
      writeFileSync(`out/meta/${file}.json`, JSON.stringify(result.metafile));
    });
  },
});

function tsFiles(dir) {
  const found = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) {
      // The webview is a browser bundle with its own tsconfig, not Node code for out/.
      if (full !== join('src', 'webview')) found.push(...tsFiles(full));
    } else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) {
      found.push(full);
    }
  }
  return found;
}

const common = { logLevel: 'warning', sourcemap: !production, sourcesContent: false };

/** One of the extension's own Node bundles: activation, features, a sibling, the worker. */
const nodeBundle = ({ entry, file }) => ({
  ...common,
  entryPoints: [entry],
  outfile: `dist/${file}.js`,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minify: production,
  external: ['vscode'],
  // jsonc-parser's UMD entry requires its parts dynamically, which a bundle cannot follow; its
  // ESM entry imports them statically.
  mainFields: ['module', 'main'],
  // Lazy imports become require() calls (loaded on first use, CommonJS interop like the rest).
  supported: { 'dynamic-import': false },
  metafile: true,
  plugins: [librariesApart, siblingsApart(file), metafileOut(file)],
});

/** A webview's browser bundle: one IIFE script per panel, loaded by the panel's page under its CSP. */
const browserBundle = ({ entry, file }) => ({
  ...common,
  entryPoints: [entry],
  outfile: `dist/${file}.js`,
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: 'es2022',
  minify: production,
});

const targets = [
  ...bundles.filter((b) => ['node', 'sibling', 'worker'].includes(b.kind)).map(nodeBundle),
  {
    ...common,
    entryPoints: Object.fromEntries(libraries.map((b) => [b.file, b.module])),
    outdir: 'dist',
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: production,
  },
  ...bundles.filter((b) => b.kind === 'browser').map(browserBundle),
  {
    ...common,
    sourcemap: true,
    entryPoints: [...tsFiles('src'), ...tsFiles('test'), ...tsFiles('bench')],
    outdir: 'out',
    outbase: '.',
    bundle: false,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
  },
];
// The activation bundle's first and last statements time its evaluation, so activation cost can be
// measured as the extension's own work (evaluation + activate()), without the host's waits.
Object.assign(targets.find((t) => t.outfile === 'dist/extension.js'), {
  banner: { js: 'var __promptWorkbenchLoadStart = performance.now();' },
  footer: { js: 'var __promptWorkbenchLoadEnd = performance.now();' },
});

if (watch) {
  for (const options of targets) {
    const context = await esbuild.context(options);
    await context.watch();
  }
  console.log('esbuild: watching for changes');
} else {
  await Promise.all(targets.map((options) => esbuild.build(options)));
}
