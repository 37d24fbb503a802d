import assert from 'node:assert/strict';
import { compileElementTemplate, serialiseElement } from '../../../src/core/batch/batchElementTemplate';
import { compileRequest } from '../../../src/core/prompt/template';

/** The element the slow path writes: the request bound with the same values, then JSON.stringify. */
function reference(request: Record<string, unknown>, customId: string, values: Record<string, string>): string {
  return serialiseElement(customId, compileRequest(request)((name) => (Object.hasOwn(values, name) ? values[name] : undefined)));
}

function element(request: Record<string, unknown>, customId: string, values: Record<string, string>): string | undefined {
  const template = compileElementTemplate(request);
  assert.ok(template, 'the request compiles to a template');
  return template.element(customId, (name) => (Object.hasOwn(values, name) ? values[name] : undefined));
}

const request = {
  model: 'claude-haiku-5-5',
  max_tokens: 100,
  stream: true,
  temperature: 0.5,
  system: [{ type: 'text', text: 'You sort {{kind}} tickets. Literal: \\{{kind}} stays.', cache_control: { type: 'ephemeral' } }],
  messages: [
    { role: 'user', content: 'Ticket {{id}} ({{tier}}):\n{{ticket}}\nAgain: {{id}}' },
    { role: 'assistant', content: [{ type: 'text', text: 'Noted "{{id}}".' }] },
  ],
  metadata: { user_id: null },
  tools: [{ name: 'route', input_schema: { type: 'object', properties: { queue: { type: 'string', enum: ['a', 'b'] } } } }],
};

describe('batch element template', () => {
  it('writes the same text JSON.stringify writes for the bound request, stream dropped, for ordinary and awkward values', () => {
    const cases: Record<string, string>[] = [
      { kind: 'billing', id: 'T-1', tier: 'pro', ticket: 'The invoice is wrong.' },
      { kind: 'a "quoted" \\ kind', id: 'T-2', tier: 'free', ticket: 'line one\r\nline two\ttabbed\u0000nul\u001f and \u2028 \u2029' },
      { kind: 'émoji 😀 and 中文', id: '{{id}}', tier: '}}{{', ticket: '</script><b>&amp;</b>' },
      { kind: '', id: '', tier: '', ticket: '' },
    ];
    for (const values of cases) {
      const fast = element(request, 'T-1_x', values);
      assert.equal(fast, reference(request, 'T-1_x', values));
      assert.equal((JSON.parse(fast!) as { params: Record<string, unknown> }).params.stream, undefined);
    }
  });

  it('decodes to the same request when a value holds a lone surrogate (escaped on its own)', () => {
    const values = { kind: 'x\ud800', id: '\udc00y', tier: '\ud83d', ticket: '\ude00' };
    const fast = element(request, 'r1', values)!;
    assert.deepEqual(JSON.parse(fast), JSON.parse(reference(request, 'r1', values)));
  });

  it('a request without variables is its one fixed text; a variable without a value asks for the slow path', () => {
    const plain = { model: 'm', max_tokens: 1, messages: [{ role: 'user', content: 'hi \\{{x}}' }] };
    assert.equal(element(plain, 'a', {}), reference(plain, 'a', {}));
    assert.equal(element(request, 'a', { kind: 'k', id: 'i', tier: 't' }), undefined, 'no value for {{ticket}}');
  });

  it('keeps prompt text that looks like its marker as text (the marker carries a random nonce)', () => {
    const tricky = { model: 'm', max_tokens: 1, messages: [{ role: 'user', content: '\u0001abc:0\u0001 {{a}} \u0001' }] };
    assert.equal(element(tricky, 'z', { a: 'v' }), reference(tricky, 'z', { a: 'v' }));
  });
});
