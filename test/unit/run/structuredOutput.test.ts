import assert from 'node:assert/strict';
import { checkStructuredOutput, outputSchema } from '../../../src/core/run/structuredOutput';

const invoiceSchema = {
  type: 'object',
  properties: {
    invoice_number: { type: 'string' },
    total: { type: 'number' },
    lines: { type: 'array', items: { type: 'object', properties: { qty: { type: 'integer', minimum: 1 } }, required: ['qty'] } },
  },
  required: ['invoice_number', 'total'],
  additionalProperties: false,
};

describe('outputSchema', () => {
  it('returns the json_schema of output_config.format', () => {
    assert.equal(outputSchema({ output_config: { format: { type: 'json_schema', schema: invoiceSchema } } }), invoiceSchema);
  });

  const none: [string, Record<string, unknown>][] = [
    ['no output_config', { model: 'claude-haiku-4-5' }],
    ['output_config without format', { output_config: { effort: 'low' } }],
    ['another format type', { output_config: { format: { type: 'text', schema: invoiceSchema } } }],
    ['json_schema without a schema', { output_config: { format: { type: 'json_schema' } } }],
    ['a schema that is not an object', { output_config: { format: { type: 'json_schema', schema: 'object' } } }],
    ['a null schema', { output_config: { format: { type: 'json_schema', schema: null } } }],
  ];
  for (const [name, request] of none) {
    it(`is undefined for ${name}`, () => {
      assert.equal(outputSchema(request), undefined);
    });
  }
});

describe('checkStructuredOutput', () => {
  it('valid output: parsed, pretty-printed with two spaces, no errors', async () => {
    const view = await checkStructuredOutput('{"invoice_number":"NW-1","total":10.5,"lines":[{"qty":2}]}', invoiceSchema);
    assert.deepEqual(view, {
      pretty: '{\n  "invoice_number": "NW-1",\n  "total": 10.5,\n  "lines": [\n    {\n      "qty": 2\n    }\n  ]\n}',
      parsed: true,
      errors: [],
    });
  });

  it('invalid output: every violation, each with its JSON pointer path, (root) for the top level', async () => {
    const view = await checkStructuredOutput('{"total":"10.5","lines":[{"qty":0},{}],"extra":true}', invoiceSchema);
    assert.equal(view.parsed, true);
    assert.equal(view.pretty, JSON.stringify(JSON.parse('{"total":"10.5","lines":[{"qty":0},{}],"extra":true}'), null, 2));
    assert.deepEqual(
      [...view.errors].sort(),
      [
        "(root): must have required property 'invoice_number'",
        '(root): must NOT have additional properties',
        '/lines/0/qty: must be >= 1',
        "/lines/1: must have required property 'qty'",
        '/total: must be number',
      ].sort(),
    );
  });

  it('a scalar at the root is checked too', async () => {
    assert.deepEqual(await checkStructuredOutput('"too long"', { type: 'string', maxLength: 3 }), {
      pretty: '"too long"',
      parsed: true,
      errors: ['(root): must NOT have more than 3 characters'],
    });
  });

  it('output that is not JSON: not parsed, the raw text kept, the parse error given', async () => {
    const raw = 'Sure! Here is the JSON: {"total": 3,';
    const view = await checkStructuredOutput(raw, invoiceSchema);
    assert.equal(view.parsed, false);
    assert.equal(view.pretty, raw);
    assert.equal(view.errors.length, 1);
    assert.match(view.errors[0] ?? '', /^The output is not valid JSON: .+/);
  });

  it('a truncated reply (cut by max_tokens) is reported as not JSON', async () => {
    const view = await checkStructuredOutput('{"invoice_number":"NW-1","tot', invoiceSchema);
    assert.equal(view.parsed, false);
  });

  const badSchemas: [string, Record<string, unknown>, RegExp][] = [
    ['an unknown type', { type: 'objekt' }, /^The schema itself could not be compiled: schema is invalid: data\/type must be equal to one of the allowed values/],
    ['a dangling $ref', { $ref: '#/definitions/missing' }, /^The schema itself could not be compiled: can't resolve reference #\/definitions\/missing/],
  ];
  for (const [name, schema, expected] of badSchemas) {
    it(`a schema with ${name}: parsed output, one error about the schema`, async () => {
      const view = await checkStructuredOutput('{"a": 1}', schema);
      assert.equal(view.parsed, true);
      assert.equal(view.pretty, '{\n  "a": 1\n}');
      assert.equal(view.errors.length, 1);
      assert.match(view.errors[0] ?? '', expected);
    });
  }

  it('unknown keywords are tolerated (strict off), so a schema written for the API still compiles', async () => {
    const view = await checkStructuredOutput('{"a": 1}', { type: 'object', properties: { a: { type: 'integer', 'x-ui': 'slider' } } });
    assert.deepEqual(view.errors, []);
  });

  it('checks each call against its own schema (no stale compiled validator)', async () => {
    assert.deepEqual((await checkStructuredOutput('1', { type: 'integer' })).errors, []);
    assert.deepEqual((await checkStructuredOutput('1', { type: 'string' })).errors, ['(root): must be string']);
  });
});

describe('checkStructuredOutput with a catastrophic pattern in the prompt schema', function () {
  this.timeout(20_000);
  // "^(a+)+$" against 40 a's and a "!" backtracks through 2^40 paths: hours on the main thread.
  const evil = { type: 'object', properties: { name: { type: 'string', pattern: '^(a+)+$' } } };
  const output = JSON.stringify({ name: `${'a'.repeat(40)}!` });

  it('stops the check after the timeout, says why, and keeps the event loop free meanwhile', async () => {
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 20);
    const started = Date.now();
    try {
      const view = await checkStructuredOutput(output, evil, { timeoutMs: 1_000 });
      const took = Date.now() - started;
      assert.equal(view.parsed, true);
      assert.equal(view.pretty, JSON.stringify(JSON.parse(output), null, 2));
      assert.deepEqual(view.errors, ['Not checked against the schema: the check took longer than 1 s and was stopped (a "pattern" in the schema may backtrack catastrophically).']);
      assert.ok(took < 10_000, `returned after ${took} ms`);
      assert.ok(ticks >= 10, `the extension host's thread kept running (${ticks} ticks)`);
    } finally {
      clearInterval(ticker);
    }
  });

  it('the same pattern on a short value is checked normally', async () => {
    assert.deepEqual((await checkStructuredOutput(JSON.stringify({ name: 'aaa!' }), evil)).errors, ['/name: must match pattern "^(a+)+$"']);
    assert.deepEqual((await checkStructuredOutput(JSON.stringify({ name: 'aaa' }), evil)).errors, []);
  });
});
