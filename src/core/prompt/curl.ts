// Import a prompt from a curl command, as written in the Anthropic docs and in terminals:
// bash quoting ('…', "…", $'…', backslashes), backslash-newline continuations (LF or CRLF),
// -H/--header, -d/--data/--data-raw/--data-binary/--json, --url, -X POST, and a body read from a
// here-document (--data @- <<'EOF' … EOF). Credentials are dropped, never stored: the x-api-key
// and authorization headers and -u/--user. anthropic-beta names become the prompt's "betas".

import type { PromptFile, VariableDeclaration } from './promptFormat';
import { findPlaceholders } from './template';

/** A shell word, or the body of a here-document attached to the command. */
interface ShellWord {
  text: string;
  /** Set on the word that held a here-document operator (<<EOF); text is then the document. */
  heredoc?: boolean;
}

const DATA_OPTIONS = new Set(['-d', '--data', '--data-raw', '--data-binary', '--data-ascii', '--json']);
const HEADER_OPTIONS = new Set(['-H', '--header']);
/** Options that take an argument the import has no use for; listed so the argument is not mistaken for the URL. */
const IGNORED_OPTIONS_WITH_ARGUMENT = new Set([
  '-o',
  '--output',
  '-m',
  '--max-time',
  '--connect-timeout',
  '-A',
  '--user-agent',
  '-e',
  '--referer',
  '-x',
  '--proxy',
  '--retry',
  '--retry-delay',
  '--retry-max-time',
  '-w',
  '--write-out',
  '--cacert',
  '--capath',
  '--cert',
  '--key',
  '-b',
  '--cookie',
  '-c',
  '--cookie-jar',
  '--limit-rate',
  '--resolve',
  '--interface',
  '--trace',
  '--trace-ascii',
  '--stderr',
]);
const CREDENTIAL_OPTIONS = new Set(['-u', '--user', '--oauth2-bearer']);
const CREDENTIAL_HEADERS = new Set(['x-api-key', 'authorization', 'proxy-authorization', 'cookie']);

/** Builds a prompt from a curl command that calls the Messages API; throws an Error saying what is wrong otherwise. */
export function promptFromCurl(command: string): PromptFile {
  const words = shellWords(command);
  const program = words[0];
  if (!program || !/(^|[\\/])curl(\.exe)?$/.test(program.text)) {
    throw new Error('This is not a curl command: paste a command that starts with "curl".');
  }
  const urls: string[] = [];
  const bodies: string[] = [];
  const betas: string[] = [];
  let heredoc: string | undefined;
  for (let i = 1; i < words.length; i++) {
    const word = words[i] as ShellWord;
    if (word.heredoc) {
      heredoc = word.text;
      continue;
    }
    const option = word.text;
    const argument = (): string => {
      const next = words[++i];
      if (!next || next.heredoc) throw new Error(`${option} needs a value.`);
      return next.text;
    };
    if (DATA_OPTIONS.has(option)) bodies.push(argument());
    else if (HEADER_OPTIONS.has(option)) readHeader(argument(), betas);
    else if (option === '--url') urls.push(argument());
    else if (option === '-X' || option === '--request') checkMethod(argument());
    else if (CREDENTIAL_OPTIONS.has(option) || IGNORED_OPTIONS_WITH_ARGUMENT.has(option)) argument();
    else if (option === '-F' || option === '--form' || option === '--data-urlencode') throw new Error(`${option} sends a form, not a JSON body: the Messages API takes JSON (use --data).`);
    else if (/^-d./.test(option)) bodies.push(option.slice(2));
    else if (/^-H./.test(option)) readHeader(option.slice(2), betas);
    else if (/^-X./.test(option)) checkMethod(option.slice(2));
    else if (!option.startsWith('-')) urls.push(option);
    // Any other option is a flag such as -s, -S, -N, -i, -v, --silent, --compressed: irrelevant here.
  }

  if (urls.length === 0) throw new Error('The curl command has no URL: it should call https://api.anthropic.com/v1/messages.');
  const url = urls.find((u) => isMessagesUrl(u)) ?? urls[0];
  if (!isMessagesUrl(url as string)) {
    const path = (url as string).replace(/^[a-z]+:\/\/[^/]*/i, '');
    throw new Error(`This command calls ${path || url}, not the Messages API: only POST /v1/messages can become a prompt.`);
  }
  if (bodies.length === 0) throw new Error('The curl command has no request body: add --data with the JSON request.');
  if (bodies.length > 1) throw new Error('The curl command has more than one --data: curl would join them with "&", which is not JSON. Keep one.');
  let body = bodies[0] as string;
  if (body === '@-') {
    if (heredoc === undefined) throw new Error('The body is read from standard input (--data @-): paste the JSON in place of @-, or include the here-document (<<EOF … EOF).');
    body = heredoc;
  } else if (body.startsWith('@')) {
    throw new Error(`The body is read from the file ${body.slice(1)}: paste the JSON in place of ${body}.`);
  }

  let request: unknown;
  try {
    request = JSON.parse(body);
  } catch (err) {
    throw new Error(`The request body is not valid JSON (${err instanceof Error ? err.message : String(err)}). Check the quoting: the docs put the body in single quotes.`, { cause: err });
  }
  if (request === null || typeof request !== 'object' || Array.isArray(request)) throw new Error('The request body must be a JSON object with "model", "max_tokens" and "messages".');
  if (!Array.isArray((request as { messages?: unknown }).messages)) throw new Error('The request body has no "messages" array: it is not a Messages API request.');

  const prompt: PromptFile = { request: request as PromptFile['request'] };
  // Placeholders in a pasted body become variables with no default, asked for when the prompt runs.
  const variables: Record<string, VariableDeclaration> = {};
  for (const { name } of findPlaceholders(request)) {
    if (!Object.hasOwn(variables, name)) Object.defineProperty(variables, name, { value: {}, enumerable: true, writable: true, configurable: true });
  }
  if (Object.keys(variables).length > 0) prompt.variables = variables;
  if (betas.length > 0) prompt.betas = betas;
  return prompt;
}

function readHeader(header: string, betas: string[]): void {
  const colon = header.indexOf(':');
  if (colon <= 0) return;
  const name = header.slice(0, colon).trim().toLowerCase();
  if (CREDENTIAL_HEADERS.has(name)) return;
  if (name === 'anthropic-beta') {
    for (const beta of header.slice(colon + 1).split(',')) {
      const trimmed = beta.trim();
      if (trimmed && !betas.includes(trimmed)) betas.push(trimmed);
    }
  }
  // anthropic-version and content-type are chosen when the prompt runs; other headers do not belong in a prompt.
}

function checkMethod(method: string): void {
  if (method.toUpperCase() !== 'POST') throw new Error(`The command sends ${method}: a Messages API call is a POST.`);
}

function isMessagesUrl(url: string): boolean {
  return /^(?:[a-z]+:\/\/[^/?#]*)?[^?#]*\/v1\/messages\/?(?:[?#].*)?$/i.test(url);
}

/**
 * Splits a command into words by bash's quoting rules. Stops at the end of the first command
 * (an unquoted newline, ;, |, & or &&), so "curl … | jq ." yields only the curl words.
 */
function shellWords(command: string): ShellWord[] {
  const text = command.replace(/\r\n?/g, '\n').replace(/^\s*\$\s+/, '');
  const words: ShellWord[] = [];
  const pendingHeredocs: { word: ShellWord; delimiter: string; stripTabs: boolean }[] = [];
  let i = 0;
  let current: string | undefined;
  let heredocsRead = false;
  const finishWord = (): void => {
    if (current !== undefined) words.push({ text: current });
    current = undefined;
  };
  const append = (s: string): void => {
    current = (current ?? '') + s;
  };

  while (i < text.length) {
    const c = text[i] as string;
    if (c === '\\') {
      if (text[i + 1] === '\n') i += 2; // line continuation
      else {
        append(text[i + 1] ?? '');
        i += 2;
      }
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end === -1) throw new Error('Unterminated single quote in the curl command.');
      append(text.slice(i + 1, end));
      i = end + 1;
    } else if (c === '"') {
      const [value, next] = readDoubleQuoted(text, i + 1);
      append(value);
      i = next;
    } else if (c === '$' && text[i + 1] === "'") {
      const [value, next] = readAnsiCQuoted(text, i + 2);
      append(value);
      i = next;
    } else if (c === ' ' || c === '\t') {
      finishWord();
      i++;
    } else if (c === '#' && current === undefined) {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '<' && text[i + 1] === '<' && text[i + 2] !== '<') {
      finishWord();
      i += 2;
      const stripTabs = text[i] === '-';
      if (stripTabs) i++;
      while (text[i] === ' ' || text[i] === '\t') i++;
      const match = /^(?:'([^']*)'|"([^"]*)"|([^\s;|&<>]+))/.exec(text.slice(i));
      if (!match) throw new Error('A here-document (<<) needs a delimiter word such as EOF.');
      i += match[0].length;
      const word: ShellWord = { text: '', heredoc: true };
      words.push(word);
      pendingHeredocs.push({ word, delimiter: match[1] ?? match[2] ?? match[3] ?? '', stripTabs });
    } else if (c === '\n') {
      finishWord();
      i++;
      if (pendingHeredocs.length === 0) break;
      // Here-document bodies follow the line that opened them, in order.
      for (const pending of pendingHeredocs) {
        const lines: string[] = [];
        for (;;) {
          if (i >= text.length) throw new Error(`The here-document is not closed: add a line with ${pending.delimiter} after the body.`);
          const lineEnd = text.indexOf('\n', i);
          let line = text.slice(i, lineEnd === -1 ? text.length : lineEnd);
          i = lineEnd === -1 ? text.length : lineEnd + 1;
          if (pending.stripTabs) line = line.replace(/^\t+/, '');
          if (line === pending.delimiter) break;
          lines.push(line);
        }
        pending.word.text = lines.join('\n');
      }
      heredocsRead = true;
      break;
    } else if (c === ';' || c === '|' || c === '&') {
      // The end of the curl command. Here-documents it opened still follow the end of this line.
      finishWord();
      if (pendingHeredocs.length === 0) break;
      const lineEnd = text.indexOf('\n', i);
      i = lineEnd === -1 ? text.length : lineEnd;
    } else {
      append(c);
      i++;
    }
  }
  finishWord();
  if (pendingHeredocs.length > 0 && !heredocsRead) {
    throw new Error('The here-document body is missing: it goes on the lines after the command, ending with the delimiter line.');
  }
  return words;
}

/** Reads a "…" string starting after the opening quote; returns the value and the index after the closing quote. */
function readDoubleQuoted(text: string, start: number): [string, number] {
  let value = '';
  let i = start;
  for (;;) {
    if (i >= text.length) throw new Error('Unterminated double quote in the curl command.');
    const c = text[i] as string;
    if (c === '"') return [value, i + 1];
    if (c === '\\') {
      const next = text[i + 1];
      if (next === '\n') {
        i += 2;
        continue;
      }
      if (next === '"' || next === '\\' || next === '$' || next === '`') {
        value += next;
        i += 2;
        continue;
      }
    }
    value += c;
    i++;
  }
}

const ANSI_C_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', e: '\x1b', f: '\f', v: '\v', '?': '?' };

/** Reads a $'…' string starting after the opening quote. */
function readAnsiCQuoted(text: string, start: number): [string, number] {
  let value = '';
  let i = start;
  for (;;) {
    if (i >= text.length) throw new Error("Unterminated $'…' quote in the curl command.");
    const c = text[i] as string;
    if (c === "'") return [value, i + 1];
    if (c !== '\\') {
      value += c;
      i++;
      continue;
    }
    const next = text[i + 1] ?? '';
    const hex = next === 'x' ? /^[0-9a-fA-F]{1,2}/.exec(text.slice(i + 2)) : next === 'u' ? /^[0-9a-fA-F]{1,4}/.exec(text.slice(i + 2)) : null;
    if (hex) {
      value += String.fromCharCode(parseInt(hex[0], 16));
      i += 2 + hex[0].length;
    } else if (Object.hasOwn(ANSI_C_ESCAPES, next)) {
      value += ANSI_C_ESCAPES[next];
      i += 2;
    } else {
      value += c + next;
      i += 2;
    }
  }
}
