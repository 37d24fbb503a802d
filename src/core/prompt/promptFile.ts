// The .prompt.json parser: turns a file's text into the prompt and diagnostics with exact source
// ranges (the format's types are in promptFormat.ts). Editor-free: the VS Code glue maps offsets
// with document.positionAt, the command line tool prints them, the run code refuses to send a
// prompt with errors.
//
// The checks (promptChecks.ts) are written by hand over a positional JSON tree
// (promptJsonTree.ts) rather than by running the JSON Schema through ajv: they need the model
// catalogue and the prompt's own variables, they give messages that say what to do, they point
// at the exact key or placeholder, and they run in one linear pass so a multi-megabyte prompt can
// be checked while the user types. The schema (schemas/prompt.schema.json) serves VS Code's
// completion and hovers; the unit tests keep both in step (every example must pass both).

import { parseTree as parseTreeWithRecovery, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { DiagnosticSink, PromptChecker } from './promptChecks';
import type { PlaceholderOccurrence, PromptDiagnostic, PromptFile, PromptParseOptions } from './promptFormat';
import { parseJsonTree, type JsonSyntaxError } from './promptJsonTree';
import { cacheLayoutOf, type CacheLayout } from '../caching/cacheLayout';

// The format's types, for the many readers that import them with the parser.
export type {
  VariableValue,
  VariableDefinition,
  VariableDeclaration,
  CacheControl,
  ContentBlockParam,
  TextBlockParam,
  MessageParam,
  MessagesRequest,
  PromptFile,
  PromptDataset,
  PromptDiagnosticSeverity,
  PromptDiagnosticCode,
  PromptDiagnostic,
  PlaceholderOccurrence,
  PromptParseOptions,
} from './promptFormat';

export interface ParsedPrompt {
  /**
   * The file's contents, set exactly when there are no error diagnostics (built on first read,
   * with JSON.parse of the text).
   */
  readonly prompt: PromptFile | undefined;
  readonly diagnostics: PromptDiagnostic[];
  /** Every placeholder in the request, in document order (empty when the JSON is invalid). */
  readonly placeholders: PlaceholderOccurrence[];
  /**
   * The blocks the prompt cache sees, with their ranges, breakpoints and variables (the cache
   * advisor's input), read from the same tree as the checks; undefined without a request object.
   */
  readonly cacheLayout?: CacheLayout | undefined;
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
  let cacheLayout: CacheLayout | undefined;
  try {
    checker.check();
    cacheLayout = cacheLayoutOf(parsed.tree, checker.placeholders);
  } finally {
    parsed.tree.release();
  }
  const diagnostics = sink.finish();
  let prompt: PromptFile | undefined;
  const valid = !hasErrors(diagnostics);
  return {
    diagnostics,
    placeholders: checker.placeholders,
    cacheLayout,
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
