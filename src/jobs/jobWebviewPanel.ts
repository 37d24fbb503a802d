import * as vscode from 'vscode';

/** The webview document builder the panels share (src/panel/panelHtml.ts), handed in by features.ts. */
export interface WebviewDocument {
  html(options: { cspSource: string; nonce: string; scriptUri: string; styleUri: string; title?: string }): string;
  createNonce(): string;
}

/** A job panel's page: its view type, its script (in dist/) and style (in media/), and the check of what it sends. */
export interface JobPanelPage<FromPage> {
  viewType: string;
  script: string;
  style: string;
  parse(raw: unknown): FromPage | undefined;
}

/**
 * The panel of a job (the dataset grid, the chunk preview): one webview, made on `show`, with the
 * strict-CSP document. The subclass keeps what it has sent, and `replay` hands it back whole when
 * the page says it is ready: a page not ready yet, or one VS Code re-creates when the tab comes
 * back, misses nothing.
 */
export abstract class JobWebviewPanel<FromPage extends { type: string }, ToPage> implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private ready = false;
  private readonly listeners: vscode.Disposable[] = [];
  private readonly closed = new vscode.EventEmitter<void>();
  /** Fires when the user closes the panel. */
  readonly onDidClose = this.closed.event;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly page: JobPanelPage<FromPage>,
    private readonly onMessage: (message: FromPage) => void,
    private readonly document: WebviewDocument,
  ) {}

  /** Everything the page must be told when it is (again) ready, in order. */
  protected abstract replay(): ToPage[];

  /** Handles a message of the page's that the panel answers itself; false hands it to the controller. */
  protected receive(_message: FromPage): boolean {
    return false;
  }

  show(title: string): void {
    if (this.panel) {
      this.panel.title = title;
      this.panel.reveal(vscode.ViewColumn.Active);
      return;
    }
    const roots = [vscode.Uri.joinPath(this.extensionUri, 'dist'), vscode.Uri.joinPath(this.extensionUri, 'media')];
    const panel = vscode.window.createWebviewPanel(this.page.viewType, title, vscode.ViewColumn.Active, { enableScripts: true, localResourceRoots: roots, retainContextWhenHidden: false });
    this.panel = panel;
    this.ready = false;
    const webview = panel.webview;
    webview.html = this.document.html({
      cspSource: webview.cspSource,
      nonce: this.document.createNonce(),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', this.page.script)).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'media', this.page.style)).toString(),
      title,
    });
    this.listeners.push(
      webview.onDidReceiveMessage((raw: unknown) => {
        const message = this.page.parse(raw);
        if (!message) return;
        if (message.type === 'ready') {
          this.ready = true;
          for (const kept of this.replay()) void webview.postMessage(kept);
        }
        if (!this.receive(message)) this.onMessage(message);
      }),
      panel.onDidDispose(() => {
        this.panel = undefined;
        this.ready = false;
        this.listeners.splice(0).forEach((l) => l.dispose());
        this.closed.fire();
      }),
    );
  }

  reveal(): void {
    this.panel?.reveal();
  }

  /** Whether the panel is open (for tests). */
  get visible(): boolean {
    return this.panel !== undefined;
  }

  protected get pageReady(): boolean {
    return this.ready;
  }

  /** Sends to the page when it is open and ready; otherwise its next `ready` replays it. */
  protected send(message: ToPage): void {
    if (this.panel && this.ready) void this.panel.webview.postMessage(message);
  }

  dispose(): void {
    this.panel?.dispose();
    this.listeners.splice(0).forEach((l) => l.dispose());
    this.closed.dispose();
  }
}

/**
 * A job feature's two halves, wired to each other: the panel hands the page's messages to the
 * controller, the controller shows the job in the panel; disposed together, controller first.
 */
export function panelWithController<
  FromPage,
  Panel extends vscode.Disposable & { onDidClose: vscode.Event<void> },
  Controller extends vscode.Disposable & { handle(message: FromPage): Promise<void>; panelClosed(): void },
>(makePanel: (onMessage: (message: FromPage) => void) => Panel, makeController: (panel: () => Panel) => Controller): { controller: Controller; panel: Panel } & vscode.Disposable {
  const panel: Panel = makePanel((message) => void controller.handle(message));
  const controller: Controller = makeController(() => panel);
  const closed = panel.onDidClose(() => controller.panelClosed());
  return {
    controller,
    panel,
    dispose: () => {
      closed.dispose();
      controller.dispose();
      panel.dispose();
    },
  };
}
