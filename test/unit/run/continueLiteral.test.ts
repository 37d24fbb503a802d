// Continue writes the model's reply back into the prompt file, which is a template. A "{{name}}"
// the model wrote must stay literal text on the next run, never become a placeholder (issue 11).
import assert from 'node:assert/strict';
import type { Message } from '@anthropic-ai/sdk/resources/messages/messages';
import { parsePromptFile, validateForSend } from '../../../src/core/prompt/promptFile';
import { escapeTemplateText, escapeTemplateValues, findPlaceholders, resolveRequest } from '../../../src/core/prompt/template';
import { appendTurnsToText, continueMessages, toolResultMessages } from '../../../src/core/run/conversation';

const formatting = { tabSize: 2, insertSpaces: true, eol: '\n' };

function reply(content: Record<string, unknown>[], stopReason = 'end_turn'): Message {
  return { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-haiku-4-5', content, stop_reason: stopReason, stop_sequence: null, usage: { input_tokens: 1, output_tokens: 1 } } as unknown as Message;
}

const tricky = [
  'Use {{name}} here',
  '{{ name }} and {{secret}}',
  'already escaped: \\{{name}}',
  'two backslashes: \\\\{{name}}',
  'triple {{{name}}} braces',
  'open {{ and }} close',
  '{{',
  '\\',
  'ends with a backslash \\',
  '}}{{name}}{{',
  'no braces at all',
];

describe('Continue keeps replies literal', () => {
  for (const text of tricky) {
    it(`escapeTemplateText(${JSON.stringify(text)}) holds no placeholder and resolves back to the text`, () => {
      const escaped = escapeTemplateText(text);
      assert.deepEqual(findPlaceholders({ s: escaped }), []);
      const resolved = resolveRequest({ request: { s: escaped } as never }, { name: 'SUBSTITUTED', secret: 'SECRET' });
      assert.equal(resolved.request['s'], text);
      assert.deepEqual(resolved.missing, []);
    });
  }

  it('an author can write \\{{name}} to send {{name}} literally; {{name}} beside it is still substituted', () => {
    const resolved = resolveRequest({ request: { s: '\\{{name}} is {{name}}' } as never }, { name: 'Ada' });
    assert.equal(resolved.request['s'], '{{name}} is Ada');
  });

  it('the reply appended by Continue is sent back exactly, and its {{name}} is neither substituted nor reported', () => {
    const prompt = JSON.stringify({ variables: { name: 'Ada' }, request: { model: 'claude-haiku-4-5', max_tokens: 50, messages: [{ role: 'user', content: 'Hi {{name}}' }] } }, null, 2);
    const thinking = { type: 'thinking', thinking: 'They said {{name}}; keep {{secret}}.', signature: 'SIG{{x}}==' };
    const text = { type: 'text', text: 'Hello! Write {{name}} in your template, or \\{{name}}.', citations: null };
    const tool = { type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { query: '{{secret}}', nested: ['{{name}}'] } };
    const turns = continueMessages([], reply([thinking, text, tool]), 'And {{name}} again?');
    const next = appendTurnsToText(prompt, turns, formatting);

    const parsed = validateForSend(next);
    assert.deepEqual(parsed.diagnostics.filter((d) => d.severity === 'error'), [], 'no undefined {{secret}} or {{x}} from the reply');
    assert.ok(parsed.prompt);
    const resolved = resolveRequest(parsed.prompt, { name: 'Ada' });
    const messages = resolved.request['messages'] as { role: string; content: unknown }[];
    assert.deepEqual(messages[1], { role: 'assistant', content: [thinking, text, tool] }, 'the reply goes back byte for byte (the thinking signature stays valid)');
    assert.deepEqual(messages[2], { role: 'user', content: 'And Ada again?' }, "the user's own next message is template text");
    assert.deepEqual(resolved.missing, []);
  });

  it('tool results written back are literal too', () => {
    const call = { type: 'tool_use', id: 'toolu_A', name: 'fetch', input: {} };
    const turns = toolResultMessages([], reply([call], 'tool_use'), [{ toolUseId: 'toolu_A', content: 'page says {{admin_password}}', isError: false }]);
    const parsed = parsePromptFile(appendTurnsToText(JSON.stringify({ request: { model: 'claude-haiku-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'go' }] } }), turns, formatting));
    assert.ok(parsed.prompt);
    const resolved = resolveRequest(parsed.prompt, { admin_password: 'hunter2' });
    assert.equal(((resolved.request['messages'] as { content: { content: string }[] }[])[2]?.content[0])?.content, 'page says {{admin_password}}');
  });

  it('escapeTemplateValues leaves property names alone and copies "__proto__" as data', () => {
    const value = JSON.parse('{"{{k}}": "{{v}}", "__proto__": "{{p}}"}') as Record<string, unknown>;
    const escaped = escapeTemplateValues(value);
    assert.deepEqual(Object.keys(escaped), ['{{k}}', '__proto__']);
    assert.equal(escaped['{{k}}'], '\\{{v}}');
    assert.equal(Object.getPrototypeOf(escaped), Object.prototype);
  });
});
