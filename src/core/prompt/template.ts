// {{name}} placeholders in a prompt's request: finding them, collecting their values, and
// substituting them. The syntax is the Anthropic Console's: {{name}}, optionally with spaces or
// tabs inside the braces ({{ name }}).
//
// Substitution is a single pass over the original text. A value is inserted as it is and never
// scanned again, so text that comes from outside the prompt (a user's input, a file, a values
// file) cannot pull other variables into the request by containing "{{secret}}": what the prompt
// author wrote is the only template. The same rule gives an escape hatch: declaring
// "x": "{{x}}" sends "{{x}}" literally.
//
// A backslash right before "{{" escapes it: "\{{name}}" is sent as "{{name}}", never substituted,
// never reported as undefined. Continue uses it to write the model's replies (and tool results)
// back into the prompt: text the workbench did not write itself must stay literal on the next run
// (escapeTemplateText). The escape adds exactly one backslash before each "{{" and resolution
// removes exactly one, so a reply that itself holds "\{{x}}" comes back unchanged too.

import type { JsonPath } from './promptJsonTree';
import type { PromptFile, VariableDeclaration } from './promptFormat';

/** What a variable name may look like: a letter or underscore, then letters, digits, `_`, `.` or `-`. */
export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/**
 * Calls onPlaceholder for each {{name}} in text, in order, with its index and length in text.
 * When onMalformed is given, it is called for each "{{...}}" that looks meant as a placeholder but
 * is not one ("{{ first name }}", "{{1st}}", "{{}}"), which is sent as written. A "{{...}}" holding
 * anything but letters, digits, _ . - spaces and tabs (code, JSON samples) is neither.
 *
 * The same scan serves checking and substitution, so both always agree on what is a placeholder.
 * It is written out by hand rather than as a global regular expression because live validation
 * runs it on every string of a multi-megabyte prompt, and it allocates nothing but the names.
 */
export function scanPlaceholders(
  text: string,
  onPlaceholder: (name: string, index: number, length: number) => void,
  onMalformed?: (index: number, length: number) => void,
  onEscaped?: (backslashIndex: number) => void,
): void {
  let open = text.indexOf('{{');
  while (open !== -1) {
    if (open > 0 && text.charCodeAt(open - 1) === BACKSLASH) {
      // "\{{": literal braces. Skip both, exactly as escapeTemplateText steps over them.
      onEscaped?.(open - 1);
      open = text.indexOf('{{', open + 2);
      continue;
    }
    let end = open + 2;
    while (isInsidePlaceholder(text.charCodeAt(end))) end++;
    if (text.charCodeAt(end) !== CLOSE_BRACE || text.charCodeAt(end + 1) !== CLOSE_BRACE) {
      open = text.indexOf('{{', open + 1);
      continue;
    }
    const name = placeholderName(text, open + 2, end);
    if (name !== undefined) onPlaceholder(name, open, end + 2 - open);
    else onMalformed?.(open, end + 2 - open);
    open = text.indexOf('{{', end + 2);
  }
}

const CLOSE_BRACE = 0x7d;
const BACKSLASH = 0x5c;

/**
 * Text made literal for the template: a backslash before each "{{" (scanning left to right without
 * overlap, as scanPlaceholders does), so resolveRequest gives back exactly `text` and finds no
 * placeholder in it.
 */
export function escapeTemplateText(text: string): string {
  let open = text.indexOf('{{');
  if (open === -1) return text;
  let result = '';
  let copied = 0;
  while (open !== -1) {
    result += `${text.slice(copied, open)}\\`;
    copied = open;
    open = text.indexOf('{{', open + 2);
  }
  return result + text.slice(copied);
}

/** Every string inside a JSON value made literal (escapeTemplateText); property names are never templates. */
export function escapeTemplateValues<T>(value: T): T {
  const visit = (item: unknown): unknown => {
    if (typeof item === 'string') return escapeTemplateText(item);
    if (Array.isArray(item)) return item.map(visit);
    if (item !== null && typeof item === 'object') {
      const result: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(item)) setOwn(result, key, visit(child));
      return result;
    }
    return item;
  };
  return visit(value) as T;
}

/** Characters allowed between the braces of something that looks like a placeholder: [A-Za-z0-9_.-], space and tab. */
function isInsidePlaceholder(c: number): boolean {
  return isNameChar(c) || c === 0x20 || c === 0x09;
}

function isNameChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x2e || c === 0x2d;
}

/** The variable name between start and end (spaces and tabs around it allowed), or undefined when it is not a valid name. */
function placeholderName(text: string, start: number, end: number): string | undefined {
  while (start < end && (text.charCodeAt(start) === 0x20 || text.charCodeAt(start) === 0x09)) start++;
  while (end > start && (text.charCodeAt(end - 1) === 0x20 || text.charCodeAt(end - 1) === 0x09)) end--;
  if (start === end) return undefined;
  const first = text.charCodeAt(start);
  if ((first >= 0x30 && first <= 0x39) || first === 0x2e || first === 0x2d) return undefined;
  for (let i = start; i < end; i++) if (!isNameChar(text.charCodeAt(i))) return undefined;
  return text.slice(start, end);
}

/** One use of a placeholder inside a request value. */
export interface PlaceholderUse {
  name: string;
  /** Path from the request to the string holding it, e.g. ['messages', 0, 'content']. */
  path: JsonPath;
}

/** Every placeholder in the string values of a request (not in its property names), in document order. */
export function findPlaceholders(request: unknown): PlaceholderUse[] {
  const uses: PlaceholderUse[] = [];
  const path: JsonPath = [];
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      scanPlaceholders(value, (name) => uses.push({ name, path: [...path] }));
    } else if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        path.push(i);
        visit(value[i]);
        path.pop();
      }
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        path.push(key);
        visit(item);
        path.pop();
      }
    }
  };
  visit(request);
  return uses;
}

export interface ResolvedRequest {
  /** A deep copy of the request with every placeholder that has a value substituted. */
  request: Record<string, unknown>;
  /** Names used in the request that have no value, in order of first use; their placeholders are left as written. */
  missing: string[];
}

/** Substitutes values into every string value of the prompt's request (single pass; see the file comment). */
export function resolveRequest(prompt: Pick<PromptFile, 'request'>, values: Readonly<Record<string, string>>): ResolvedRequest {
  const missing = new Set<string>();
  const substitute = (text: string): string => {
    let result = '';
    let copied = 0;
    let changed = false;
    scanPlaceholders(
      text,
      (name, index, length) => {
        if (!Object.hasOwn(values, name)) {
          missing.add(name);
          return;
        }
        result += text.slice(copied, index) + (values[name] as string);
        copied = index + length;
        changed = true;
      },
      undefined,
      (backslash) => {
        // Drop the escaping backslash; the braces after it are copied as they are.
        result += text.slice(copied, backslash);
        copied = backslash + 1;
        changed = true;
      },
    );
    return changed ? result + text.slice(copied) : text;
  };
  const copy = (value: unknown): unknown => {
    if (typeof value === 'string') return substitute(value);
    if (Array.isArray(value)) return value.map(copy);
    if (value !== null && typeof value === 'object') {
      const result: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) setOwn(result, key, copy(item));
      return result;
    }
    return value;
  };
  return { request: copy(prompt.request) as Record<string, unknown>, missing: [...missing] };
}

/**
 * A request template compiled once for many value sets (a dataset's rows). Each placeholder string
 * is split into literal parts and names up front, so a row costs one pass over its placeholders.
 * Subtrees without a placeholder are shared between every request the template builds, frozen so
 * that a consumer that writes into a request fails loudly instead of changing the other rows';
 * only the objects and arrays on the way to a placeholder are new for each request. The result is
 * what resolveRequest gives for the same values (a unit test holds them to that).
 */
export type CompiledRequest = (lookup: (name: string) => string | undefined) => Record<string, unknown>;

export function compileRequest(request: Readonly<Record<string, unknown>>): CompiledRequest {
  type Node = (lookup: (name: string) => string | undefined) => unknown;
  const constant = (value: unknown): Node => {
    const shared = deepFreeze(structuredClone(value));
    return () => shared;
  };
  const compileString = (text: string): Node | undefined => {
    // Literal runs and names, alternating: parts[0] name0 parts[1] name1 ... parts[n].
    const parts: string[] = [];
    const names: string[] = [];
    const spans: string[] = [];
    let copied = 0;
    let pending = '';
    scanPlaceholders(
      text,
      (name, index, length) => {
        parts.push(pending + text.slice(copied, index));
        names.push(name);
        spans.push(text.slice(index, index + length));
        pending = '';
        copied = index + length;
      },
      undefined,
      (backslash) => {
        pending += text.slice(copied, backslash);
        copied = backslash + 1;
      },
    );
    const tail = pending + text.slice(copied);
    if (names.length === 0) return copied === 0 ? undefined : () => tail;
    return (lookup) => {
      let result = parts[0] as string;
      for (let i = 0; i < names.length; i++) {
        const value = lookup(names[i] as string);
        result += (value ?? (spans[i] as string)) + (i + 1 < names.length ? (parts[i + 1] as string) : tail);
      }
      return result;
    };
  };
  const compile = (value: unknown): Node | undefined => {
    if (typeof value === 'string') return compileString(value);
    if (Array.isArray(value)) {
      const items = value.map(compile);
      if (items.every((item) => item === undefined)) return undefined;
      const nodes = items.map((item, i) => item ?? constant(value[i]));
      return (lookup) => nodes.map((node) => node(lookup));
    }
    if (value !== null && typeof value === 'object') {
      const entries = Object.entries(value).map(([key, item]) => [key, compile(item), item] as const);
      if (entries.every(([, node]) => node === undefined)) return undefined;
      const nodes = entries.map(([key, node, item]) => [key, node ?? constant(item)] as const);
      return (lookup) => {
        const result: Record<string, unknown> = {};
        for (const [key, node] of nodes) setOwn(result, key, node(lookup));
        return result;
      };
    }
    return undefined;
  };
  const root = compile(request) ?? constant(request);
  // The top level is always a fresh object, so a caller may add to it (a batch's custom_id wrapper does not need to).
  return (lookup) => ({ ...(root(lookup) as Record<string, unknown>) });
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}

/** How a variable value is written into a string: strings as they are, anything else as JSON. */
export function stringifyVariableValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  return JSON.stringify(value);
}

/**
 * The values a prompt supplies itself, before anything is asked at run time: each variable's
 * default or the contents of its `file` (never a chunked variable's), overridden by the entries of
 * `valuesFile` (a values file is a deliberate choice for this run, the defaults are fallbacks). Without readFile, file-based
 * values are left out, so they show up as missing. readFile takes the path as written in the
 * prompt (relative to the prompt file); its errors are rethrown naming the variable.
 */
export function collectDefaults(prompt: Pick<PromptFile, 'variables' | 'valuesFile'>, readFile?: (relativePath: string) => string): Record<string, string> {
  const values: Record<string, string> = {};
  const read = (relativePath: string, purpose: string): string => {
    try {
      return (readFile as (relativePath: string) => string)(relativePath);
    } catch (err) {
      throw new Error(`Cannot read ${relativePath} (${purpose}): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  };
  for (const [name, declaration] of Object.entries(prompt.variables ?? {})) {
    const definition = asDefinition(declaration);
    // A chunked variable has no single value: Run over Chunks binds each chunk in turn and reads its
    // file (which may be far larger than a named file) itself. Reading it here would read it whole
    // on every count while typing, or lose every other value when it is over the size limit.
    if (definition.chunk !== undefined) continue;
    if (definition.file !== undefined) {
      if (readFile) setOwn(values, name, read(definition.file, `the file of variable "${name}"`));
    } else if (definition.default !== undefined) {
      setOwn(values, name, stringifyVariableValue(definition.default));
    }
  }
  if (prompt.valuesFile !== undefined && readFile) {
    const text = read(prompt.valuesFile, 'the values file');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new Error(`The values file ${prompt.valuesFile} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new Error(`The values file ${prompt.valuesFile} must hold a JSON object of variable values.`);
    }
    for (const [name, value] of Object.entries(parsed)) setOwn(values, name, stringifyVariableValue(value));
  }
  return values;
}

function asDefinition(declaration: VariableDeclaration): { default?: unknown; file?: string; chunk?: unknown } {
  return declaration !== null && typeof declaration === 'object' ? declaration : { default: declaration };
}

/** Sets an own property, including one named "__proto__" (plain assignment would set the prototype). */
function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  else record[key] = value;
}
