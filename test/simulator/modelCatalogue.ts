// The models the simulator serves: exactly the extension's bundled catalogue (src/core/models/modelCatalogue.ts), so
// the two agree on ids, release dates, context windows, output limits and fast mode, dressed as
// Models API objects (sheet §18).
import type { ModelCapabilities, ModelInfo as ApiModelInfo } from '@anthropic-ai/sdk/resources/models';
import { KNOWN_MODELS, findModel, type ModelInfo } from '../../src/core/models/modelCatalogue';

const supported = (value: boolean) => ({ supported: value });

function lineOf(id: string): ApiModelInfo['line'] {
  const match = /^claude-(haiku|sonnet|opus|fable|mythos)-/.exec(id);
  return (match?.[1] as ApiModelInfo['line']) ?? null;
}

/**
 * Capabilities by model generation, from the sheet's §12 (thinking) and §13; the per-model detail is
 * UNVERIFIED there, so this is a plausible table for exercising the extension's feature toggles.
 */
function capabilitiesOf(id: string): ModelCapabilities {
  const legacy = /-4-[56]$/.test(id) || /-4-5-\d{8}$/.test(id);
  const alwaysThinks = ['claude-fable-5', 'claude-fable-5-1', 'claude-fable-5-2', 'claude-opus-5-5', 'claude-mythos-5', 'claude-mythos-5-1'].includes(id);
  const manualBudget = id.startsWith('claude-haiku-4-5') || id.startsWith('claude-sonnet-4-5') || id.startsWith('claude-opus-4-5');
  return {
    batch: supported(true),
    citations: supported(true),
    code_execution: supported(!legacy),
    context_management: {
      supported: true,
      clear_thinking_20251015: supported(true),
      clear_tool_uses_20250919: supported(true),
      compact_20260112: supported(!legacy),
    },
    effort: {
      supported: !manualBudget,
      low: supported(!manualBudget),
      medium: supported(!manualBudget),
      high: supported(!manualBudget),
      xhigh: legacy ? null : supported(true),
      max: supported(!manualBudget),
    },
    image_input: supported(true),
    pdf_input: supported(true),
    server_tools: { supported: true, code_execution: supported(true), web_search: supported(true) },
    structured_outputs: supported(true),
    thinking: {
      supported: true,
      types: {
        adaptive: supported(!manualBudget),
        enabled: supported(manualBudget || id === 'claude-opus-4-6' || id === 'claude-sonnet-4-6'),
        disabled: supported(!alwaysThinks),
        between_tools: supported(id === 'claude-sonnet-5-5' || id === 'claude-opus-5-5'),
      },
    },
  };
}

export function toApiModel(model: ModelInfo): ApiModelInfo {
  return {
    type: 'model',
    id: model.id,
    display_name: model.displayName,
    // The epoch is what the Models API itself gives for an unknown date (§18).
    created_at: model.released ?? '1970-01-01T00:00:00Z',
    max_input_tokens: model.contextWindow,
    max_tokens: model.maxOutputTokens,
    lifecycle: model.deprecated ? 'deprecated' : 'active',
    deprecated_at: null,
    retires_at: null,
    line: lineOf(model.id),
    capabilities: capabilitiesOf(model.id),
  };
}

/** Every model, in the catalogue's order (newest generation first). */
export function listModels(): ApiModelInfo[] {
  return KNOWN_MODELS.map(toApiModel);
}

/** A model id or dated alias, resolved against the extension's catalogue. */
export function lookupModel(id: string): ModelInfo | undefined {
  return findModel(id);
}

/** Whether a model accepts a final assistant turn as a prefill (sheet §6: the 4.6+ family does not). */
export function acceptsPrefill(model: ModelInfo): boolean {
  return /^claude-(haiku|opus|sonnet)-4-5$/.test(model.id);
}
