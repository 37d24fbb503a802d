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

const TARGET_MS = 20;
const SAMPLES = 21;
const WARMUP = 10;
const MB = 1024 * 1024;

const PARAGRAPH =
  'Section 4.2 — "Expenses" must be submitted within 60 days with an itemised receipt; items above 250 EUR need approval first.\n' +
  'Hotels are reimbursed up to 180 EUR per night (260 EUR in London, New York, Zürich and Tokyo). Travel time is compensated.\n\n';

function longDocumentPrompt(size: number): string {
  const document = PARAGRAPH.repeat(Math.ceil(size / (PARAGRAPH.length + 8)));
  return JSON.stringify(
    {
      name: 'Long document',
      variables: { question: { description: 'asked at each run' }, team: 'Finance' },
      request: {
        model: 'claude-sonnet-5-5',
        max_tokens: 2048,
        system: [
          { type: 'text', text: 'You answer questions for the {{team}} team about the handbook below.' },
          { type: 'text', text: `<handbook>\n${document}</handbook>` },
        ],
        messages: [{ role: 'user', content: '{{question}}' }],
      },
    },
    null,
    2,
  );
}

function conversationPrompt(size: number): string {
  const build = (count: number): string => {
    const messages: unknown[] = [];
    for (let i = 0; i < count; i++) {
      messages.push(
        i % 2 === 0
          ? { role: 'user', content: [{ type: 'text', text: `Question ${i} about {{topic}}: how does the "${i % 7}" case differ?` }] }
          : { role: 'assistant', content: [{ type: 'text', text: `Answer ${i}: it differs in two ways, described in section ${i % 13}.` }] },
      );
    }
    messages.push({ role: 'user', content: '{{question}}' });
    return JSON.stringify({ name: 'Long conversation', variables: { topic: 'tides' }, request: { model: 'claude-sonnet-5-5', max_tokens: 4096, messages } }, null, 2);
  };
  const perMessage = build(1000).length / 1000;
  return build(Math.floor(size / perMessage));
}

export async function benchCacheAdvisor(): Promise<BenchFigure[]> {
  const figures: BenchFigure[] = [];
  const price = findPrice(BUNDLED_PRICES, 'claude-sonnet-5-5');
  const shapes: [string, () => string, Record<string, string>][] = [
    ['5 MB long document', () => longDocumentPrompt(5 * MB), { team: 'Finance' }],
    ['5 MB conversation', () => conversationPrompt(5 * MB), { topic: 'tides' }],
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
