// The simulator for datasetBench's volume run, in its own process, on a clock running SPEED
// times faster than real time from the ORIGIN both processes were given (so a rate-limit minute
// passes in 60/SPEED seconds for the simulator and the scheduler alike).
import { start } from '../test/simulator/server';

async function main(): Promise<void> {
  const [speed, origin, rpm, itpm, otpm, outputTokens] = process.argv.slice(2).map(Number) as number[];
  const now = (): number => (origin as number) + (Date.now() - (origin as number)) * (speed as number);
  const sim = await start({
    port: 0,
    now,
    outputTokens,
    rateLimits: { requestsPerMinute: rpm, inputTokensPerMinute: itpm, outputTokensPerMinute: otpm },
  });
  process.stdout.write(`${sim.url}\n`);
  process.on('SIGTERM', () => void sim.close().then(() => process.exit(0)));
}

void main();
