// One chunking of a document in a process of its own, so its peak RSS is its own: `chunk` sizes
// the chunks with count_tokens against the simulator at the given URL (the chunker as shipped);
// `plain` packs the same paragraphs greedily by the offline estimate alone, never counting (the
// baseline: a plain split at the same boundaries). Prints one JSON line of figures.
import { readFileSync } from 'node:fs';
import Anthropic from '@anthropic-ai/sdk';
import type { MessageCountTokensParams } from '@anthropic-ai/sdk/resources/messages';
import { splitIntoChunks } from '../src/core/chunking/chunker';
import { countOverhead, PacedCounting, requestChunkCounter } from '../src/core/chunking/chunkCounting';
import { textTokens, tokenizerFactor } from '../src/core/counting/tokenEstimate';

export const BENCH_MODEL = 'claude-sonnet-5-5';

async function main(): Promise<void> {
  const [mode, path, targetText, url] = process.argv.slice(2);
  const target = Number(targetText);
  const started = performance.now();
  const text = readFileSync(path!, 'utf8');
  let figures: Record<string, unknown>;
  if (mode === 'plain') {
    const factor = tokenizerFactor(BENCH_MODEL);
    const paragraphs = text.split(/(?<=\n\n)/);
    const chunks: number[] = [];
    let current = 0;
    for (const paragraph of paragraphs) {
      const tokens = textTokens(paragraph) * factor;
      if (current > 0 && current + tokens > target) {
        chunks.push(current);
        current = 0;
      }
      current += tokens;
    }
    if (current > 0) chunks.push(current);
    figures = { chunks: chunks.length };
  } else {
    const client = new Anthropic({ apiKey: 'sk-ant-bench', baseURL: url!, maxRetries: 0 });
    const paramsFor = (chunk: string): MessageCountTokensParams => ({ model: BENCH_MODEL, messages: [{ role: 'user', content: `Summarize this part of the document:\n\n${chunk}` }] });
    const counting = new PacedCounting(async (params, signal) => {
      const { data, response } = await client.messages.countTokens(params, { maxRetries: 0, ...(signal ? { signal } : {}) }).withResponse();
      return { inputTokens: data.input_tokens, headers: response.headers };
    });
    const overhead = await countOverhead(counting, paramsFor);
    const result = await splitIntoChunks(text, { targetTokens: target, overlapTokens: 200, boundary: 'paragraph', counter: requestChunkCounter({ model: BENCH_MODEL, paramsFor, overheadTokens: overhead, counting }) });
    const inner = result.chunks.slice(0, -1);
    const deviations = inner.map((chunk) => Math.abs(chunk.tokens - target) / target);
    figures = {
      chunks: result.chunks.length,
      countCalls: result.countCalls,
      requests: counting.tally.requests,
      within: inner.filter((chunk) => chunk.withinTarget).length,
      inner: inner.length,
      maxDeviation: Math.max(0, ...deviations),
    };
  }
  const ms = performance.now() - started;
  process.stdout.write(`${JSON.stringify({ ...figures, ms, peakRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
