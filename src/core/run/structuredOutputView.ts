// The result of checking structured output against its schema, as the panel shows it. Kept apart
// from structuredOutput.ts (which loads ajv) so the browser bundle can share it through src/protocol.ts.

export interface StructuredOutputView {
  /** Pretty-printed JSON, or the raw text when it does not parse. */
  pretty: string;
  parsed: boolean;
  /** Schema violations found by ajv, as "path: message" lines; empty when valid. */
  errors: string[];
}
