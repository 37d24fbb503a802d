import assert from 'node:assert/strict';
import Ajv2020 from 'ajv/dist/2020';
import { sampleFromSchema } from '../../simulator/schemaSample';

describe('simulator: JSON Schema sampler', () => {
  // Draft 2020-12 (prefixItems); formats are checked below by hand, as ajv needs a plug-in for them.
  const ajv = new Ajv2020({ strict: false, validateFormats: false });
  const schemas: Record<string, object> = {
    'nested objects and arrays': {
      type: 'object',
      properties: {
        items: {
          type: 'array',
          minItems: 1,
          items: { type: 'object', properties: { sku: { type: 'string', minLength: 12 }, qty: { type: 'integer', minimum: 1, maximum: 3 } }, required: ['sku', 'qty'], additionalProperties: false },
        },
        total: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
      },
      required: ['items', 'total'],
      additionalProperties: false,
    },
    'enums, consts and type lists': {
      type: 'object',
      properties: { status: { enum: ['open', 'closed', 3, null] }, kind: { const: 'fixed' }, maybe: { type: ['null', 'boolean'] } },
      required: ['status', 'kind', 'maybe'],
      additionalProperties: false,
    },
    'anyOf, oneOf and allOf': {
      type: 'object',
      properties: {
        a: { anyOf: [{ type: 'integer', multipleOf: 7, minimum: 50 }, { type: 'string' }] },
        b: { oneOf: [{ type: 'null' }, { type: 'string', maxLength: 4 }] },
        c: { allOf: [{ type: 'object', properties: { x: { type: 'integer' } }, required: ['x'] }, { properties: { y: { type: 'boolean' } }, required: ['y'] }] },
      },
      required: ['a', 'b', 'c'],
    },
    'local $ref to $defs and definitions': {
      type: 'object',
      properties: { left: { $ref: '#/$defs/node' }, right: { $ref: '#/definitions/leaf' } },
      required: ['left', 'right'],
      $defs: { node: { type: 'object', properties: { value: { type: 'integer' } }, required: ['value'], additionalProperties: false } },
      definitions: { leaf: { type: 'string', maxLength: 3 } },
    },
    'tuples and bounded arrays': {
      type: 'array',
      prefixItems: [{ type: 'string' }, { type: 'number' }],
      items: false,
      minItems: 2,
    },
    formats: {
      type: 'object',
      properties: { at: { type: 'string', format: 'date-time' }, mail: { type: 'string', format: 'email' }, id: { type: 'string', format: 'uuid' } },
      required: ['at', 'mail', 'id'],
    },
  };

  for (const [name, schema] of Object.entries(schemas)) {
    it(`produces a valid instance for ${name}`, () => {
      const value = sampleFromSchema(schema, 1234);
      assert.ok(ajv.validate(schema, value), `${ajv.errorsText()} in ${JSON.stringify(value)}`);
    });
  }

  it('fills formatted strings with values of that format', () => {
    const value = sampleFromSchema(schemas.formats, 1) as { at: string; mail: string; id: string };
    assert.ok(!Number.isNaN(Date.parse(value.at)));
    assert.match(value.mail, /^[^@\s]+@[^@\s]+\.[a-z]+$/);
    assert.match(value.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('is deterministic for a seed and varies with it', () => {
    const schema = { type: 'object', properties: { word: { type: 'string' }, n: { type: 'integer', minimum: 0, maximum: 1000 } }, required: ['word', 'n'] };
    assert.deepEqual(sampleFromSchema(schema, 7), sampleFromSchema(schema, 7));
    const seeds = [1, 2, 3, 4, 5].map((seed) => JSON.stringify(sampleFromSchema(schema, seed)));
    assert.ok(new Set(seeds).size > 1);
  });
});
