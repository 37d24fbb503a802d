// The one place that loads the official SDK. It is imported lazily (on the first network use),
// so activating the extension never pays for it; in the extension bundle this import resolves to
// the sibling bundle dist/anthropic-sdk.js (see esbuild.mjs).
import type Anthropic from '@anthropic-ai/sdk';
import type * as AnthropicSdk from '@anthropic-ai/sdk';

export interface ApiClientOptions {
  apiKey: string;
  baseURL: string;
  /** Attempts after the first for retryable errors before the first byte (SDK default 2). */
  maxRetries?: number;
  timeoutMs?: number;
}

type SdkModule = typeof AnthropicSdk;
let sdk: Promise<SdkModule> | undefined;

/** The SDK module, loaded on first call. */
export function loadSdk(): Promise<SdkModule> {
  sdk ??= import('@anthropic-ai/sdk');
  return sdk;
}

/** Whether the SDK has been loaded in this process (activation must leave it unloaded). */
export function isSdkLoaded(): boolean {
  return sdk !== undefined;
}

export async function createApiClient(options: ApiClientOptions): Promise<Anthropic> {
  const { default: AnthropicClient } = await loadSdk();
  return new AnthropicClient({
    // Always explicit, so the SDK's default credential chain never reads files or other env vars.
    apiKey: options.apiKey,
    baseURL: options.baseURL,
    maxRetries: options.maxRetries ?? 2,
    timeout: options.timeoutMs ?? 10 * 60_000,
    openTelemetry: false,
    logLevel: 'off',
  });
}
