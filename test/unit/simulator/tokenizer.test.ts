import assert from 'node:assert/strict';
import { countRequestTokens, countTextTokens, tokenizerFor } from '../../simulator/tokenizer';
import { MODEL, useSimulator } from './simulatorFixture';

const ENGLISH =
  'The committee met on Tuesday to review the quarterly budget. After a long discussion about travel costs, ' +
  'they agreed to postpone the decision until the auditors had finished their report on the previous year.';

describe('simulator: tokenizer', () => {
  it('gives roughly four characters per token for English prose', () => {
    for (const model of ['claude-sonnet-5-5', 'claude-haiku-4-5']) {
      const ratio = ENGLISH.length / countTextTokens(ENGLISH, model);
      assert.ok(ratio > 3 && ratio < 5.5, `${model}: ${ratio.toFixed(2)} chars/token`);
    }
  });

  it('counts the same text differently for models with different tokenizers', () => {
    assert.notEqual(countTextTokens(ENGLISH, 'claude-haiku-4-5'), countTextTokens(ENGLISH, 'claude-sonnet-5-5'));
    assert.ok(countTextTokens(ENGLISH, 'claude-opus-4-7') > countTextTokens(ENGLISH, 'claude-opus-4-6'), 'the 4.7 tokenizer uses more tokens');
    assert.equal(tokenizerFor('claude-haiku-4-5-20251001'), tokenizerFor('claude-haiku-4-5'));
    const lines = 'one\ntwo\nthree\nfour';
    assert.notEqual(countTextTokens(lines, 'claude-sonnet-4-6') , countTextTokens(lines, 'claude-sonnet-5-5'));
  });

  it('is deterministic and additive across word boundaries', () => {
    const a = 'Numbers like 123456 and symbols {"a": [1, 2]}';
    const b = ' carry on, with ünïcode and 漢字 too.';
    assert.equal(countTextTokens(a, MODEL), countTextTokens(a, MODEL));
    assert.equal(countTextTokens(a + b, MODEL), countTextTokens(a, MODEL) + countTextTokens(b, MODEL));
    assert.equal(countTextTokens('', MODEL), 0);
  });
});

describe('simulator: count_tokens', () => {
  const fx = useSimulator();
  const tools = [{ name: 'get_time', description: 'Current time', input_schema: { type: 'object' as const, properties: { zone: { type: 'string' } } } }];

  it('returns the simulator tokenizer count, equal to usage.input_tokens of the same request', async () => {
    const input = {
      model: MODEL,
      system: [{ type: 'text' as const, text: 'You answer in French.' }],
      tools,
      tool_choice: { type: 'auto' as const },
      messages: [
        { role: 'user' as const, content: 'Quelle heure est-il ?' },
        { role: 'assistant' as const, content: 'Je vais vérifier.' },
        { role: 'user' as const, content: [{ type: 'text' as const, text: 'Merci.' }] },
      ],
    };
    const counted = await fx.client.messages.countTokens(input);
    assert.deepEqual(Object.keys(counted), ['input_tokens']);
    assert.equal(counted.input_tokens, countRequestTokens(input, MODEL));
    const created = await fx.client.messages.create({ ...input, max_tokens: 100 });
    assert.equal(created.usage.input_tokens, counted.input_tokens);
  });

  it('charges for tools and a tool_choice that forces one', async () => {
    const messages = [{ role: 'user' as const, content: 'What time is it?' }];
    const bare = await fx.client.messages.countTokens({ model: MODEL, messages });
    const withTools = await fx.client.messages.countTokens({ model: MODEL, messages, tools });
    const forced = await fx.client.messages.countTokens({ model: MODEL, messages, tools, tool_choice: { type: 'any' } });
    assert.ok(withTools.input_tokens > bare.input_tokens + 300);
    assert.notEqual(forced.input_tokens, withTools.input_tokens);
  });

  it('depends on the model', async () => {
    const messages = [{ role: 'user' as const, content: 'An ordinary sentence about accountability and infrastructure.' }];
    const older = await fx.client.messages.countTokens({ model: 'claude-haiku-4-5', messages });
    const newer = await fx.client.messages.countTokens({ model: 'claude-haiku-5-5', messages });
    assert.ok(newer.input_tokens > older.input_tokens);
  });

  it('ignores fields count_tokens does not take, such as max_tokens', async () => {
    const messages = [{ role: 'user' as const, content: 'Hello' }];
    const plain = await fx.client.messages.countTokens({ model: MODEL, messages });
    const extra = await fx.client.messages.countTokens({ model: MODEL, messages, ...({ max_tokens: 10, stop_sequences: ['x'] } as object) });
    assert.equal(extra.input_tokens, plain.input_tokens);
  });
});
