// The bundled model catalogue: context window and maximum output per model id, from
// ../shared/anthropic-api.md §19 (as of 2026-11-25). The Models API is preferred at run time;
// this table is the fallback when it cannot be reached.

export interface ModelInfo {
  id: string;
  displayName: string;
  /** Context window in tokens (`max_input_tokens` in the Models API). */
  contextWindow: number;
  /** Maximum output tokens (`max_tokens` in the Models API). */
  maxOutputTokens: number;
  /** Model ids that resolve to this entry (dated snapshots). */
  aliases?: readonly string[];
  deprecated?: boolean;
}

const M = 1_000_000;
const K = 1_000;

export const KNOWN_MODELS: readonly ModelInfo[] = [
  { id: 'claude-opus-5-5', displayName: 'Claude Opus 5.5', contextWindow: M, maxOutputTokens: 128 * K },
  { id: 'claude-sonnet-5-5', displayName: 'Claude Sonnet 5.5', contextWindow: M, maxOutputTokens: 128 * K },
  { id: 'claude-haiku-5-5', displayName: 'Claude Haiku 5.5', contextWindow: M, maxOutputTokens: 128 * K },
  { id: 'claude-fable-5-2', displayName: 'Claude Fable 5.2', contextWindow: M, maxOutputTokens: 128 * K },
  { id: 'claude-fable-5-1', displayName: 'Claude Fable 5.1', contextWindow: M, maxOutputTokens: 128 * K },
  { id: 'claude-mythos-5-1', displayName: 'Claude Mythos 5.1', contextWindow: M, maxOutputTokens: 128 * K },
  { id: 'claude-sonnet-5', displayName: 'Claude Sonnet 5', contextWindow: M, maxOutputTokens: 128 * K },
  { id: 'claude-fable-5', displayName: 'Claude Fable 5', contextWindow: M, maxOutputTokens: 128 * K },
  { id: 'claude-mythos-5', displayName: 'Claude Mythos 5', contextWindow: M, maxOutputTokens: 128 * K },
  { id: 'claude-opus-5', displayName: 'Claude Opus 5', contextWindow: M, maxOutputTokens: 128 * K },
  { id: 'claude-opus-4-8', displayName: 'Claude Opus 4.8', contextWindow: M, maxOutputTokens: 128 * K },
  { id: 'claude-opus-4-7', displayName: 'Claude Opus 4.7', contextWindow: M, maxOutputTokens: 128 * K },
  { id: 'claude-opus-4-6', displayName: 'Claude Opus 4.6', contextWindow: M, maxOutputTokens: 128 * K },
  // 128K per the skill, 64K per a third party: the smaller is the safe bound for a local check.
  { id: 'claude-sonnet-4-6', displayName: 'Claude Sonnet 4.6', contextWindow: M, maxOutputTokens: 64 * K },
  { id: 'claude-haiku-4-5', displayName: 'Claude Haiku 4.5', contextWindow: 200 * K, maxOutputTokens: 64 * K, aliases: ['claude-haiku-4-5-20251001'] },
  { id: 'claude-opus-4-5', displayName: 'Claude Opus 4.5', contextWindow: 200 * K, maxOutputTokens: 64 * K, aliases: ['claude-opus-4-5-20251101'], deprecated: true },
  { id: 'claude-sonnet-4-5', displayName: 'Claude Sonnet 4.5', contextWindow: 200 * K, maxOutputTokens: 64 * K, aliases: ['claude-sonnet-4-5-20250929'], deprecated: true },
];

const byId = new Map<string, ModelInfo>();
for (const model of KNOWN_MODELS) {
  byId.set(model.id, model);
  for (const alias of model.aliases ?? []) byId.set(alias, model);
}

/** The bundled entry for a model id or dated alias, or undefined for an id this table does not know. */
export function findModel(id: string): ModelInfo | undefined {
  return byId.get(id);
}
