import assert from 'node:assert/strict';
import { adviseCaching, describeBreakpoint, ownValuesSource } from '../../../src/core/caching/cacheAdvisor';
import { collectDefaults } from '../../../src/core/prompt/template';
import type { CacheLayout } from '../../../src/core/caching/cacheLayout';
import { validateForSend } from '../../../src/core/prompt/promptFile';
import { BUNDLED_PRICES, findPrice } from '../../../src/core/pricing/priceTable';

/** A stable text of about `tokens` estimated tokens (3.5 characters each, older tokenizer). */
const words = (tokens: number): string => 'policy '.repeat(Math.round((tokens * 3.5) / 7));

function layoutOf(prompt: Record<string, unknown>): CacheLayout {
  const text = JSON.stringify(prompt, null, 2);
  const parsed = validateForSend(text);
  assert.ok(parsed.cacheLayout, `a layout for ${text.slice(0, 200)}`);
  return parsed.cacheLayout;
}

const model = 'claude-sonnet-4-5'; // minimum 1,024 tokens, agreed by every source; older tokenizer (factor 1)
const price = findPrice(BUNDLED_PRICES, model);

describe('cache layout', () => {
  it('lists tools, system and message blocks in cache order with their ranges, breakpoints and variables', () => {
    const prompt = {
      variables: { ticket: { description: 'asked' } },
      request: {
        messages: [{ role: 'user', content: [{ type: 'text', text: 'Ticket: {{ticket}}' }] }],
        model,
        max_tokens: 10,
        system: [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral', ttl: '1h' } }],
        tools: [{ name: 'lookup', input_schema: { type: 'object' } }],
      },
    };
    const text = JSON.stringify(prompt, null, 2);
    const layout = validateForSend(text).cacheLayout;
    assert.ok(layout);
    const segments = layout.segments;
    assert.deepEqual([0, 1, 2].map((i) => segments.segment(i).label), ['tools[0]', 'system[0]', 'messages[0].content[0]']);
    assert.equal(segments.count, 3);
    const system = segments.segment(1);
    assert.ok(system.breakpoint);
    assert.equal(system.breakpoint.ttl, '1h');
    assert.equal(text.slice(system.breakpoint.offset, system.breakpoint.offset + system.breakpoint.length), '"cache_control": {\n          "type": "ephemeral",\n          "ttl": "1h"\n        }');
    assert.equal(text.slice(system.offset, system.offset + 1), '{');
    assert.deepEqual(segments.variables(2), ['ticket']);
    assert.deepEqual(segments.variables(1), []);
    assert.deepEqual(segments.segment(2).path, ['request', 'messages', 0, 'content', 0]);
    assert.equal(layout.model, model);
  });

  it('names string content and string system prompts, which must become blocks to carry a breakpoint', () => {
    const layout = layoutOf({ request: { model, max_tokens: 5, system: 'You are kind.', messages: [{ role: 'user', content: 'Hi' }] } });
    assert.deepEqual([0, 1].map((i) => [layout.segments.segment(i).label, layout.segments.kind(i)]), [['system', 'string'], ['messages[0]', 'string']]);
    assert.deepEqual(layout.segments.segment(1).path, ['request', 'messages', 0, 'content']);
  });
});

describe('cache advisor', () => {
  it('finds the stable prefix before the first asked variable and suggests a breakpoint on its last block, with the saving', () => {
    const layout = layoutOf({
      variables: { ticket: { description: 'asked at each run' }, tone: 'polite' },
      request: {
        model,
        max_tokens: 100,
        system: [
          { type: 'text', text: words(3000) },
          { type: 'text', text: 'Answer in a {{tone}} tone.' },
        ],
        messages: [{ role: 'user', content: 'Ticket: {{ticket}}' }],
      },
    });
    const advice = adviseCaching({ layout, ownValues: { tone: 'polite' }, price, rows: 200 });
    assert.equal(advice.stableCount, 2, 'the defaulted {{tone}} is stable; {{ticket}} is not');
    assert.equal(advice.firstVarying?.variable, 'ticket');
    const suggestion = advice.suggestion;
    assert.ok(suggestion, 'a suggestion');
    assert.equal(suggestion.segment.label, 'system[1]');
    assert.ok(suggestion.prefixTokens > 2900 && suggestion.prefixTokens < 3200, `about 3,000 tokens, got ${suggestion.prefixTokens}`);
    // Sonnet 4.5: $3 input, $3.75 5m write, $0.30 read per million.
    const saving = suggestion.saving;
    assert.ok(saving);
    assert.ok(Math.abs(saving.perRepeatUsd - (suggestion.prefixTokens * 2.7) / 1e6) < 1e-12);
    assert.ok(Math.abs(saving.writePremiumUsd - (suggestion.prefixTokens * 0.75) / 1e6) < 1e-12);
    assert.equal(saving.job?.rows, 200);
    assert.ok(Math.abs((saving.job?.usd ?? 0) - (199 * saving.perRepeatUsd - saving.writePremiumUsd)) < 1e-12);
    assert.match(suggestion.message, /system\[1\].*saves about \$0\.008\d per repeat run/);
    assert.deepEqual(advice.warnings, []);
  });

  it('counts parallel writes in a job: the first requests in flight all write (§8)', () => {
    const layout = layoutOf({ request: { model, max_tokens: 5, system: [{ type: 'text', text: words(2000) }], messages: [{ role: 'user', content: '{{row}}' }] } });
    const saving = adviseCaching({ layout, ownValues: {}, price, rows: 100, concurrency: 8 }).suggestion?.saving;
    assert.equal(saving?.job?.writes, 8);
    assert.ok(Math.abs((saving?.job?.usd ?? 0) - (92 * (saving?.perRepeatUsd ?? 0) - 8 * (saving?.writePremiumUsd ?? 0))) < 1e-12);
  });

  it('sizes a file variable by its value, not by its placeholder', () => {
    const layout = layoutOf({
      variables: { policy: { file: './policy.md' } },
      request: { model, max_tokens: 5, system: [{ type: 'text', text: 'Policy: {{policy}}' }], messages: [{ role: 'user', content: '{{q}}' }] },
    });
    assert.equal(adviseCaching({ layout, ownValues: { policy: 'short' } }).suggestion, undefined, 'a short policy is below the minimum');
    const long = adviseCaching({ layout, ownValues: { policy: words(5000) } });
    assert.ok((long.suggestion?.prefixTokens ?? 0) > 4900, 'the file value counts');
  });

  it('warns when a breakpoint sits on a prefix too short to cache', () => {
    const layout = layoutOf({
      request: { model, max_tokens: 5, system: [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }], messages: [{ role: 'user', content: '{{q}}' }] },
    });
    const advice = adviseCaching({ layout, ownValues: {} });
    assert.deepEqual(advice.warnings.map((w) => [w.code, w.severity]), [['cache-prefix-too-short', 'warning']]);
    assert.match(advice.warnings[0]?.message ?? '', /below claude-sonnet-4-5's minimum cacheable length of 1,024 tokens/);
    assert.equal(advice.suggestion, undefined);
  });

  it('says "may not be cached" between the lowest and highest minimum the sources give', () => {
    // Sonnet 4.6: 2,048 per the skill, 1,024 per a third party.
    const layout = layoutOf({
      request: { model: 'claude-sonnet-4-6', max_tokens: 5, system: [{ type: 'text', text: words(1500), cache_control: { type: 'ephemeral' } }], messages: [{ role: 'user', content: '{{q}}' }] },
    });
    const advice = adviseCaching({ layout, ownValues: {} });
    assert.deepEqual(advice.warnings.map((w) => [w.code, w.severity]), [['cache-prefix-too-short', 'info']]);
    assert.match(advice.warnings[0]?.message ?? '', /1,024 to 2,048 tokens/);
  });

  it('warns when a breakpoint follows a part that changes on every row, so it can never hit', () => {
    const layout = layoutOf({
      dataset: { path: './rows.csv', map: { ticket: 'body' } },
      variables: { ticket: 'placeholder default' },
      request: {
        model,
        max_tokens: 5,
        system: [{ type: 'text', text: words(3000) }],
        messages: [{ role: 'user', content: [{ type: 'text', text: 'Ticket: {{ticket}}', cache_control: { type: 'ephemeral' } }] }],
      },
    });
    // {{ticket}} has a default, but the dataset binds it to a column: it changes on every row.
    const advice = adviseCaching({ layout, ownValues: { ticket: 'placeholder default' }, price });
    assert.deepEqual(advice.warnings.map((w) => w.code), ['cache-breakpoint-never-hits']);
    assert.match(advice.warnings[0]?.message ?? '', /messages\[0\]\.content\[0\] holds \{\{ticket\}\}, which changes on every row/);
    assert.equal(advice.suggestion?.segment.label, 'system[0]', 'and the right place is offered');
    assert.match(describeBreakpoint(advice.breakpoints[0] as never, model), /Caches nothing across runs/);
  });

  it('treats a chunked file variable as changing on every chunk: no breakpoint advised after it, a warning on one that sits there', () => {
    // The file is the prompt's own value, but a chunked run sends a different piece of it each time.
    const chunked = {
      variables: { contract: { file: './contract.md', chunk: { targetTokens: 4000, overlapTokens: 100 } } },
      request: {
        model,
        max_tokens: 5,
        system: [{ type: 'text', text: words(3000) }],
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: '<part>{{contract}}</part>' },
              { type: 'text', text: 'List the obligations.', cache_control: { type: 'ephemeral' } },
            ],
          },
        ],
      },
    };
    const advice = adviseCaching({ layout: layoutOf(chunked), ownValues: { contract: words(20_000) }, price, rows: 40 });
    assert.equal(advice.stableCount, 1, 'only the system block is the same on every chunk');
    assert.equal(advice.firstVarying?.variable, 'contract');
    assert.deepEqual(advice.warnings.map((w) => w.code), ['cache-breakpoint-never-hits']);
    assert.match(advice.warnings[0]?.message ?? '', /messages\[0\]\.content\[0\] holds \{\{contract\}\}, which changes on every chunk/);
    assert.equal(advice.breakpoints[0]?.neverHits, true);
    assert.equal(advice.suggestion?.segment.label, 'system[0]', 'the breakpoint belongs before the chunk');
    assert.ok((advice.suggestion?.prefixTokens ?? 0) < 3200, 'the chunked file is not counted in the stable prefix');

    // Without the breakpoint, the advisor never offers one on or after the chunk.
    const { request } = chunked;
    const plain = { ...chunked, request: { ...request, messages: [{ role: 'user', content: [{ type: 'text', text: '<part>{{contract}}</part>' }, { type: 'text', text: 'List the obligations.' }] }] } };
    const offered = adviseCaching({ layout: layoutOf(plain), ownValues: { contract: words(20_000) }, price });
    assert.equal(offered.suggestion?.segment.label, 'system[0]');
    assert.deepEqual(offered.warnings, []);
  });

  it('never reads a chunked file for its own values, so a file above the size limit leaves the other defaults known', () => {
    const layout = layoutOf({
      variables: { contract: { file: './huge-contract.md', chunk: {} }, tone: 'formal', policy: { file: './policy.md' } },
      request: { model, max_tokens: 5, system: [{ type: 'text', text: '{{policy}} in a {{tone}} tone' }], messages: [{ role: 'user', content: '{{contract}}' }] },
    });
    const read: string[] = [];
    const ownValues = collectDefaults(ownValuesSource(layout) as never, (path) => {
      read.push(path);
      if (path.includes('huge')) throw new Error('above promptWorkbench.maxReferencedFileMB');
      return words(3000);
    });
    assert.deepEqual(read, ['./policy.md']);
    assert.deepEqual(Object.keys(ownValues).sort(), ['policy', 'tone']);
    const advice = adviseCaching({ layout, ownValues, price });
    assert.equal(advice.stableCount, 1, 'the policy and the tone stay stable');
    assert.equal(advice.suggestion?.segment.label, 'system[0]');
  });

  it('treats a chunked variable bound to a dataset column as changing, even with a default', () => {
    const layout = layoutOf({
      dataset: { path: './contracts.jsonl' },
      variables: { body: { default: 'sample text', chunk: {} } },
      request: {
        model,
        max_tokens: 5,
        system: [{ type: 'text', text: words(3000) }, { type: 'text', text: 'Text: {{body}}', cache_control: { type: 'ephemeral' } }],
        messages: [{ role: 'user', content: 'Go.' }],
      },
    });
    const advice = adviseCaching({ layout, ownValues: { body: 'sample text' }, price });
    assert.equal(advice.stableCount, 1);
    assert.deepEqual(advice.warnings.map((w) => w.code), ['cache-breakpoint-never-hits']);
    assert.match(advice.warnings[0]?.message ?? '', /\{\{body\}\}, which changes on every chunk/);
    assert.equal(advice.suggestion?.segment.label, 'system[0]');
  });

  it('warns about automatic caching whose last block changes every run', () => {
    const layout = layoutOf({
      request: { model, max_tokens: 5, cache_control: { type: 'ephemeral' }, system: [{ type: 'text', text: words(3000) }], messages: [{ role: 'user', content: '{{q}}' }] },
    });
    const advice = adviseCaching({ layout, ownValues: {} });
    assert.deepEqual(advice.warnings.map((w) => w.code), ['cache-breakpoint-never-hits']);
    assert.match(advice.warnings[0]?.message ?? '', /Automatic caching/);
    assert.equal(advice.suggestion?.segment.label, 'system[0]');
  });

  it('offers nothing when a breakpoint already ends the stable prefix, and prices it for the hover', () => {
    const layout = layoutOf({
      request: { model, max_tokens: 5, system: [{ type: 'text', text: words(3000), cache_control: { type: 'ephemeral' } }], messages: [{ role: 'user', content: '{{q}}' }] },
    });
    const advice = adviseCaching({ layout, ownValues: {}, price });
    assert.equal(advice.suggestion, undefined);
    assert.deepEqual(advice.warnings, []);
    assert.match(describeBreakpoint(advice.breakpoints[0] as never, model), /^Caches about 3,0\d\d tokens \(system\[0\] and everything before it\): saves about \$0\.008/);
  });

  it('respects the limit of 4 breakpoints', () => {
    const block = (text: string) => ({ type: 'text', text, cache_control: { type: 'ephemeral' } });
    const layout = layoutOf({
      request: {
        model,
        max_tokens: 5,
        system: [block(words(1100)), block(words(100)), block(words(100)), block(words(100)), { type: 'text', text: words(2000) }],
        messages: [{ role: 'user', content: '{{q}}' }],
      },
    });
    assert.equal(adviseCaching({ layout, ownValues: {} }).suggestion, undefined, 'a fifth breakpoint is never offered');
  });

  it('treats a variable model as changing everything', () => {
    const layout = layoutOf({ request: { model: '{{m}}', max_tokens: 5, system: [{ type: 'text', text: words(3000), cache_control: { type: 'ephemeral' } }], messages: [{ role: 'user', content: 'Hi' }] } });
    const advice = adviseCaching({ layout, ownValues: {} });
    assert.equal(advice.stableCount, 0);
    assert.match(advice.warnings[0]?.message ?? '', /the model is \{\{m\}\}/);
  });

  it('uses the newer tokenizer factor and the fast-mode multiplier of the model', () => {
    const layout = layoutOf({ request: { model: 'claude-opus-5', speed: 'fast', max_tokens: 5, system: [{ type: 'text', text: words(2000) }], messages: [{ role: 'user', content: '{{q}}' }] } });
    const advice = adviseCaching({ layout, ownValues: {}, price: findPrice(BUNDLED_PRICES, 'claude-opus-5') });
    const tokens = advice.suggestion?.prefixTokens ?? 0;
    assert.ok(tokens > 2400 && tokens < 2600, `2,000 x 1.25, got ${tokens}`);
    // Opus 5: $5 input, $0.50 read; fast mode x2.
    assert.ok(Math.abs((advice.suggestion?.saving?.perRepeatUsd ?? 0) - (tokens * 4.5 * 2) / 1e6) < 1e-12);
  });
});
