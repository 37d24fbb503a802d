// Structured output (output_config.format) checked against its JSON Schema with ajv. ajv is
// loaded on first use: it is large, and most runs have no schema.
import type * as AjvNamespace from 'ajv';
import type { StructuredOutputView } from './structuredOutputView';

type AjvModule = typeof AjvNamespace;

let ajv: Promise<AjvModule> | undefined;

/** The JSON schema a request asks its output to follow, if any. */
export function outputSchema(request: Record<string, unknown>): Record<string, unknown> | undefined {
  const format = (request['output_config'] as { format?: { type?: string; schema?: unknown } } | undefined)?.format;
  return format?.type === 'json_schema' && format.schema && typeof format.schema === 'object' ? (format.schema as Record<string, unknown>) : undefined;
}

/** Pretty-prints the output and lists every schema violation ("path: message"). */
export async function checkStructuredOutput(text: string, schema: Record<string, unknown>): Promise<StructuredOutputView> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { pretty: text, parsed: false, errors: [`The output is not valid JSON: ${error instanceof Error ? error.message : String(error)}`] };
  }
  const pretty = JSON.stringify(value, null, 2);
  ajv ??= import('ajv');
  const { default: Ajv } = await ajv;
  let validate;
  try {
    validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
  } catch (error) {
    return { pretty, parsed: true, errors: [`The schema itself could not be compiled: ${error instanceof Error ? error.message : String(error)}`] };
  }
  if (validate(value)) return { pretty, parsed: true, errors: [] };
  return {
    pretty,
    parsed: true,
    errors: (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'}: ${e.message ?? 'invalid'}`),
  };
}
