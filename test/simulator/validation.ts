// Request validation for /v1/messages, count_tokens and batch requests, modelled on the real API's
// 400/404 answers (sheet §1.1, §6, §10, §15). Messages are in the API's "path: problem" style; their
// exact wording is the simulator's own (the API's wording can change and must not be matched on).
import type { ModelInfo } from '../../src/core/models/modelCatalogue';
import { invalidRequest, notFound } from './apiError';
import { acceptsPrefill, lookupModel } from './modelCatalogue';

/** anthropic-version values the API accepts; 2026-10-21 removed temperature/top_p/top_k (sheet §1.1). */
export const API_VERSIONS = ['2023-01-01', '2023-06-01', '2026-10-21'] as const;
const VERSION_WITHOUT_SAMPLING_PARAMS = '2026-10-21';

export interface ValidationContext {
  apiVersion: string;
  /** anthropic-beta header values. */
  betas: readonly string[];
  fileExists: (fileId: string) => boolean;
  /** Whether a file existed but its expires_at has passed (404 file_expired, sheet §16). */
  fileExpired?: (fileId: string) => boolean;
}

export interface ValidatedRequest {
  body: Record<string, unknown>;
  model: ModelInfo;
}

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const MESSAGE_FIELDS = new Set([
  'model', 'max_tokens', 'messages', 'system', 'cache_control', 'stop_sequences', 'stream', 'metadata', 'thinking',
  'tools', 'tool_choice', 'output_config', 'speed', 'service_tier', 'inference_geo', 'container', 'diagnostics',
  // Beta-only fields (sheet §14); accepted so client.beta.messages works against the simulator.
  'context_management', 'compaction', 'thread', 'fallbacks', 'fallback_credit_token', 'mcp_servers', 'billing_policy', 'output_format',
]);
const SAMPLING_PARAMS = ['temperature', 'top_p', 'top_k'] as const;
const BLOCK_TYPES = new Set([
  'text', 'image', 'document', 'search_result', 'thinking', 'redacted_thinking', 'tool_use', 'tool_result', 'server_tool_use',
  'web_search_tool_result', 'web_fetch_tool_result', 'code_execution_tool_result', 'bash_code_execution_tool_result',
  'text_editor_code_execution_tool_result', 'tool_search_tool_result', 'container_upload',
]);
const IMAGE_MEDIA_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);
// The tools documentation's pattern for custom tool names (UNVERIFIED for 2026).
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const MAX_CACHE_BREAKPOINTS = 4;
const MAX_MESSAGES = 100_000;

function checkCacheControl(value: unknown, path: string): number {
  if (value === undefined || value === null) return 0;
  if (!isRecord(value) || value.type !== 'ephemeral') throw invalidRequest(`${path}.type: Input should be 'ephemeral'`);
  if (value.ttl !== undefined && value.ttl !== '5m' && value.ttl !== '1h') throw invalidRequest(`${path}.ttl: Input should be '5m' or '1h'`);
  return 1;
}

function checkText(block: Json, path: string): void {
  if (typeof block.text !== 'string') throw invalidRequest(`${path}.text: Field required`);
  if (block.text.length === 0) throw invalidRequest(`${path}: text content blocks must be non-empty`);
}

function checkSource(source: unknown, path: string, kinds: readonly string[], ctx: ValidationContext): Json {
  if (!isRecord(source)) throw invalidRequest(`${path}: Field required`);
  if (typeof source.type !== 'string' || !kinds.includes(source.type)) {
    throw invalidRequest(`${path}.type: Input should be ${kinds.map((k) => `'${k}'`).join(', ')}`);
  }
  if (source.type === 'file') {
    if (typeof source.file_id !== 'string') throw invalidRequest(`${path}.file_id: Field required`);
    // UNVERIFIED which status the API gives for an unknown file id; 400 is the conservative guess.
    if (ctx.fileExpired?.(source.file_id)) throw notFound(`${path}.file_id: File '${source.file_id}' has expired.`, 'file_expired');
    if (!ctx.fileExists(source.file_id)) throw invalidRequest(`${path}.file_id: File '${source.file_id}' not found.`);
  }
  if (source.type === 'base64' && typeof source.data !== 'string') throw invalidRequest(`${path}.data: Field required`);
  if (source.type === 'url' && typeof source.url !== 'string') throw invalidRequest(`${path}.url: Field required`);
  return source;
}

/** Validates one content block; returns how many cache breakpoints it carries. */
function checkBlock(block: unknown, path: string, role: string, ctx: ValidationContext): number {
  if (!isRecord(block)) throw invalidRequest(`${path}: Input should be a valid dictionary or object`);
  const type = block.type;
  if (typeof type !== 'string') throw invalidRequest(`${path}.type: Field required`);
  if (!BLOCK_TYPES.has(type)) throw invalidRequest(`${path}.type: Input tag '${type}' found using 'type' does not match any of the expected tags`);
  if (role === 'system' && type !== 'text') throw invalidRequest(`${path}.type: system content must be text blocks`);
  const newVersion = ctx.apiVersion >= VERSION_WITHOUT_SAMPLING_PARAMS;
  switch (type) {
    case 'text':
      checkText(block, path);
      if (newVersion && role === 'user' && Array.isArray(block.citations) && block.citations.length > 0) {
        throw invalidRequest(`${path}.citations: text blocks in user messages cannot carry citations on API version ${ctx.apiVersion}`);
      }
      break;
    case 'image': {
      const source = checkSource(block.source, `${path}.source`, ['base64', 'url', 'file'], ctx);
      if (source.type === 'base64' && !IMAGE_MEDIA_TYPES.has(String(source.media_type))) {
        throw invalidRequest(`${path}.source.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'`);
      }
      break;
    }
    case 'document':
      if (newVersion && role === 'assistant') throw invalidRequest(`${path}: document blocks are not allowed in assistant messages on API version ${ctx.apiVersion}`);
      checkSource(block.source, `${path}.source`, ['base64', 'text', 'content', 'url', 'file'], ctx);
      break;
    case 'tool_use':
    case 'server_tool_use':
      if (typeof block.id !== 'string') throw invalidRequest(`${path}.id: Field required`);
      if (typeof block.name !== 'string') throw invalidRequest(`${path}.name: Field required`);
      if (!isRecord(block.input)) throw invalidRequest(`${path}.input: Input should be a valid dictionary`);
      break;
    case 'tool_result':
      if (typeof block.tool_use_id !== 'string') throw invalidRequest(`${path}.tool_use_id: Field required`);
      if (Array.isArray(block.content)) {
        block.content.forEach((inner, i) => checkBlock(inner, `${path}.content.${i}`, 'tool_result', ctx));
      } else if (block.content !== undefined && typeof block.content !== 'string') {
        throw invalidRequest(`${path}.content: Input should be a valid string or list`);
      }
      break;
    case 'thinking':
      if (typeof block.thinking !== 'string' || typeof block.signature !== 'string') throw invalidRequest(`${path}: thinking blocks need 'thinking' and 'signature'`);
      break;
  }
  return checkCacheControl(block.cache_control, `${path}.cache_control`);
}

function checkMessages(messages: unknown, model: ModelInfo, ctx: ValidationContext, allowPrefill = false): number {
  if (messages === undefined) throw invalidRequest('messages: Field required');
  if (!Array.isArray(messages)) throw invalidRequest('messages: Input should be a valid list');
  if (messages.length === 0) throw invalidRequest('messages: at least one message is required');
  if (messages.length > MAX_MESSAGES) throw invalidRequest(`messages: at most ${MAX_MESSAGES} messages are allowed, got ${messages.length}`);
  let breakpoints = 0;
  let pendingToolUses: string[] = [];
  messages.forEach((message, index) => {
    const path = `messages.${index}`;
    if (!isRecord(message)) throw invalidRequest(`${path}: Input should be a valid dictionary`);
    const role = message.role;
    if (role !== 'user' && role !== 'assistant' && role !== 'system') {
      throw invalidRequest(`${path}.role: Input should be 'user', 'assistant' or 'system'`);
    }
    const content = message.content;
    const isLast = index === messages.length - 1;
    let blocks: unknown[];
    if (typeof content === 'string') {
      if (content.length === 0 && !(isLast && role === 'assistant')) throw invalidRequest(`${path}.content: text content blocks must be non-empty`);
      blocks = [];
    } else if (Array.isArray(content)) {
      if (content.length === 0 && !(isLast && role === 'assistant')) throw invalidRequest(`${path}.content: at least one content block is required`);
      blocks = content;
      content.forEach((block, i) => (breakpoints += checkBlock(block, `${path}.content.${i}`, role, ctx)));
    } else {
      throw invalidRequest(`${path}.content: Field required`);
    }

    // Every tool_use must be answered by a tool_result in the very next (user) message.
    const toolResults = blocks
      .map((b, i) => ({ b, i }))
      .filter(({ b }) => isRecord(b) && b.type === 'tool_result') as { b: Json; i: number }[];
    if (pendingToolUses.length > 0) {
      const answered = new Set(toolResults.map(({ b }) => String(b.tool_use_id)));
      const missing = pendingToolUses.filter((id) => !answered.has(id));
      if (role !== 'user' || missing.length > 0) {
        throw invalidRequest(
          `messages.${index - 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${(missing.length ? missing : pendingToolUses).join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`,
        );
      }
    }
    for (const { b, i } of toolResults) {
      if (!pendingToolUses.includes(String(b.tool_use_id))) {
        throw invalidRequest(
          `${path}.content.${i}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(b.tool_use_id)}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`,
        );
      }
    }
    pendingToolUses =
      role === 'assistant' ? blocks.filter((b): b is Json => isRecord(b) && b.type === 'tool_use').map((b) => String(b.id)) : [];

    if (isLast && role === 'assistant' && !allowPrefill && !acceptsPrefill(model)) {
      throw invalidRequest(`${path}: This model does not support assistant message prefill. The conversation must end with a user message.`);
    }
  });
  if (pendingToolUses.length > 0) {
    throw invalidRequest(
      `messages.${messages.length - 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${pendingToolUses.join(', ')}.`,
    );
  }
  return breakpoints;
}

function checkSystem(system: unknown, ctx: ValidationContext): number {
  if (system === undefined || typeof system === 'string') return 0;
  if (!Array.isArray(system)) throw invalidRequest('system: Input should be a valid string or list of text blocks');
  return system.reduce<number>((sum, block, i) => sum + checkBlock(block, `system.${i}`, 'system', ctx), 0);
}

function checkTools(tools: unknown, toolChoice: unknown): { breakpoints: number; names: string[] } {
  const names: string[] = [];
  let breakpoints = 0;
  if (tools !== undefined) {
    if (!Array.isArray(tools)) throw invalidRequest('tools: Input should be a valid list');
    tools.forEach((tool, i) => {
      const path = `tools.${i}`;
      if (!isRecord(tool)) throw invalidRequest(`${path}: Input should be a valid dictionary`);
      const custom = tool.type === undefined || tool.type === null || tool.type === 'custom';
      if (typeof tool.name !== 'string') throw invalidRequest(`${path}.name: Field required`);
      if (custom) {
        if (!TOOL_NAME.test(tool.name)) throw invalidRequest(`${path}.name: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'`);
        if (!isRecord(tool.input_schema)) throw invalidRequest(`${path}.input_schema: Field required`);
        if (tool.input_schema.type !== 'object') throw invalidRequest(`${path}.input_schema.type: Input should be 'object'`);
      } else if (typeof tool.type !== 'string') {
        throw invalidRequest(`${path}.type: Input should be a valid string`);
      }
      if (names.includes(tool.name)) {
        throw invalidRequest(`${path}.name: Tool names must be unique; '${tool.name}' is used more than once.`, 'tool_name_conflict');
      }
      names.push(tool.name);
      breakpoints += checkCacheControl(tool.cache_control, `${path}.cache_control`);
    });
  }
  if (toolChoice !== undefined) {
    if (!isRecord(toolChoice) || !['auto', 'any', 'tool', 'none'].includes(String(toolChoice.type))) {
      throw invalidRequest("tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'");
    }
    if ((toolChoice.type === 'any' || toolChoice.type === 'tool') && names.length === 0) {
      throw invalidRequest('tool_choice: tool_choice may only be specified while providing tools.');
    }
    if (toolChoice.type === 'tool' && !names.includes(String(toolChoice.name))) {
      throw invalidRequest(`tool_choice.name: Tool '${String(toolChoice.name)}' not found in tools`);
    }
  }
  return { breakpoints, names };
}

function checkOutputConfig(config: unknown): void {
  if (config === undefined || config === null) return;
  if (!isRecord(config)) throw invalidRequest('output_config: Input should be a valid dictionary');
  if (config.effort !== undefined && config.effort !== null && !['low', 'medium', 'high', 'xhigh', 'max'].includes(String(config.effort))) {
    throw invalidRequest("output_config.effort: Input should be 'low', 'medium', 'high', 'xhigh' or 'max'");
  }
  const format = config.format;
  if (format === undefined || format === null) return;
  if (!isRecord(format) || format.type !== 'json_schema') throw invalidRequest("output_config.format.type: Input should be 'json_schema'");
  if (!isRecord(format.schema)) throw invalidRequest('output_config.format.schema: Field required');
}

function checkModel(body: Json): ModelInfo {
  if (body.model === undefined) throw invalidRequest('model: Field required');
  if (typeof body.model !== 'string') throw invalidRequest('model: Input should be a valid string');
  const model = lookupModel(body.model);
  if (!model) throw notFound(`model: ${body.model}`);
  return model;
}

function checkSpeed(body: Json, model: ModelInfo, ctx: ValidationContext): void {
  const speed = body.speed;
  if (speed === undefined || speed === null || speed === 'standard') return;
  if (speed !== 'fast') throw invalidRequest("speed: Input should be 'standard' or 'fast'");
  // Fast mode (sheet §13) as the catalogue has it: GA, or behind the beta the model names.
  const fast = model.fastMode;
  if (!fast || (fast.beta !== undefined && !ctx.betas.includes(fast.beta))) {
    throw invalidRequest(`speed: fast mode is not available for ${model.id}`);
  }
}

function checkSamplingParams(body: Json, ctx: ValidationContext): void {
  for (const name of SAMPLING_PARAMS) {
    const value = body[name];
    if (value === undefined) continue;
    if (ctx.apiVersion >= VERSION_WITHOUT_SAMPLING_PARAMS) {
      throw invalidRequest(`${name}: This parameter is not supported on API version ${ctx.apiVersion}.`);
    }
    const ok = typeof value === 'number' && (name === 'top_k' ? Number.isInteger(value) && value >= 0 : value >= 0 && value <= 1);
    if (!ok) throw invalidRequest(`${name}: Input should be ${name === 'top_k' ? 'a non-negative integer' : 'between 0 and 1'}`);
  }
}

/** `diagnostics` (sheet §6, §8): null, or an object whose previous_message_id is a message id or null. */
function checkDiagnostics(value: unknown): void {
  if (value === undefined || value === null) return;
  if (!isRecord(value)) throw invalidRequest('diagnostics: Input should be a valid dictionary');
  for (const key of Object.keys(value)) {
    if (key !== 'previous_message_id') throw invalidRequest(`diagnostics.${key}: Extra inputs are not permitted`);
  }
  const id = value.previous_message_id;
  if (id !== undefined && id !== null && typeof id !== 'string') throw invalidRequest('diagnostics.previous_message_id: Input should be a valid string');
}

/** Validates a /v1/messages body (or a batch request's params). Throws SimulatedApiError. */
export function validateMessageRequest(raw: unknown, ctx: ValidationContext): ValidatedRequest {
  if (!isRecord(raw)) throw invalidRequest('The request body is not valid JSON, or not a JSON object.');
  const body = raw;
  for (const key of Object.keys(body)) {
    if (!MESSAGE_FIELDS.has(key) && !(SAMPLING_PARAMS as readonly string[]).includes(key)) {
      throw invalidRequest(`${key}: Extra inputs are not permitted`);
    }
  }
  checkSamplingParams(body, ctx);
  const model = checkModel(body);

  const maxTokens = body.max_tokens;
  if (maxTokens === undefined) throw invalidRequest('max_tokens: Field required');
  if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 0) {
    throw invalidRequest('max_tokens: Input should be a valid non-negative integer');
  }
  if (maxTokens > model.maxOutputTokens) {
    throw invalidRequest(`max_tokens: ${maxTokens} > ${model.maxOutputTokens}, which is the maximum allowed number of output tokens for ${model.id}`);
  }
  if (body.stream !== undefined && typeof body.stream !== 'boolean') throw invalidRequest('stream: Input should be a valid boolean');
  if (body.stop_sequences !== undefined && (!Array.isArray(body.stop_sequences) || body.stop_sequences.some((s) => typeof s !== 'string'))) {
    throw invalidRequest('stop_sequences: Input should be a valid list of strings');
  }
  if (body.metadata !== undefined && !isRecord(body.metadata)) throw invalidRequest('metadata: Input should be a valid dictionary');
  if (body.service_tier !== undefined && body.service_tier !== 'auto' && body.service_tier !== 'standard_only') {
    throw invalidRequest("service_tier: Input should be 'auto' or 'standard_only'");
  }

  let breakpoints = checkCacheControl(body.cache_control, 'cache_control');
  breakpoints += checkSystem(body.system, ctx);
  breakpoints += checkTools(body.tools, body.tool_choice).breakpoints;
  breakpoints += checkMessages(body.messages, model, ctx);
  if (breakpoints > MAX_CACHE_BREAKPOINTS) {
    throw invalidRequest(`A maximum of ${MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. Found ${breakpoints}.`);
  }

  const thinking = body.thinking;
  if (thinking !== undefined) {
    if (!isRecord(thinking) || !['enabled', 'adaptive', 'disabled', 'between_tools'].includes(String(thinking.type))) {
      throw invalidRequest("thinking.type: Input should be 'enabled', 'adaptive', 'disabled' or 'between_tools'");
    }
    if (thinking.type === 'enabled') {
      const budget = thinking.budget_tokens;
      if (typeof budget !== 'number' || !Number.isInteger(budget)) throw invalidRequest('thinking.enabled.budget_tokens: Field required');
      if (budget < 1024) throw invalidRequest('thinking.enabled.budget_tokens: Input should be greater than or equal to 1024');
      if (budget >= maxTokens) throw invalidRequest('`max_tokens` must be greater than `thinking.budget_tokens`.');
    }
    if (thinking.display !== undefined && thinking.display !== null && thinking.display !== 'summarized' && thinking.display !== 'omitted') {
      throw invalidRequest("thinking.display: Input should be 'summarized' or 'omitted'");
    }
  }
  checkOutputConfig(body.output_config);
  checkSpeed(body, model, ctx);
  checkDiagnostics(body.diagnostics);
  return { body, model };
}

/**
 * Validates a count_tokens body: model and messages are required and checked like /v1/messages;
 * fields count_tokens does not take (max_tokens, stop_sequences, metadata...) are ignored.
 */
export function validateCountTokensRequest(raw: unknown, ctx: ValidationContext): ValidatedRequest {
  if (!isRecord(raw)) throw invalidRequest('The request body is not valid JSON, or not a JSON object.');
  const model = checkModel(raw);
  checkSystem(raw.system, ctx);
  checkTools(raw.tools, raw.tool_choice);
  // Counting a conversation that ends on an assistant turn is allowed: nothing is generated.
  checkMessages(raw.messages, model, ctx, true);
  checkOutputConfig(raw.output_config);
  return { body: raw, model };
}
