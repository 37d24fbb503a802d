// The cost figures of an open prompt, shared by the status bar, Cost Details and the CodeLens:
// the request a prompt resolves to for counting, and every figure for it with the user's prices and
// the model's limits. Shared glue, so no feature reaches into another's module for it.
import type * as vscode from 'vscode';
import { buildCostSummary, type CostSummary } from '../core/pricing/costReport';
import type { TokenCountState } from '../core/counting/tokenCountScheduler';
import { cacheBreakpoints, countableRequest } from '../core/counting/tokenEstimate';
import type { PromptFile } from '../core/prompt/promptFile';
import { resolveRequest } from '../core/prompt/template';
import type { ModelLimits } from '../models/modelLimits';
import type { Prices } from './prices';

/** Said in the tooltip and the cost details while the local API simulator answers. */
export const simulatorNote =
  '$(beaker) **Simulator**: counts and answers come from the local API simulator that `npm start` runs, not from the Anthropic API. Nothing is billed; the prices show what the same tokens would cost. Set an API key to use the real API.';

/** Why the count is an estimate in Restricted Mode: shown in the tooltip and the cost details. */
export const restrictedCountReason = 'Restricted Mode: the exact count comes once you trust this folder';

/**
 * The request the prompt resolves to with its own defaults (nothing is asked for a count), read
 * through PromptDocuments' cached named files. Structural in what it reads through, so
 * `npm run bench` (editPathBench) measures this very function.
 */
export function requestForCounting<Document = vscode.TextDocument>(
  documents: { defaults: (document: Document, prompt: PromptFile) => Record<string, string> },
  document: Document,
  prompt: PromptFile,
): Record<string, unknown> {
  let values: Record<string, string> = {};
  try {
    values = documents.defaults(document, prompt);
  } catch {
    // An unreadable or refused file is already a diagnostic; count without it.
  }
  return resolveRequest(prompt, values).request;
}

/** Every cost figure for a request and a count, with prices, window and cache plan. */
export function costSummaryFor(deps: { prices: Pick<Prices, 'find'>; limits: Pick<ModelLimits, 'get'> }, prompt: PromptFile, request: Record<string, unknown>, count: TokenCountState): CostSummary {
  const model = count.model;
  const window = deps.limits.get(model)?.contextWindow;
  return buildCostSummary({
    count,
    maxTokens: typeof request['max_tokens'] === 'number' ? request['max_tokens'] : 0,
    ...(prompt.expectedOutputTokens !== undefined ? { expectedOutputTokens: prompt.expectedOutputTokens } : {}),
    price: deps.prices.find(model),
    ...(window !== undefined ? { contextWindow: window } : {}),
    cachePlan: cacheBreakpoints(countableRequest(request)),
    fast: request['speed'] === 'fast',
    request,
  });
}
