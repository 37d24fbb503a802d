// Structured output (output_config.format) checked against its JSON Schema with ajv. The schema is
// the prompt's own, so it is attacker-controlled: a catastrophic `pattern` ("^(a+)+$" against a
// long "aaaa…!") would hang the extension host in ajv's backtracking regular expressions. The check
// therefore runs in a worker thread (schemaValidationWorker.ts) that is ended after a timeout, and
// the run reports "not checked" instead of hanging. A worker rather than a linear-time regex
// engine: no new dependency, and it bounds every costly schema feature, not only `pattern`.
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { SchemaValidationReply, SchemaValidationRequest } from './schemaValidationWorker';
import type { StructuredOutputView } from './structuredOutputView';

/** How long a schema check may take before it is stopped (a normal check takes a few milliseconds, plus the worker's start). */
export const SCHEMA_CHECK_TIMEOUT_MS = 3_000;

/** The JSON schema a request asks its output to follow, if any. */
export function outputSchema(request: Record<string, unknown>): Record<string, unknown> | undefined {
  const format = (request['output_config'] as { format?: { type?: string; schema?: unknown } } | undefined)?.format;
  return format?.type === 'json_schema' && format.schema && typeof format.schema === 'object' ? (format.schema as Record<string, unknown>) : undefined;
}

/**
 * The worker script: beside this file when run from out/ (tests), beside the features bundle in
 * dist/ (esbuild builds dist/schemaValidationWorker.js).
 */
const workerScript = join(__dirname, 'schemaValidationWorker.js');

function validateInWorker(request: SchemaValidationRequest, timeoutMs: number): Promise<SchemaValidationReply | { kind: 'timeout' } | { kind: 'failed'; message: string }> {
  return new Promise((resolve) => {
    const worker = new Worker(workerScript, { workerData: request });
    const timer = setTimeout(() => {
      resolve({ kind: 'timeout' });
      void worker.terminate();
    }, timeoutMs);
    const finish = (reply: SchemaValidationReply | { kind: 'failed'; message: string }): void => {
      clearTimeout(timer);
      resolve(reply);
      void worker.terminate();
    };
    worker.once('message', (reply: SchemaValidationReply) => finish(reply));
    worker.once('error', (error) => finish({ kind: 'failed', message: error.message }));
    worker.once('exit', (code) => finish({ kind: 'failed', message: `the checker stopped (exit code ${code})` }));
  });
}

/** Pretty-prints the output and lists every schema violation ("path: message"), within a time bound. */
export async function checkStructuredOutput(text: string, schema: Record<string, unknown>, options: { timeoutMs?: number } = {}): Promise<StructuredOutputView> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { pretty: text, parsed: false, errors: [`The output is not valid JSON: ${error instanceof Error ? error.message : String(error)}`] };
  }
  const pretty = JSON.stringify(value, null, 2);
  const timeoutMs = options.timeoutMs ?? SCHEMA_CHECK_TIMEOUT_MS;
  const reply = await validateInWorker({ schema, value }, timeoutMs);
  switch (reply.kind) {
    case 'validated':
      return { pretty, parsed: true, errors: reply.errors };
    case 'schemaError':
      return { pretty, parsed: true, errors: [`The schema itself could not be compiled: ${reply.message}`] };
    case 'timeout':
      return {
        pretty,
        parsed: true,
        errors: [`Not checked against the schema: the check took longer than ${timeoutMs / 1000} s and was stopped (a "pattern" in the schema may backtrack catastrophically).`],
      };
    case 'failed':
      return { pretty, parsed: true, errors: [`Not checked against the schema: ${reply.message}`] };
  }
}
