// How fast the local API simulator streams: SSE events per second on loopback, with no latency or
// pacing, for one long reply read by a raw node:http client (so the figure is the simulator's, not
// the SDK's parser). Median of 5 runs after a warm-up.
import { request } from 'node:http';
import { median, runAlone, type BenchFigure } from './benchResult';
import { start, SIMULATOR_HEADERS } from '../test/simulator/server';

const RUNS = 5;
const OUTPUT_TOKENS = 120_000;
const TARGET_EVENTS_PER_SECOND = 50_000;

/** Streams one reply and returns how many SSE events arrived and how long it took. */
function streamOnce(url: string): Promise<{ events: number; ms: number }> {
  const body = JSON.stringify({
    model: 'claude-sonnet-5-5',
    max_tokens: 128_000,
    stream: true,
    messages: [{ role: 'user', content: 'Write at length.' }],
  });
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = request(
      `${url}/v1/messages`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'x-api-key': 'sk-ant-bench',
          'anthropic-version': '2026-10-21',
          [SIMULATOR_HEADERS.outputTokens]: String(OUTPUT_TOKENS),
        },
      },
      (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`simulator answered ${res.statusCode}`));
          res.resume();
          return;
        }
        res.setEncoding('utf8');
        let events = 0;
        let previousEndedWithNewline = false;
        res.on('data', (chunk: string) => {
          // Each SSE event ends with a blank line; a "\n\n" may straddle two chunks.
          if (previousEndedWithNewline && chunk.startsWith('\n')) events += 1;
          for (let at = chunk.indexOf('\n\n'); at >= 0; at = chunk.indexOf('\n\n', at + 2)) events += 1;
          previousEndedWithNewline = chunk.endsWith('\n') && !chunk.endsWith('\n\n');
        });
        res.on('end', () => resolve({ events, ms: Number(process.hrtime.bigint() - started) / 1e6 }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export async function benchSimulatorStreaming(): Promise<BenchFigure[]> {
  const simulator = await start({ port: 0 });
  try {
    await streamOnce(simulator.url); // warm-up: JIT, socket, first allocation
    const rates: number[] = [];
    let events = 0;
    for (let run = 0; run < RUNS; run++) {
      const result = await streamOnce(simulator.url);
      events = result.events;
      rates.push((result.events * 1000) / result.ms);
    }
    const value = Math.round(median(rates));
    return [
      {
        name: 'simulator SSE streaming rate',
        value,
        unit: 'events/s',
        target: `>= ${TARGET_EVENTS_PER_SECOND}`,
        ok: value >= TARGET_EVENTS_PER_SECOND,
        detail: `median of ${RUNS} runs, ${events} events per run (${OUTPUT_TOKENS} output tokens), loopback, raw node:http client`,
      },
    ];
  } finally {
    await simulator.close();
  }
}

if (require.main === module) runAlone('simulatorBench', benchSimulatorStreaming);
