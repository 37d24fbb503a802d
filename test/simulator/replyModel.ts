// The simulator's "model": a deterministic function from a validated request to the content blocks of
// the reply. The words come from a PRNG seeded with a hash of the model, system prompt and messages
// (not max_tokens or stop_sequences), so a shorter reply is always a prefix of a longer one and tests
// can predict text exactly with `replyTextFor`.
import { createHash } from 'node:crypto';
import { newId } from './apiError';
import { prng, sampleFromSchema } from './schemaSample';
import { planServerTools, type ServerToolRuntime, type SimulatedContainer } from './serverTools';
import { countTextTokens } from './tokenizer';

/** One streamed delta and what it costs, for pacing. */
export interface ReplyPiece {
  text: string;
  tokens: number;
}

export type PlannedBlock =
  | { type: 'thinking'; thinking: string; signature: string; pieces: ReplyPiece[]; tokens: number }
  | { type: 'text'; text: string; pieces: ReplyPiece[]; tokens: number; citations?: Record<string, unknown>[] }
  | { type: 'tool_use'; id: string; name: string; input: unknown; pieces: ReplyPiece[]; tokens: number }
  /** A server tool call (sheet §7): its input streams like a tool_use's and counts as output. */
  | { type: 'server_tool_use'; id: string; name: string; input: unknown; pieces: ReplyPiece[]; tokens: number }
  /** A server tool's result block (web_search_tool_result, ...): it arrives whole and is not output. */
  | { type: 'server_tool_result'; block: Record<string, unknown>; tokens: 0 }
  /** Beta (sheet §14): a compaction request's summary; its content arrives whole in one compaction_delta. */
  | { type: 'compaction'; content: string; encryptedContent: string; tokens: number };

export type StopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'model_context_window_exceeded' | 'compaction' | 'refusal';

/** `stop_details` of a refused reply (sheet §7): the policy category and an explanation. */
export interface RefusalDetails {
  type: 'refusal';
  category: 'cyber' | 'bio' | 'frontier_llm' | 'reasoning_extraction' | 'general_harms' | null;
  explanation: string | null;
}

/** How the simulator refuses a request: the category, the explanation, and how much text streams first. */
export interface RefusalSpec {
  category: RefusalDetails['category'];
  explanation?: string | null;
  /** Output tokens of the normal reply streamed before the refusal (default 0: refused before any output). */
  afterTokens?: number;
}

/**
 * The plan of a refused reply (sheet §7: stop_reason "refusal", HTTP 200, stop_details with the
 * category): the normal reply cut after `afterTokens` tokens of text, nothing else.
 */
export function refusalPlan(plan: ReplyPlan, refusal: RefusalSpec): ReplyPlan {
  let budget = Math.max(0, refusal.afterTokens ?? 0);
  const blocks: PlannedBlock[] = [];
  const text = plan.blocks.find((block) => block.type === 'text');
  if (budget > 0 && text && text.type === 'text') {
    const pieces: ReplyPiece[] = [];
    for (const piece of text.pieces) {
      if (budget <= 0) break;
      pieces.push(piece);
      budget -= piece.tokens;
    }
    const tokens = pieces.reduce((sum, piece) => sum + piece.tokens, 0);
    blocks.push({ type: 'text', text: pieces.map((piece) => piece.text).join(''), pieces, tokens });
  }
  const outputTokens = Math.max(1, blocks.reduce((sum, block) => sum + block.tokens, 0));
  return {
    blocks,
    stopReason: 'refusal',
    stopSequence: null,
    outputTokens,
    thinkingTokens: null,
    serverToolUse: null,
    container: null,
    stopDetails: { type: 'refusal', category: refusal.category, explanation: refusal.explanation === undefined ? `This request was refused (simulated, category ${refusal.category ?? 'none'}).` : refusal.explanation },
  };
}

/** The beta headers that turn on the `compaction` request field (sheet §14). */
export const COMPACTION_BETAS: readonly string[] = ['compact-2026-01-12', 'compact-2026-09-04'];

export interface ReplyPlan {
  blocks: PlannedBlock[];
  stopReason: StopReason;
  stopSequence: string | null;
  outputTokens: number;
  /** Set when the request asked for thinking (for usage.output_tokens_details). */
  thinkingTokens: number | null;
  /** usage.server_tool_use: set when a server tool ran. */
  serverToolUse: { web_search_requests: number; web_fetch_requests: number } | null;
  /** Message.container: set when code execution ran. */
  container: SimulatedContainer | null;
  /** Set on a refusal (stop_details). */
  stopDetails?: RefusalDetails;
}

export interface ReplySettings {
  /** Length of a text reply in tokens before max_tokens applies. */
  outputTokens: number;
  /** Length of the thinking block when thinking is on. */
  thinkingTokens: number;
  /** Overrides the generated text of a plain text reply. */
  replyText?: string;
}

const WORDS = [
  'the', 'simulated', 'model', 'answers', 'with', 'a', 'steady', 'stream', 'of', 'plain', 'words', 'that',
  'tests', 'can', 'predict', 'exactly', 'each', 'token', 'arrives', 'in', 'order', 'and', 'every', 'reply',
  'depends', 'only', 'on', 'prompt', 'so', 'repeated', 'runs', 'agree', 'cache', 'batch', 'request', 'quiet',
  'river', 'carries', 'light', 'across', 'open', 'fields', 'while', 'careful', 'engineers', 'measure', 'latency', 'budget',
];
const THINKING_WORDS = ['consider', 'the', 'request', 'first', 'then', 'weigh', 'options', 'check', 'constraints', 'and', 'plan', 'a', 'clear', 'answer'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** FNV-1a over a string: the seed of a request's reply. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function replySeed(body: Record<string, unknown>): number {
  return hash32(JSON.stringify({ model: body.model, system: body.system ?? null, messages: body.messages ?? null }));
}

/** An endless deterministic sequence of word and punctuation pieces. */
function* wordPieces(seed: number, vocabulary: readonly string[]): Generator<string> {
  const random = prng(seed);
  let first = true;
  for (;;) {
    const sentenceLength = 6 + Math.floor(random() * 9);
    for (let i = 0; i < sentenceLength; i++) {
      let word = vocabulary[Math.floor(random() * vocabulary.length)] ?? 'word';
      if (i === 0) word = word.charAt(0).toUpperCase() + word.slice(1);
      yield first ? word : ' ' + word;
      first = false;
    }
    yield '.';
  }
}

/** Takes pieces until `budget` tokens; the last may be cut short, as max_tokens cuts a real reply. */
function takePieces(source: Iterable<string>, budget: number, model: string): ReplyPiece[] {
  const pieces: ReplyPiece[] = [];
  let used = 0;
  for (const text of source) {
    const tokens = countTextTokens(text, model);
    if (used + tokens <= budget) {
      if (tokens > 0 || text.length > 0) pieces.push({ text, tokens });
      used += tokens;
      if (used === budget) return pieces;
      continue;
    }
    // Cut this piece to the tokens left.
    for (let length = text.length - 1; length > 0; length--) {
      const part = text.slice(0, length);
      const partTokens = countTextTokens(part, model);
      if (partTokens > 0 && used + partTokens <= budget) {
        pieces.push({ text: part, tokens: partTokens });
        break;
      }
    }
    return pieces;
  }
  return pieces;
}

// Words of one token under every tokenizer profile, to end a reply exactly on its length.
const FILLERS = [' so', ' it', ' is', ' a', ' we', ' go', ' on'];

/**
 * A reply that ends naturally after exactly `tokens` tokens: whole words, the gap before the end filled
 * with one-token words, and a final full stop.
 */
function naturalPieces(source: Iterable<string>, tokens: number, model: string): ReplyPiece[] {
  if (tokens <= 0) return [];
  const pieces: ReplyPiece[] = [];
  let used = 0;
  for (const text of source) {
    const cost = countTextTokens(text, model);
    if (used + cost > tokens - 1) break;
    pieces.push({ text, tokens: cost });
    used += cost;
  }
  if (pieces.at(-1)?.text === '.') {
    pieces.pop();
    used -= 1;
  }
  for (let i = 0; used < tokens - 1; i++, used++) {
    const filler = FILLERS[i % FILLERS.length] as string;
    pieces.push({ text: pieces.length === 0 ? filler.trimStart() : filler, tokens: 1 });
  }
  pieces.push({ text: '.', tokens: 1 });
  return pieces;
}

function* splitWords(text: string): Generator<string> {
  yield* text.match(/\s*\S+|\s+$/g) ?? [];
}

function* chunks(text: string, size: number): Generator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

/** Pieces that concatenate to `text`, for streaming; their token counts are only for pacing. */
function piecesOf(parts: Iterable<string>, model: string): ReplyPiece[] {
  return [...parts].map((text) => ({ text, tokens: countTextTokens(text, model) }));
}

/**
 * The text of the generated reply to this request when it ends naturally after `tokens` tokens
 * (before stop sequences). A reply cut by max_tokens is instead a prefix of the word stream, so it
 * shares its first words with this text.
 */
export function replyTextFor(body: Record<string, unknown>, tokens: number): string {
  return join(naturalPieces(wordPieces(replySeed(body), WORDS), tokens, String(body.model)));
}

/** The text of the last user turn, without tool results: what "mentions a tool" is judged on. */
function lastUserText(messages: unknown): string {
  if (!Array.isArray(messages)) return '';
  for (let i = messages.length - 1; i >= 0; i--) {
    const message: unknown = messages[i];
    if (!isRecord(message) || message.role !== 'user') continue;
    if (typeof message.content === 'string') return message.content;
    if (!Array.isArray(message.content)) return '';
    return message.content
      .filter((b): b is Record<string, unknown> => isRecord(b) && b.type === 'text' && typeof b.text === 'string')
      .map((b) => b.text as string)
      .join('\n');
  }
  return '';
}

function chooseTool(body: Record<string, unknown>): Record<string, unknown> | undefined {
  const tools = (Array.isArray(body.tools) ? body.tools : []).filter(
    (t): t is Record<string, unknown> => isRecord(t) && typeof t.name === 'string' && (t.type === undefined || t.type === null || t.type === 'custom'),
  );
  if (tools.length === 0) return undefined;
  const choice = isRecord(body.tool_choice) ? body.tool_choice : { type: 'auto' };
  const text = lastUserText(body.messages);
  const mentioned = tools.find((t) => text.includes(String(t.name)));
  switch (choice.type) {
    case 'tool':
      return tools.find((t) => t.name === choice.name);
    case 'any':
      return mentioned ?? tools[0];
    case 'none':
      return undefined;
    default:
      return mentioned;
  }
}

function applyStopSequences(pieces: ReplyPiece[], stopSequences: unknown, model: string): { pieces: ReplyPiece[]; matched: string | null } {
  if (!Array.isArray(stopSequences) || stopSequences.length === 0) return { pieces, matched: null };
  const text = pieces.map((p) => p.text).join('');
  let at = -1;
  let matched: string | null = null;
  for (const sequence of stopSequences) {
    if (typeof sequence !== 'string' || sequence.length === 0) continue;
    const index = text.indexOf(sequence);
    if (index >= 0 && (at < 0 || index < at)) {
      at = index;
      matched = sequence;
    }
  }
  if (matched === null) return { pieces, matched: null };
  const kept: ReplyPiece[] = [];
  let offset = 0;
  for (const piece of pieces) {
    if (offset >= at) break;
    const part = offset + piece.text.length <= at ? piece.text : piece.text.slice(0, at - offset);
    kept.push({ text: part, tokens: countTextTokens(part, model) });
    offset += piece.text.length;
  }
  return { pieces: kept, matched };
}

const join = (pieces: readonly ReplyPiece[]): string => pieces.map((p) => p.text).join('');

/**
 * Plans the reply to a validated request. `outputLimit` is what may be generated (max_tokens, or less
 * when the context window is nearly full, in which case `limitReason` says so).
 */
export function planReply(
  body: Record<string, unknown>,
  settings: ReplySettings,
  outputLimit: number,
  limitReason: 'max_tokens' | 'model_context_window_exceeded',
  /** The request's anthropic-beta names: beta-only fields act only when their beta is named. */
  betas: readonly string[] = [],
  /** Where server tools keep produced files and containers; without it server tools are not played. */
  runtime?: ServerToolRuntime,
): ReplyPlan {
  const extras: Pick<ReplyPlan, 'serverToolUse' | 'container'> = { serverToolUse: null, container: null };
  const plan = planBlocks(body, settings, outputLimit, limitReason, betas, runtime, extras);
  return { ...plan, ...extras };
}

function planBlocks(
  body: Record<string, unknown>,
  settings: ReplySettings,
  outputLimit: number,
  limitReason: 'max_tokens' | 'model_context_window_exceeded',
  betas: readonly string[],
  runtime: ServerToolRuntime | undefined,
  extras: Pick<ReplyPlan, 'serverToolUse' | 'container'>,
): Omit<ReplyPlan, 'serverToolUse' | 'container'> {
  const model = String(body.model);
  const seed = replySeed(body);
  const blocks: PlannedBlock[] = [];
  let remaining = outputLimit;
  let thinkingTokens: number | null = null;
  const limited = (): Omit<ReplyPlan, 'serverToolUse' | 'container'> => ({ blocks, stopReason: limitReason, stopSequence: null, outputTokens: outputLimit - remaining, thinkingTokens });

  if (outputLimit <= 0) return limited();

  // A compaction request (beta) answers with one compaction block, alone, and stop_reason "compaction".
  if (isRecord(body.compaction) && body.compaction.type === 'summarize' && betas.some((b) => COMPACTION_BETAS.includes(b))) {
    const summary = `Summary of the conversation so far: ${join(naturalPieces(wordPieces(seed, WORDS), Math.min(30, outputLimit), model))}`;
    const tokens = countTextTokens(summary, model);
    const encryptedContent = `Ec${createHash('sha256').update(`${seed}:${summary}`).digest('base64')}`;
    blocks.push({ type: 'compaction', content: summary, encryptedContent, tokens });
    return { blocks, stopReason: 'compaction', stopSequence: null, outputTokens: tokens, thinkingTokens };
  }

  const thinking = isRecord(body.thinking) ? body.thinking : undefined;
  if (thinking && (thinking.type === 'enabled' || thinking.type === 'adaptive')) {
    const budget = thinking.type === 'enabled' && typeof thinking.budget_tokens === 'number' ? thinking.budget_tokens : Infinity;
    const wanted = Math.max(1, Math.min(settings.thinkingTokens, budget));
    const thoughts = wordPieces(seed ^ 0x5bd1e995, THINKING_WORDS);
    const pieces = wanted <= remaining ? naturalPieces(thoughts, wanted, model) : takePieces(thoughts, remaining, model);
    const tokens = pieces.reduce((sum, p) => sum + p.tokens, 0);
    const thinkingText = join(pieces);
    const signature = createHash('sha256').update(`${seed}:${thinkingText}`).digest('base64');
    const omitted = thinking.display === 'omitted';
    blocks.push({ type: 'thinking', thinking: omitted ? '' : thinkingText, signature: `Es${signature}${signature}`, pieces: omitted ? [] : pieces, tokens });
    remaining -= tokens;
    thinkingTokens = tokens;
    if (tokens < wanted || remaining <= 0) return limited();
  }

  // Server tools run first, each once, inside this one turn (sheet §17): their calls are output.
  let citations: Record<string, unknown>[] = [];
  const server = runtime ? planServerTools(body, seed, runtime) : undefined;
  if (server) {
    extras.serverToolUse = { web_search_requests: server.webSearchRequests, web_fetch_requests: server.webFetchRequests };
    extras.container = server.container;
    citations = server.citations;
    for (const block of server.blocks) {
      if (block.type === 'server_tool_result') {
        blocks.push({ type: 'server_tool_result', block: block.block, tokens: 0 });
        continue;
      }
      const tokens = countTextTokens(block.json, model);
      if (tokens > remaining) return limited();
      blocks.push({ type: 'server_tool_use', id: block.id, name: block.name, input: block.input, pieces: piecesOf(chunks(block.json, 12), model), tokens });
      remaining -= tokens;
    }
    if (remaining <= 0) return limited();
  }

  const tool = chooseTool(body);
  if (tool) {
    const input = sampleFromSchema(tool.input_schema ?? { type: 'object' }, seed);
    const json = JSON.stringify(input);
    const tokens = countTextTokens(json, model);
    const id = newId('toolu_01', 22);
    if (tokens > remaining) {
      // Cut off mid-input: the partial JSON streams, and the block's input stays empty.
      const pieces = takePieces(chunks(json, 12), remaining, model);
      const used = countTextTokens(join(pieces), model);
      blocks.push({ type: 'tool_use', id, name: String(tool.name), input: {}, pieces, tokens: used });
      remaining -= used;
      return limited();
    }
    blocks.push({ type: 'tool_use', id, name: String(tool.name), input, pieces: piecesOf(chunks(json, 12), model), tokens });
    remaining -= tokens;
    return { blocks, stopReason: 'tool_use', stopSequence: null, outputTokens: outputLimit - remaining, thinkingTokens };
  }

  const format = isRecord(body.output_config) && isRecord(body.output_config.format) ? body.output_config.format : undefined;
  let source: Iterable<string>;
  let wanted: number;
  // Only the generated words get a natural ending; JSON and fixed reply texts are complete as they are.
  let naturalFrom = false;
  if (format && format.type === 'json_schema') {
    const json = JSON.stringify(sampleFromSchema(format.schema, seed));
    source = chunks(json, 12);
    wanted = countTextTokens(json, model);
  } else if (settings.replyText !== undefined) {
    source = splitWords(settings.replyText);
    wanted = countTextTokens(settings.replyText, model);
  } else {
    source = wordPieces(seed, WORDS);
    wanted = Math.max(1, settings.outputTokens);
    naturalFrom = true;
  }
  const truncated = wanted > remaining;
  const taken = truncated ? takePieces(source, remaining, model) : naturalFrom ? naturalPieces(source, wanted, model) : piecesOf(source, model);
  const { pieces, matched } = applyStopSequences(taken, body.stop_sequences, model);
  const text = join(pieces);
  const tokens = countTextTokens(text, model);
  blocks.push({ type: 'text', text, pieces, tokens, ...(citations.length > 0 ? { citations } : {}) });
  remaining -= tokens;
  if (matched !== null) return { blocks, stopReason: 'stop_sequence', stopSequence: matched, outputTokens: outputLimit - remaining, thinkingTokens };
  if (truncated) return { ...limited(), outputTokens: outputLimit - remaining };
  return { blocks, stopReason: 'end_turn', stopSequence: null, outputTokens: outputLimit - remaining, thinkingTokens };
}
