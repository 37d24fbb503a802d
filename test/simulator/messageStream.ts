// Turning a planned reply into the wire format: the Message object (sheet §7) and its SSE stream in
// the documented order (§9): message_start, per block content_block_start / deltas /
// content_block_stop, message_delta with cumulative usage, message_stop, with pings in between.
import type { ContentBlock, Message, RawMessageStreamEvent, ServerToolUseBlock, TextBlock, TextCitation, Usage } from '@anthropic-ai/sdk/resources/messages';
import type { CacheOutcome } from './promptCache';
import type { Exchange } from './exchange';
import type { ActiveFault } from './faults';
import type { PlannedBlock, ReplyPlan } from './replyModel';

export function usageOf(
  cache: Pick<CacheOutcome, 'inputTokens' | 'cacheReadTokens' | 'cacheWrite5mTokens' | 'cacheWrite1hTokens'>,
  plan: ReplyPlan,
  body: Record<string, unknown>,
  serviceTier: 'standard' | 'batch',
): Usage {
  return {
    input_tokens: cache.inputTokens,
    cache_creation_input_tokens: cache.cacheWrite5mTokens + cache.cacheWrite1hTokens,
    cache_read_input_tokens: cache.cacheReadTokens,
    cache_creation: { ephemeral_5m_input_tokens: cache.cacheWrite5mTokens, ephemeral_1h_input_tokens: cache.cacheWrite1hTokens },
    output_tokens: plan.outputTokens,
    output_tokens_details: plan.thinkingTokens === null ? null : { thinking_tokens: plan.thinkingTokens },
    server_tool_use: plan.serverToolUse,
    service_tier: serviceTier,
    speed: body.speed === 'fast' ? 'fast' : 'standard',
    // UNVERIFIED value (sheet §7); the request's inference_geo when it names one.
    inference_geo: typeof body.inference_geo === 'string' ? body.inference_geo : 'global',
  };
}

function finalBlock(block: PlannedBlock): ContentBlock {
  switch (block.type) {
    case 'thinking':
      return { type: 'thinking', thinking: block.thinking, signature: block.signature };
    case 'text':
      return { type: 'text', text: block.text, citations: (block.citations ?? null) as TextBlock['citations'] };
    case 'server_tool_use':
      return { type: 'server_tool_use', id: block.id, name: block.name as ServerToolUseBlock['name'], input: block.input, caller: { type: 'direct' } };
    case 'server_tool_result':
      return block.block as unknown as ContentBlock;
    case 'tool_use':
      return { type: 'tool_use', id: block.id, name: block.name, input: block.input, caller: { type: 'direct' } };
    case 'compaction':
      // A beta block: the GA ContentBlock union does not know it; the wire carries it all the same.
      return { type: 'compaction', content: block.content, encrypted_content: block.encryptedContent } as unknown as ContentBlock;
  }
}

export function buildMessage(id: string, model: string, plan: ReplyPlan, usage: Usage, diagnostics: Message['diagnostics'] = null): Message {
  return {
    id,
    type: 'message',
    role: 'assistant',
    model,
    content: plan.blocks.map(finalBlock),
    // 'compaction' is a beta stop reason (sheet §14), outside the GA union.
    stop_reason: plan.stopReason as Message['stop_reason'],
    stop_sequence: plan.stopSequence,
    stop_details: plan.stopDetails ?? null,
    container: plan.container,
    diagnostics,
    usage,
  };
}

/** One SSE event and the output tokens it carries (for pacing). */
export interface StreamEvent {
  event: RawMessageStreamEvent | { type: 'ping' };
  tokens: number;
}

function* blockEvents(block: PlannedBlock, index: number): Generator<StreamEvent> {
  switch (block.type) {
    case 'thinking':
      yield { event: { type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } }, tokens: 0 };
      for (const piece of block.pieces) {
        yield { event: { type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: piece.text } }, tokens: piece.tokens };
      }
      // The signature arrives just before the block stops (sheet §9.1).
      yield { event: { type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: block.signature } }, tokens: 0 };
      break;
    case 'text':
      yield { event: { type: 'content_block_start', index, content_block: { type: 'text', text: '', citations: null } }, tokens: 0 };
      // Citations arrive as citations_delta events before the text they support (sheet §9).
      for (const citation of block.citations ?? []) {
        yield { event: { type: 'content_block_delta', index, delta: { type: 'citations_delta', citation: citation as unknown as TextCitation } } as RawMessageStreamEvent, tokens: 0 };
      }
      for (const piece of block.pieces) {
        yield { event: { type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece.text } }, tokens: piece.tokens };
      }
      break;
    case 'tool_use':
      yield {
        event: { type: 'content_block_start', index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {}, caller: { type: 'direct' } } },
        tokens: 0,
      };
      yield { event: { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: '' } }, tokens: 0 };
      for (const piece of block.pieces) {
        yield { event: { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: piece.text } }, tokens: piece.tokens };
      }
      break;
    case 'server_tool_use':
      yield {
        event: { type: 'content_block_start', index, content_block: { type: 'server_tool_use', id: block.id, name: block.name as ServerToolUseBlock['name'], input: {}, caller: { type: 'direct' } } },
        tokens: 0,
      };
      for (const piece of block.pieces) {
        yield { event: { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: piece.text } }, tokens: piece.tokens };
      }
      break;
    case 'server_tool_result':
      // A server tool's result arrives whole in its content_block_start.
      yield { event: { type: 'content_block_start', index, content_block: block.block as unknown as ContentBlock } as RawMessageStreamEvent, tokens: 0 };
      break;
    case 'compaction':
      // Beta events (sheet §9, §14): the block starts empty and one compaction_delta carries its final value.
      yield { event: { type: 'content_block_start', index, content_block: { type: 'compaction', content: null, encrypted_content: null } } as unknown as RawMessageStreamEvent, tokens: 0 };
      yield {
        event: { type: 'content_block_delta', index, delta: { type: 'compaction_delta', content: block.content, encrypted_content: block.encryptedContent } } as unknown as RawMessageStreamEvent,
        tokens: block.tokens,
      };
      break;
  }
  yield { event: { type: 'content_block_stop', index }, tokens: 0 };
}

/** The full event sequence of a streamed reply. */
export function* messageEvents(message: Message, plan: ReplyPlan): Generator<StreamEvent> {
  const usage = message.usage;
  yield {
    event: {
      type: 'message_start',
      // The container is reported with message_delta, once the tools have run.
      message: { ...message, content: [], stop_reason: null, stop_sequence: null, stop_details: null, container: null, usage: { ...usage, output_tokens: Math.min(1, usage.output_tokens), server_tool_use: null } },
    },
    tokens: 0,
  };
  for (let index = 0; index < plan.blocks.length; index++) {
    const block = plan.blocks[index] as PlannedBlock;
    let first = true;
    for (const item of blockEvents(block, index)) {
      yield item;
      // A ping after each block starts, as the API sends one early in every stream.
      if (first) yield { event: { type: 'ping' }, tokens: 0 };
      first = false;
    }
  }
  yield {
    event: {
      type: 'message_delta',
      delta: { stop_reason: plan.stopReason as Message['stop_reason'], stop_sequence: plan.stopSequence, stop_details: plan.stopDetails ?? null, container: message.container },
      usage: {
        output_tokens: usage.output_tokens,
        input_tokens: usage.input_tokens,
        cache_creation_input_tokens: usage.cache_creation_input_tokens,
        cache_read_input_tokens: usage.cache_read_input_tokens,
        server_tool_use: usage.server_tool_use,
        output_tokens_details: usage.output_tokens_details,
      },
    },
    tokens: 0,
  };
  yield { event: { type: 'message_stop' }, tokens: 0 };
}

export interface Pacing {
  /** Delay before the first output token. */
  firstTokenMs: number;
  /** Output tokens per second; 0 = as fast as the socket takes them. */
  tokensPerSecond: number;
}

const FLUSH_BYTES = 64 * 1024;

function encode(event: StreamEvent['event']): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/**
 * Streams the events, paced by `pacing`, with an optional mid-stream fault. Events are coalesced
 * into large writes whenever nothing needs to wait, which is what makes loopback streaming fast.
 * Returns the number of events sent.
 */
export async function writeEventStream(exchange: Exchange, events: Iterable<StreamEvent>, pacing: Pacing, fault?: ActiveFault): Promise<number> {
  exchange.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  const started = Date.now();
  let buffer = '';
  let sent = 0;
  let tokens = 0;
  let firstToken = true;
  const flush = async (): Promise<boolean> => {
    if (buffer.length === 0) return !exchange.isClosed;
    const chunk = buffer;
    buffer = '';
    return exchange.write(chunk);
  };

  for (const { event, tokens: eventTokens } of events) {
    if (eventTokens > 0) {
      const due = started + (firstToken ? pacing.firstTokenMs : pacing.firstTokenMs + (tokens * 1000) / (pacing.tokensPerSecond || Infinity));
      firstToken = false;
      const wait = due - Date.now();
      if (wait >= 1) {
        if (!(await flush()) || !(await exchange.sleep(wait))) return sent;
      }
      tokens += eventTokens;
    }

    if (fault && sent === fault.afterEvents) {
      switch (fault.name) {
        case 'stall_mid_stream':
          if (!(await flush()) || !(await exchange.stall(fault.ms))) return sent;
          break;
        case 'reset_mid_stream':
          await flush();
          await exchange.dropAfterFlush();
          return sent;
        case 'error_event':
          buffer += `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' }, request_id: exchange.requestId })}\n\n`;
          await flush();
          exchange.end();
          return sent;
        case 'malformed':
          buffer += `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":\n\n`;
          await flush();
          exchange.end();
          return sent;
      }
    }

    buffer += encode(event);
    sent += 1;
    if (fault?.name === 'slow_body') {
      if (!(await flush()) || !(await exchange.sleep(fault.ms ?? 20))) return sent;
    } else if (buffer.length >= FLUSH_BYTES) {
      if (!(await flush())) return sent;
    }
  }
  if (await flush()) exchange.end();
  return sent;
}
