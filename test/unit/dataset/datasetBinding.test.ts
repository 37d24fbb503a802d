import assert from 'node:assert/strict';
import { bindColumns, bindRow, promptVariables } from '../../../src/core/dataset/datasetBinding';
import { parsePromptFile } from '../../../src/core/prompt/promptFile';

const prompt = {
  request: {
    model: 'claude-haiku-5-5',
    max_tokens: 100,
    system: 'Tier {{tier}}',
    messages: [{ role: 'user' as const, content: 'Ticket: {{ticket}} ({{ ticket }})' }],
  },
};

describe('dataset binding', () => {
  it('lists the prompt variables once each, in order of first use', () => {
    assert.deepEqual(promptVariables(prompt), ['tier', 'ticket']);
  });

  it('binds by name, through the map, or falls back to the prompt value; a variable with neither is a plan error', () => {
    const byName = bindColumns(['tier', 'ticket'], ['ticket', 'tier'], {}, {});
    assert.deepEqual([...byName.binding.columns], [['tier', 'tier'], ['ticket', 'ticket']]);
    assert.deepEqual(byName.errors, []);

    const mapped = bindColumns(['tier', 'ticket'], ['body'], { map: { ticket: 'body' } }, { tier: 'pro' });
    assert.deepEqual([...mapped.binding.columns], [['ticket', 'body']]);
    assert.deepEqual(mapped.binding.fromPrompt, ['tier']);
    assert.deepEqual(mapped.errors, []);

    const missing = bindColumns(['tier', 'ticket'], ['body'], { map: { ticket: 'text', unused: 'body' }, keyColumn: 'id' }, {});
    assert.deepEqual(missing.errors, [
      'No column for {{tier}}: add a column named "tier" or map it to one (the dataset\'s columns are "body").',
      'The map binds {{ticket}} to the column "text", which the dataset does not have (the dataset\'s columns are "body").',
      'The key column "id" is not in the dataset (the dataset\'s columns are "body").',
    ]);
    assert.deepEqual(missing.warnings, ['The map binds {{unused}}, which the prompt does not use.']);
  });

  it('builds each row\'s request single-pass, keyed by the key column, and skips a row missing a bound value', () => {
    const { binding } = bindColumns(['tier', 'ticket'], ['id', 'body'], { map: { ticket: 'body' }, keyColumn: 'id' }, { tier: 'pro' });
    const bound = bindRow(prompt, { index: 4, line: 6, values: { id: 'T-9', body: 'help {{tier}}' } }, binding, { tier: 'pro' });
    assert.equal(bound.kind, 'runnable');
    assert.equal(bound.key, 'T-9');
    assert.deepEqual(bound.kind === 'runnable' && bound.request.messages, [{ role: 'user', content: 'Ticket: help {{tier}} (help {{tier}})' }]);
    assert.equal(bound.kind === 'runnable' && bound.request.system, 'Tier pro');

    const byIndex = bindRow(prompt, { index: 5, line: 7, values: { body: 'x' } }, { ...binding, keyColumn: undefined }, { tier: 'pro' });
    assert.deepEqual(byIndex, { kind: 'runnable', key: '5', request: { ...prompt.request, system: 'Tier pro', messages: [{ role: 'user', content: 'Ticket: x (x)' }] } });
    const noBody = bindRow(prompt, { index: 6, line: 8, values: { id: 'T-1' } }, binding, { tier: 'pro' });
    assert.deepEqual(noBody, { kind: 'skipped', key: 'T-1', reason: 'no value in "body" (for {{ticket}})' });
  });
});

describe('a prompt\'s dataset key', () => {
  const check = (dataset: unknown): string[] =>
    parsePromptFile(JSON.stringify({ variables: { ticket: {} }, dataset, request: { model: 'claude-haiku-5-5', max_tokens: 10, messages: [{ role: 'user', content: '{{ticket}}' }] } }))
      .diagnostics.map((d) => `${d.severity}:${d.code}`);

  it('takes a relative path, a map, a key column and a one-character delimiter', () => {
    assert.deepEqual(check({ path: './data/t.csv', map: { ticket: 'body' }, keyColumn: 'id', delimiter: ';' }), []);
  });

  it('refuses an absolute path, a missing path, a long delimiter and a map to a non-string; warns on unknown keys', () => {
    assert.deepEqual(check({ path: '/etc/passwd' }), ['error:absolute-path']);
    assert.deepEqual(check({ map: {} }), ['error:missing-field']);
    assert.deepEqual(check({ path: 'a.csv', delimiter: ';;' }), ['error:invalid-value']);
    assert.deepEqual(check({ path: 'a.csv', map: { ticket: 3 } }), ['error:wrong-type']);
    assert.deepEqual(check({ path: 'a.csv', sheet: 1 }), ['warning:unknown-key']);
  });
});
