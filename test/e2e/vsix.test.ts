import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as yauzl from 'yauzl';
import { declaredBundles } from '../launcher/declaredBundles';
import { ensureTestHost, repoRoot } from '../launcher/hostSetup';
import { freshWorkspace } from '../launcher/testHost';
import { installVsix, launchBrowser, startServer, workbenchUrl } from '../launcher/vscodeServer';
import { quickOpen } from './workbenchSession';

function vsixEntries(file: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (error, zip) => {
      if (error || !zip) return reject(error ?? new Error('cannot open vsix'));
      const names: string[] = [];
      zip.on('entry', (entry: yauzl.Entry) => {
        names.push(entry.fileName);
        zip.readEntry();
      });
      zip.on('end', () => resolve(names.sort()));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

describe('packaged extension (.vsix)', function () {
  const scratch = mkdtempSync(join(tmpdir(), 'pw-vsix-'));
  const vsix = join(scratch, 'prompt-workbench.vsix');

  before(() => {
    const build = spawnSync('npm', ['run', 'build', '--', '--production'], { cwd: repoRoot, encoding: 'utf8' });
    assert.equal(build.status, 0, build.stderr);
    const pack = spawnSync(
      process.execPath,
      [join(repoRoot, 'node_modules', '@vscode', 'vsce', 'vsce'), 'package', '--no-dependencies', '--allow-missing-repository', '--out', vsix],
      { cwd: repoRoot, encoding: 'utf8' },
    );
    assert.equal(pack.status, 0, `${pack.stdout}\n${pack.stderr}`);
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('holds only the bundles, media, schema, README, LICENSE, CHANGELOG and package.json', async () => {
    const files = (await vsixEntries(vsix)).filter((name) => name.startsWith('extension/')).map((name) => name.slice('extension/'.length));
    // The one list of bundles esbuild.mjs builds (bundles.mjs).
    const bundles = (await declaredBundles()).map((bundle) => `dist/${bundle.file}.js`);
    assert.ok(bundles.includes('dist/features.js') && bundles.includes('dist/anthropic-sdk.js'), 'the declared list is the real one');
    const allowed = [/^dist\/[A-Za-z-]+\.js$/, /^media\/(walkthrough\/)?[^/]+$/, /^schemas\/prompt\.schema\.json$/, /^(readme\.md|LICENSE\.txt|changelog\.md|package\.json)$/];
    const unexpected = files.filter((file) => !allowed.some((pattern) => pattern.test(file)));
    assert.deepEqual(unexpected, [], 'nothing outside the allowlist is shipped');
    // Every bundle the extension loads, and nothing else from dist/.
    assert.deepEqual(files.filter((file) => file.startsWith('dist/')).sort(), [...bundles].sort());
    for (const required of ['package.json', 'readme.md', 'LICENSE.txt', 'changelog.md', 'media/walkthrough/run.md']) {
      assert.ok(files.includes(required), `${required} is in the package`);
    }
    assert.ok(!files.some((file) => file.endsWith('.map') || file.endsWith('.ts')), 'no sources or source maps');
  });

  it('installs into the VS Code server with --install-extension and activates', async () => {
    const host = ensureTestHost();
    const extensionsDir = join(scratch, 'extensions');
    const installed = installVsix(host, vsix, extensionsDir);
    assert.match(installed, /prompt-workbench/i);
    const server = await startServer(host, { extensionsDir });
    const browser = await launchBrowser(host);
    const workspace = freshWorkspace();
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.goto(workbenchUrl(server, { folder: workspace }));
      await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
      await quickOpen(page, 'hello.prompt.json');
      // The item exists only once the installed extension has activated.
      await page.locator('[id="prompt-workbench.prompt-workbench.promptWorkbench.cost"], #promptWorkbench\\.cost').first().waitFor({ timeout: 30_000 });
    } finally {
      await browser.close();
      await server.stop();
      rmSync(workspace, { recursive: true, force: true });
    }
  });
});
