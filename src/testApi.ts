import type { StatusBarSnapshot } from './statusBar/costStatusBar';

/** What activate() returns: a narrow window for the integration tests into the extension's state. */
export interface PromptWorkbenchApi {
  statusBar(): StatusBarSnapshot;
  /** Whether @anthropic-ai/sdk has been loaded (it must not be during activation). */
  sdkLoaded(): boolean;
  /** The extension's own activation cost: bundle evaluation plus activate(), in ms (undefined when not bundled). */
  activationMs(): number | undefined;
}
