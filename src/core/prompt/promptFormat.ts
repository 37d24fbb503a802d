// The .prompt.json format as types: the file's contents, the diagnostics a check reports and the
// options a check takes. Types only, imported by the parser (promptFile.ts), the checks
// (promptChecks.ts), templating (template.ts) and everything that reads a prompt, so none of those
// has to import another just for a type (they used to import each other in a circle).
import type { ChunkDeclaration } from '../chunking/chunkDeclaration';
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
  /** Marks the variable for chunking: its text is split and the prompt runs once per chunk. */
  chunk?: ChunkDeclaration;
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
  /** The rows "Run Prompt over Dataset" runs this prompt over. */
  dataset?: PromptDataset;
  request: MessagesRequest;
}

/** A prompt's dataset: a CSV, JSON Lines or JSON file, or a folder, and how its columns bind to {{variables}}. */
export interface PromptDataset {
  /** Relative to the prompt file; must stay inside the workspace. */
  path: string;
  /** variable name -> column name; other variables bind to the column of their own name. */
  map?: Record<string, string>;
  /** The column that identifies each row in the results (default: the row's index). */
  keyColumn?: string;
  /** CSV delimiter (one character); default "," ("\t" for .tsv). */
  delimiter?: string;
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
  | 'unsupported-file-type'
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

export interface PromptParseOptions {
  /**
   * Looks up a file the prompt names (a variable's `file`, the `valuesFile`), path as written.
   * Without it, files are not checked and the values file's keys are unknown. The path's text is
   * checked before it is called (absolute and network paths never reach it).
   */
  namedFile?: (path: string) => NamedFileLookup;
  /**
   * Looks up a workspace file a document or image block names (`"source": { "type":
   * "workspace_file", "path" }`) without reading it: it is uploaded, not inlined, so only where it
   * is and its size matter. Without it, these paths are checked as text only.
   */
  workspaceFile?: (path: string) => NamedFileLookup;
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
