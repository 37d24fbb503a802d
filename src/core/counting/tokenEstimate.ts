// The offline side of token counting: a fast estimate of a request's input tokens (shown with `~`
// until the exact count from POST /v1/messages/count_tokens arrives, or when there is no key or no
// network), the body count_tokens takes, a stable key for "has the input changed?", and where the
// cache breakpoints fall. The estimate is a heuristic, not a tokenizer: tokenizers differ by model
// (../shared/anthropic-api.md §10) and only the API count is exact.
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import type { CacheControlEphemeral, MessageCountTokensParams } from '@anthropic-ai/sdk/resources/messages';
import { tokenizerOf } from '../models/modelCatalogue';

/**
 * A Messages request body after templating: the SDK's MessageCreateParams and the prompt parser's
 * MessagesRequest both fit. Only the input-relevant fields are read, and they are walked
 * defensively, so a half-typed document gives an estimate rather than an exception.
 */
export interface CountableRequest {
  model: string;
  messages: readonly unknown[];
  system?: unknown;
  tools?: unknown;
  tool_choice?: unknown;
  thinking?: unknown;
  output_config?: unknown;
  speed?: unknown;
  cache_control?: unknown;
  /** Not input: never part of the estimate or the key. */
  max_tokens?: number;
  metadata?: unknown;
  stop_sequences?: unknown;
  stream?: unknown;
  service_tier?: unknown;
}

/** A resolved request of a prompt without errors has the fields counting reads (checked by the prompt checks, not here). */
export function countableRequest(request: Record<string, unknown>): CountableRequest {
  return request as unknown as CountableRequest;
}

/** The request fields POST /v1/messages/count_tokens takes (§10); everything else cannot change the count. */
export const COUNT_TOKENS_FIELDS = [
  'model',
  'messages',
  'system',
  'tools',
  'tool_choice',
  'thinking',
  'output_config',
  'speed',
  'cache_control',
] as const satisfies readonly (keyof MessageCountTokensParams & keyof CountableRequest)[];

/** The count_tokens body for a request: only the fields it takes (no max_tokens, metadata, stop_sequences...). */
export function countTokensParams(request: CountableRequest): MessageCountTokensParams {
  const params: Partial<Record<(typeof COUNT_TOKENS_FIELDS)[number], unknown>> = {};
  for (const field of COUNT_TOKENS_FIELDS) {
    const value = request[field];
    // null and absent mean the same to the API, so they must give the same key.
    if (value !== undefined && value !== null) params[field] = value;
  }
  return params as MessageCountTokensParams;
}

/** Bump when the canonical form changes, so keys from an older form never match. */
const KEY_VERSION = 'count-tokens-v1';

/**
 * A stable hash (sha256, hex) of the input-relevant fields of a request in a canonical form (object
 * keys sorted, undefined dropped), so an unchanged input is never counted twice. It includes the
 * model (tokenizers differ by model) and the beta names (a beta can change what a field means).
 */
export function inputRelevantKey(request: CountableRequest, betas: readonly string[] = []): string {
  const writer = new CanonicalHashWriter();
  writer.write(KEY_VERSION);
  writer.value(countTokensParams(request));
  // Without betas the key is what it always was; their order and repeats do not matter to the API.
  if (betas.length > 0) {
    writer.write('betas');
    writer.value([...new Set(betas)].sort());
  }
  return writer.digest();
}

/** Strings at least this long go to the hash as they are instead of through the small-piece buffer. */
const LARGE_STRING = 4_096;
const FLUSH_AT = 65_536;

/**
 * Feeds a canonical, unambiguous encoding of a JSON value straight into sha256: each string is
 * length-prefixed rather than escaped, so a 1 MB message is hashed in place instead of being copied
 * by JSON.stringify (which took most of the edit budget). Small pieces are batched to keep the
 * number of hash.update calls low for requests with thousands of blocks.
 */
class CanonicalHashWriter {
  private readonly hash = createHash('sha256');
  private buffer = '';

  write(piece: string): void {
    this.buffer += piece;
    if (this.buffer.length >= FLUSH_AT) this.flush();
  }

  string(text: string): void {
    // The prefix counts UTF-16 units and the text goes in as UTF-8: still one reading per input
    // (short of a lone surrogate, which UTF-8 cannot carry and no prompt file should hold).
    this.write(`s${text.length}:`);
    if (text.length < LARGE_STRING) {
      this.write(text);
      return;
    }
    this.flush();
    this.hash.update(text, 'utf8');
  }

  value(value: unknown): void {
    switch (typeof value) {
      case 'string':
        this.string(value);
        return;
      case 'number':
        this.write(`n${JSON.stringify(value)};`);
        return;
      case 'boolean':
        this.write(value ? 't;' : 'f;');
        return;
      case 'object':
        if (value === null) this.write('z;');
        else if (Array.isArray(value)) {
          this.write(`a${value.length}[`);
          // As in JSON, an undefined array item is null.
          for (const item of value) this.value(item === undefined ? null : item);
          this.write(']');
        } else {
          const record = value as Record<string, unknown>;
          this.write('o{');
          for (const key of Object.keys(record).sort()) {
            const field = record[key];
            if (field === undefined || typeof field === 'function') continue;
            this.string(key);
            this.value(field);
          }
          this.write('}');
        }
        return;
      default:
        // undefined, functions, symbols and bigints cannot come from a parsed document.
        this.write('z;');
    }
  }

  digest(): string {
    this.flush();
    return this.hash.digest('hex');
  }

  private flush(): void {
    if (this.buffer === '') return;
    this.hash.update(this.buffer, 'utf8');
    this.buffer = '';
  }
}

// ---------------------------------------------------------------------------------------------
// The estimate

/**
 * Characters per token of English prose for the tokenizer of Claude 4.6 and earlier. Text of other
 * scripts is weighed per character below; JSON and code tokenize somewhat denser, which is ignored.
 */
export const CHARS_PER_TOKEN = 3.5;
/**
 * The tokenizer introduced with Claude 4.7 gives more tokens for the same text: about 30% more on
 * Haiku 5.5 than Haiku 4.5, and 1.0-1.35x on Opus 4.7 vs 4.6 (§10). Unknown ids are assumed new.
 */
export const NEWER_TOKENIZER_FACTOR = 1.25;

/** Rough per-item overheads, in tokens of the older tokenizer. */
const OVERHEAD = {
  request: 7,
  message: 4,
  block: 2,
  system: 3,
  tool: 8,
  /** The tool-use system prompt the API adds when tools are present (~313-346 tokens on Claude 4). */
  toolPreamble: 340,
  /** Structured outputs add the schema to the system prompt. */
  outputFormat: 50,
  /** One image: about the most an image costs when the API downsizes it to ~1.15 megapixels. */
  image: 1_600,
  /** One PDF page: its text plus the page image (the docs give 1,500-3,000 per page). */
  pdfPage: 2_250,
  /** Container uploads and other references the estimate cannot see into. */
  reference: 20,
} as const;
/** Bytes of PDF per page, to guess a page count from a base64 PDF's size. */
const PDF_BYTES_PER_PAGE = 60_000;

export interface InputEstimate {
  /** Estimated input tokens for the request's model. */
  tokens: number;
  /** The share of each prefix section, in the same units as `tokens`. */
  sections: { tools: number; system: number; messages: number };
  /** Images, PDFs, URLs and file ids whose size the estimate guessed from a constant. */
  guessedBlocks: number;
}

/** The model's tokens per older-tokenizer token (see NEWER_TOKENIZER_FACTOR). */
export function tokenizerFactor(model: string): number {
  return tokenizerOf(model) === 'claude-4.6' ? 1 : NEWER_TOKENIZER_FACTOR;
}

/** The offline estimate of input tokens. Linear in the request size and free of allocation-heavy work. */
export function estimateInput(request: CountableRequest): InputEstimate {
  const walk = new RequestWalk();
  walk.request(request);
  const factor = tokenizerFactor(String(request.model));
  const scale = (n: number): number => Math.ceil(n * factor);
  return {
    tokens: scale(walk.position),
    sections: { tools: scale(walk.sectionEnds.tools), system: scale(walk.sectionEnds.system - walk.sectionEnds.tools), messages: scale(walk.position - walk.sectionEnds.system) },
    guessedBlocks: walk.guessedBlocks,
  };
}

/** The offline estimate of input tokens (see estimateInput). */
export function estimateInputTokens(request: CountableRequest): number {
  return estimateInput(request).tokens;
}

/**
 * Tokens for a piece of text: ASCII at CHARS_PER_TOKEN, other scripts denser. It reads only the
 * UTF-16 length and the UTF-8 byte length (native, ~0.5 ms for 1 MB), not each character: every
 * non-ASCII character adds 1 extra UTF-8 byte (Latin accents, Greek, Cyrillic, Arabic: about two
 * characters per token) or 2 (CJK, kana, Hangul: about one token per character), so extra bytes / 2
 * is about right for both. How many characters were ASCII is then within 25% of the extra bytes.
 */
export function textTokens(text: string): number {
  if (text.length === 0) return 0;
  const extraBytes = Buffer.byteLength(text, 'utf8') - text.length;
  if (extraBytes === 0) return text.length / CHARS_PER_TOKEN;
  const ascii = Math.max(0, text.length - 0.75 * extraBytes);
  return ascii / CHARS_PER_TOKEN + extraBytes / 2;
}

function jsonTokens(value: unknown): number {
  if (value === undefined) return 0;
  try {
    return textTokens(JSON.stringify(value) ?? '');
  } catch {
    return 0;
  }
}

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A cache_control marker and the estimated tokens up to and including the block that carries it. */
interface Mark {
  path: string;
  ttl: '5m' | '1h';
  position: number;
}

/** One pass over a request in prefix order (tools, system, messages), accumulating older-tokenizer tokens. */
class RequestWalk {
  position = 0;
  guessedBlocks = 0;
  readonly sectionEnds = { tools: 0, system: 0 };
  readonly marks: Mark[] = [];

  request(request: CountableRequest): void {
    const r = request as unknown as Json;
    this.position += OVERHEAD.request;
    const tools = r.tools;
    if (Array.isArray(tools) && tools.length > 0) {
      this.position += OVERHEAD.toolPreamble + jsonTokens(r.tool_choice);
      tools.forEach((tool, i) => {
        this.position += OVERHEAD.tool + jsonTokens(tool);
        this.mark(tool, `tools[${i}]`);
      });
    }
    this.sectionEnds.tools = this.position;

    const system = r.system;
    if (typeof system === 'string') this.position += OVERHEAD.system + textTokens(system);
    else if (Array.isArray(system)) {
      this.position += OVERHEAD.system;
      system.forEach((block, i) => {
        this.block(block, true);
        this.mark(block, `system[${i}]`);
      });
    }
    const outputConfig = r.output_config;
    if (isRecord(outputConfig) && isRecord(outputConfig.format)) this.position += OVERHEAD.outputFormat + jsonTokens(outputConfig.format);
    this.sectionEnds.system = this.position;

    const messages = Array.isArray(r.messages) ? r.messages : [];
    const currentTurnStart = lastHumanTurn(messages);
    messages.forEach((message, i) => {
      if (!isRecord(message)) return;
      this.position += OVERHEAD.message;
      const content = message.content;
      if (typeof content === 'string') this.position += textTokens(content);
      else if (Array.isArray(content)) {
        // Thinking from earlier assistant turns is not counted by the API (§10).
        const countThinking = i > currentTurnStart;
        content.forEach((block, j) => {
          this.block(block, countThinking);
          this.mark(block, `messages[${i}].content[${j}]`);
        });
      }
    });
    // Top-level cache_control puts the breakpoint on the last cacheable block: the end of the prompt.
    const auto = r.cache_control;
    if (isRecord(auto)) this.marks.push({ path: 'cache_control (automatic: last block)', ttl: ttlOf(auto), position: this.position });
  }

  private mark(block: unknown, path: string): void {
    if (isRecord(block) && isRecord(block.cache_control)) this.marks.push({ path, ttl: ttlOf(block.cache_control), position: this.position });
  }

  private block(block: unknown, countThinking: boolean): void {
    if (typeof block === 'string') {
      this.position += textTokens(block);
      return;
    }
    if (!isRecord(block)) return;
    this.position += OVERHEAD.block;
    switch (block.type) {
      case 'text':
        this.position += textTokens(String(block.text ?? ''));
        return;
      case 'image':
        this.guessedBlocks++;
        this.position += OVERHEAD.image;
        return;
      case 'document':
        this.document(block);
        return;
      case 'search_result':
        this.position += textTokens(String(block.title ?? '')) + textTokens(String(block.source ?? ''));
        if (Array.isArray(block.content)) for (const inner of block.content) this.block(inner, countThinking);
        return;
      case 'thinking':
        if (countThinking) this.position += textTokens(String(block.thinking ?? ''));
        return;
      case 'redacted_thinking':
        if (countThinking) this.position += textTokens(String(block.data ?? ''));
        return;
      case 'tool_use':
      case 'server_tool_use':
        this.position += textTokens(String(block.name ?? '')) + jsonTokens(block.input);
        return;
      case 'tool_result':
        if (typeof block.content === 'string') this.position += textTokens(block.content);
        else if (Array.isArray(block.content)) for (const inner of block.content) this.block(inner, countThinking);
        return;
      case 'container_upload':
      case 'tool_reference':
        this.position += OVERHEAD.reference;
        return;
      default:
        // Server tool results and anything newer: their JSON is a fair stand-in.
        this.position += jsonTokens(block);
    }
  }

  private document(block: Json): void {
    this.position += textTokens(String(block.title ?? '')) + textTokens(String(block.context ?? ''));
    const source = isRecord(block.source) ? block.source : {};
    switch (source.type) {
      case 'text':
        this.position += textTokens(String(source.data ?? ''));
        return;
      case 'content':
        if (typeof source.content === 'string') this.position += textTokens(source.content);
        else if (Array.isArray(source.content)) for (const inner of source.content) this.block(inner, true);
        return;
      case 'base64': {
        const bytes = (String(source.data ?? '').length * 3) / 4;
        this.guessedBlocks++;
        this.position += OVERHEAD.pdfPage * Math.max(1, Math.ceil(bytes / PDF_BYTES_PER_PAGE));
        return;
      }
      default:
        // URL and file references: the size is not visible offline; one page is a floor, not a guess.
        this.guessedBlocks++;
        this.position += OVERHEAD.pdfPage;
    }
  }
}

/** Index of the last user message that is more than tool results: the start of the current turn. */
function lastHumanTurn(messages: readonly unknown[]): number {
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (!isRecord(message) || message.role !== 'user') continue;
    const content = message.content;
    if (!Array.isArray(content) || content.some((block) => !isRecord(block) || block.type !== 'tool_result')) return i;
  }
  return -1;
}

function ttlOf(cacheControl: Json): '5m' | '1h' {
  return (cacheControl as Partial<CacheControlEphemeral>).ttl === '1h' ? '1h' : '5m';
}

// ---------------------------------------------------------------------------------------------
// Cache breakpoints

export interface CacheBreakpoint {
  /** Where the marker is: `tools[2]`, `system[0]`, `messages[3].content[1]`, or the top-level automatic one. */
  path: string;
  ttl: '5m' | '1h';
  /** Estimated share (0..1) of the input up to and including the marked block. */
  prefixShare: number;
}

/** Where a request's cache breakpoints fall, as shares of its input so they can scale an exact count. */
export interface CachePlan {
  breakpoints: CacheBreakpoint[];
  /** Share of the input written to the cache at the 5-minute rate on a first run. */
  write5mShare: number;
  /** Share of the input written at the 1-hour rate on a first run. */
  write1hShare: number;
  /** Share read from the cache on a repeat run within the TTL (the longest cached prefix). */
  readShare: number;
  /** More than 4 breakpoints: the API rejects the request. */
  tooManyBreakpoints: boolean;
}

/** The most cache breakpoints one request may carry (§8). */
export const MAX_CACHE_BREAKPOINTS = 4;

/**
 * The cache_control markers of a request (tools, system blocks, message blocks, top level) in
 * prefix order, and the estimated share of the input each caches. The span up to each breakpoint is
 * written at that breakpoint's TTL; a repeat run reads the whole prefix up to the last one. The
 * model's minimum cacheable length is not applied: it is UNVERIFIED for the 5.x models (§8).
 */
export function cacheBreakpoints(request: CountableRequest): CachePlan {
  const walk = new RequestWalk();
  walk.request(request);
  const total = walk.position;
  const marks = [...walk.marks].sort((a, b) => a.position - b.position);
  let write5m = 0;
  let write1h = 0;
  let previous = 0;
  for (const mark of marks) {
    const span = mark.position - previous;
    if (mark.ttl === '1h') write1h += span;
    else write5m += span;
    previous = mark.position;
  }
  const share = (n: number): number => (total > 0 ? n / total : 0);
  return {
    breakpoints: marks.map((mark) => ({ path: mark.path, ttl: mark.ttl, prefixShare: share(mark.position) })),
    write5mShare: share(write5m),
    write1hShare: share(write1h),
    readShare: share(previous),
    tooManyBreakpoints: marks.length > MAX_CACHE_BREAKPOINTS,
  };
}
