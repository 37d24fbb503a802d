import * as vscode from 'vscode';
import type { HostToPanel, PanelState, PanelToHost } from '../protocol';
import { createNonce, panelHtml } from './panelHtml';
import { describeRejectedMessage, isPanelToHost } from './panelMessageGuard';
import { applyHostMessage, emptyPanelState, isPanelState } from './panelModel';

import { panelViewType } from './panelViewType';

/**
 * The Prompt Workbench webview panel beside the editor. The host keeps a mirror of the panel's
 * state (the same reducer the page uses): a page that is not ready yet gets it whole when it is,
 * and the tests read it.
 */
export class RunPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private ready = false;
  private mirror: PanelState = emptyPanelState();
  private readonly panelListeners: vscode.Disposable[] = [];
  private readonly posted = new vscode.EventEmitter<HostToPanel>();
  /** Every message sent to the panel (a run started, finished...), for the features that follow runs. */
  readonly onDidPost = this.posted.event;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly onMessage: (message: PanelToHost) => Promise<void>,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /**
   * Every message from the page goes through here: checked against the protocol (a malformed one
   * is logged and dropped), then handled; a handler's failure is logged, never lost.
   */
  async receive(message: unknown): Promise<void> {
    if (!isPanelToHost(message)) {
      this.log.warn(`Ignored a malformed message from the panel: ${describeRejectedMessage(message)}.`);
      return;
    }
    try {
      await this.onMessage(message);
    } catch (error) {
      this.log.error(`The panel's "${message.type}" request failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
  }

  /** Takes over a panel VS Code restored after a reload, with the state the page had saved. */
  restore(panel: vscode.WebviewPanel, state: unknown): void {
    if (isPanelState(state)) this.mirror = state;
    this.attach(panel);
  }

  /** Shows the panel beside the editor, creating it if needed, without taking focus. */
  reveal(): void {
    if (this.panel) {
      this.panel.reveal(vscode.ViewColumn.Beside, true);
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      panelViewType,
      'Prompt Workbench',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist'), vscode.Uri.joinPath(this.extensionUri, 'media')] },
    );
    this.attach(panel);
  }

  private attach(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    this.ready = false;
    const webview = panel.webview;
    webview.options = { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist'), vscode.Uri.joinPath(this.extensionUri, 'media')] };
    webview.html = panelHtml({
      cspSource: webview.cspSource,
      nonce: createNonce(),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'media', 'panel.css')).toString(),
    });
    this.panelListeners.push(
      webview.onDidReceiveMessage((message: unknown) => {
        if (isPanelToHost(message) && message.type === 'ready') {
          this.ready = true;
          // A fresh page (or one restored after a reload) gets the whole state at once; the
          // mirror already holds everything sent before it was ready, so nothing is queued.
          const { current, history, compare } = this.mirror;
          if (current) void webview.postMessage({ type: 'showRun', run: current } satisfies HostToPanel);
          void webview.postMessage({ type: 'history', entries: history } satisfies HostToPanel);
          if (compare) void webview.postMessage({ type: 'compare', ...compare } satisfies HostToPanel);
        }
        void this.receive(message);
      }),
      panel.onDidDispose(() => {
        this.panel = undefined;
        this.ready = false;
        this.panelListeners.splice(0).forEach((l) => l.dispose());
      }),
    );
  }

  post(message: HostToPanel): void {
    this.mirror = applyHostMessage(this.mirror, message);
    if (this.panel && this.ready) void this.panel.webview.postMessage(message);
    this.posted.fire(message);
  }

  /** What the panel has been told to show (for tests and the serializer). */
  state(): PanelState {
    return this.mirror;
  }

  isOpen(): boolean {
    return this.panel !== undefined;
  }

  dispose(): void {
    this.posted.dispose();
    this.panel?.dispose();
    this.panelListeners.forEach((l) => l.dispose());
  }
}
