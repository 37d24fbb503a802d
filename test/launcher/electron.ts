// `npm run test:electron`: the same integration suite in desktop VS Code, downloaded by
// @vscode/test-electron. Needs internet access to VS Code's update server, so it is not part of
// `npm test` on machines that cannot reach it.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTests } from '@vscode/test-electron';
import { repoRoot } from './hostSetup';

async function main(): Promise<void> {
  const workspace = mkdtempSync(join(tmpdir(), 'pw-workspace-'));
  cpSync(join(repoRoot, 'test', 'fixtures', 'workspace'), workspace, { recursive: true });
  try {
    await runTests({
      version: process.env['VSCODE_VERSION'] ?? '1.139.1',
      extensionDevelopmentPath: repoRoot,
      extensionTestsPath: join(repoRoot, 'out', 'test', 'integration', 'index.js'),
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust'],
    });
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`Integration tests in desktop VS Code failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
