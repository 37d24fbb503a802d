/**
 * Thrown when something needs the API and no key is set (neither in SecretStorage nor in
 * ANTHROPIC_API_KEY). The one "no key" error: the error view and the count classifier know it by
 * its `name`, which survives bundling and crossing into the sibling SDK bundle, unlike `instanceof`.
 */
export class NoApiKeyError extends Error {
  override readonly name = 'NoApiKeyError';

  constructor() {
    super('No Anthropic API key is set. Run "Prompt Workbench: Set API Key" or set ANTHROPIC_API_KEY.');
  }
}

/** Whether an error is the no-key error (by name, so a copy from another bundle counts too). */
export function isNoApiKeyError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'NoApiKeyError';
}
