// What `npm start -- [options]` asks for, and what that means for the API the extension uses.
// Pure (no I/O), so the decisions are unit-tested.

export const START_USAGE = `Usage: npm start -- [options]
  (no option)        the real API when ANTHROPIC_API_KEY is set; otherwise the local API simulator,
                     until you set a key with "Prompt Workbench: Set API Key"
  --simulator        always the simulator, even with a key
  --real             the real API (set a key in VS Code, or pass yours with --pass-key)
  --pass-key         hand ANTHROPIC_API_KEY from this shell to VS Code's extension host
  --api-base-url <u> the API base URL (the machine setting promptWorkbench.apiBaseUrl), e.g. a gateway
  --workspace-trust  keep workspace trust on (examples/ then opens in Restricted Mode)
  --port <n>         listen on this port (or set PORT); default: a free one
  --help             show this help`;

export interface StartOptions {
  /** `simulatorAlways`: --simulator; `simulatorWithoutKey`: the default with no key in the shell; `real`: --real or a key in the shell. */
  api: 'simulatorAlways' | 'simulatorWithoutKey' | 'real';
  passKey: boolean;
  apiBaseUrl: string | undefined;
  workspaceTrust: boolean;
  port: number | undefined;
}

export class StartUsageError extends Error {}

/** Reads the command line and the environment (ANTHROPIC_API_KEY, PORT). */
export function parseStartOptions(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): StartOptions | 'help' {
  let simulator = false;
  let real = false;
  let passKey = false;
  let workspaceTrust = false;
  let apiBaseUrl: string | undefined;
  let port: number | undefined = env['PORT'] ? Number(env['PORT']) : undefined;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    switch (flag) {
      case '--help':
      case '-h':
        return 'help';
      case '--simulator':
        simulator = true;
        break;
      case '--real':
        real = true;
        break;
      case '--pass-key':
        passKey = true;
        break;
      case '--workspace-trust':
        workspaceTrust = true;
        break;
      case '--api-base-url': {
        const value = argv[++i];
        if (!value || !/^https?:\/\/[^\s]+$/.test(value)) throw new StartUsageError('--api-base-url needs an http(s) URL');
        apiBaseUrl = value;
        break;
      }
      case '--port': {
        const value = argv[++i];
        port = Number(value);
        break;
      }
      default:
        throw new StartUsageError(`Unknown option ${flag}`);
    }
  }
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) throw new StartUsageError('The port must be a number from 1 to 65535');
  if (simulator && real) throw new StartUsageError('--simulator and --real exclude each other');
  const keyInShell = Boolean(env['ANTHROPIC_API_KEY']);
  if (passKey && !keyInShell) throw new StartUsageError('--pass-key: ANTHROPIC_API_KEY is not set in this shell');
  if (passKey && simulator) throw new StartUsageError('--pass-key has no use with --simulator (no key is sent to the simulator)');
  const api = simulator ? 'simulatorAlways' : real || keyInShell ? 'real' : 'simulatorWithoutKey';
  return { api, passKey, apiBaseUrl, workspaceTrust, port };
}

/**
 * Of the file names in examples/, the example a newcomer sees first: one prompt that runs with
 * nothing else to set up (no upload, no tools, no dataset), whatever the other examples are named;
 * else the first prompt file.
 */
export const newcomerExample = 'classify-ticket.prompt.json';

export function newcomerExampleOf(names: readonly string[]): string | undefined {
  const prompts = names.filter((name) => name.endsWith('.prompt.json')).sort();
  return prompts.includes(newcomerExample) ? newcomerExample : prompts[0];
}
