// Markdown while a reply streams (issue 12): the panel renders Markdown from the first token,
// incrementally (IncrementalMarkdown: closed blocks once, the open block again), so its cost per
// 1,000 tokens must not grow with the reply, and must stay within 1.2x the CPU of a bare SDK loop
// consuming the same stream. Measured at 10,000 and 100,000 tokens from the simulator (its own
// process). The panel's work is measured in the worst case: one append per text delta of the SDK
// (the panel's frame batching only makes appends fewer and larger). Browser layout is not included.
import type Anthropic from '@anthropic-ai/sdk';
import { createApiClient } from '../src/core/api/apiClient';
import { IncrementalMarkdown } from '../src/panel/markdown';
import { median, runAlone, type BenchFigure } from './benchResult';
import { baselineRun, headers, params, startSimulatorProcess, stopSimulatorProcess } from './streamingBench';

const SIZES = [10_000, 100_000] as const;
const RUNS = 7;
const TARGET_RATIO = 1.2;
const QUADRATIC_FLAG = 1.5;

/** The text deltas of one reply, in the order the SDK delivered them. */
async function deltasOf(client: Anthropic, tokens: number): Promise<{ deltas: string[]; outputTokens: number }> {
  const deltas: string[] = [];
  const stream = client.messages.stream(params('Write at length.'), { headers: headers(tokens) });
  stream.on('text', (text) => deltas.push(text));
  const message = await stream.finalMessage();
  return { deltas, outputTokens: message.usage.output_tokens };
}

function renderCpuMs(deltas: readonly string[]): number {
  const cpu = process.cpuUsage();
  const markdown = new IncrementalMarkdown();
  let sink = 0;
  for (const delta of deltas) {
    const progress = markdown.append(delta);
    sink += progress.closedHtml.length + (progress.tailHtml?.length ?? progress.tailText.length);
  }
  const used = process.cpuUsage(cpu);
  if (sink < 0) throw new Error('unreachable');
  return (used.user + used.system) / 1000;
}

export async function benchStreamingMarkdown(): Promise<BenchFigure[]> {
  const { url, child } = await startSimulatorProcess();
  try {
    const client = await createApiClient({ apiKey: 'sk-ant-bench', baseURL: url, maxRetries: 0 });
    const perK: Record<number, { markdown: number; baseline: number; ratios: number[] }> = {};
    for (const size of SIZES) {
      const { deltas, outputTokens } = await deltasOf(client, size);
      renderCpuMs(deltas); // warm-up
      await baselineRun(client, size);
      const markdown: number[] = [];
      const baseline: number[] = [];
      const ratios: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        // Alternate which goes first, so drift in the machine's load cancels.
        const first = i % 2 === 0 ? renderCpuMs(deltas) : (await baselineRun(client, size)).cpuMs;
        const second = i % 2 === 0 ? (await baselineRun(client, size)).cpuMs : renderCpuMs(deltas);
        const [m, b] = i % 2 === 0 ? [first, second] : [second, first];
        markdown.push((m / outputTokens) * 1000);
        baseline.push((b / outputTokens) * 1000);
        ratios.push(m / b);
      }
      perK[size] = { markdown: median(markdown), baseline: median(baseline), ratios };
    }
    const round = (n: number): number => Math.round(n * 1000) / 1000;
    const figures: BenchFigure[] = [];
    for (const size of SIZES) {
      const f = perK[size] as { markdown: number; baseline: number; ratios: number[] };
      const ratio = median(f.ratios);
      figures.push(
        {
          name: `panel Markdown while streaming, CPU per 1,000 tokens at ${size.toLocaleString('en-US')} tokens`,
          value: round(f.markdown),
          unit: 'ms',
          detail: `bare SDK loop on the same stream: ${round(f.baseline)} ms per 1,000 tokens`,
        },
        {
          name: `panel Markdown / bare SDK loop, CPU at ${size.toLocaleString('en-US')} tokens`,
          value: round(ratio),
          unit: 'x',
          target: `<= ${TARGET_RATIO}`,
          ok: ratio <= TARGET_RATIO,
          detail: `median of ${RUNS} interleaved pairs (${f.ratios.map((r) => r.toFixed(2)).join(', ')})`,
        },
      );
    }
    const short = perK[SIZES[0]] as { markdown: number };
    const long = perK[SIZES[1]] as { markdown: number };
    const growth = long.markdown / short.markdown;
    figures.push({
      name: 'panel Markdown CPU per 1,000 tokens, 100,000 vs 10,000 tokens',
      value: round(growth),
      unit: 'x',
      target: `<= ${QUADRATIC_FLAG}`,
      ok: growth <= QUADRATIC_FLAG,
      detail: 'about 1 when the cost is linear; 10 if it were quadratic',
    });
    return figures;
  } finally {
    await stopSimulatorProcess(child);
  }
}

if (require.main === module) runAlone('markdownBench', benchStreamingMarkdown);
