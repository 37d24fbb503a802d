// `npm run test:host`: every test that needs a real VS Code.
//   integration [--suite <compiled run() module>]  mocha inside the extension host
//   e2e                                             mocha in Node driving the workbench in Chromium
//   all                                             both, integration first
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { format } from 'node:util';
import { join, resolve } from 'node:path';
import { ensureTestHost, HostSetupError, repoRoot, type TestHost } from './hostSetup';
import { isNoise, launchBrowser, startServer, withoutNoise, workbenchUrl, type RunningServer } from './vscodeServer';

const defaultSuite = join(repoRoot, 'out', 'test', 'integration', 'index.js');
const fixtureWorkspace = join(repoRoot, 'test', 'fixtures', 'workspace');
const suiteTimeoutMs = 15 * 60_000;

function findFiles(dir: string, test: (name: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? findFiles(full, test) : test(name) ? [full] : [];
  });
}

/**
 * The extension host's own log files, which hold what the extension logged and any activation
 * error: in full after a failure, otherwise only this extension's lines and every warning or error.
 */
function printExtensionHostLog(server: RunningServer, full: boolean): void {
  const logs = findFiles(join(server.userDataDir, 'logs'), (name) => /exthost|Prompt Workbench|prompt-workbench/i.test(name));
  for (const file of logs) {
    let text = withoutNoise(readFileSync(file, 'utf8'));
    if (!full && !/Prompt Workbench/.test(file)) {
      text = text.split('\n').filter((line) => /prompt-workbench|\[error\]/i.test(line)).join('\n');
    }
    text = text.trim();
    if (text) process.stderr.write(`\n----- ${file.slice(server.userDataDir.length)} -----\n${text}\n`);
  }
}

/** Copies the fixture workspace so a suite may edit files without touching the repository. */
export function freshWorkspace(source = fixtureWorkspace, parent = tmpdir()): string {
  const dir = mkdtempSync(join(parent, 'pw-workspace-'));
  cpSync(source, dir, { recursive: true });
  return dir;
}

export interface SuiteOptions {
  /** Folder copied as the workspace (default: test/fixtures/workspace). */
  workspaceSource?: string;
  /** Extra environment for the extension host. */
  env?: NodeJS.ProcessEnv;
  /** Print only the suite's own result lines, not the extension host's log. */
  quiet?: boolean;
}

export async function runIntegrationSuite(host: TestHost, suite: string, options: SuiteOptions = {}): Promise<number> {
  const workspace = freshWorkspace(options.workspaceSource);
  const server = await startServer(host, options.env ? { env: options.env } : {});
  const browser = await launchBrowser(host);
  try {
    const page = await browser.newPage();
    let settle: (code: number) => void = () => undefined;
    const exited = new Promise<number>((resolveExit) => (settle = resolveExit));
    await page.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => {
      const line = format(...(Array.isArray(args) ? args : [args]));
      if ((!options.quiet || type === 'error') && !isNoise(line)) process.stdout.write(`${type === 'error' ? '[exthost:error] ' : ''}${line}\n`);
    });
    await page.exposeFunction('codeAutomationExit', (code: number) => settle(code));
    page.on('pageerror', (error) => process.stderr.write(`[workbench] ${error.message}\n`));
    await page.goto(workbenchUrl(server, { folder: workspace, extensionDevelopmentPath: repoRoot, extensionTestsPath: suite }));
    const timeout = new Promise<number>((resolveTimeout) =>
      setTimeout(() => {
        process.stderr.write(`[test-host] the suite did not finish within ${suiteTimeoutMs / 1000} s\n`);
        resolveTimeout(124);
      }, suiteTimeoutMs).unref(),
    );
    const code = await Promise.race([exited, timeout]);
    if (!options.quiet || code !== 0) printExtensionHostLog(server, code !== 0);
    return code;
  } catch (error) {
    process.stderr.write(withoutNoise(server.output()));
    printExtensionHostLog(server, true);
    throw error;
  } finally {
    await browser.close().catch(() => undefined);
    await server.stop();
    rmSync(workspace, { recursive: true, force: true });
  }
}

function runE2e(): number {
  const result = spawnSync(process.execPath, [join(repoRoot, 'node_modules', 'mocha', 'bin', 'mocha.js'), '--config', join(repoRoot, 'test', 'e2e', '.mocharc.json')], {
    stdio: 'inherit',
    cwd: repoRoot,
  });
  return result.status ?? 1;
}

async function main(): Promise<number> {
  const [mode = 'all', ...rest] = process.argv.slice(2);
  const suiteFlag = rest.indexOf('--suite');
  const suite = suiteFlag >= 0 && rest[suiteFlag + 1] ? resolve(rest[suiteFlag + 1] as string) : defaultSuite;
  const host = ensureTestHost();
  if (mode === 'integration') return runIntegrationSuite(host, suite);
  if (mode === 'e2e') return runE2e();
  if (mode === 'all') {
    const integration = await runIntegrationSuite(host, suite);
    if (integration !== 0) return integration;
    return runE2e();
  }
  process.stderr.write(`usage: testHost.js integration [--suite file] | e2e | all\n`);
  return 2;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${error instanceof HostSetupError ? '' : 'test host failed: '}${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
