// The cache advisor on a 5 MB prompt (issue 17: finding the cacheable prefix must take under
// 20 ms). The advisor reads the positional tree and the placeholders the live check has already
// produced (validateForSend computes the layout before it releases the tree), so one sample is
// what it adds per edit: cacheLayoutOf on that tree, then adviseCaching. The baseline, measured in
// the same run, is JSON.parse of the same text (what a "parse it again" advisor would start with).
//
// Two shapes: a long document in one system block (few blocks, one huge string) and a long
// conversation of small messages (tens of thousands of blocks, the layout's worst case).
//
// Run alone: node out/bench/cacheAdvisorBench.js
import { adviseCaching } from '../src/core/caching/cacheAdvisor';
import { cacheLayoutOf } from '../src/core/caching/cacheLayout';
import { DiagnosticSink, PromptChecker } from '../src/core/prompt/promptChecks';
import { parseJsonTree } from '../src/core/prompt/promptJsonTree';
import { BUNDLED_PRICES, findPrice } from '../src/core/pricing/priceTable';
import { runAlone, timedMedian, type BenchFigure } from './benchResult';
import { conversationPrompt, longDocumentPrompt, MB } from './fixtures/largePrompts';

const TARGET_MS = 20;
const SAMPLES = 21;
const WARMUP = 10;
export async function benchCacheAdvisor(): Promise<BenchFigure[]> {
  const figures: BenchFigure[] = [];
  const price = findPrice(BUNDLED_PRICES, 'claude-sonnet-5-5');
  const shapes: [string, () => string, Record<string, string>][] = [
    ['5 MB long document', () => longDocumentPrompt(5 * MB, { question: { description: 'asked at each run' }, cacheHandbook: false }), { team: 'Finance' }],
    ['5 MB conversation', () => conversationPrompt(5 * MB, '{{question}}'), { topic: 'tides' }],
  ];
  for (const [name, build, ownValues] of shapes) {
    const text = build();
    const parsed = parseJsonTree(text);
    if (!parsed.tree) throw new Error(`benchmark prompt does not parse: ${parsed.error.message}`);
    const tree = parsed.tree;
    const checker = new PromptChecker(tree, {}, new DiagnosticSink(500));
    checker.check();
    const placeholders = checker.placeholders;
    let stable = 0;
    let blocks = 0;
    const { medianMs: advisorMs, cpuMs } = timedMedian(SAMPLES, WARMUP, () => {
      const layout = cacheLayoutOf(tree, placeholders);
      if (!layout) throw new Error('no layout');
      const advice = adviseCaching({ layout, ownValues, price, rows: 1000 });
      if (!advice.suggestion) throw new Error(`no suggestion for ${name}`);
      stable = advice.suggestion.prefixTokens;
      blocks = layout.segments.count;
    });
    tree.release();
    const baselineMs = timedMedian(5, WARMUP, () => JSON.parse(text)).medianMs;
    figures.push({
      name: `cacheable prefix of a ${name}`,
      value: advisorMs,
      unit: 'ms',
      target: `< ${TARGET_MS}`,
      ok: advisorMs < TARGET_MS,
      detail: `${(text.length / MB).toFixed(2)} MB, ${blocks.toLocaleString('en-US')} blocks, stable prefix ~${stable.toLocaleString('en-US')} tokens; layout + advice on the live check's tree, median of ${SAMPLES} (median CPU time ${cpuMs.toFixed(1)} ms); baseline JSON.parse of the same text ${baselineMs.toFixed(1)} ms (ratio ${(advisorMs / baselineMs).toFixed(3)})`,
    });
  }
  return figures;
}

if (require.main === module) runAlone('cacheAdvisorBench', benchCacheAdvisor);
