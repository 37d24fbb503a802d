// The Prompt Workbench panel's HTML document and its Content Security Policy. Pure: no `vscode`
// import, so the host passes in `webview.cspSource` and the `asWebviewUri` strings, and unit tests
// can check the policy without an editor.

export interface PanelHtmlOptions {
  /** `webview.cspSource`: the origin the panel's own script, style and font resources load from. */
  cspSource: string;
  /** From `createNonce()`, fresh for every HTML document. */
  nonce: string;
  /** `webview.asWebviewUri(dist/webview.js)`. */
  scriptUri: string;
  /** `webview.asWebviewUri(media/panel.css)`. */
  styleUri: string;
  title?: string;
}

// A nonce is only worth its name if it cannot be guessed or break out of the attribute it sits in.
const NONCE_PATTERN = /^[A-Za-z0-9+/=_-]{16,}$/;

/**
 * The panel's Content Security Policy: nothing by default; scripts only with the nonce; styles,
 * fonts and images only from the extension (images also as data: URLs). No 'unsafe-inline' and
 * no 'unsafe-eval', so model output can never run script or carry inline styles.
 */
export function panelContentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
  ].join('; ') + ';';
}

/** The whole HTML document of the panel; the script in dist/webview.js builds the page inside <main>. */
export function panelHtml(options: PanelHtmlOptions): string {
  const { cspSource, nonce, scriptUri, styleUri } = options;
  if (!NONCE_PATTERN.test(nonce)) {
    throw new Error('panelHtml: the nonce must be at least 16 characters of [A-Za-z0-9+/=_-]; use createNonce().');
  }
  // cspSource may hold several sources ("'self' https://*.vscode-cdn.net"); only a character that
  // could end the directive or the attribute is refused.
  if (/[;,"<>]/.test(cspSource)) {
    throw new Error(`panelHtml: unexpected characters in cspSource ${JSON.stringify(cspSource)}.`);
  }
  const title = options.title ?? 'Prompt Workbench';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(panelContentSecurityPolicy(cspSource, nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeHtml(styleUri)}">
<title>${escapeHtml(title)}</title>
</head>
<body>
<main id="app" data-title="${escapeHtml(title)}"></main>
<script nonce="${nonce}" src="${escapeHtml(scriptUri)}"></script>
</body>
</html>
`;
}

/** A fresh 256-bit nonce as 64 hex characters, from the platform's cryptographic random source. */
export function createNonce(): string {
  const bytes = new Uint8Array(32);
  globalThis.crypto.getRandomValues(bytes);
  let nonce = '';
  for (const byte of bytes) nonce += byte.toString(16).padStart(2, '0');
  return nonce;
}

/** Escapes text for an HTML text node or a double-quoted attribute value (every attribute here is). */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (ch) => HTML_ESCAPES[ch] ?? ch);
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
};
