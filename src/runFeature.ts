// Running prompts, built on first use: the run controller, the panel it streams into and the output
// channel. esbuild bundles this file apart (dist/runs.js, see bundles.mjs) and the features bundle
// requires it on the first Run, Stop with a run going, panel to restore or history to show, so the
// runner, the conversation edits, the panel's host and its model add nothing to what loads with the
// first prompt. It wires two features (run/ and panel/), which is why it sits beside features.ts.
import type * as vscode from 'vscode';
import type { PanelState, PanelToHost, HostToPanel } from './protocol';
import { RunPanel } from './panel/runPanel';
import { ResponseChannel } from './run/responseChannel';
import { RunController, type RunDeps } from './run/runController';

export interface RunFeature extends vscode.Disposable {
  controller: RunController;
  /** What the panel has been told to show (the tests read it). */
  panelState(): PanelState;
  /** Takes over a panel VS Code restored after a reload. */
  restorePanel(panel: vscode.WebviewPanel, state: unknown): void;
  /** A message as if the panel's page had sent it (the tests use the page's own entry point). */
  panelMessage(message: unknown): Promise<void>;
}

export interface RunFeatureDeps extends Omit<RunDeps, 'panel' | 'output'> {
  extensionUri: vscode.Uri;
  /** Sees everything the output channel prints (the tests' copy; absent in a user's session). */
  onOutput?: (text: string) => void;
  /** Sees every message from the panel's page before it is handled (the walkthrough follows them). */
  onPanelMessage?: (message: PanelToHost) => void;
  /** Sees every message sent to the panel (the walkthrough follows runs starting). */
  onPanelPost?: (message: HostToPanel) => void;
}

export function createRunFeature(deps: RunFeatureDeps): RunFeature {
  const { extensionUri, onOutput, onPanelMessage, onPanelPost, ...runDeps } = deps;
  const output = new ResponseChannel(onOutput);
  // The panel's webview is created on the first run (or restored by its serializer), not here.
  const panel: RunPanel = new RunPanel(
    extensionUri,
    (message): Promise<void> => {
      onPanelMessage?.(message);
      return controller.handle(message);
    },
    runDeps.log,
  );
  const controller: RunController = new RunController({ ...runDeps, panel: () => panel, output });
  const followPosts = onPanelPost ? panel.onDidPost(onPanelPost) : undefined;
  return {
    controller,
    panelState: () => panel.state(),
    restorePanel: (webviewPanel, state) => panel.restore(webviewPanel, state),
    panelMessage: (message) => panel.receive(message),
    dispose: () => {
      followPosts?.dispose();
      controller.dispose();
      panel.dispose();
      output.dispose();
    },
  };
}
