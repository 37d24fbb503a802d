// One count_tokens call, through the SDK's beta client when the prompt names betas: a beta field
// (output_config.task_budget, context_management...) is only understood with its beta, and the
// GA types do not carry it.
import type Anthropic from '@anthropic-ai/sdk';
import type { MessageCountTokensParams as BetaMessageCountTokensParams } from '@anthropic-ai/sdk/resources/beta/messages/messages';
import type { MessageCountTokensParams } from '@anthropic-ai/sdk/resources/messages';

export interface CountTokensOptions {
  signal?: AbortSignal;
  /** SDK retries (the status bar's scheduler backs off by itself and passes 0). */
  maxRetries?: number;
  /** Called with the response headers: the spend ledger counts counting calls and tells simulated ones apart. */
  onHeaders?: (headers: Headers) => void;
}

/** The input tokens of a count_tokens body, counted with `betas` when there are any. */
export async function countInputTokens(client: Anthropic, params: MessageCountTokensParams, betas: readonly string[], options: CountTokensOptions = {}): Promise<number> {
  const requestOptions = { ...(options.signal ? { signal: options.signal } : {}), ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}) };
  const { data, response } =
    betas.length > 0
      ? await client.beta.messages.countTokens({ ...(params as BetaMessageCountTokensParams), betas: [...betas] }, requestOptions).withResponse()
      : await client.messages.countTokens(params, requestOptions).withResponse();
  options.onHeaders?.(response.headers);
  return data.input_tokens;
}
