// The boundaries of the README's Layout section, as eslint.config.mjs enforces them: linted here on
// small made-up files, so a config change that drops a boundary fails a test, not just a review.
import * as assert from 'node:assert/strict';
import { ESLint } from 'eslint';
import { repoRoot } from './prompt/promptTestSupport';

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
