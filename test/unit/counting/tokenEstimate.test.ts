import * as assert from 'node:assert/strict';
import {
  NEWER_TOKENIZER_FACTOR,
  cacheBreakpoints,
  countTokensParams,
  estimateInput,
  estimateInputTokens,
  inputRelevantKey,
  textTokens,
  type CountableRequest,
} from '../../../src/core/counting/tokenEstimate';

const base: CountableRequest = {
  model: 'claude-sonnet-5-5',
  max_tokens: 1_024,
  system: 'You are a careful assistant.',
  messages: [{ role: 'user', content: 'Summarise the attached notes in three bullet points.' }],
};

const withUserText = (text: string): CountableRequest => ({ ...base, messages: [{ role: 'user', content: text }] });

describe('tokenEstimate: the offline estimate', () => {
  it('grows with the text (monotonic)', () => {
    const lengths = [0, 1, 10, 100, 1_000, 10_000, 100_000];
    const estimates = lengths.map((n) => estimateInputTokens(withUserText('word '.repeat(n))));
    for (let i = 1; i < estimates.length; i++) {
      assert.ok((estimates[i] as number) > (estimates[i - 1] as number), `${lengths[i]} words: ${estimates.join(', ')}`);
    }
  });

  const growers: [string, CountableRequest][] = [
    ['another message', { ...base, messages: [...base.messages, { role: 'assistant', content: 'Sure.' }, { role: 'user', content: 'Go on.' }] }],
    ['a tool definition', { ...base, tools: [{ name: 'lookup', description: 'Find a record', input_schema: { type: 'object', properties: { id: { type: 'string' } } } }] }],
    ['an image', { ...base, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } }, { type: 'text', text: 'What is this?' }] }] }],
    ['a longer system prompt', { ...base, system: `${base.system as string} Always cite your sources.` }],
    ['a structured output schema', { ...base, output_config: { format: { type: 'json_schema', schema: { type: 'object', properties: { title: { type: 'string' } } } } } }],
  ];
  for (const [what, request] of growers) {
    it(`grows with ${what}`, () => assert.ok(estimateInputTokens(request) > estimateInputTokens(base)));
  }

  it('ignores max_tokens, metadata and stop_sequences', () => {
    const variant: CountableRequest = { ...base, max_tokens: 64_000, metadata: { user_id: 'u-1' }, stop_sequences: ['END'] };
    assert.equal(estimateInputTokens(variant), estimateInputTokens(base));
  });

  it('is about 3.5 characters per token for English on the older tokenizer, more on the newer one', () => {
    const text = 'The quick brown fox jumps over the lazy dog. '.repeat(2_000); // 90,000 characters
    const older = estimateInputTokens({ ...withUserText(text), model: 'claude-sonnet-4-5' });
    assert.ok(Math.abs(older - 90_000 / 3.5) < 50, `older tokenizer: ${older}`);
    const newer = estimateInputTokens({ ...withUserText(text), model: 'claude-sonnet-5-5' });
    assert.ok(Math.abs(newer / older - NEWER_TOKENIZER_FACTOR) < 0.01, `newer/older = ${newer / older}`);
  });

  it('weighs CJK text denser than the same number of ASCII characters', () => {
    assert.ok(textTokens('日本語のテキストです。'.repeat(100)) > 2 * textTokens('abcdefghijk'.repeat(100)));
  });

  it('skips thinking from earlier assistant turns but counts the current turn', () => {
    const thinking = 'Let me reason about this at length. '.repeat(200);
    const earlier: CountableRequest = {
      ...base,
      messages: [
        { role: 'user', content: 'First question' },
        { role: 'assistant', content: [{ type: 'thinking', thinking, signature: 'sig' }, { type: 'text', text: 'Answer' }] },
        { role: 'user', content: 'Second question' },
      ],
    };
    const noThinking: CountableRequest = {
      ...earlier,
      messages: [earlier.messages[0]!, { role: 'assistant', content: [{ type: 'thinking', thinking: '', signature: 'sig' }, { type: 'text', text: 'Answer' }] }, earlier.messages[2]!],
    };
    assert.equal(estimateInputTokens(earlier), estimateInputTokens(noThinking));
    const current: CountableRequest = {
      ...base,
      messages: [
        { role: 'user', content: 'Question' },
        { role: 'assistant', content: [{ type: 'thinking', thinking, signature: 'sig' }, { type: 'tool_use', id: 't1', name: 'lookup', input: { id: 'x' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'found' }] },
      ],
    };
    const currentEmpty: CountableRequest = {
      ...current,
      messages: [current.messages[0]!, { role: 'assistant', content: [{ type: 'thinking', thinking: '', signature: 'sig' }, { type: 'tool_use', id: 't1', name: 'lookup', input: { id: 'x' } }] }, current.messages[2]!],
    };
    assert.ok(estimateInputTokens(current) > estimateInputTokens(currentEmpty) + 1_000);
  });

  it('splits the estimate into the prefix sections', () => {
    const { tokens, sections } = estimateInput({ ...base, tools: [{ name: 'lookup', input_schema: { type: 'object' } }] });
    assert.ok(sections.tools > 300, 'tools include the tool-use system prompt');
    assert.ok(sections.system > 0 && sections.messages > 0);
    assert.ok(Math.abs(sections.tools + sections.system + sections.messages - tokens) <= 2);
  });
});

describe('tokenEstimate: inputRelevantKey and countTokensParams', () => {
  const key = inputRelevantKey(base);

  const changes: [string, CountableRequest][] = [
    ['the model', { ...base, model: 'claude-haiku-5-5' }],
    ['the system prompt', { ...base, system: 'You are terse.' }],
    ['a message', withUserText('Summarise the attached notes in two bullet points.')],
    ['the tools', { ...base, tools: [{ name: 'lookup', input_schema: { type: 'object' } }] }],
    ['thinking', { ...base, thinking: { type: 'adaptive' } }],
    ['speed', { ...base, speed: 'fast' }],
    ['top-level cache_control', { ...base, cache_control: { type: 'ephemeral' } }],
  ];
  for (const [what, request] of changes) {
    it(`changes with ${what}`, () => assert.notEqual(inputRelevantKey(request), key));
  }

  const sameInput: [string, CountableRequest][] = [
    ['max_tokens', { ...base, max_tokens: 8_192 }],
    ['metadata', { ...base, metadata: { user_id: 'u-2' } }],
    ['stop_sequences', { ...base, stop_sequences: ['###'] }],
    ['stream and service_tier', { ...base, stream: true, service_tier: 'standard_only' }],
    ['key order', { messages: base.messages, system: base.system, max_tokens: 1_024, model: base.model }],
    ['an explicit null cache_control', { ...base, cache_control: null }],
  ];
  for (const [what, request] of sameInput) {
    it(`does not change with ${what}`, () => assert.equal(inputRelevantKey(request), key));
  }

  it('is a sha256 hex digest', () => assert.match(key, /^[0-9a-f]{64}$/));

  it('changes with the betas, not with their order or repeats, and no betas is the key without them', () => {
    const withBeta = inputRelevantKey(base, ['task-budgets-2026-03-13']);
    assert.notEqual(withBeta, key);
    assert.notEqual(inputRelevantKey(base, ['task-budgets-2026-03-13', 'context-1m-2025-08-07']), withBeta);
    assert.equal(inputRelevantKey(base, ['context-1m-2025-08-07', 'task-budgets-2026-03-13']), inputRelevantKey(base, ['task-budgets-2026-03-13', 'context-1m-2025-08-07', 'task-budgets-2026-03-13']));
    assert.equal(inputRelevantKey(base, []), key);
  });

  it('changes with one character of a long message (hashed in place, not through the small-piece buffer)', () => {
    const long = 'a'.repeat(500_000);
    const edited = `${long.slice(0, 250_000)}b${long.slice(250_001)}`;
    assert.notEqual(inputRelevantKey(withUserText(long)), inputRelevantKey(withUserText(edited)));
    assert.equal(inputRelevantKey(withUserText(long)), inputRelevantKey(withUserText('a'.repeat(500_000))));
  });

  it('does not confuse where one string ends and the next begins', () => {
    const split = (a: string, b: string): CountableRequest => ({ ...base, messages: [{ role: 'user', content: [{ type: 'text', text: a }, { type: 'text', text: b }] }] });
    assert.notEqual(inputRelevantKey(split('ab', 'c')), inputRelevantKey(split('a', 'bc')));
  });

  it('does not change with the key order of nested objects', () => {
    const tool = (schema: Record<string, unknown>): CountableRequest => ({ ...base, tools: [{ name: 'lookup', input_schema: { type: 'object', ...schema } }] });
    assert.equal(inputRelevantKey(tool({ properties: { a: { type: 'string' } }, required: ['a'] })), inputRelevantKey(tool({ required: ['a'], properties: { a: { type: 'string' } } })));
  });

  it('countTokensParams keeps only what count_tokens takes', () => {
    const request: CountableRequest = {
      ...base,
      metadata: { user_id: 'u' },
      stop_sequences: ['x'],
      stream: false,
      thinking: { type: 'adaptive' },
      tool_choice: { type: 'auto' },
      tools: [{ name: 'lookup', input_schema: { type: 'object' } }],
      output_config: { effort: 'low' },
      speed: null,
    };
    assert.deepEqual(countTokensParams(request), {
      model: base.model,
      messages: base.messages,
      system: base.system,
      thinking: { type: 'adaptive' },
      tool_choice: { type: 'auto' },
      tools: [{ name: 'lookup', input_schema: { type: 'object' } }],
      output_config: { effort: 'low' },
    });
  });
});

describe('tokenEstimate: cacheBreakpoints', () => {
  const longText = 'Reference material paragraph. '.repeat(500);

  it('finds no breakpoints in a request without cache_control', () => {
    const plan = cacheBreakpoints(base);
    assert.deepEqual(plan.breakpoints, []);
    assert.equal(plan.readShare, 0);
  });

  it('lists markers in prefix order (tools, system, messages) with growing shares and per-TTL spans', () => {
    const request: CountableRequest = {
      ...base,
      tools: [{ name: 'lookup', input_schema: { type: 'object' }, cache_control: { type: 'ephemeral', ttl: '1h' } }],
      system: [{ type: 'text', text: longText, cache_control: { type: 'ephemeral', ttl: '1h' } }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: longText, cache_control: { type: 'ephemeral' } }, { type: 'text', text: 'And the question?' }] },
      ],
    };
    const plan = cacheBreakpoints(request);
    assert.deepEqual(
      plan.breakpoints.map((b) => `${b.path}:${b.ttl}`),
      ['tools[0]:1h', 'system[0]:1h', 'messages[0].content[0]:5m'],
    );
    const shares = plan.breakpoints.map((b) => b.prefixShare);
    assert.ok((shares[0] as number) < (shares[1] as number) && (shares[1] as number) < (shares[2] as number) && (shares[2] as number) < 1, shares.join());
    // The system block and the message block are the same size, so each TTL holds about half.
    assert.ok(Math.abs(plan.write1hShare - plan.write5mShare) < 0.05, `${plan.write1hShare} vs ${plan.write5mShare}`);
    assert.equal(plan.readShare, shares[2]);
    assert.ok(Math.abs(plan.write1hShare + plan.write5mShare - plan.readShare) < 1e-12);
    assert.equal(plan.tooManyBreakpoints, false);
  });

  it('treats top-level cache_control as a breakpoint at the end of the prompt', () => {
    const plan = cacheBreakpoints({ ...withUserText(longText), cache_control: { type: 'ephemeral', ttl: '1h' } });
    assert.equal(plan.breakpoints.length, 1);
    assert.equal(plan.readShare, 1);
    assert.equal(plan.write1hShare, 1);
  });

  it('flags more than four breakpoints', () => {
    const block = { type: 'text' as const, text: 'x', cache_control: { type: 'ephemeral' as const } };
    const plan = cacheBreakpoints({ ...base, messages: [{ role: 'user', content: [block, block, block, block, block] }] });
    assert.equal(plan.breakpoints.length, 5);
    assert.equal(plan.tooManyBreakpoints, true);
  });
});
