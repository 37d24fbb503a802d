// The simulator's tokenizer. It is not Claude's tokenizer (that is not public): it is a deterministic
// stand-in with the properties the extension relies on. It gives about 4 characters per token for
// English, counts differ between model generations (sheet §10: the Claude 4.7 tokenizer gives more
// tokens for the same text than older ones), and counts are additive over words, so the simulator
// can generate a reply of exactly N tokens and bill `usage` with the same numbers count_tokens returns.

/** How one model generation turns text into tokens. */
export interface TokenizerProfile {
  readonly name: string;
  /** Letters per token in a run of ASCII letters: a word costs ceil(length / charsPerToken). */
  readonly charsPerToken: number;
  /** Letters per token in a run of non-ASCII letters (accents, Cyrillic, CJK...). */
  readonly nonLatinCharsPerToken: number;
  /** Tokens per line break (the per-line factor that differs between generations). */
  readonly newlineTokens: number;
}

/** Claude 4.5 / 4.6 models. */
const LEGACY: TokenizerProfile = { name: 'legacy', charsPerToken: 4.4, nonLatinCharsPerToken: 2, newlineTokens: 1 };
/** The tokenizer introduced with Claude Opus 4.7, used by every later model (sheet §10). */
const CURRENT: TokenizerProfile = { name: 'claude-4.7', charsPerToken: 3.6, nonLatinCharsPerToken: 1.5, newlineTokens: 2 };

const LEGACY_MODEL = /^claude-(haiku-4-5|opus-4-5|sonnet-4-5|opus-4-6|sonnet-4-6)(-\d{8})?$/;

export function tokenizerFor(model: string): TokenizerProfile {
  return LEGACY_MODEL.test(model) ? LEGACY : CURRENT;
}

// Letters | digits | line break | other whitespace | one symbol.
const PIECE = /(\p{L}+)|(\p{N}+)|(\r?\n)|([^\S\n]+)|([^\p{L}\p{N}\s])/gu;
const ASCII_ONLY = /^[\x20-\x7e]*$/;

/** Token count of a piece of text for the given model (or profile). Additive across word boundaries. */
export function countTextTokens(text: string, model: string | TokenizerProfile): number {
  const profile = typeof model === 'string' ? tokenizerFor(model) : model;
  let tokens = 0;
  PIECE.lastIndex = 0;
  for (let m = PIECE.exec(text); m !== null; m = PIECE.exec(text)) {
    if (m[1] !== undefined) {
      const letters = m[1];
      tokens += Math.ceil(letters.length / (ASCII_ONLY.test(letters) ? profile.charsPerToken : profile.nonLatinCharsPerToken));
    } else if (m[2] !== undefined) {
      tokens += Math.ceil(m[2].length / 3);
    } else if (m[3] !== undefined) {
      tokens += profile.newlineTokens;
    } else if (m[4] !== undefined) {
      // A single space is part of the next word's token; indentation costs about one token per 4 columns.
      tokens += Math.ceil((m[4].length - 1) / 4);
    } else {
      tokens += 1;
    }
  }
  return tokens;
}

/** The longest prefix of a word (no spaces) that costs at most `tokens` tokens. */
export function truncateWordToTokens(word: string, tokens: number, model: string | TokenizerProfile): string {
  const profile = typeof model === 'string' ? tokenizerFor(model) : model;
  for (let length = Math.min(word.length, Math.floor(tokens * profile.charsPerToken)); length > 0; length--) {
    if (countTextTokens(word.slice(0, length), profile) <= tokens) return word.slice(0, length);
  }
  return '';
}

export type CacheTtl = '5m' | '1h';

/** One cacheable unit of a prompt, in prefix order: base, tools, system, context, message blocks. */
export interface PromptSegment {
  kind: 'base' | 'tool' | 'system' | 'context' | 'message';
  /** What the cache compares: the segment's canonical content (without its cache_control). */
  key: string;
  tokens: number;
  /** Set when the block carries cache_control (a breakpoint). */
  cacheTtl?: CacheTtl;
}

/** Looks up an uploaded file's content for `{source:{type:'file'}}` blocks. */
export type FileContentLookup = (fileId: string) => { mimeType: string; content: Buffer } | undefined;

// Fixed costs. The tool-use system prompt sizes are the 2025 documentation's figures for Claude 4
// models (346 for auto/none, 313 for any/tool); the rest are simulator conventions.
const BASE_TOKENS = 4;
const MESSAGE_OVERHEAD = 3;
const SYSTEM_OVERHEAD = 3;
const TOOL_OVERHEAD = 4;
const TOOL_PROMPT_AUTO = 346;
const TOOL_PROMPT_FORCED = 313;
const STRUCTURED_OUTPUT_OVERHEAD = 20;
const IMAGE_TOKENS = 1_600;
const URL_DOCUMENT_TOKENS = 3_000;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function cacheTtlOf(block: unknown): CacheTtl | undefined {
  if (!isRecord(block) || !isRecord(block.cache_control)) return undefined;
  return block.cache_control.ttl === '1h' ? '1h' : '5m';
}

function withoutCacheControl(block: unknown): string {
  if (!isRecord(block) || !('cache_control' in block)) return JSON.stringify(block) ?? '';
  const { cache_control: _ignored, ...rest } = block;
  return JSON.stringify(rest);
}

function base64Bytes(data: unknown): number {
  return typeof data === 'string' ? Math.floor((data.length * 3) / 4) : 0;
}

function blockTokens(block: unknown, model: string, files?: FileContentLookup): number {
  if (typeof block === 'string') return countTextTokens(block, model);
  if (!isRecord(block)) return countTextTokens(JSON.stringify(block) ?? '', model);
  const text = (value: unknown): number => (typeof value === 'string' ? countTextTokens(value, model) : 0);
  const nested = (value: unknown): number =>
    typeof value === 'string' ? text(value) : Array.isArray(value) ? value.reduce<number>((sum, b) => sum + blockTokens(b, model, files), 0) : 0;
  switch (block.type) {
    case 'text':
      return text(block.text);
    case 'image':
      // Real images cost width×height/750 tokens; the simulator does not decode them and bills the
      // cost of a full-size image.
      return IMAGE_TOKENS;
    case 'document': {
      const source = isRecord(block.source) ? block.source : {};
      let tokens = text(block.title) + text(block.context);
      if (source.type === 'text') tokens += text(source.data);
      else if (source.type === 'content') tokens += nested(source.content);
      else if (source.type === 'base64') tokens += Math.ceil(base64Bytes(source.data) / 4);
      else if (source.type === 'file' && typeof source.file_id === 'string') {
        const file = files?.(source.file_id);
        if (file) tokens += file.mimeType.startsWith('text/') ? countTextTokens(file.content.toString('utf8'), model) : Math.ceil(file.content.length / 4);
      } else tokens += URL_DOCUMENT_TOKENS;
      return tokens;
    }
    case 'search_result':
      return text(block.title) + text(block.source) + nested(block.content) + 5;
    case 'thinking':
    case 'redacted_thinking':
      // Thinking from previous assistant turns is not counted (sheet §10).
      return 0;
    case 'tool_use':
    case 'server_tool_use':
      return text(block.name) + countTextTokens(JSON.stringify(block.input ?? {}), model) + 5;
    case 'tool_result':
      return nested(block.content) + 5;
    case 'container_upload':
      return 5;
    default:
      return countTextTokens(withoutCacheControl(block), model);
  }
}

/** Splits a /v1/messages or count_tokens body into prefix-ordered segments with token counts. */
export function promptSegments(body: Record<string, unknown>, model: string, files?: FileContentLookup): PromptSegment[] {
  const segments: PromptSegment[] = [
    { kind: 'base', key: JSON.stringify({ model, speed: body.speed ?? 'standard' }), tokens: BASE_TOKENS },
  ];

  const tools = Array.isArray(body.tools) ? body.tools : [];
  for (const tool of tools) {
    const definition = isRecord(tool) ? { name: tool.name, description: tool.description, input_schema: tool.input_schema, type: tool.type } : tool;
    segments.push({
      kind: 'tool',
      key: withoutCacheControl(tool),
      tokens: countTextTokens(JSON.stringify(definition) ?? '', model) + TOOL_OVERHEAD,
      cacheTtl: cacheTtlOf(tool),
    });
  }

  const system = body.system;
  if (typeof system === 'string' && system.length > 0) {
    segments.push({ kind: 'system', key: JSON.stringify(system), tokens: SYSTEM_OVERHEAD + countTextTokens(system, model) });
  } else if (Array.isArray(system)) {
    system.forEach((block, index) => {
      segments.push({
        kind: 'system',
        key: withoutCacheControl(block),
        tokens: (index === 0 ? SYSTEM_OVERHEAD : 0) + blockTokens(block, model, files),
        cacheTtl: cacheTtlOf(block),
      });
    });
  }

  // Settings that invalidate only the messages part of the cache (sheet §8): tool_choice, thinking,
  // plus the tool-use and structured-output system prompts they imply.
  const toolChoice = isRecord(body.tool_choice) ? body.tool_choice : undefined;
  const format = isRecord(body.output_config) && isRecord(body.output_config.format) ? body.output_config.format : undefined;
  let contextTokens = 0;
  if (tools.length > 0) contextTokens += toolChoice?.type === 'any' || toolChoice?.type === 'tool' ? TOOL_PROMPT_FORCED : TOOL_PROMPT_AUTO;
  if (format) contextTokens += STRUCTURED_OUTPUT_OVERHEAD + countTextTokens(JSON.stringify(format.schema ?? {}), model);
  const thinking = isRecord(body.thinking) ? body.thinking.type : undefined;
  segments.push({ kind: 'context', key: JSON.stringify({ toolChoice, thinking, format }), tokens: contextTokens });

  const messages = Array.isArray(body.messages) ? body.messages : [];
  for (const message of messages) {
    const role = isRecord(message) ? message.role : undefined;
    const content = isRecord(message) ? message.content : undefined;
    const blocks: unknown[] = typeof content === 'string' ? [{ type: 'text', text: content }] : Array.isArray(content) ? content : [];
    if (blocks.length === 0) {
      segments.push({ kind: 'message', key: JSON.stringify({ role }), tokens: MESSAGE_OVERHEAD });
      continue;
    }
    blocks.forEach((block, index) => {
      segments.push({
        kind: 'message',
        key: (index === 0 ? `${String(role)}:` : '') + withoutCacheControl(block),
        tokens: (index === 0 ? MESSAGE_OVERHEAD : 0) + blockTokens(block, model, files),
        cacheTtl: cacheTtlOf(block),
      });
    });
  }
  return segments;
}

/** The input tokens a request costs: what count_tokens returns and what `usage` bills in total. */
export function countRequestTokens(body: Record<string, unknown>, model: string, files?: FileContentLookup): number {
  return promptSegments(body, model, files).reduce((sum, segment) => sum + segment.tokens, 0);
}
