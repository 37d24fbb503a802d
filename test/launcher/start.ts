// `npm start`: a VS Code server with Prompt Workbench installed and examples/ open, ready for a
// newcomer. Without a key it starts the project's API simulator and points the extension at it.
// Prints the URL (with its connection token) to open in a browser; Ctrl-C stops everything.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SIMULATOR_URL_VARIABLE, SIMULATOR_USE_VARIABLE } from '../../src/core/api/simulatorOffer';
import { start as startSimulator, type Simulator } from '../simulator/server';
import { ensureTestHost, HostSetupError, repoRoot } from './hostSetup';
import { newcomerExampleOf, parseStartOptions, START_USAGE, StartUsageError, type StartOptions } from './startOptions';
import { startServer, workbenchUrl } from './vscodeServer';

const examples = join(repoRoot, 'examples');
const extensionId = 'prompt-workbench.prompt-workbench';

/** The example a newcomer sees first (see newcomerExampleOf). */
function firstExample(): string {
  const name = newcomerExampleOf(readdirSync(examples));
  if (!name) throw new Error(`No .prompt.json file in ${examples}`);
  return join(examples, name);
}

/**
 * Settings of this development instance's user (its user data folder is new for each start): a
 * clean first screen, without the Welcome page, the Chat view or the walkthrough opening over the
 * example.
 */
const newcomerSettings = {
  'workbench.startupEditor': 'none',
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
};

/**
 * Installs the extension under development into the server's extensions folder as a link to this
 * repository, so the server loads it as an installed extension (no test-only driver needed) and
 * "Developer: Reload Window" picks up a rebuild (`npm run watch`).
 */
function installDevelopmentExtension(extensionsDir: string): void {
  mkdirSync(extensionsDir, { recursive: true });
  const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  symlinkSync(repoRoot, join(extensionsDir, `${extensionId}-${version}`), 'dir');
}

function describeApi(options: StartOptions, simulator: Simulator | undefined): string {
  const base = options.apiBaseUrl ?? 'https://api.anthropic.com';
  switch (options.api) {
    case 'simulatorAlways':
      return `Prompts run on the local API simulator at ${simulator?.url} (--simulator): nothing is billed.`;
    case 'simulatorWithoutKey':
      return (
        `No ANTHROPIC_API_KEY in this shell: prompts run on the local API simulator at ${simulator?.url}, and\n` +
        `every simulated answer is labelled as one. Nothing is billed. To use the real API, run\n` +
        `"Prompt Workbench: Set API Key" in VS Code, or start with ANTHROPIC_API_KEY set.`
      );
    case 'real':
      return options.passKey
        ? `Prompts run on the real API (${base}) with ANTHROPIC_API_KEY from this shell (--pass-key).`
        : `Prompts run on the real API (${base}). ANTHROPIC_API_KEY is not handed to VS Code unless you add\n` +
            `--pass-key; or set a key with "Prompt Workbench: Set API Key".`;
  }
}

async function main(): Promise<number> {
  let options: StartOptions | 'help';
  try {
    options = parseStartOptions(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof StartUsageError)) throw error;
    process.stderr.write(`${error.message}\n\n${START_USAGE}\n`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(`${START_USAGE}\n`);
    return 0;
  }
  const host = ensureTestHost();
  const scratch = mkdtempSync(join(tmpdir(), 'pw-start-'));
  process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
  const extensionsDir = join(scratch, 'extensions');
  installDevelopmentExtension(extensionsDir);

  let simulator: Simulator | undefined;
  const env: NodeJS.ProcessEnv = {};
  if (options.api !== 'real') {
    // Paced so that a reply is seen streaming (slower than a real model, on purpose).
    simulator = await startSimulator({ port: 0, host: '127.0.0.1', latencyMs: 600, tokensPerSecond: 30, outputTokens: 160 });
    env[SIMULATOR_URL_VARIABLE] = simulator.url;
    env[SIMULATOR_USE_VARIABLE] = options.api === 'simulatorAlways' ? 'always' : 'withoutKey';
  }
  if (options.passKey) env['ANTHROPIC_API_KEY'] = process.env['ANTHROPIC_API_KEY'];

  const server = await startServer(host, {
    workspaceTrust: options.workspaceTrust,
    port: options.port,
    echo: false,
    smokeTestDriver: false,
    extensionsDir,
    env,
    userSettings: newcomerSettings,
    ...(options.apiBaseUrl ? { machineSettings: { 'promptWorkbench.apiBaseUrl': options.apiBaseUrl } } : {}),
  });
  const url = workbenchUrl(server, { folder: examples, openFile: firstExample(), skipWelcome: true });
  process.stdout.write(
    `\nPrompt Workbench is running in VS Code at:\n\n  ${url}\n\n` +
      `Open it in a browser on this machine (the address carries this session's access token; keep it to yourself).\n` +
      `${describeApi(options, simulator)}\n` +
      `${options.workspaceTrust ? 'Workspace trust is on: examples/ opens in Restricted Mode until you trust it.\n' : 'examples/ opens trusted: it is this project\'s own folder (--workspace-trust keeps trust checks on).\n'}` +
      `New here? Run "Prompt Workbench: Get Started" from the command palette. Press Ctrl-C to stop.\n`,
  );
  await new Promise<void>(() => undefined); // Ctrl-C ends the process; the exit hooks stop the server.
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof HostSetupError ? '' : 'npm start failed: '}${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
