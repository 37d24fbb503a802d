// Command line entry: `node out/test/simulator/cli.js [--port 4141] [--latency ms] [--tps n]
// [--output-tokens n] [--batch-ms ms] [--quiet]`. Listens on 127.0.0.1 only and stops on Ctrl-C.
import { start, type SimulatorOptions } from './server';

const USAGE = `Usage: node out/test/simulator/cli.js [options]
  --port <n>           port on 127.0.0.1 (default 4141; 0 = any free port)
  --latency <ms>       delay before the first output token (default 0)
  --tps <n>            output tokens per second (default 0 = unthrottled)
  --output-tokens <n>  length of generated replies in tokens (default 24)
  --batch-ms <ms>      how long a message batch stays in progress (default 1000)
  --quiet              do not log requests
  --help               show this help`;

interface CliArgs {
  port: number;
  options: SimulatorOptions;
  quiet: boolean;
}

export function parseArgs(argv: readonly string[]): CliArgs | 'help' {
  const args: CliArgs = { port: 4141, options: {}, quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--help' || flag === '-h') return 'help';
    if (flag === '--quiet') {
      args.quiet = true;
      continue;
    }
    const raw = argv[++i];
    const value = Number(raw);
    if (raw === undefined || !Number.isFinite(value) || value < 0) throw new Error(`${flag} needs a non-negative number`);
    switch (flag) {
      case '--port':
        args.port = value;
        break;
      case '--latency':
        args.options.latencyMs = value;
        break;
      case '--tps':
        args.options.tokensPerSecond = value;
        break;
      case '--output-tokens':
        args.options.outputTokens = value;
        break;
      case '--batch-ms':
        args.options.batchProcessingMs = value;
        break;
      default:
        throw new Error(`Unknown option ${flag}`);
    }
  }
  return args;
}

async function main(): Promise<void> {
  let args: CliArgs | 'help';
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (args === 'help') {
    console.log(USAGE);
    return;
  }
  const simulator = await start({
    ...args.options,
    port: args.port,
    host: '127.0.0.1',
    log: args.quiet ? undefined : (line) => console.log(line),
  });
  console.log(`Anthropic API simulator listening on ${simulator.url}`);
  console.log(`Point Prompt Workbench at it with the setting  "promptWorkbench.apiBaseUrl": "${simulator.url}"`);
  console.log('and use any API key that starts with sk-ant- (for example sk-ant-simulator). Press Ctrl-C to stop.');

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void simulator.close().then(() => {
      console.log('Simulator stopped.');
      process.exit(0);
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (require.main === module) {
  void main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  });
}
