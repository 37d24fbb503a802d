// Starts the VS Code server (from the npm package code-server) and drives its workbench in
// Chromium, as ../shared/vscode-test-host.md describes.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { TestHost } from './hostSetup';

export interface ServerOptions {
  /** Keep workspace trust on (for untrusted-workspace tests). Default: trust is disabled. */
  workspaceTrust?: boolean;
  /** Use this extensions folder (for an installed .vsix) instead of a fresh empty one. */
  extensionsDir?: string;
  /** Extra environment for the server and so for the extension host. */
  env?: NodeJS.ProcessEnv;
  /** Print the server's own output as it arrives. */
  echo?: boolean;
  /** Listen on this port instead of a free one. */
  port?: number | undefined;
  /**
   * Pass `--enable-smoke-test-driver`, without which a built workbench ignores
   * `extensionDevelopmentPath` and `extensionTestsPath`. Tests only (default on); `npm start`
   * installs the built extension instead.
   */
  smokeTestDriver?: boolean;
  /** Settings written to the server's machine settings file before it starts. */
  machineSettings?: Record<string, unknown>;
  /** Settings written to the browser workbench's user settings (kept by the server) before it starts. */
  userSettings?: Record<string, unknown>;
}

export interface RunningServer {
  origin: string;
  port: number;
  userDataDir: string;
  /** The random connection token of this start; every workbench URL carries it. */
  connectionToken: string;
  /** Everything the server printed, the extension host's log included. */
  output(): string;
  stop(): Promise<void>;
}

const noise = [
  /update\.code\.visualstudio\.com/,
  /marketplace\.visualstudio\.com|open-vsx|gallery/i,
  /getaddrinfo|ENOTFOUND|EAI_AGAIN/,
  /telemetry/i,
  /github\.com|api\.github/i,
  /\[AgentHost\]|\[ChatModelSelection\]|No search provider registered/,
];

/** Whether a log line is offline noise (gallery, telemetry, GitHub, chat look-ups) that is harmless here. */
export function isNoise(line: string): boolean {
  return noise.some((pattern) => pattern.test(line));
}

/** Drops the offline-noise lines (gallery, telemetry, GitHub look-ups) that are harmless here. */
export function withoutNoise(log: string): string {
  return log
    .split('\n')
    .filter((line) => !isNoise(line))
    .join('\n');
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

const liveChildren = new Set<ChildProcess>();

function killTree(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

let exitHooksInstalled = false;
/** Whatever happens (failure, Ctrl-C, SIGTERM), no server outlives the launcher. */
function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', () => liveChildren.forEach(killTree));
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      process.stderr.write(`\n[test-host] ${signal}: stopping the VS Code server\n`);
      liveChildren.forEach(killTree);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}

/**
 * The server's environment: this process's, without ANTHROPIC_API_KEY (the extension host inherits
 * it, so a key in the developer's shell would reach every instance unasked), plus `extra`, which
 * may hand a key on explicitly (`npm start -- --pass-key`, or a test's fake key).
 */
export function serverEnvironment(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['ANTHROPIC_API_KEY'];
  return { ...env, ...extra };
}

/** The server's machine settings file (machine-scoped settings such as `promptWorkbench.apiBaseUrl`). */
export function machineSettingsFile(userDataDir: string): string {
  return join(userDataDir, 'Machine', 'settings.json');
}

/** The browser workbench's user settings, which the server keeps in its user data folder. */
export function userSettingsFile(userDataDir: string): string {
  return join(userDataDir, 'User', 'settings.json');
}

function writeSettings(userDataDir: string, options: ServerOptions): void {
  const files: [string, Record<string, unknown> | undefined][] = [
    [machineSettingsFile(userDataDir), options.machineSettings],
    [userSettingsFile(userDataDir), options.userSettings],
  ];
  for (const [file, settings] of files) {
    if (!settings) continue;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(settings, null, 2)}\n`);
  }
}

export async function startServer(host: TestHost, options: ServerOptions = {}): Promise<RunningServer> {
  installExitHooks();
  const port = options.port ?? (await freePort());
  // mkdtemp creates the folder with mode 0700, so only this user can read what is put in it.
  const userDataDir = mkdtempSync(join(tmpdir(), 'pw-vscode-'));
  const extensionsDir = options.extensionsDir ?? join(userDataDir, 'extensions');
  // Without a token, any local user (or a web page that reaches the port) would get a terminal as
  // the developer. The token is new for each start, lives in a 0600 file, and is never an argument
  // (arguments are visible to every user in `ps`).
  const connectionToken = randomBytes(32).toString('hex');
  const tokenFile = join(userDataDir, 'connection-token');
  writeFileSync(tokenFile, connectionToken, { mode: 0o600 });
  writeSettings(userDataDir, options);
  const args = [
    host.serverMain,
    '--host', '127.0.0.1',
    '--port', String(port),
    '--connection-token-file', tokenFile,
    '--accept-server-license-terms',
    '--disable-telemetry',
    '--server-data-dir', userDataDir,
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
  ];
  if (options.smokeTestDriver !== false) args.push('--enable-smoke-test-driver');
  if (!options.workspaceTrust) args.push('--disable-workspace-trust');
  const child = spawn(host.node24, args, {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: serverEnvironment(options.env),
  });
  liveChildren.add(child);
  let output = '';
  const collect = (chunk: Buffer): void => {
    const text = chunk.toString();
    output += text;
    if (options.echo) process.stderr.write(withoutNoise(text));
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  await new Promise<void>((ready, failed) => {
    const timer = setTimeout(() => failed(new Error(`VS Code server did not start within 60 s:\n${output}`)), 60_000);
    const check = (): void => {
      if (output.includes('Extension host agent started.')) {
        clearTimeout(timer);
        ready();
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      failed(new Error(`VS Code server exited with ${code} before it started:\n${output}`));
    });
  });

  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    userDataDir,
    connectionToken,
    output: () => output,
    stop: async () => {
      liveChildren.delete(child);
      if (child.exitCode === null && child.pid !== undefined) {
        const exited = new Promise<void>((done) => child.once('exit', () => done()));
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          child.kill('SIGTERM');
        }
        const timeout = new Promise<void>((done) => setTimeout(done, 5_000).unref());
        await Promise.race([exited, timeout]);
        killTree(child);
      }
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Installs a .vsix into `extensionsDir` the way a user would, with the server's own CLI. */
export function installVsix(host: TestHost, vsix: string, extensionsDir: string): string {
  const result = spawnSync(host.node24, [host.serverMain, '--install-extension', vsix, '--extensions-dir', extensionsDir, '--accept-server-license-terms'], {
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`--install-extension failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

export interface WorkbenchOptions {
  folder: string;
  extensionDevelopmentPath?: string;
  extensionTestsPath?: string;
  /** A file to open in the editor once the workbench loads. */
  openFile?: string;
  /** Do not show the Welcome page (or release notes) on this load. */
  skipWelcome?: boolean;
}

/** The address to open: with the connection token in it, so it works as printed. */
export function workbenchUrl(server: Pick<RunningServer, 'origin' | 'port' | 'connectionToken'>, options: WorkbenchOptions): string {
  const remote = (path: string): string => `vscode-remote://127.0.0.1:${server.port}${path}`;
  const payload: [string, string][] = [];
  if (options.extensionDevelopmentPath) payload.push(['extensionDevelopmentPath', remote(options.extensionDevelopmentPath)]);
  if (options.extensionTestsPath) payload.push(['extensionTestsPath', remote(options.extensionTestsPath)]);
  if (options.openFile) payload.push(['openFile', remote(options.openFile)]);
  if (options.skipWelcome) payload.push(['skipWelcome', 'true'], ['skipReleaseNotes', 'true']);
  let url = `${server.origin}/?tkn=${server.connectionToken}&folder=${encodeURIComponent(options.folder)}`;
  if (payload.length) url += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  return url;
}

export async function launchBrowser(host: TestHost): Promise<Browser> {
  return chromium.launch({
    executablePath: host.chromium,
    headless: true,
    chromiumSandbox: false,
    args: [
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

export interface Workbench {
  page: Page;
  browser: Browser;
  server: RunningServer;
  close(): Promise<void>;
}

/** Starts a server and opens the workbench on `folder` with the extension under development. */
export async function openWorkbench(
  host: TestHost,
  options: WorkbenchOptions & ServerOptions,
): Promise<Workbench> {
  const server = await startServer(host, options);
  let browser: Browser | undefined;
  try {
    browser = await launchBrowser(host);
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(workbenchUrl(server, options));
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    const opened = browser;
    return {
      page,
      browser: opened,
      server,
      close: async () => {
        await opened.close().catch(() => undefined);
        await server.stop();
      },
    };
  } catch (error) {
    await browser?.close().catch(() => undefined);
    process.stderr.write(withoutNoise(server.output()));
    await server.stop();
    throw error;
  }
}
