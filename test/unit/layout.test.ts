// The boundaries of the README's Layout section, as eslint.config.mjs enforces them: linted here on
// small made-up files, so a config change that drops a boundary fails a test, not just a review.
import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ESLint } from 'eslint';
import { repoRoot } from './prompt/promptTestSupport';

/** Every .ts file under a folder of the repository. */
function sourceFiles(folder: string): string[] {
  return readdirSync(join(repoRoot, folder), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => join(repoRoot, folder, name));
}

/** The relative imports of a file, types included (`import type` and `export … from` too), as absolute .ts paths. */
function relativeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+'(\.[^']+)'/gms)) {
    const target = resolve(dirname(file), match[1] as string);
    for (const candidate of [`${target}.ts`, join(target, 'index.ts')]) if (existsSync(candidate)) found.push(candidate);
  }
  return found;
}

/** One import circle among the files, as a list of repository paths, or undefined. */
function findCircle(files: string[]): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): string[] | undefined => {
    if (state.get(file) === 'done') return undefined;
    if (state.get(file) === 'open') return [...stack.slice(stack.indexOf(file)), file].map((f) => relative(repoRoot, f));
    state.set(file, 'open');
    stack.push(file);
    for (const next of relativeImports(file)) {
      const circle = visit(next);
      if (circle) return circle;
    }
    stack.pop();
    state.set(file, 'done');
    return undefined;
  };
  for (const file of files) {
    const circle = visit(file);
    if (circle) return circle;
  }
  return undefined;
}

describe('layout: src/core', () => {
  it('has no import circle, not even through types (the format, checks and template used to import each other)', () => {
    assert.equal(findCircle(sourceFiles('src/core'))?.join(' -> '), undefined);
  });
});

describe('layout boundaries (eslint.config.mjs)', function () {
  this.timeout(30_000);
  const eslint = new ESLint({ cwd: repoRoot });

  /** The rules that reject `source` as the file at `filePath` (which need not exist). */
  async function violations(filePath: string, source: string): Promise<string[]> {
    const [result] = await eslint.lintText(source, { filePath });
    return (result?.messages ?? []).filter((m) => m.severity === 2).map((m) => `${m.ruleId ?? 'parse'}: ${m.message}`);
  }

  it('keeps src/core free of vscode, the protocol and the panel', async () => {
    assert.match((await violations('src/core/run/probe.ts', "import * as vscode from 'vscode';\nexport const x = vscode;\n")).join('\n'), /no-restricted-imports: .*editor-free/);
    assert.match((await violations('src/core/run/probe.ts', "import type { PanelState } from '../../protocol';\nexport type X = PanelState;\n")).join('\n'), /never imports the protocol/);
  });

  it('stops a feature from using another feature\'s module', async () => {
    const found = await violations('src/run/probe.ts', "import { CostStatusBar } from '../statusBar/costStatusBar';\nexport const x = CostStatusBar;\n");
    assert.match(found.join('\n'), /src\/run is a feature: it must not use another feature's modules/);
    assert.match((await violations('src/costDetails/probe.ts', "import { x } from '../webview/main';\nexport const y = x;\n")).join('\n'), /src\/costDetails is a feature/);
  });

  it('lets a feature name another feature\'s type, and use core and the shared folders', async () => {
    const source = [
      "import type { RunPanel } from '../panel/runPanel';",
      "import { costSummaryFor } from '../pricing/promptCost';",
      "import { formatUsd } from '../core/format';",
      'export const x: [RunPanel | undefined, unknown, unknown] = [undefined, costSummaryFor, formatUsd];',
      '',
    ].join('\n');
    assert.deepEqual(await violations('src/run/probe.ts', source), []);
  });
});
