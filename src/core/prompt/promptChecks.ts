// The semantic checks of a .prompt.json file, run over its positional JSON tree in linear time
// (each value is looked at a bounded number of times): types and required fields of the workbench keys and of the Messages API request, rules
// the current API version enforces with a 400 error, the model catalogue's limits, and the
// prompt's variables against its {{placeholders}}. Every diagnostic points at the exact key,
// value or placeholder. promptFile.ts is the entry point; this module is its engine.

import { formatCount } from '../format';
import { FAST_MODE_MODELS, findModel, TASK_BUDGET_BETA } from '../models/modelCatalogue';
import { writtenPathProblem, type NamedFileLookup } from '../files/namedFiles';
import { acceptedExtensions, uploadMediaType, WORKSPACE_FILE_SOURCE } from '../files/workspaceFileRefs';
import type { PlaceholderOccurrence, PromptDiagnostic, PromptDiagnosticCode, PromptDiagnosticSeverity, PromptParseOptions } from './promptFormat';
import type { JsonTree } from './promptJsonTree';
import { scanPlaceholders, VARIABLE_NAME } from './template';

/** The anthropic-version this project targets (see ../shared/anthropic-api.md §1.1). */
export const CURRENT_API_VERSION = '2026-10-21';

/** Request fields that API version 2026-10-21 rejects with a 400 error, even at their defaults, and SDK 1.x no longer has. */
export const REMOVED_SAMPLING_PARAMETERS: readonly string[] = ['temperature', 'top_p', 'top_k'];

/** Collects diagnostics up to a limit, counting the rest. */
export class DiagnosticSink {
  private readonly list: PromptDiagnostic[] = [];
  private omitted = 0;
  private omittedErrors = 0;
  private omittedWarnings = 0;

  constructor(private readonly limit: number) {}

  add(offset: number, length: number, severity: PromptDiagnosticSeverity, code: PromptDiagnosticCode, message: string): void {
    if (this.list.length < this.limit) {
      this.list.push({ offset, length, severity, code, message });
      return;
    }
    this.omitted++;
    if (severity === 'error') this.omittedErrors++;
    else if (severity === 'warning') this.omittedWarnings++;
  }

  /**
   * The diagnostics in document order; when some were left out, one more at the end that counts
   * them and carries their worst severity (so hasErrors stays true).
   */
  finish(): PromptDiagnostic[] {
    this.list.sort((a, b) => a.offset - b.offset);
    if (this.omitted > 0) {
      const severity: PromptDiagnosticSeverity = this.omittedErrors > 0 ? 'error' : this.omittedWarnings > 0 ? 'warning' : 'info';
      this.list.push({
        offset: 0,
        length: 0,
        severity,
        code: 'too-many-problems',
        message: `${this.omitted} more problems not shown (${plural(this.omittedErrors, 'error')}, ${plural(this.omittedWarnings, 'warning')}). Fix the ones above and the rest will appear.`,
      });
    }
    return this.list;
  }
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

const TOP_LEVEL_KEYS = new Set(['$schema', 'name', 'description', 'variables', 'valuesFile', 'expectedOutputTokens', 'betas', 'dataset', 'request']);
const REQUEST_FIELDS_OFTEN_MISPLACED = new Set(['model', 'max_tokens', 'messages', 'system', 'tools', 'tool_choice', 'thinking', 'output_config', 'stop_sequences', 'metadata']);
const ROLES = ['user', 'assistant', 'system'] as const;
/** Content block types accepted in messages (../shared/anthropic-api.md §6.1, plus the server tool result blocks replayed from history). */
const KNOWN_BLOCK_TYPES: readonly string[] = [
  'text',
  'image',
  'document',
  'search_result',
  'thinking',
  'redacted_thinking',
  'tool_use',
  'tool_result',
  'server_tool_use',
  'container_upload',
  'web_search_tool_result',
  'web_fetch_tool_result',
  'code_execution_tool_result',
  'bash_code_execution_tool_result',
  'text_editor_code_execution_tool_result',
  'tool_search_tool_result',
];
const THINKING_TYPES = ['enabled', 'adaptive', 'disabled', 'between_tools'];
const EFFORT_LEVELS = ['low', 'medium', 'high', 'xhigh', 'max'];
const TOOL_CHOICE_TYPES = ['auto', 'any', 'tool', 'none'];
/** Where fast mode is available, in words, from the catalogue the fast-mode check reads. */
export const FAST_MODE_AVAILABILITY = fastModeAvailability();
const MAX_CACHE_BREAKPOINTS = 4;
const MIN_THINKING_BUDGET = 1024;

/** Checks one parsed prompt; run check() once, then read placeholders. */
export class PromptChecker {
  readonly placeholders: PlaceholderOccurrence[] = [];
  private readonly text: string;
  /** Variables declared in the prompt, with the node of each declaration. */
  private readonly declared = new Map<string, number>();
  private readonly used = new Set<string>();
  /** Names supplied by the values file, when it could be read. */
  private readonly supplied = new Set<string>();
  /** Whether there is a values file whose keys are unknown (it could not be read here). */
  private valuesFileUnread = false;
  private betas: string[] = [];
  private cacheBreakpoints = 0;
  /** The `chunk` nodes of the variables, in order (only one may be chunked). */
  private readonly chunkedVariables: number[] = [];

  constructor(
    private readonly tree: JsonTree,
    private readonly options: PromptParseOptions,
    private readonly sink: DiagnosticSink,
  ) {
    this.text = tree.text;
  }

  check(): void {
    const tree = this.tree;
    const root = 0;
    if (tree.type(root) !== 'object') {
      this.errorAt(root, 'wrong-type', 'A .prompt.json file must be a JSON object with a "request" key holding a Messages API request.');
      return;
    }
    let request = -1;
    for (let child = tree.firstChild(root); child !== -1; child = tree.nextSibling(child)) {
      const key = tree.key(child) as string;
      switch (key) {
        case '$schema':
        case 'name':
        case 'description':
          this.expectType(child, 'string', `"${key}" must be a string.`);
          break;
        case 'variables':
          this.checkVariables(child);
          break;
        case 'valuesFile':
          this.checkValuesFile(child);
          break;
        case 'expectedOutputTokens':
          this.expectWholeNumber(child, 0, '"expectedOutputTokens" must be a whole number of tokens (0 or more).');
          break;
        case 'betas':
          this.checkBetas(child);
          break;
        case 'dataset':
          this.checkDataset(child);
          break;
        case 'request':
          request = child;
          break;
        default:
          if (REQUEST_FIELDS_OFTEN_MISPLACED.has(key)) {
            this.warnAtKey(child, 'unknown-key', `"${key}" is a request field: move it inside "request".`);
          } else if (!TOP_LEVEL_KEYS.has(key)) {
            this.warnAtKey(child, 'unknown-key', `Unknown key "${key}": the workbench ignores it. Request fields go inside "request".`);
          }
      }
    }
    if (request === -1) {
      this.sink.add(tree.offset(root), 1, 'error', 'missing-request', 'Missing "request": add the Messages API request body (model, max_tokens, messages).');
    } else {
      this.checkRequest(request);
    }
    this.reportVariableUse();
  }

  // ----- top level

  private checkVariables(node: number): void {
    const tree = this.tree;
    if (!this.expectType(node, 'object', '"variables" must be an object mapping each variable name to its default value or to { "default", "description", "file", "chunk" }.')) return;
    for (let child = tree.firstChild(node); child !== -1; child = tree.nextSibling(child)) {
      const name = tree.key(child) as string;
      this.declared.set(name, child);
      if (!VARIABLE_NAME.test(name)) {
        this.errorAtKey(child, 'invalid-variable-name', `"${name}" cannot be used as {{${name}}}: a variable name starts with a letter or _ and has only letters, digits, _, . and -.`);
      }
      const type = tree.type(child);
      if (type === 'string' || type === 'number' || type === 'boolean') continue;
      if (type !== 'object') {
        this.errorAt(child, 'wrong-type', `Variable "${name}" must be a default value (string, number or boolean) or an object { "default", "description", "file" }.`);
        continue;
      }
      let defaultNode = -1;
      let fileNode = -1;
      let isChunked = false;
      for (let field = tree.firstChild(child); field !== -1; field = tree.nextSibling(field)) if (tree.key(field) === 'chunk') isChunked = true;
      for (let field = tree.firstChild(child); field !== -1; field = tree.nextSibling(field)) {
        const key = tree.key(field) as string;
        if (key === 'default') {
          defaultNode = field;
          const fieldType = tree.type(field);
          if (fieldType !== 'string' && fieldType !== 'number' && fieldType !== 'boolean') this.errorAt(field, 'wrong-type', 'A default value must be a string, number or boolean.');
        } else if (key === 'description') {
          this.expectType(field, 'string', 'A variable description must be a string.');
        } else if (key === 'file') {
          fileNode = field;
          if (!this.expectType(field, 'string', '"file" must be a path relative to this prompt file.')) continue;
          if (isChunked) {
            // A chunked file may be far larger than a prompt's named files: it is read when the run
            // over its chunks is planned, never while typing. Its path obeys the same rule.
            const problem = writtenPathProblem(tree.stringValue(field));
            if (problem) this.errorAt(field, problem.code, problem.message.replace(/ Nothing was read\.$/, ''));
          } else this.checkReferencedFile(field, `the file of variable "${name}"`);
        } else if (key === 'chunk') {
          this.chunkedVariables.push(field);
          this.checkChunk(field, name);
        } else {
          this.warnAtKey(field, 'unknown-key', `Unknown key "${key}" in variable "${name}": use "default", "description", "file" or "chunk".`);
        }
      }
      if (defaultNode !== -1 && fileNode !== -1) {
        this.errorAtKey(fileNode, 'conflicting-variable-source', `Variable "${name}" has both a "default" and a "file": keep one.`);
      }
    }
    for (const extra of this.chunkedVariables.slice(1)) {
      this.errorAtKey(extra, 'invalid-value', 'Only one variable of a prompt can be chunked: remove "chunk" from all but one.');
    }
  }

  /**
   * `chunk` on a variable: the target and overlap in tokens, the preferred boundary and the reduce
   * step. A reduce prompt's path is checked like every path a prompt names (relative, inside the
   * workspace, present).
   */
  private checkChunk(node: number, variable: string): void {
    const tree = this.tree;
    if (!this.expectType(node, 'object', '"chunk" must be an object: { "targetTokens", "overlapTokens", "boundary", "reduce" }.')) return;
    let target: number | undefined;
    let overlapNode = -1;
    for (let field = tree.firstChild(node); field !== -1; field = tree.nextSibling(field)) {
      const key = tree.key(field) as string;
      switch (key) {
        case 'targetTokens':
          if (this.expectWholeNumber(field, 1, '"targetTokens" must be a whole number of tokens (1 or more).')) target = tree.numberValue(field);
          break;
        case 'overlapTokens':
          if (this.expectWholeNumber(field, 0, '"overlapTokens" must be a whole number of tokens (0 or more).')) overlapNode = field;
          break;
        case 'boundary':
          this.expectOneOf(field, ['paragraph', 'sentence', 'line'], false);
          break;
        case 'reduce':
          this.checkReduce(field);
          break;
        default:
          this.warnAtKey(field, 'unknown-key', `Unknown key "${key}" in the chunking of "${variable}": use "targetTokens", "overlapTokens", "boundary" or "reduce".`);
      }
    }
    if (overlapNode !== -1 && target !== undefined && tree.numberValue(overlapNode) * 2 > target) {
      this.errorAt(overlapNode, 'invalid-value', `The overlap must be at most half the chunk target (${target} tokens): consecutive chunks would repeat more than they add.`);
    }
  }

  private checkReduce(node: number): void {
    const tree = this.tree;
    if (tree.type(node) === 'string') {
      if (tree.stringValue(node) !== 'concatenate') this.errorAt(node, 'invalid-value', '"reduce" is "concatenate", or an object { "type": "concatenate" | "prompt" | "request", ... }.');
      return;
    }
    if (!this.expectType(node, 'object', '"reduce" is "concatenate", or an object { "type": "concatenate" | "prompt" | "request", ... }.')) return;
    const fields = new Map<string, number>();
    for (let field = tree.firstChild(node); field !== -1; field = tree.nextSibling(field)) fields.set(tree.key(field) as string, field);
    const typeNode = fields.get('type');
    if (typeNode === undefined) {
      this.errorAt(node, 'missing-field', '"reduce" needs a "type": "concatenate", "prompt" (a second .prompt.json) or "request" (an inline request).');
      return;
    }
    const type = this.expectOneOf(typeNode, ['concatenate', 'prompt', 'request'], false);
    const allowed: Record<string, string[]> = { concatenate: ['type', 'marker'], prompt: ['type', 'path'], request: ['type', 'request'] };
    if (type === undefined) return;
    for (const [key, field] of fields) {
      if (!allowed[type]!.includes(key)) this.warnAtKey(field, 'unknown-key', `Unknown key "${key}" in a "${type}" reduce: use ${allowed[type]!.map((k) => `"${k}"`).join(', ')}.`);
    }
    if (type === 'concatenate') {
      const marker = fields.get('marker');
      if (marker !== undefined) this.expectType(marker, 'string', '"marker" is the line before each result; {{index}} and {{count}} are filled in.');
    } else if (type === 'prompt') {
      const path = fields.get('path');
      if (path === undefined) this.errorAt(node, 'missing-field', 'A "prompt" reduce needs a "path": a .prompt.json with {{results}}, relative to this prompt file.');
      else if (this.expectType(path, 'string', '"path" must be a .prompt.json relative to this prompt file.')) {
        const lookup = this.lookUpFile(path, tree.stringValue(path), 'the reduce prompt');
        if (lookup?.kind === 'found' && !/\{\{\s*results\s*\}\}/.test(lookup.text)) {
          this.warnAt(path, 'invalid-value', 'The reduce prompt has no {{results}}: the chunk results would not reach it.');
        }
      }
    } else {
      const request = fields.get('request');
      if (request === undefined) this.errorAt(node, 'missing-field', 'A "request" reduce needs a "request": a Messages API body whose text holds {{results}}.');
      else if (this.expectType(request, 'object', '"request" must be a Messages API request body.')) {
        const source = this.text.slice(tree.offset(request), tree.offset(request) + tree.length(request));
        if (!/\{\{\s*results\s*\}\}/.test(source)) this.warnAt(request, 'invalid-value', 'The reduce request has no {{results}}: the chunk results would not reach it.');
      }
    }
  }

  private checkValuesFile(node: number): void {
    if (!this.expectType(node, 'string', '"valuesFile" must be a path (relative to this prompt file) to a JSON object of variable values.')) return;
    const path = this.tree.stringValue(node);
    const lookup = this.lookUpFile(node, path, 'the values file');
    if (lookup?.kind !== 'found') {
      this.valuesFileUnread = true;
      return;
    }
    let values: unknown;
    try {
      values = JSON.parse(lookup.text);
    } catch (err) {
      this.errorAt(node, 'invalid-values-file', `The values file ${path} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
      this.valuesFileUnread = true;
      return;
    }
    if (values === null || typeof values !== 'object' || Array.isArray(values)) {
      this.errorAt(node, 'invalid-values-file', `The values file ${path} must hold a JSON object mapping variable names to values.`);
      this.valuesFileUnread = true;
      return;
    }
    for (const name of Object.keys(values)) this.supplied.add(name);
  }

  private checkReferencedFile(node: number, what: string): void {
    this.lookUpFile(node, this.tree.stringValue(node), what);
  }

  /**
   * Checks a path the prompt names: its text first (absolute and network paths are refused
   * without asking the host), then what the host found there. Reports any problem at the path;
   * undefined when the host was not asked.
   */
  private lookUpFile(node: number, path: string, what: string, find: ((path: string) => NamedFileLookup) | undefined = this.options.namedFile): NamedFileLookup | undefined {
    const written = writtenPathProblem(path);
    if (written) {
      this.errorAt(node, written.code, `${written.message} (${what})`);
      return { kind: 'problem', ...written };
    }
    const lookup = find?.(path);
    if (lookup?.kind === 'problem') {
      const message = lookup.code === 'file-not-found' ? `File not found: ${path} (${what}; paths are relative to this prompt file).` : `${lookup.message} (${what})`;
      this.errorAt(node, lookup.code, message);
    } else if (lookup?.kind === 'unchecked') {
      this.sink.add(this.tree.offset(node), this.tree.length(node), 'info', 'file-not-read', `${path} was not read: ${lookup.reason} (${what}).`);
    }
    return lookup;
  }

  private checkBetas(node: number): void {
    const tree = this.tree;
    if (!this.expectType(node, 'array', '"betas" must be an array of beta names, e.g. ["task-budgets-2026-03-13"].')) return;
    for (let item = tree.firstChild(node); item !== -1; item = tree.nextSibling(item)) {
      if (this.expectType(item, 'string', 'A beta name must be a string.')) this.betas.push(tree.stringValue(item));
    }
  }

  /**
   * `dataset`: the rows "Run Prompt over Dataset" runs this prompt over. Only its shape is checked
   * here (the file is read when the job is planned, never while typing); the path follows the same
   * rule as every path a prompt names: relative, and inside the workspace.
   */
  private checkDataset(node: number): void {
    const tree = this.tree;
    if (!this.expectType(node, 'object', '"dataset" must be an object: { "path", "map", "keyColumn", "delimiter" }.')) return;
    let hasPath = false;
    for (let field = tree.firstChild(node); field !== -1; field = tree.nextSibling(field)) {
      const key = tree.key(field) as string;
      switch (key) {
        case 'path': {
          hasPath = true;
          if (!this.expectType(field, 'string', '"path" must be the dataset\'s path, relative to this prompt file.')) break;
          const problem = writtenPathProblem(tree.stringValue(field));
          if (problem) this.errorAt(field, problem.code, problem.message.replace(/ Nothing was read\.$/, ''));
          break;
        }
        case 'keyColumn':
          this.expectType(field, 'string', '"keyColumn" must be the name of the column that identifies each row.');
          break;
        case 'delimiter':
          if (this.expectType(field, 'string', '"delimiter" must be one character, e.g. ";" or "\\t".') && [...tree.stringValue(field)].length !== 1) {
            this.errorAt(field, 'invalid-value', '"delimiter" must be exactly one character, e.g. ";" or "\\t".');
          }
          break;
        case 'map':
          if (!this.expectType(field, 'object', '"map" must be an object from variable name to column name, e.g. { "ticket": "body" }.')) break;
          for (let entry = tree.firstChild(field); entry !== -1; entry = tree.nextSibling(entry)) {
            this.expectType(entry, 'string', `The column for {{${tree.key(entry) as string}}} must be a column name (a string).`);
          }
          break;
        default:
          this.warnAtKey(field, 'unknown-key', `Unknown key "${key}" in "dataset": use "path", "map", "keyColumn" or "delimiter".`);
      }
    }
    if (!hasPath) this.errorAt(node, 'missing-field', '"dataset" needs a "path": the CSV, JSON Lines or JSON file, or a folder, relative to this prompt file.');
  }

  // ----- request

  private checkRequest(request: number): void {
    const tree = this.tree;
    if (!this.expectType(request, 'object', '"request" must be an object: the Messages API request body.')) return;
    let model: string | undefined;
    let maxTokens: number | undefined;
    let modelNode = -1;
    let maxTokensNode = -1;
    let messagesNode = -1;
    let thinkingNode = -1;
    let toolsNode = -1;
    let toolChoiceNode = -1;
    let outputConfigNode = -1;
    let speedNode = -1;
    for (let field = tree.firstChild(request); field !== -1; field = tree.nextSibling(field)) {
      const key = tree.key(field) as string;
      switch (key) {
        case 'model':
          modelNode = field;
          break;
        case 'max_tokens':
          maxTokensNode = field;
          break;
        case 'messages':
          messagesNode = field;
          break;
        case 'system':
          this.checkSystem(field);
          break;
        case 'tools':
          toolsNode = field;
          break;
        case 'tool_choice':
          toolChoiceNode = field;
          break;
        case 'thinking':
          thinkingNode = field;
          break;
        case 'output_config':
          outputConfigNode = field;
          break;
        case 'speed':
          speedNode = field;
          break;
        case 'cache_control':
          // Top-level automatic caching places its breakpoint itself; it is not counted here.
          this.checkCacheControl(field, false);
          break;
        case 'stop_sequences':
          if (this.expectType(field, 'array', '"stop_sequences" must be an array of strings.')) {
            for (let item = tree.firstChild(field); item !== -1; item = tree.nextSibling(item)) this.expectType(item, 'string', 'A stop sequence must be a string.');
          }
          break;
        case 'metadata':
          this.expectType(field, 'object', '"metadata" must be an object such as { "user_id": "…" }.');
          break;
        case 'stream':
          this.expectType(field, 'boolean', '"stream" must be true or false.');
          break;
        case 'service_tier':
          this.expectOneOf(field, ['auto', 'standard_only'], false);
          break;
        default:
          if (REMOVED_SAMPLING_PARAMETERS.includes(key)) {
            this.warnAtKey(
              field,
              'sampling-parameter-removed',
              `"${key}" is rejected with a 400 error by the current API version (${CURRENT_API_VERSION}), even at its default value, and SDK 1.x no longer has it. Remove it (steer the output with the prompt or output_config.effort instead).`,
            );
          }
      }
    }

    const missing = (name: string, hint: string): void => this.errorAtKey(request, 'missing-field', `The request has no "${name}": ${hint}`);

    if (modelNode === -1) missing('model', 'add a model id such as "claude-sonnet-5-5".');
    else if (this.expectType(modelNode, 'string', '"model" must be a model id string such as "claude-sonnet-5-5".')) model = tree.stringValue(modelNode);
    // A model chosen through a placeholder is only known at run time.
    const concreteModel = model !== undefined && !model.includes('{{') ? model : undefined;
    if (concreteModel !== undefined) this.checkModel(modelNode, concreteModel);

    if (maxTokensNode === -1) missing('max_tokens', 'add the maximum number of tokens to generate, e.g. 1024.');
    else if (this.expectWholeNumber(maxTokensNode, 0, '"max_tokens" must be a whole number of tokens, e.g. 1024.')) {
      maxTokens = tree.numberValue(maxTokensNode);
      this.checkMaxTokens(maxTokensNode, maxTokens, concreteModel);
    }

    if (messagesNode === -1) missing('messages', 'add [{ "role": "user", "content": "…" }].');
    else this.checkMessages(messagesNode);

    if (toolsNode !== -1) this.checkTools(toolsNode);
    if (toolChoiceNode !== -1) this.checkToolChoice(toolChoiceNode, toolsNode, concreteModel);
    if (thinkingNode !== -1) this.checkThinking(thinkingNode, maxTokens);
    if (outputConfigNode !== -1) this.checkOutputConfig(outputConfigNode);
    if (speedNode !== -1 && this.expectOneOf(speedNode, ['standard', 'fast'], true) === 'fast' && concreteModel !== undefined) {
      const known = findModel(concreteModel);
      // An error, not an unknown price: the API refuses the request, so it is never sent.
      if (known && !known.fastMode) this.sink.add(tree.offset(speedNode), tree.length(speedNode), 'error', 'invalid-value', `${known.displayName} has no fast mode: the API refuses "speed": "fast". Remove it or pick another model. ${FAST_MODE_AVAILABILITY}`);
      const beta = known?.fastMode?.beta;
      if (known && beta !== undefined && !this.betas.includes(beta)) {
        this.sink.add(tree.offset(speedNode), tree.length(speedNode), 'info', 'beta-required', `Fast mode on ${known.displayName} needs the beta "${beta}": the workbench adds it when it counts and sends this prompt (list it in "betas" to say so here).`);
      }
    }

    this.findPlaceholders(request);
  }

  private checkModel(node: number, model: string): void {
    const known = findModel(model);
    if (known?.deprecated) {
      this.warnAt(node, 'deprecated-model', `${known.displayName} is deprecated and will stop working: move to a current model such as claude-sonnet-5-5.`);
    } else if (!known && this.options.maxOutputTokens?.(model) === undefined) {
      this.sink.add(
        this.tree.offset(node),
        this.tree.length(node),
        'info',
        'unknown-model',
        `"${model}" is not in the bundled model list, so max_tokens cannot be checked here. Check the spelling if the API answers "model not found".`,
      );
    }
  }

  private checkMaxTokens(node: number, maxTokens: number, model: string | undefined): void {
    if (maxTokens === 0) {
      this.sink.add(this.tree.offset(node), this.tree.length(node), 'info', 'max-tokens-zero', 'max_tokens 0 only pre-warms the prompt cache: the reply has no content.');
      return;
    }
    if (model === undefined) return;
    const limit = this.options.maxOutputTokens?.(model) ?? findModel(model)?.maxOutputTokens;
    if (limit !== undefined && maxTokens > limit) {
      this.errorAt(node, 'max-tokens-above-model', `max_tokens ${maxTokens} is above the ${formatCount(limit)} output tokens ${model} can produce: lower it to ${limit} or less.`);
    }
  }

  private checkSystem(node: number): void {
    const tree = this.tree;
    const type = tree.type(node);
    if (type === 'string') return;
    if (type !== 'array') {
      this.errorAt(node, 'wrong-type', '"system" must be a string or an array of text blocks ({ "type": "text", "text": "…" }).');
      return;
    }
    for (let block = tree.firstChild(node); block !== -1; block = tree.nextSibling(block)) {
      if (!this.expectType(block, 'object', 'A system block must be an object { "type": "text", "text": "…" }.')) continue;
      const blockType = this.checkBlockType(block);
      if (blockType !== undefined && blockType !== 'text') {
        this.errorAt(tree.property(block, 'type'), 'block-not-allowed', `"system" holds only text blocks, not "${blockType}".`);
      } else if (blockType === 'text') {
        this.checkTextBlock(block);
      }
      const cacheControl = tree.property(block, 'cache_control');
      if (cacheControl !== -1) this.checkCacheControl(cacheControl, true);
    }
  }

  private checkMessages(node: number): void {
    const tree = this.tree;
    if (!this.expectType(node, 'array', '"messages" must be an array of { "role", "content" } objects.')) return;
    if (tree.childCount(node) === 0) {
      this.sink.add(tree.offset(node), tree.length(node), 'error', 'empty-messages', '"messages" is empty: add at least one { "role": "user", "content": "…" }.');
      return;
    }
    let seenConversation = false;
    let lastRoleNode = -1;
    let lastRole: string | undefined;
    for (let message = tree.firstChild(node); message !== -1; message = tree.nextSibling(message)) {
      lastRole = undefined;
      if (!this.expectType(message, 'object', 'A message must be an object { "role": "user" | "assistant", "content": … }.')) continue;
      let roleNode = -1;
      let contentNode = -1;
      for (let field = tree.firstChild(message); field !== -1; field = tree.nextSibling(field)) {
        if (tree.keyIs(field, 'role')) roleNode = field;
        else if (tree.keyIs(field, 'content')) contentNode = field;
      }
      let role: string | undefined;
      if (roleNode === -1) {
        this.sink.add(tree.offset(message), 1, 'error', 'missing-field', 'This message has no "role": add "role": "user" or "assistant".');
      } else if (this.expectType(roleNode, 'string', '"role" must be "user" or "assistant".')) {
        role = tree.stringAmong(roleNode, ROLES);
        if (role === undefined) {
          this.errorAt(
            roleNode,
            'invalid-value',
            `Unknown role "${tree.stringValue(roleNode)}": use "user" or "assistant" ("system" only where the model supports it; the top-level "system" field works everywhere).`,
          );
        }
      }
      if (role !== undefined && role !== 'system') {
        if (!seenConversation && role !== 'user') {
          this.errorAt(roleNode, 'first-message-not-user', `The first message must come from the user, not the ${role}: add a user message before it.`);
        }
        seenConversation = true;
        lastRole = role;
        lastRoleNode = roleNode;
      }
      if (contentNode === -1) this.sink.add(tree.offset(message), 1, 'error', 'missing-field', 'This message has no "content": add "content": "…".');
      else this.checkContent(contentNode, role);
    }
    if (lastRole === 'assistant' && tree.childCount(node) > 1) {
      this.warnAt(
        lastRoleNode,
        'assistant-prefill',
        'The last message is from the assistant (a prefill). Claude 4.6 and later models reject prefills with a 400 error: end with a user message, or use output_config.format for structured output.',
      );
    }
  }

  private checkContent(node: number, role: string | undefined): void {
    const tree = this.tree;
    const type = tree.type(node);
    if (type === 'string') return;
    if (type !== 'array') {
      this.errorAt(node, 'wrong-type', '"content" must be a string or an array of content blocks ({ "type": "text", "text": "…" }, …).');
      return;
    }
    for (let block = tree.firstChild(node); block !== -1; block = tree.nextSibling(block)) {
      if (!this.expectType(block, 'object', 'A content block must be an object with a "type", e.g. { "type": "text", "text": "…" }.')) continue;
      const blockType = this.checkBlockType(block);
      if (blockType !== undefined) {
        if (!KNOWN_BLOCK_TYPES.includes(blockType)) {
          this.warnAt(tree.property(block, 'type'), 'unknown-block-type', `Unknown content block type "${blockType}": the API may reject it. Known types: text, image, document, search_result, tool_use, tool_result, thinking, …`);
        } else if (role === 'system' && blockType !== 'text') {
          this.errorAt(tree.property(block, 'type'), 'block-not-allowed', `A system message holds only text blocks, not "${blockType}".`);
        } else if (role === 'assistant' && blockType === 'document') {
          this.errorAt(tree.property(block, 'type'), 'block-not-allowed', `A document block directly in an assistant message is rejected with a 400 error by API version ${CURRENT_API_VERSION}: put it in a user message.`);
        } else {
          this.checkBlockFields(block, blockType, role);
        }
      }
      const cacheControl = tree.property(block, 'cache_control');
      if (cacheControl !== -1) this.checkCacheControl(cacheControl, true);
    }
  }

  /** The block's type, after reporting a missing or non-string one. */
  private checkBlockType(block: number): string | undefined {
    const typeNode = this.tree.property(block, 'type');
    if (typeNode === -1) {
      this.sink.add(this.tree.offset(block), 1, 'error', 'missing-field', 'This block has no "type": add e.g. "type": "text".');
      return undefined;
    }
    if (!this.expectType(typeNode, 'string', '"type" must be a string such as "text".')) return undefined;
    return this.tree.stringAmong(typeNode, KNOWN_BLOCK_TYPES) ?? this.tree.stringValue(typeNode);
  }

  private checkTextBlock(block: number): void {
    const text = this.tree.property(block, 'text');
    if (text === -1) this.sink.add(this.tree.offset(block), 1, 'error', 'missing-field', 'This text block has no "text".');
    else this.expectType(text, 'string', '"text" must be a string.');
  }

  private checkBlockFields(block: number, blockType: string, role: string | undefined): void {
    const tree = this.tree;
    const requireField = (name: string, type: 'string' | 'object'): void => {
      const field = tree.property(block, name);
      if (field === -1) this.sink.add(tree.offset(block), 1, 'error', 'missing-field', `This ${blockType} block has no "${name}".`);
      else this.expectType(field, type, `"${name}" must be ${type === 'string' ? 'a string' : 'an object'}.`);
    };
    switch (blockType) {
      case 'text': {
        this.checkTextBlock(block);
        const citations = tree.property(block, 'citations');
        if (role === 'user' && citations !== -1 && tree.type(citations) === 'array' && tree.childCount(citations) > 0) {
          this.errorAtKey(citations, 'block-not-allowed', `A text block with citations in a user message is rejected with a 400 error by API version ${CURRENT_API_VERSION}: remove "citations".`);
        }
        break;
      }
      case 'image':
      case 'document': {
        requireField('source', 'object');
        const source = tree.property(block, 'source');
        const sourceType = source !== -1 && tree.type(source) === 'object' ? tree.property(source, 'type') : -1;
        if (sourceType !== -1 && tree.type(sourceType) === 'string' && tree.stringValue(sourceType) === WORKSPACE_FILE_SOURCE) this.checkWorkspaceFile(source, blockType);
        break;
      }
      case 'tool_use':
      case 'server_tool_use':
        requireField('id', 'string');
        requireField('name', 'string');
        requireField('input', 'object');
        break;
      case 'tool_result':
        requireField('tool_use_id', 'string');
        break;
    }
  }

  /** A workspace file to upload: a relative path inside the workspace, of a type the block takes. */
  private checkWorkspaceFile(source: number, blockType: 'image' | 'document'): void {
    const tree = this.tree;
    const path = tree.property(source, 'path');
    if (path === -1) {
      this.sink.add(tree.offset(source), 1, 'error', 'missing-field', 'A "workspace_file" source needs a "path": a file in this workspace, relative to this prompt.');
      return;
    }
    if (!this.expectType(path, 'string', '"path" must be a string: a file in this workspace, relative to this prompt.')) return;
    const written = tree.stringValue(path);
    if (!uploadMediaType(written, blockType)) {
      this.errorAt(path, 'unsupported-file-type', `${written} cannot go in ${blockType === 'image' ? 'an image' : 'a document'} block: use one of ${acceptedExtensions(blockType)}.`);
      return;
    }
    this.lookUpFile(path, written, `a file to upload with the Files API`, this.options.workspaceFile);
  }

  private checkCacheControl(node: number, counts: boolean): void {
    const tree = this.tree;
    if (tree.type(node) === 'null') return;
    if (!this.expectType(node, 'object', '"cache_control" must be { "type": "ephemeral" } or { "type": "ephemeral", "ttl": "1h" }.')) return;
    const type = tree.property(node, 'type');
    if (type === -1) this.sink.add(tree.offset(node), 1, 'error', 'missing-field', '"cache_control" needs "type": "ephemeral".');
    else this.expectOneOf(type, ['ephemeral'], false);
    const ttl = tree.property(node, 'ttl');
    if (ttl !== -1) this.expectOneOf(ttl, ['5m', '1h'], false);
    if (counts && ++this.cacheBreakpoints === MAX_CACHE_BREAKPOINTS + 1) {
      this.warnAtKey(node, 'too-many-cache-breakpoints', `More than ${MAX_CACHE_BREAKPOINTS} cache_control breakpoints: a request may have at most ${MAX_CACHE_BREAKPOINTS}. Keep the ones at the end of the longest stable prefixes.`);
    }
  }

  private checkTools(node: number): void {
    const tree = this.tree;
    if (!this.expectType(node, 'array', '"tools" must be an array of tool definitions.')) return;
    const names = new Set<string>();
    for (let tool = tree.firstChild(node); tool !== -1; tool = tree.nextSibling(tool)) {
      if (!this.expectType(tool, 'object', 'A tool must be an object with "name", "description" and "input_schema" (or a server tool "type").')) continue;
      const typeNode = tree.property(tool, 'type');
      const type = typeNode !== -1 && tree.type(typeNode) === 'string' ? tree.stringValue(typeNode) : undefined;
      const custom = typeNode === -1 || type === 'custom' || tree.type(typeNode) === 'null';
      const nameNode = tree.property(tool, 'name');
      if (nameNode === -1) {
        this.sink.add(tree.offset(tool), 1, 'error', 'missing-field', custom ? 'This tool has no "name".' : `This ${type ?? 'server'} tool has no "name".`);
      } else if (this.expectType(nameNode, 'string', 'A tool "name" must be a string.')) {
        const name = tree.stringValue(nameNode);
        if (names.has(name)) this.errorAt(nameNode, 'duplicate-tool-name', `Another tool is already named "${name}": tool names must be unique.`);
        names.add(name);
      }
      if (custom) {
        const schema = tree.property(tool, 'input_schema');
        if (schema === -1) this.sink.add(tree.offset(tool), 1, 'error', 'missing-field', 'This tool has no "input_schema": add a JSON Schema such as { "type": "object", "properties": { … } }.');
        else this.expectType(schema, 'object', '"input_schema" must be a JSON Schema object with "type": "object".');
      }
      const cacheControl = tree.property(tool, 'cache_control');
      if (cacheControl !== -1) this.checkCacheControl(cacheControl, true);
    }
  }

  private checkToolChoice(node: number, toolsNode: number, model: string | undefined): void {
    const tree = this.tree;
    if (!this.expectType(node, 'object', '"tool_choice" must be an object such as { "type": "auto" }.')) return;
    const typeNode = tree.property(node, 'type');
    if (typeNode === -1) {
      this.sink.add(tree.offset(node), 1, 'error', 'missing-field', '"tool_choice" needs a "type": "auto", "any", "tool" or "none".');
      return;
    }
    const type = this.expectOneOf(typeNode, TOOL_CHOICE_TYPES, false);
    if ((type === 'any' || type === 'tool') && model !== undefined && findModel(model)?.rejectsForcedToolChoice === true) {
      this.warnAt(typeNode, 'forced-tool-choice-unsupported', `Forced tool use ("${type}") returns an error on ${model}: use "auto" and ask for the tool in the prompt.`);
    }
    if (type !== 'tool') return;
    const nameNode = tree.property(node, 'name');
    if (nameNode === -1) {
      this.sink.add(tree.offset(node), 1, 'error', 'missing-field', '"tool_choice" of type "tool" needs the "name" of the tool to call.');
      return;
    }
    if (!this.expectType(nameNode, 'string', '"name" must be a string.') || toolsNode === -1 || tree.type(toolsNode) !== 'array') return;
    const name = tree.stringValue(nameNode);
    for (let tool = tree.firstChild(toolsNode); tool !== -1; tool = tree.nextSibling(tool)) {
      const toolName = tree.property(tool, 'name');
      if (toolName !== -1 && tree.type(toolName) === 'string' && tree.stringValue(toolName) === name) return;
    }
    this.errorAt(nameNode, 'unknown-tool', `No tool in "tools" is named "${name}".`);
  }

  private checkThinking(node: number, maxTokens: number | undefined): void {
    const tree = this.tree;
    if (!this.expectType(node, 'object', '"thinking" must be an object such as { "type": "adaptive" }.')) return;
    const typeNode = tree.property(node, 'type');
    if (typeNode === -1) {
      this.sink.add(tree.offset(node), 1, 'error', 'missing-field', '"thinking" needs a "type": "adaptive", "enabled", "disabled" or "between_tools".');
      return;
    }
    if (this.expectOneOf(typeNode, THINKING_TYPES, false) !== 'enabled') return;
    const budget = tree.property(node, 'budget_tokens');
    if (budget === -1) {
      this.sink.add(tree.offset(node), 1, 'error', 'missing-field', `Thinking of type "enabled" needs "budget_tokens" (at least ${MIN_THINKING_BUDGET}, less than max_tokens).`);
    } else if (this.expectWholeNumber(budget, MIN_THINKING_BUDGET, `"budget_tokens" must be a whole number of at least ${MIN_THINKING_BUDGET}.`)) {
      const value = tree.numberValue(budget);
      if (maxTokens !== undefined && value >= maxTokens) {
        this.errorAt(budget, 'invalid-value', `"budget_tokens" (${value}) must be less than max_tokens (${maxTokens}): thinking tokens count toward max_tokens.`);
      }
    }
  }

  private checkOutputConfig(node: number): void {
    const tree = this.tree;
    if (!this.expectType(node, 'object', '"output_config" must be an object with "effort", "format" or "task_budget".')) return;
    const effort = tree.property(node, 'effort');
    if (effort !== -1) this.expectOneOf(effort, EFFORT_LEVELS, true);
    const format = tree.property(node, 'format');
    if (format !== -1 && tree.type(format) !== 'null' && this.expectType(format, 'object', '"format" must be { "type": "json_schema", "schema": { … } }.')) {
      const type = tree.property(format, 'type');
      if (type === -1) this.sink.add(tree.offset(format), 1, 'error', 'missing-field', '"format" needs "type": "json_schema".');
      else this.expectOneOf(type, ['json_schema'], false);
      const schema = tree.property(format, 'schema');
      if (schema === -1) this.sink.add(tree.offset(format), 1, 'error', 'missing-field', '"format" needs a "schema": the JSON Schema the reply must follow.');
      else this.expectType(schema, 'object', '"schema" must be a JSON Schema object.');
    }
    const taskBudget = tree.property(node, 'task_budget');
    if (taskBudget !== -1 && this.expectType(taskBudget, 'object', '"task_budget" must be { "type": "tokens", "total": … }.')) {
      const total = tree.property(taskBudget, 'total');
      if (total === -1) this.sink.add(tree.offset(taskBudget), 1, 'error', 'missing-field', '"task_budget" needs a "total" number of tokens.');
      else this.expectWholeNumber(total, 1, '"total" must be a whole number of tokens.');
      if (!this.betas.includes(TASK_BUDGET_BETA)) {
        this.sink.add(tree.keyOffset(taskBudget), tree.keyLength(taskBudget), 'info', 'beta-required', `"task_budget" is a beta feature: the workbench adds the beta "${TASK_BUDGET_BETA}" when it counts and sends this prompt (list it in "betas" to say so here). The budget is advisory across an agentic loop; max_tokens stays the cap of each reply and of the worst case.`);
      }
    }
  }

  // ----- placeholders and variables

  /**
   * Every placeholder in the request's string values, and placeholders written in property
   * names. The rows of a subtree are contiguous and in document order, so this is one loop.
   */
  private findPlaceholders(request: number): void {
    const tree = this.tree;
    const end = tree.end(request);
    for (let node = request + 1; node < end; node++) {
      if (tree.keyMayHoldPlaceholder(node)) {
        scanPlaceholders(tree.key(node) as string, (name) => {
          this.warnAtKey(node, 'placeholder-in-key', `{{${name}}} in a property name is not substituted: placeholders work in string values only.`);
        });
      }
      if (tree.mayHoldPlaceholder(node) && tree.type(node) === 'string') this.scanString(node);
    }
  }

  private scanString(node: number): void {
    const tree = this.tree;
    const start = tree.offset(node) + 1;
    // Usually the source between the quotes can be scanned as it is, index for index; decoding a
    // multi-megabyte document on every keystroke just to look for "{{" would cost more than parsing.
    const decode = tree.placeholdersNeedDecoding(node);
    const value = decode ? tree.stringValue(node) : tree.sourceContent(node);
    const toOffset = decode ? sourceOffsetMapper(this.text, start) : (index: number) => start + index;
    scanPlaceholders(
      value,
      (name, index, length) => {
        const offset = toOffset(index);
        const end = toOffset(index + length);
        this.placeholders.push({ name, offset, length: end - offset });
        this.used.add(name);
        if (this.declared.has(name) || this.supplied.has(name)) return;
        if (this.valuesFileUnread) {
          this.sink.add(offset, end - offset, 'warning', 'undefined-variable', `Variable "${name}" is not declared in "variables": it must come from the values file, or it will be asked for when the prompt runs.`);
        } else {
          this.sink.add(
            offset,
            end - offset,
            'error',
            'undefined-variable',
            `Variable "${name}" is not declared. Add it to "variables" (with a default, or with none to be asked when the prompt runs). To send "{{${name}}}" literally, write \\{{${name}}} (a backslash before the braces; \\\\{{ in the JSON source).`,
          );
        }
      },
      (index, length) => {
        const offset = toOffset(index);
        const end = toOffset(index + length);
        this.sink.add(offset, end - offset, 'warning', 'malformed-placeholder', `${value.slice(index, index + length)} is not a placeholder and is sent as written: a variable name starts with a letter or _ and has only letters, digits, _, . and - (no spaces inside).`);
      },
    );
  }

  private reportVariableUse(): void {
    for (const [name, node] of this.declared) {
      if (!this.used.has(name)) this.warnAtKey(node, 'unused-variable', `Variable "${name}" is not used: no {{${name}}} in "request".`);
    }
  }

  // ----- helpers

  private expectType(node: number, type: 'string' | 'object' | 'array' | 'boolean', message: string): boolean {
    if (this.tree.type(node) === type) return true;
    this.errorAt(node, 'wrong-type', message);
    return false;
  }

  private expectWholeNumber(node: number, min: number, message: string): boolean {
    const tree = this.tree;
    if (tree.type(node) === 'number') {
      const value = tree.numberValue(node);
      if (Number.isSafeInteger(value) && value >= min) return true;
    }
    this.errorAt(node, 'wrong-type', message);
    return false;
  }

  /** The node's value when it is one of `allowed` (or null, when nullable); reports an error and returns undefined otherwise. */
  private expectOneOf(node: number, allowed: readonly string[], nullable: boolean): string | undefined {
    const tree = this.tree;
    if (nullable && tree.type(node) === 'null') return undefined;
    // A placeholder is only known at run time (a dataset row may give each request its own value),
    // as for the model: the API checks the value it gets.
    if (tree.type(node) === 'string' && tree.stringValue(node).includes('{{')) return undefined;
    const value = tree.stringAmong(node, allowed);
    if (value !== undefined) return value;
    const list = allowed.map((a) => `"${a}"`).join(', ');
    this.errorAt(node, tree.type(node) === 'string' ? 'invalid-value' : 'wrong-type', `"${tree.key(node) ?? 'value'}" must be one of ${list}${nullable ? ' or null' : ''}.`);
    return undefined;
  }

  /** Reports at the value: a scalar's whole text, or a container's opening bracket (a multi-line squiggle helps no one). */
  private errorAt(node: number, code: PromptDiagnosticCode, message: string): void {
    this.addAtValue(node, 'error', code, message);
  }

  private warnAt(node: number, code: PromptDiagnosticCode, message: string): void {
    this.addAtValue(node, 'warning', code, message);
  }

  private addAtValue(node: number, severity: PromptDiagnosticSeverity, code: PromptDiagnosticCode, message: string): void {
    const tree = this.tree;
    const type = tree.type(node);
    const length = type === 'object' || type === 'array' ? 1 : tree.length(node);
    this.sink.add(tree.offset(node), length, severity, code, message);
  }

  private errorAtKey(node: number, code: PromptDiagnosticCode, message: string): void {
    this.sink.add(this.tree.keyOffset(node), this.tree.keyLength(node), 'error', code, message);
  }

  private warnAtKey(node: number, code: PromptDiagnosticCode, message: string): void {
    this.sink.add(this.tree.keyOffset(node), this.tree.keyLength(node), 'warning', code, message);
  }
}

function fastModeAvailability(): string {
  const names = (models: readonly { displayName: string }[]): string => {
    const list = models.map((m) => m.displayName);
    return list.length <= 1 ? list.join('') : `${list.slice(0, -1).join(', ')} and ${list[list.length - 1]}`;
  };
  const ga = FAST_MODE_MODELS.filter((m) => m.fastMode?.beta === undefined);
  const byBeta = new Map<string, { displayName: string }[]>();
  for (const model of FAST_MODE_MODELS) {
    const beta = model.fastMode?.beta;
    if (beta !== undefined) byBeta.set(beta, [...(byBeta.get(beta) ?? []), model]);
  }
  const withBeta = [...byBeta].map(([beta, models]) => `with the "${beta}" beta on ${names(models)}`);
  return `Fast mode is available on ${[names(ga), ...withBeta].filter((part) => part !== '').join(', and ')}.`;
}

/**
 * For a string literal with escapes whose contents start at `start` in the text: a function from
 * an index in the decoded value to the offset in the source. Asked in increasing order (as
 * placeholders are found, left to right) the walk is linear overall; a smaller index restarts it.
 */
function sourceOffsetMapper(text: string, start: number): (index: number) => number {
  let source = start;
  let decoded = 0;
  return (index: number): number => {
    if (index < decoded) {
      source = start;
      decoded = 0;
    }
    while (decoded < index) {
      if (text.charCodeAt(source) === 0x5c) {
        // \uXXXX decodes to one UTF-16 unit, every other escape to one character.
        source += text.charCodeAt(source + 1) === 0x75 ? 6 : 2;
      } else {
        source++;
      }
      decoded++;
    }
    return source;
  };
}
