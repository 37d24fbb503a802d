// Export a resolved request as a curl command or a TypeScript SDK snippet, for sharing a prompt
// with someone who does not use the workbench. The API key is never written out: curl reads it
// from $ANTHROPIC_API_KEY, the SDK from the same variable.

import { CURRENT_API_VERSION, REMOVED_SAMPLING_PARAMETERS } from './promptChecks';

export interface CurlExportOptions {
  /** Default https://api.anthropic.com. */
  baseUrl?: string;
  /** Default the version this project targets (2026-10-21). */
  apiVersion?: string;
  /** Sent as the anthropic-beta header. */
  betas?: readonly string[];
}

const DEFAULT_BASE_URL = 'https://api.anthropic.com';
const BETA_NAME = /^[A-Za-z0-9._-]+$/;

/** A bash curl command that sends the request, in the style of the Anthropic docs. */
export function toCurl(request: object, options: CurlExportOptions = {}): string {
  const baseUrl = (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  const lines = [
    `curl ${shellQuote(`${baseUrl}/v1/messages`)}`,
    // Double quotes on purpose: the shell expands the variable, so the key never appears in the command.
    '--header "x-api-key: $ANTHROPIC_API_KEY"',
    `--header ${shellQuote(`anthropic-version: ${options.apiVersion ?? CURRENT_API_VERSION}`)}`,
  ];
  if (options.betas && options.betas.length > 0) {
    // A beta name is a header token: a comma, a space or a line break in one would split the header
    // or inject another, so such a name is refused rather than quoted.
    const bad = options.betas.find((name) => !BETA_NAME.test(name));
    if (bad !== undefined) throw new Error(`the beta name ${jsonLiteral(bad)} is not a valid anthropic-beta value (letters, digits, ".", "_" and "-" only)`);
    lines.push(`--header ${shellQuote(`anthropic-beta: ${options.betas.join(',')}`)}`);
  }
  lines.push('--header "content-type: application/json"');
  lines.push(`--data ${singleQuote(JSON.stringify(request, null, 2))}`);
  return `${lines.join(' \\\n  ')}\n`;
}

/** Quotes a word for bash only when it needs it. */
function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : singleQuote(word);
}

/** Single-quotes a string for bash: nothing inside is special except ', written as '\''. */
function singleQuote(text: string): string {
  return `'${text.replace(/'/g, "'\\''")}'`;
}

/**
 * JSON text safe to paste into a program: JSON.stringify escapes \n and \r but not U+2028 and
 * U+2029, which end a line (and so a `//` comment) in JavaScript and TypeScript.
 */
export function jsonLiteral(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** Non-streaming calls whose max_tokens could take longer than the SDK's 10-minute default are refused by the SDK unless streamed (anthropic-api.md §21). */
const SDK_NON_STREAMING_MAX_TOKENS = 21_333;
/** Request fields the SDK 1.14 GA types know (anthropic-api.md §6); `stream` is handled by choosing create or stream. */
const SDK_REQUEST_FIELDS = new Set([
  'model',
  'max_tokens',
  'messages',
  'system',
  'cache_control',
  'stop_sequences',
  'metadata',
  'thinking',
  'tools',
  'tool_choice',
  'output_config',
  'speed',
  'service_tier',
  'inference_geo',
  'container',
  'diagnostics',
]);
/** Fields only the beta types add (§14). */
const SDK_BETA_REQUEST_FIELDS = new Set(['context_management', 'compaction', 'thread', 'fallbacks', 'fallback_credit_token', 'mcp_servers', 'billing_policy', 'output_format']);

export interface SdkExportOptions {
  /** Beta names: the snippet then calls client.beta.messages with `betas`. */
  betas?: readonly string[];
}

/**
 * A runnable TypeScript program (Node 20+, `npm install @anthropic-ai/sdk`) that sends the
 * request with the official SDK and prints the reply. It streams when the request asks to, or
 * when max_tokens is high enough that the SDK insists on streaming. Fields the SDK's types do
 * not know (a pass-through field, or a removed one such as temperature) are kept, with a cast
 * and a comment, so the program still compiles and sends what the prompt says.
 */
export function toTypeScriptSdk(request: object, options: SdkExportOptions = {}): string {
  const params: Record<string, unknown> = { ...request };
  const streamed = params.stream === true || (typeof params.max_tokens === 'number' && params.max_tokens > SDK_NON_STREAMING_MAX_TOKENS);
  delete params.stream;
  const betas = options.betas ?? [];
  const beta = betas.length > 0;
  const unknownToSdk = Object.keys(params).filter((name) => !SDK_REQUEST_FIELDS.has(name) && !(beta && SDK_BETA_REQUEST_FIELDS.has(name)));
  const removed = unknownToSdk.filter((name) => REMOVED_SAMPLING_PARAMETERS.includes(name));
  const passedThrough = unknownToSdk.filter((name) => !REMOVED_SAMPLING_PARAMETERS.includes(name));

  // JSON is a valid object literal; unquoting the keys that are identifiers makes it read like hand-written TypeScript.
  // (A string value never matches: JSON.stringify puts each key at the start of its line and escapes quotes inside strings,
  // and jsonLiteral escapes U+2028/U+2029, so the only line breaks left are JSON.stringify's own, between tokens.)
  const literal = jsonLiteral(beta ? { betas, ...params } : params, 2)
    .replace(/^(\s*)"([A-Za-z_$][\w$]*)":/gm, '$1$2:')
    .replace(/\n/g, '\n  ');
  const paramsType = beta ? 'Anthropic.Beta.MessageCreateParamsNonStreaming' : streamed ? 'Anthropic.MessageStreamParams' : 'Anthropic.MessageCreateParamsNonStreaming';
  const body = unknownToSdk.length > 0 ? `${literal} as ${paramsType}` : literal;
  const messages = beta ? 'client.beta.messages' : 'client.messages';

  const lines = ["import Anthropic from '@anthropic-ai/sdk';", '', 'const client = new Anthropic(); // reads ANTHROPIC_API_KEY', ''];
  // Field names come from the prompt: in a comment they are only ever JSON-quoted with every line
  // terminator escaped, so no name can end the comment and start code.
  const names = (fields: readonly string[]): string => fields.map((name) => jsonLiteral(name)).join(', ');
  if (removed.length > 0) {
    lines.push(
      // These names are the fixed list of REMOVED_SAMPLING_PARAMETERS, never a prompt's own text.
      `// ${removed.join(', ')}: SDK 1.x has no such field${removed.length > 1 ? 's' : ''} and API version ${CURRENT_API_VERSION} rejects ${removed.length > 1 ? 'them' : 'it'} with a 400 error.`,
      '// Remove before running, or send with { headers: { "anthropic-version": "2023-06-01" } }.',
    );
  }
  if (passedThrough.length > 0) lines.push(`// ${names(passedThrough)}: not in the SDK's types; the cast below sends ${passedThrough.length > 1 ? 'them' : 'it'} as written.`);
  lines.push('async function main(): Promise<void> {');
  if (streamed) {
    lines.push(
      `  const stream = ${messages}.stream(${body});`,
      "  stream.on('text', (text) => process.stdout.write(text));",
      '  const message = await stream.finalMessage();',
      "  console.log('\\n', message.stop_reason, message.usage);",
    );
  } else {
    lines.push(
      `  const message = await ${messages}.create(${body});`,
      '  for (const block of message.content) {',
      "    if (block.type === 'text') console.log(block.text);",
      '  }',
      '  console.log(message.stop_reason, message.usage);',
    );
  }
  lines.push('}', '', 'main().catch((err) => {', '  console.error(err);', '  process.exitCode = 1;', '});', '');
  return lines.join('\n');
}
