// A deterministic instance of a JSON Schema: the simulator's "model" for structured outputs (sheet
// §11) and for tool inputs. It covers the subset structured outputs accept: object / properties /
// required / additionalProperties:false, array (items, prefixItems, min/maxItems), string (enum,
// const, min/maxLength, a few formats), number, integer (bounds, multipleOf), boolean, null,
// anyOf / oneOf / allOf, type lists, and local $ref into $defs / definitions. `pattern` is not
// honoured: no general regex generator here.

const WORDS = ['alpha', 'river', 'cobalt', 'summit', 'ember', 'lantern', 'meadow', 'signal', 'harbor', 'quartz', 'willow', 'orbit'];

/** A small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Schema = Record<string, unknown>;

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function resolveRef(ref: string, root: unknown): unknown {
  if (!ref.startsWith('#')) return {};
  let node: unknown = root;
  for (const raw of ref.slice(1).split('/').filter(Boolean)) {
    const part = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    node = isSchema(node) ? node[part] : undefined;
  }
  return node ?? {};
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

function sampleString(schema: Schema, random: () => number, hint: string): string {
  switch (schema.format) {
    case 'date-time':
      return '2026-01-15T09:30:00Z';
    case 'date':
      return '2026-01-15';
    case 'time':
      return '09:30:00Z';
    case 'email':
      return 'user@example.com';
    case 'uri':
    case 'url':
      return 'https://example.com/resource';
    case 'uuid':
      return '123e4567-e89b-42d3-a456-426614174000';
    case 'ipv4':
      return '192.0.2.1';
  }
  const words = [hint, WORDS[Math.floor(random() * WORDS.length)] ?? 'alpha'].filter(Boolean);
  let text = words.join(' ');
  const min = numberOr(schema.minLength, 0);
  const max = numberOr(schema.maxLength, Infinity);
  while (text.length < min) text += ' ' + (WORDS[Math.floor(random() * WORDS.length)] ?? 'alpha');
  if (text.length > max) text = text.slice(0, max);
  return text;
}

function sampleNumber(schema: Schema, integer: boolean, random: () => number): number {
  const exclusiveMin = typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum : undefined;
  const exclusiveMax = typeof schema.exclusiveMaximum === 'number' ? schema.exclusiveMaximum : undefined;
  let low = numberOr(schema.minimum, exclusiveMin !== undefined ? exclusiveMin + (integer ? 1 : 0.5) : 0);
  let high = numberOr(schema.maximum, exclusiveMax !== undefined ? exclusiveMax - (integer ? 1 : 0.5) : low + 100);
  if (exclusiveMin !== undefined && low <= exclusiveMin) low = exclusiveMin + (integer ? 1 : 0.5);
  if (exclusiveMax !== undefined && high >= exclusiveMax) high = exclusiveMax - (integer ? 1 : 0.5);
  if (high < low) high = low;
  let value = low + (high - low) * random();
  const step = typeof schema.multipleOf === 'number' && schema.multipleOf > 0 ? schema.multipleOf : integer ? 1 : 0.25;
  value = Math.ceil(value / step) * step;
  if (value > high) value = Math.floor(high / step) * step;
  if (integer) value = Math.round(value);
  return Number(value.toFixed(6));
}

function sample(schema: unknown, root: unknown, random: () => number, hint: string, depth: number): unknown {
  if (schema === true || schema === undefined) return hint || 'value';
  if (!isSchema(schema)) return null;
  if (depth > 12) return null;
  if (typeof schema.$ref === 'string') return sample(resolveRef(schema.$ref, root), root, random, hint, depth + 1);
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[Math.floor(random() * schema.enum.length)];
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = schema[key];
    if (Array.isArray(options) && options.length > 0) {
      // Prefer a non-null branch so the output carries content.
      const branch = options.find((o) => !(isSchema(o) && o.type === 'null')) ?? options[0];
      return sample({ ...schema, [key]: undefined, ...(isSchema(branch) ? branch : {}) }, root, random, hint, depth + 1);
    }
  }
  if (Array.isArray(schema.allOf)) {
    const merged: Schema = { ...schema, allOf: undefined };
    for (const part of schema.allOf) {
      const resolved = isSchema(part) && typeof part.$ref === 'string' ? resolveRef(part.$ref, root) : part;
      if (!isSchema(resolved)) continue;
      Object.assign(merged, resolved, {
        properties: { ...(isSchema(merged.properties) ? merged.properties : {}), ...(isSchema(resolved.properties) ? resolved.properties : {}) },
        required: [...(Array.isArray(merged.required) ? merged.required : []), ...(Array.isArray(resolved.required) ? resolved.required : [])],
      });
    }
    return sample(merged, root, random, hint, depth + 1);
  }

  let type = schema.type;
  if (Array.isArray(type)) type = type.find((t) => t !== 'null') ?? 'null';
  if (type === undefined) type = isSchema(schema.properties) ? 'object' : schema.items !== undefined ? 'array' : 'string';

  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const properties = isSchema(schema.properties) ? schema.properties : {};
      for (const [name, propertySchema] of Object.entries(properties)) {
        out[name] = sample(propertySchema, root, random, name, depth + 1);
      }
      // Required names without a property schema still have to be present.
      for (const name of Array.isArray(schema.required) ? schema.required : []) {
        if (typeof name === 'string' && !(name in out)) out[name] = sample(schema.additionalProperties ?? true, root, random, name, depth + 1);
      }
      return out;
    }
    case 'array': {
      const prefix = Array.isArray(schema.prefixItems) ? schema.prefixItems : [];
      const min = numberOr(schema.minItems, 0);
      const max = numberOr(schema.maxItems, Infinity);
      const count = Math.min(max, Math.max(min, prefix.length, 2));
      const out: unknown[] = [];
      for (let i = 0; i < count; i++) {
        const itemSchema = i < prefix.length ? prefix[i] : schema.items === false ? undefined : schema.items;
        if (i >= prefix.length && schema.items === false) break;
        out.push(sample(itemSchema ?? true, root, random, `${hint || 'item'} ${i + 1}`.trim(), depth + 1));
      }
      return out;
    }
    case 'string':
      return sampleString(schema, random, hint);
    case 'integer':
      return sampleNumber(schema, true, random);
    case 'number':
      return sampleNumber(schema, false, random);
    case 'boolean':
      return random() < 0.5;
    case 'null':
      return null;
    default:
      return null;
  }
}

/** A value valid against `schema`, the same every time for the same schema and seed. */
export function sampleFromSchema(schema: unknown, seed: number): unknown {
  return sample(schema, schema, prng(seed), '', 0);
}
