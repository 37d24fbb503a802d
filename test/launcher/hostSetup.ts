// Installs and finds what the VS Code test host needs: Node 24, the VS Code server from the
// npm package `code-server`, Debian's Chromium and libkrb5-dev. Everything downloaded goes to
// the ignored `.vscode-test/` folder and is reused on later runs.
//
// Both npm installs are pinned: an exact version, installed with `npm ci` from a lockfile committed
// in test/launcher/hostLock/ (npm checks every package against its integrity hash), and an
// existing install is used only when its recorded integrity matches the lockfile's.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const repoRoot = resolve(__dirname, '..', '..', '..');
export const cacheDir = join(repoRoot, '.vscode-test');
const codeServerVersion = '4.139.1';
const nodeVersion = '24.21.0';
const hostLockDir = join(repoRoot, 'test', 'launcher', 'hostLock');

export interface TestHost {
  node24: string;
  serverMain: string;
  chromium: string;
}

export class HostSetupError extends Error {}

function log(message: string): void {
  process.stderr.write(`[test-host] ${message}\n`);
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): void {
  log(`${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'], env });
  if (result.status !== 0) {
    throw new HostSetupError(`${command} ${args.join(' ')} failed with exit code ${result.status ?? result.signal}`);
  }
}

function isRootWithApt(): boolean {
  return process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
}

function debianPackageInstalled(name: string): boolean {
  const result = spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' });
  return result.status === 0 && result.stdout.includes('install ok installed');
}

let aptUpdated = false;
function installDebianPackages(names: string[]): void {
  if (!isRootWithApt()) {
    throw new HostSetupError(
      `Missing Debian packages: ${names.join(', ')}. Install them first, for example: sudo apt-get install -y ${names.join(' ')}`,
    );
  }
  if (!aptUpdated) {
    run('apt-get', ['update', '-qq']);
    aptUpdated = true;
  }
  run('apt-get', ['install', '-y', '-qq', ...names], { ...process.env, DEBIAN_FRONTEND: 'noninteractive' });
}

const chromiumCandidates = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export function findChromium(): string | undefined {
  const fromEnv = process.env['CHROMIUM_PATH'];
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  return chromiumCandidates.find((candidate) => existsSync(candidate));
}

function ensureChromium(): string {
  const found = findChromium();
  if (found) return found;
  installDebianPackages(['chromium']);
  const installed = findChromium();
  if (!installed) throw new HostSetupError('Chromium was installed but not found at /usr/bin/chromium. Set CHROMIUM_PATH.');
  return installed;
}

/** The integrity hash a lockfile (committed, or npm's record of an install) gives package `name`. */
export function lockedIntegrity(lockFile: string, name: string): string | undefined {
  if (!existsSync(lockFile)) return undefined;
  const lock = JSON.parse(readFileSync(lockFile, 'utf8')) as { packages?: Record<string, { integrity?: string }> };
  // npm records an install made through a symlinked prefix under a relative key; match the tail.
  const entry = Object.entries(lock.packages ?? {}).find(([key]) => key === `node_modules/${name}` || key.endsWith(`/node_modules/${name}`))?.[1];
  return entry?.integrity;
}

/** Whether the install in `prefix` is the one the committed lockfile pins (checked by integrity hash). */
function installMatchesLock(prefix: string, lockName: string, name: string): boolean {
  const pinned = lockedIntegrity(join(hostLockDir, lockName, 'package-lock.json'), name);
  if (!pinned) throw new HostSetupError(`test/launcher/hostLock/${lockName}/package-lock.json does not pin ${name}`);
  return existsSync(join(prefix, '.complete')) && lockedIntegrity(join(prefix, 'node_modules', '.package-lock.json'), name) === pinned;
}

/** Installs exactly what the committed lockfile pins into `prefix`, with `npm ci` (integrity-checked). */
function installFromLock(prefix: string, lockName: string, npm: (args: string[]) => void): void {
  rmSync(prefix, { recursive: true, force: true });
  mkdirSync(prefix, { recursive: true });
  for (const file of ['package.json', 'package-lock.json']) copyFileSync(join(hostLockDir, lockName, file), join(prefix, file));
  npm(['ci', '--no-audit', '--no-fund', '--prefix', prefix]);
}

function ensureNode24(): string {
  const prefix = join(cacheDir, 'node24');
  const node24 = join(prefix, 'node_modules', '.bin', 'node');
  const version = (): string => spawnSync(node24, ['--version'], { encoding: 'utf8' }).stdout?.trim() ?? '';
  if (existsSync(node24) && installMatchesLock(prefix, 'node', 'node') && version() === `v${nodeVersion}`) return node24;
  installFromLock(prefix, 'node', (args) => run('npm', args));
  if (!existsSync(node24)) throw new HostSetupError(`npm installed node@${nodeVersion} but ${node24} is missing`);
  if (version() !== `v${nodeVersion}`) throw new HostSetupError(`${node24} reports ${version()}, not v${nodeVersion}`);
  writeFileSync(join(prefix, '.complete'), new Date().toISOString());
  return node24;
}

/** The npm CLI script, so it can be run with a chosen Node. */
function npmCli(): string {
  const fromNpm = process.env['npm_execpath'];
  if (fromNpm && /npm-cli\.js$/.test(fromNpm) && existsSync(fromNpm)) return fromNpm;
  const which = spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim();
  if (!which) throw new HostSetupError('npm is not on PATH.');
  const real = realpathSync(which);
  const cli = real.endsWith('npm-cli.js') ? real : join(dirname(real), 'npm-cli.js');
  if (!existsSync(cli)) throw new HostSetupError(`Cannot find npm-cli.js next to ${which}.`);
  return cli;
}

function ensureCodeServer(node24: string): string {
  const prefix = join(cacheDir, `code-server-${codeServerVersion}`);
  const serverMain = join(prefix, 'node_modules', 'code-server', 'lib', 'vscode', 'out', 'server-main.js');
  if (existsSync(serverMain) && installMatchesLock(prefix, 'code-server', 'code-server')) return serverMain;
  // The `kerberos` native module that code-server builds compiles against libkrb5-dev.
  if (!debianPackageInstalled('libkrb5-dev')) installDebianPackages(['libkrb5-dev']);
  // code-server's install scripts check for Node 24 and build its native modules for the Node
  // that runs them, so npm itself runs on Node 24, with none of the npm_* variables an outer
  // `npm test` sets (they would point its scripts back at the Node that runs the tests).
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(npm_|NODE$|NODE_OPTIONS$|INIT_CWD$)/i.test(name)) env[name] = value;
  }
  env['PATH'] = `${dirname(node24)}:${process.env['PATH'] ?? ''}`;
  installFromLock(prefix, 'code-server', (args) => run(node24, [npmCli(), ...args], env));
  if (!existsSync(serverMain)) throw new HostSetupError(`code-server installed but ${serverMain} is missing`);
  const installed = lockedIntegrity(join(prefix, 'node_modules', '.package-lock.json'), 'code-server');
  if (installed !== lockedIntegrity(join(hostLockDir, 'code-server', 'package-lock.json'), 'code-server')) {
    throw new HostSetupError(`code-server in ${prefix} does not match test/launcher/hostLock/code-server/package-lock.json`);
  }
  writeFileSync(join(prefix, '.complete'), new Date().toISOString());
  return serverMain;
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs `work` while holding `lockDir` (created atomically with mkdir, holding the owner's pid), so
 * two test runs started at once on a fresh machine do not both install into `.vscode-test/` (the
 * second would delete the first's half-done install). A lock left by a process that died is taken
 * over; so is one whose owner never wrote its pid within `staleMs`.
 */
export function withInstallLock<T>(lockDir: string, work: () => T, staleMs = 60_000): T {
  mkdirSync(dirname(lockDir), { recursive: true });
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  let told = false;
  for (;;) {
    try {
      mkdirSync(lockDir);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let owner: number | undefined;
    try {
      owner = Number(readFileSync(join(lockDir, 'pid'), 'utf8'));
    } catch {
      owner = undefined;
    }
    const abandoned = owner !== undefined && Number.isInteger(owner) && owner > 0 ? !processIsAlive(owner) : lockAgeMs(lockDir) > staleMs;
    if (abandoned) {
      rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    if (!told) log(`waiting for another test run (pid ${owner ?? '?'}) to finish installing the test host`);
    told = true;
    Atomics.wait(sleeper, 0, 0, 250);
  }
  try {
    writeFileSync(join(lockDir, 'pid'), String(process.pid));
    return work();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

function lockAgeMs(lockDir: string): number {
  try {
    return Date.now() - statSync(lockDir).mtimeMs;
  } catch {
    return 0;
  }
}

/** Installs what is missing (first run only) and returns the paths the launchers need. */
export function ensureTestHost(): TestHost {
  const chromium = ensureChromium();
  return withInstallLock(join(cacheDir, '.install.lock'), () => {
    const node24 = ensureNode24();
    const serverMain = ensureCodeServer(node24);
    return { node24, serverMain, chromium };
  });
}
