// Cache diagnostics (sheet §8, GA): a request that carries `diagnostics` stores a fingerprint of
// its prompt under its response id; a later request naming that id as
// `diagnostics.previous_message_id` gets `diagnostics.cache_miss_reason` describing the first
// place the two prompts diverge (model or speed, tools, system, an earlier message), or null when
// the new prompt only appends to the old one. The comparison is about the request's structure,
// whether or not the cache hit. Requests without `diagnostics` store nothing and get
// `diagnostics: null`.
import { createHash } from 'node:crypto';
import type { CacheMissReason, Diagnostics } from '@anthropic-ai/sdk/resources/messages';

interface PromptFingerprint {
  modelAndSpeed: string;
  tools: string;
  system: string;
  messages: string[];
  /** Other prompt-affecting fields (thinking, tool_choice, output_config): a change there has no named reason. */
  other: string;
  /** Tokens the request's cache prefix held (read or written): what a matching successor would have read. */
  cachedTokens: number;
}

const hash = (value: unknown): string => createHash('sha256').update(JSON.stringify(value ?? null)).digest('hex');

export class CacheDiagnostics {
  private readonly fingerprints = new Map<string, PromptFingerprint>();

  clear(): void {
    this.fingerprints.clear();
  }

  /**
   * The response's `diagnostics` for a request (null when it did not opt in), remembering its
   * fingerprint under `messageId` when it did.
   */
  diagnose(body: Record<string, unknown>, messageId: string, cachedTokens: number): Diagnostics | null {
    const requested = body.diagnostics;
    if (typeof requested !== 'object' || requested === null) return null;
    const current: PromptFingerprint = {
      modelAndSpeed: `${String(body.model)}\u0000${body.speed === 'fast' ? 'fast' : 'standard'}`,
      tools: hash(body.tools),
      system: hash(body.system),
      messages: Array.isArray(body.messages) ? body.messages.map(hash) : [],
      other: hash([body.thinking, body.tool_choice, body.output_config]),
      cachedTokens,
    };
    const previousId = (requested as { previous_message_id?: unknown }).previous_message_id;
    let reason: CacheMissReason | null = null;
    if (typeof previousId === 'string') {
      const previous = this.fingerprints.get(previousId);
      reason = previous ? compare(previous, current) : { type: 'previous_message_not_found' };
    }
    this.fingerprints.set(messageId, current);
    return { cache_miss_reason: reason };
  }
}

function compare(previous: PromptFingerprint, current: PromptFingerprint): CacheMissReason | null {
  const missed = previous.cachedTokens;
  if (previous.modelAndSpeed !== current.modelAndSpeed) return { type: 'model_changed', cache_missed_input_tokens: missed };
  if (previous.tools !== current.tools) return { type: 'tools_changed', cache_missed_input_tokens: missed };
  if (previous.system !== current.system) return { type: 'system_changed', cache_missed_input_tokens: missed };
  // Appending turns keeps the prefix; changing or dropping an earlier one does not.
  const appendedOnly = previous.messages.length <= current.messages.length && previous.messages.every((digest, i) => digest === current.messages[i]);
  if (!appendedOnly) return { type: 'messages_changed', cache_missed_input_tokens: missed };
  if (previous.other !== current.other) return { type: 'unavailable' };
  return null;
}
