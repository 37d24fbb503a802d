// The .prompt.json format: its types, and the checks that turn a file's text into diagnostics
// with exact source ranges. Editor-free: the VS Code glue maps offsets with document.positionAt,
// the command line tool prints them, the run code refuses to send a prompt with errors.
//
// The checks (promptChecks.ts) are written by hand over a positional JSON tree
// (promptJsonTree.ts) rather than by running the JSON Schema through ajv: they need the model
// catalogue and the prompt's own variables, they give messages that say what to do, they point
// at the exact key or placeholder, and they run in one linear pass so a multi-megabyte prompt can
// be checked while the user types. The schema (schemas/prompt.schema.json) serves VS Code's
// completion and hovers; the unit tests keep both in step (every example must pass both).

import { parseTree as parseTreeWithRecovery, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { DiagnosticSink, PromptChecker } from './promptChecks';
import { parseJsonTree, type JsonSyntaxError } from './promptJsonTree';
import type { NamedFileLookup } from '../files/namedFiles';

// ---------------------------------------------------------------------------------------------
// The format

export type VariableValue = string | number | boolean;

export interface VariableDefinition {
  /** Used when no value comes from the values file or the user. */
  default?: VariableValue;
  /** Shown when the value is asked for at run time. */
  description?: string;
  /** A path relative to the prompt file whose contents are the value. */
  file?: string;
}

/** A variable: its default value directly, or a definition. */
export type VariableDeclaration = VariableValue | VariableDefinition;

export interface CacheControl {
  type: 'ephemeral';
  ttl?: '5m' | '1h';
}

/** A content block; only `type` is common to all (see the schema for each type's fields). */
export interface ContentBlockParam {
  type: string;
  cache_control?: CacheControl;
  [field: string]: unknown;
}

export interface TextBlockParam extends ContentBlockParam {
  type: 'text';
  text: string;
}

export interface MessageParam {
  role: 'user' | 'assistant' | 'system';
  content: string | ContentBlockParam[];
}

/** A Messages API request body. Fields this type does not name pass through to the API unchanged. */
export interface MessagesRequest {
  model: string;
  max_tokens: number;
  messages: MessageParam[];
  system?: string | TextBlockParam[];
  [field: string]: unknown;
}

/** The contents of a .prompt.json file. */
export interface PromptFile {
  $schema?: string;
  name?: string;
  description?: string;
  variables?: Record<string, VariableDeclaration>;
  /** A JSON file (relative to the prompt file) holding an object of variable values. */
  valuesFile?: string;
  /** Output tokens assumed by cost estimates before the prompt has run. */
  expectedOutputTokens?: number;
  /** Beta names sent in the anthropic-beta header, e.g. "task-budgets-2026-03-13". */
  betas?: string[];
  request: MessagesRequest;
}

// ---------------------------------------------------------------------------------------------
// Diagnostics

export type PromptDiagnosticSeverity = 'error' | 'warning' | 'info';

export type PromptDiagnosticCode =
  | 'json-syntax'
  | 'too-large-to-validate'
  | 'too-many-problems'
  | 'wrong-type'
  | 'missing-request'
  | 'missing-field'
  | 'unknown-key'
  | 'invalid-value'
  | 'empty-messages'
  | 'first-message-not-user'
  | 'assistant-prefill'
  | 'block-not-allowed'
  | 'unknown-block-type'
  | 'max-tokens-above-model'
  | 'max-tokens-zero'
  | 'unknown-model'
  | 'deprecated-model'
  | 'sampling-parameter-removed'
  | 'too-many-cache-breakpoints'
  | 'duplicate-tool-name'
  | 'unknown-tool'
  | 'forced-tool-choice-unsupported'
  | 'beta-required'
  | 'undefined-variable'
  | 'unused-variable'
  | 'malformed-placeholder'
  | 'placeholder-in-key'
  | 'invalid-variable-name'
  | 'conflicting-variable-source'
  | 'absolute-path'
  | 'outside-workspace'
  | 'file-not-found'
  | 'not-a-file'
  | 'file-too-large'
  | 'file-unreadable'
  | 'file-not-read'
  | 'invalid-values-file';

export interface PromptDiagnostic {
  /** UTF-16 offset into the text (what document.positionAt takes). */
  offset: number;
  length: number;
  severity: PromptDiagnosticSeverity;
  message: string;
  code: PromptDiagnosticCode;
}

/** One {{name}} in a string value of the request (findPlaceholders in template.ts gives JSON paths). */
export interface PlaceholderOccurrence {
  name: string;
  offset: number;
  length: number;
}

export interface ParsedPrompt {
  /**
   * The file's contents, set exactly when there are no error diagnostics (built on first read,
   * with JSON.parse of the text).
   */
  readonly prompt: PromptFile | undefined;
  readonly diagnostics: PromptDiagnostic[];
  /** Every placeholder in the request, in document order (empty when the JSON is invalid). */
  readonly placeholders: PlaceholderOccurrence[];
}

export interface PromptParseOptions {
  /**
   * Looks up a file the prompt names (a variable's `file`, the `valuesFile`), path as written.
   * Without it, files are not checked and the values file's keys are unknown. The path's text is
   * checked before it is called (absolute and network paths never reach it).
   */
  namedFile?: (path: string) => NamedFileLookup;
  /** The model's maximum output tokens, e.g. from the Models API; the bundled catalogue is the fallback. */
  maxOutputTokens?: (model: string) => number | undefined;
  /**
   * Texts longer than this (in UTF-16 code units, about bytes for ASCII) are not checked by
   * parsePromptFile: it returns one info diagnostic instead. validateForSend ignores it.
   */
  maxValidatedLength?: number;
  /** At most this many diagnostics are returned, plus one that counts the rest. */
  maxDiagnostics?: number;
}

/**
 * Default for PromptParseOptions.maxValidatedLength: 10 MiB of text. Measured with
 * bench/validationBench.ts: about 30-40 ms for 5 MB, 80-100 ms at 10 MB, 170 ms at 20 MB, so
 * live checks stay under a tenth of a second; larger prompts are checked when sent.
 */
export const DEFAULT_MAX_VALIDATED_LENGTH = 10 * 1024 * 1024;
/** Default for PromptParseOptions.maxDiagnostics. */
export const DEFAULT_MAX_DIAGNOSTICS = 500;
/** Below this length a file with a syntax error is re-parsed with error recovery to list every error, not just the first. */
const RECOVERY_PARSE_MAX_LENGTH = 1024 * 1024;

/** Whether any diagnostic is an error; a prompt with errors is never sent. */
export function hasErrors(diagnostics: readonly PromptDiagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/**
 * Parses and checks a .prompt.json text for live diagnostics. Bounded: above
 * options.maxValidatedLength it returns only an info diagnostic (call validateForSend before
 * sending), and at most options.maxDiagnostics diagnostics are listed.
 */
export function parsePromptFile(text: string, options: PromptParseOptions = {}): ParsedPrompt {
  const limit = options.maxValidatedLength ?? DEFAULT_MAX_VALIDATED_LENGTH;
  if (text.length > limit) {
    const size = (n: number): string => `${(n / (1024 * 1024)).toFixed(1)} MB`;
    return {
      prompt: undefined,
      placeholders: [],
      diagnostics: [
        {
          offset: 0,
          length: 0,
          severity: 'info',
          code: 'too-large-to-validate',
          message: `This prompt is ${size(text.length)}, above the ${size(limit)} limit for checking while you type. It is checked in full before it is sent.`,
        },
      ],
    };
  }
  return validateForSend(text, options);
}

/** Parses and checks a .prompt.json text in full, whatever its size: the check to run before sending. */
export function validateForSend(text: string, options: PromptParseOptions = {}): ParsedPrompt {
  const sink = new DiagnosticSink(options.maxDiagnostics ?? DEFAULT_MAX_DIAGNOSTICS);
  const parsed = parseJsonTree(text);
  if (!parsed.tree) {
    for (const error of syntaxErrors(text, parsed.error)) sink.add(error.offset, error.length, 'error', 'json-syntax', error.message);
    return { prompt: undefined, placeholders: [], diagnostics: sink.finish() };
  }
  const checker = new PromptChecker(parsed.tree, options, sink);
  try {
    checker.check();
  } finally {
    parsed.tree.release();
  }
  const diagnostics = sink.finish();
  let prompt: PromptFile | undefined;
  const valid = !hasErrors(diagnostics);
  return {
    diagnostics,
    placeholders: checker.placeholders,
    get prompt() {
      if (valid && prompt === undefined) prompt = JSON.parse(text) as PromptFile;
      return prompt;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Syntax errors

function syntaxErrors(text: string, first: JsonSyntaxError): JsonSyntaxError[] {
  if (text.length > RECOVERY_PARSE_MAX_LENGTH) return [first];
  const errors: ParseError[] = [];
  parseTreeWithRecovery(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  if (errors.length === 0) return [first];
  return errors.map((error) => describeParseError(text, error));
}

function describeParseError(text: string, error: ParseError): JsonSyntaxError {
  const { offset, length } = error;
  const code = printParseErrorCode(error.error);
  if (code === 'ValueExpected' || code === 'PropertyNameExpected') {
    const c = text[offset];
    if (c === '}' || c === ']') {
      let comma = offset - 1;
      while (comma >= 0 && /\s/.test(text[comma] as string)) comma--;
      if (text[comma] === ',') return { offset: comma, length: 1, message: `Trailing comma: JSON does not allow a comma before ${c}.` };
    }
  }
  return { offset, length, message: parseErrorMessage(code, length > 0 ? text.slice(offset, offset + Math.min(length, 40)) : undefined, offset >= text.length) };
}

function parseErrorMessage(code: ReturnType<typeof printParseErrorCode>, found: string | undefined, atEnd: boolean): string {
  switch (code) {
    case 'InvalidSymbol':
      return `Unexpected${found === undefined ? '' : ` ${JSON.stringify(found)}`}: expected a value.`;
    case 'InvalidNumberFormat':
    case 'UnexpectedEndOfNumber':
      return 'Invalid number.';
    case 'PropertyNameExpected':
      return 'Expected a property name in double quotes.';
    case 'ValueExpected':
      return atEnd ? 'Unexpected end of file: expected a value.' : 'Expected a value.';
    case 'ColonExpected':
      return "Expected ':' after the property name.";
    case 'CommaExpected':
      return 'Expected a comma between the values.';
    case 'CloseBraceExpected':
      return "Expected '}' to close the object.";
    case 'CloseBracketExpected':
      return "Expected ']' to close the array.";
    case 'EndOfFileExpected':
      return 'Unexpected text after the end of the JSON value.';
    case 'InvalidCommentToken':
      return 'Comments are not allowed: a .prompt.json file is strict JSON.';
    case 'UnexpectedEndOfComment':
      return 'Unterminated comment (comments are not allowed in a .prompt.json file).';
    case 'UnexpectedEndOfString':
      return 'Unterminated string: add the closing double quote.';
    case 'InvalidUnicode':
      return 'Invalid \\u escape: expected four hex digits.';
    case 'InvalidEscapeCharacter':
      return 'Invalid escape sequence in string.';
    case 'InvalidCharacter':
      return 'Control character in string: write it as an escape such as \\t.';
    default:
      return `Invalid JSON (${code}).`;
  }
}

// ---------------------------------------------------------------------------------------------
// New prompt

/** The text of a new .prompt.json (for the New Prompt command): valid, with one variable to show the syntax. */
export function newPromptTemplate(name: string): string {
  // No "$schema": the extension associates *.prompt.json with the schema (contributes.jsonValidation),
  // and a relative path would break as soon as the file is moved.
  const prompt: PromptFile = {
    name,
    description: 'What this prompt is for.',
    variables: {
      topic: { default: 'the history of the printing press', description: 'What to write about' },
    },
    expectedOutputTokens: 400,
    request: {
      model: 'claude-sonnet-5-5',
      max_tokens: 1024,
      system: 'You are a clear, accurate writer. Answer in plain prose.',
      messages: [{ role: 'user', content: 'Write a short overview of {{topic}} in three paragraphs.' }],
    },
  };
  return `${JSON.stringify(prompt, null, 2)}\n`;
}
