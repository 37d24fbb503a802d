// One batch request element, `{"custom_id":…,"params":…}`, serialised from a template made once
// per job. Every row of a dataset job sends the same request but for the values of its
// {{variables}}, so re-serialising the whole request for each row (JSON.stringify of a bound
// request object) is most of the work of building a batch. Instead the prompt's request is bound
// once with a marker for each variable, serialised, and cut at the markers; a row's element is
// then the fixed JSON text with each of its values JSON-escaped in between. The text decodes to
// exactly the object `JSON.stringify` would have written (the same keys, in the same order, the
// same strings), and is byte-identical to it for any value free of lone surrogates.
import { randomBytes } from 'node:crypto';
import { compileRequest } from '../prompt/template';

/** A row's value of a variable (undefined: the prompt has none and the placeholder stays as written). */
export type VariableLookup = (name: string) => string | undefined;

/**
 * Builds elements for one request template: `element(customId, lookup)` gives the element's JSON,
 * or undefined when the row needs the slow path (a variable without a value, whose placeholder
 * stays in the text as written). `customId` must already match ^[a-zA-Z0-9_-]{1,64}$.
 */
export interface BatchElementTemplate {
  element(customId: string, lookup: VariableLookup): string | undefined;
}

/** The params of a request as a batch takes them: a Messages body, never streamed. */
export function batchParams(request: Record<string, unknown>): Record<string, unknown> {
  if (!('stream' in request)) return request;
  const { stream: _stream, ...rest } = request;
  return rest;
}

/** The element `JSON.stringify` writes for one bound request: the reference the template must match. */
export function serialiseElement(customId: string, request: Record<string, unknown>): string {
  return JSON.stringify({ custom_id: customId, params: batchParams(request) });
}

/** Characters JSON.stringify writes escaped: quote, backslash, controls, and surrogates (a lone one is escaped). */
// eslint-disable-next-line no-control-regex -- the control characters are exactly what JSON escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A string as JSON writes it between its quotes. Most values need no escape and are used as they are. */
function jsonStringBody(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return value;
  const quoted = JSON.stringify(value);
  return quoted.slice(1, quoted.length - 1);
}

/**
 * The template of a request, or undefined when it cannot be cut cleanly (a marker that did not
 * come out once, in order; only a request that happens to contain the random marker text).
 */
export function compileElementTemplate(request: Readonly<Record<string, unknown>>): BatchElementTemplate | undefined {
  const nonce = randomBytes(12).toString('hex');
  const names: string[] = [];
  // U+0001 around the marker: JSON writes it as the six characters \u0001, which no escaped value can end in by accident.
  const marked = compileRequest(request)((name) => {
    names.push(name);
    return `\u0001${nonce}:${names.length - 1}\u0001`;
  });
  const json = serialiseElement('', marked);
  const head = '{"custom_id":"';
  if (!json.startsWith(`${head}",`)) return undefined;
  const pattern = new RegExp(`\\\\u0001${nonce}:(\\d+)\\\\u0001`, 'g');
  const fragments: string[] = [];
  let from = head.length;
  let expected = 0;
  for (const match of json.matchAll(pattern)) {
    if (Number(match[1]) !== expected++) return undefined;
    fragments.push(json.slice(from, match.index));
    from = match.index + match[0].length;
  }
  if (expected !== names.length) return undefined;
  const tail = json.slice(from);
  return {
    element(customId, lookup) {
      let text = `${head}${customId}${fragments[0] ?? tail}`;
      if (names.length === 0) return text;
      for (let i = 0; i < names.length; i++) {
        const value = lookup(names[i]!);
        if (value === undefined) return undefined;
        text += jsonStringBody(value) + (i + 1 < names.length ? fragments[i + 1]! : tail);
      }
      return text;
    },
  };
}
