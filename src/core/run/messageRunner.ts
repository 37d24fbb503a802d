// Streams one Messages API call through the official SDK and reports blocks as they arrive.
// Whatever happens (completion, cancel, an error before or during the stream) the caller gets
// the partial message back, so nothing already received is lost.
import type Anthropic from '@anthropic-ai/sdk';
import type { MessageStream } from '@anthropic-ai/sdk/lib/MessageStream';
import type { BetaMessageStreamParams } from '@anthropic-ai/sdk/resources/beta/messages/messages';
import type { Message, MessageStreamParams, RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages/messages';
import { isServerToolResult } from './serverToolResults';
import type { ApiCitation, BlockKind, BlockStart } from './streamBlocks';

export interface RunSink {
  blockStart(start: BlockStart): void;
  /** Text, thinking or partial tool-input JSON appended to block `index`. */
  append(index: number, text: string): void;
}

export type RunEnd = 'completed' | 'cancelled' | 'failed';

export interface MessageRunResult {
  status: RunEnd;
  /** The final message, or the partial one accumulated before a cancel or an error. */
  message?: Message;
  error?: unknown;
  requestId?: string;
  /** The response's headers (rate limits, organization), or the error's when it failed. */
  headers?: unknown;
  startedAt: number;
  /** When the first content delta arrived (time to first token = firstTokenAt - startedAt). */
  firstTokenAt?: number;
  endedAt: number;
}

/** How the panel shows a content block of this API type. */
export function blockKind(type: string): BlockKind {
  switch (type) {
    case 'text':
    case 'thinking':
    case 'redacted_thinking':
    case 'tool_use':
      return type;
    case 'server_tool_use':
      return 'server_tool';
    default:
      return isServerToolResult(type) ? 'server_tool_result' : 'other';
  }
}

function describeStart(event: Extract<RawMessageStreamEvent, { type: 'content_block_start' }>): BlockStart {
  const block = event.content_block as { type: string; name?: string; id?: string };
  const start: BlockStart = { index: event.index, kind: blockKind(block.type) };
  if (block.name !== undefined) start.name = block.name;
  else if (start.kind === 'other' || start.kind === 'server_tool_result') start.name = block.type;
  if (block.id !== undefined) start.id = block.id;
  return start;
}

/** Server tool results arrive whole in content_block_start; show them as JSON. */
function initialText(event: Extract<RawMessageStreamEvent, { type: 'content_block_start' }>): string {
  const block = event.content_block as { type: string; text?: string; thinking?: string };
  if (block.type === 'text') return block.text ?? '';
  if (block.type === 'thinking') return block.thinking ?? '';
  if (block.type === 'tool_use' || block.type === 'server_tool_use' || block.type === 'redacted_thinking') return '';
  return JSON.stringify(block, null, 2);
}

export interface RunMessageOptions {
  signal?: AbortSignal;
  /**
   * Beta names. With any, the request goes through the SDK's beta client (client.beta.messages,
   * `betas` sent as anthropic-beta), whose stream accumulates beta-only blocks and events
   * (compaction_delta...) that the GA stream drops.
   */
  betas?: readonly string[];
  /** Extra request headers (the simulator's pacing headers in tests and the benchmark). */
  headers?: Record<string, string>;
  now?: () => number;
}

export async function runMessage(
  client: Anthropic,
  request: MessageStreamParams,
  sink: RunSink,
  options: RunMessageOptions = {},
): Promise<MessageRunResult> {
  const now = options.now ?? (() => Date.now());
  const startedAt = now();
  let firstTokenAt: number | undefined;
  const requestOptions = { ...(options.signal ? { signal: options.signal } : {}), ...(options.headers ? { headers: options.headers } : {}) };
  const betas = options.betas ?? [];
  // The beta stream's events and message are a superset of the GA ones; beta-only blocks reach
  // the sink as 'other' and the message keeps them, so both are read through the GA types.
  const stream = (
    betas.length > 0 ? client.beta.messages.stream({ ...(request as BetaMessageStreamParams), betas: [...betas] }, requestOptions) : client.messages.stream(request, requestOptions)
  ) as MessageStream;
  // A text block's citations arrive one by one; its start is sent again with all of them so far.
  const citations = new Map<number, ApiCitation[]>();
  stream.on('streamEvent', (event) => {
    switch (event.type) {
      case 'content_block_start': {
        sink.blockStart(describeStart(event));
        const text = initialText(event);
        if (text) sink.append(event.index, text);
        break;
      }
      case 'content_block_delta': {
        firstTokenAt ??= now();
        const delta = event.delta;
        if (delta.type === 'text_delta') sink.append(event.index, delta.text);
        else if (delta.type === 'thinking_delta') sink.append(event.index, delta.thinking);
        else if (delta.type === 'input_json_delta') sink.append(event.index, delta.partial_json);
        else if (delta.type === 'citations_delta') {
          const list = [...(citations.get(event.index) ?? []), delta.citation as unknown as ApiCitation];
          citations.set(event.index, list);
          sink.blockStart({ index: event.index, kind: 'text', citations: list });
        }
        break;
      }
      default:
        break;
    }
  });
  // Without a listener the SDK would turn a stream error into an unhandled rejection.
  stream.on('error', () => undefined);
  try {
    const message = await stream.finalMessage();
    return { status: 'completed', message, requestId: stream.request_id ?? undefined, headers: stream.response?.headers, startedAt, firstTokenAt, endedAt: now() };
  } catch (error) {
    const aborted = options.signal?.aborted === true || (error as { name?: string }).name === 'APIUserAbortError';
    return {
      status: aborted ? 'cancelled' : 'failed',
      message: stream.currentMessage,
      error: aborted ? undefined : error,
      requestId: stream.request_id ?? (error as { requestID?: string }).requestID ?? undefined,
      headers: stream.response?.headers ?? (error as { headers?: unknown }).headers,
      startedAt,
      firstTokenAt,
      endedAt: now(),
    };
  }
}
