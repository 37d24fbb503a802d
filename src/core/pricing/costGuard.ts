// The spend cap check that runs before anything is sent.
import { formatCount, formatUsd } from '../format';

export type SpendDecision =
  | { kind: 'send' }
  | { kind: 'confirm'; message: string }
  | { kind: 'refuse'; message: string };

export interface SpendCheck {
  /** The worst case (worstCaseCost) in USD; undefined when it is unknown. */
  worstCaseUsd: number | undefined;
  /** Why the worst case is unknown (from worstCaseCost); without it, the model's price is taken to be missing. */
  unknownReason?: string;
  /** A lower bound of an unknown worst case: above the cap, the run is refused all the same. */
  atLeastUsd?: number;
  inputTokens: number;
  maxTokens: number;
  model: string;
  confirmAboveUsd: number;
  maxRunCostUsd: number;
  /** What is being sent, in words, when it is not one request (a whole job); replaces the token phrase. */
  what?: string;
}

/** Send, ask first, or refuse, by the worst case against the two settings. An unknown worst case always asks (or refuses when its lower bound is already above the cap). */
export function decideSpend(check: SpendCheck): SpendDecision {
  const what = check.what ?? `${formatCount(check.inputTokens)} input tokens + up to ${formatCount(check.maxTokens)} output tokens on ${check.model}`;
  if (check.worstCaseUsd === undefined) {
    const atLeast = check.atLeastUsd;
    if (atLeast !== undefined && atLeast > check.maxRunCostUsd) {
      return {
        kind: 'refuse',
        message: `Not sent: the worst case is at least ${formatUsd(atLeast)} (${what}), above promptWorkbench.maxRunCostUsd (${formatUsd(check.maxRunCostUsd)}), and more is unknown: ${check.unknownReason ?? 'a price is missing'}. Lower max_tokens, shorten the prompt, choose a cheaper model, or raise the limit.`,
      };
    }
    if (check.unknownReason !== undefined) {
      const floor = atLeast !== undefined ? ` It is at least ${formatUsd(atLeast)}.` : '';
      return { kind: 'confirm', message: `The worst case of ${what} is unknown: ${check.unknownReason}.${floor} Send anyway?` };
    }
    return {
      kind: 'confirm',
      message: `The cost of ${what} is unknown: ${check.model} is not in the price table. Add its prices in promptWorkbench.priceOverrides to have the spend cap guard it. Send anyway?`,
    };
  }
  if (check.worstCaseUsd > check.maxRunCostUsd) {
    return {
      kind: 'refuse',
      message: `Not sent: the worst case, ${formatUsd(check.worstCaseUsd)} (${what}), is above promptWorkbench.maxRunCostUsd (${formatUsd(check.maxRunCostUsd)}). Lower max_tokens, shorten the prompt, choose a cheaper model, or raise the limit.`,
    };
  }
  if (check.worstCaseUsd > check.confirmAboveUsd) {
    return { kind: 'confirm', message: `This run may cost up to ${formatUsd(check.worstCaseUsd)} (${what}). Send it?` };
  }
  return { kind: 'send' };
}
