// One build script for every target.
//   extension  dist/extension.js      Node, CommonJS, `vscode` external, minified with --production:
//                                     activation only; it requires dist/features.js on first need
//   features   dist/features.js       every feature, the same way
//   datasets   dist/datasets.js       the dataset feature, required by features on its first use
//   sdk        dist/anthropic-sdk.js  the official SDK, bundled apart so activation never loads it
//   webview    dist/webview.js        browser IIFE for the panel
//   spendView  dist/spendView.js      browser IIFE for the spend view
//   node code  out/**                 src, test and bench transpiled file by file for mocha and the launchers
import * as esbuild from 'esbuild';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/**
 * Heavy libraries used only after activation (the SDK on first network use, ajv when a structured
 * output is validated) are bundled apart; their imports in the extension bundle become lazy
 * requires of the sibling bundle, which keeps activation and the main bundle small.
 */
const lazySiblings = { '@anthropic-ai/sdk': 'anthropic-sdk', ajv: 'ajv' };
const lazySiblingBundles = {
  name: 'lazy-sibling-bundles',
  setup(build) {
    build.onResolve({ filter: /^(@anthropic-ai\/sdk|ajv)$/ }, (args) => ({ path: `./${lazySiblings[args.path]}.js`, external: true }));
  },
};

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

/** The extension's own Node bundles: the activation shim and the features it loads on first need. */
const nodeBundle = (entry, outfile, plugins) => ({
  ...common,
  entryPoints: [entry],
  outfile,
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
  plugins,
});

/** A webview's browser bundle: one IIFE script per panel, loaded by the panel's page under its CSP. */
const browserBundle = (entry, outfile) => ({
  ...common,
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: 'es2022',
  minify: production,
});

/** In the activation bundle, `./features` stays a separate file, required on first need. */
const featuresAsSiblingBundle = {
  name: 'features-as-sibling-bundle',
  setup(build) {
    build.onResolve({ filter: /^\.\/features$/ }, () => ({ path: './features.js', external: true }));
  },
};

/** In the features bundle, the dataset feature stays a separate file, required on its first use. */
const datasetsAsSiblingBundle = {
  name: 'datasets-as-sibling-bundle',
  setup(build) {
    build.onResolve({ filter: /^\.\/datasets\/datasetFeature$/ }, () => ({ path: './datasets.js', external: true }));
  },
};

const targets = [
  {
    ...nodeBundle('src/extension.ts', 'dist/extension.js', [featuresAsSiblingBundle]),
    // The bundle's first and last statements time its evaluation, so activation cost can be
    // measured as the extension's own work (evaluation + activate()), without the host's waits.
    banner: { js: 'var __promptWorkbenchLoadStart = performance.now();' },
    footer: { js: 'var __promptWorkbenchLoadEnd = performance.now();' },
  },
  nodeBundle('src/features.ts', 'dist/features.js', [lazySiblingBundles, datasetsAsSiblingBundle]),
  // Run Prompt over Dataset… and its panel: CSV parsing, the plan, the scheduler (see src/datasets/datasetFeature.ts).
  nodeBundle('src/datasets/datasetFeature.ts', 'dist/datasets.js', [lazySiblingBundles]),
  // The structured-output schema check runs in a worker thread, which needs a file of its own.
  nodeBundle('src/core/run/schemaValidationWorker.ts', 'dist/schemaValidationWorker.js', [lazySiblingBundles]),
  {
    ...common,
    entryPoints: Object.fromEntries(Object.entries(lazySiblings).map(([module, file]) => [file, module])),
    outdir: 'dist',
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: production,
  },
  browserBundle('src/webview/main.ts', 'dist/webview.js'),
  // The dataset panel (plan, progress, results grid): its own bundle, loaded only when it opens.
  browserBundle('src/webview/datasetGrid.ts', 'dist/datasetGrid.js'),
  // The spend view: a webview bundle of its own, loaded only when the view opens.
  browserBundle('src/webview/spend/main.ts', 'dist/spendView.js'),
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

if (watch) {
  for (const options of targets) {
    const context = await esbuild.context(options);
    await context.watch();
  }
  console.log('esbuild: watching for changes');
} else {
  await Promise.all(targets.map((options) => esbuild.build(options)));
}
