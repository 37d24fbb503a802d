// Runs in a worker thread: compiles the prompt's own JSON Schema with ajv and validates one value.
// The schema is written by whoever wrote the prompt, and a `pattern` such as "^(a+)+$" makes a
// backtracking regular expression run for ages on the right input; here it can only stall this
// thread, which structuredOutput.ts ends after a timeout.
import { parentPort, workerData } from 'node:worker_threads';
import Ajv from 'ajv';

export interface SchemaValidationRequest {
  schema: Record<string, unknown>;
  value: unknown;
}

export type SchemaValidationReply = { kind: 'validated'; errors: string[] } | { kind: 'schemaError'; message: string };

function validate({ schema, value }: SchemaValidationRequest): SchemaValidationReply {
  let check;
  try {
    check = new Ajv({ allErrors: true, strict: false }).compile(schema);
  } catch (error) {
    return { kind: 'schemaError', message: error instanceof Error ? error.message : String(error) };
  }
  if (check(value)) return { kind: 'validated', errors: [] };
  return { kind: 'validated', errors: (check.errors ?? []).map((e) => `${e.instancePath || '(root)'}: ${e.message ?? 'invalid'}`) };
}

parentPort?.postMessage(validate(workerData as SchemaValidationRequest));
