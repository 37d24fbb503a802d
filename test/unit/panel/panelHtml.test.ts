import * as assert from 'node:assert/strict';
import { createNonce, panelContentSecurityPolicy, panelHtml } from '../../../src/panel/panelHtml';

const options = {
  cspSource: 'https://*.vscode-cdn.net',
  scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview.js',
  styleUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/media/panel.css',
};

/** The content attribute of the CSP meta tag in a document. */
function cspOf(html: string): string {
  const match = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html);
  assert.ok(match?.[1], 'the document should carry a CSP meta tag');
  return match[1];
}

describe('panel HTML: content security policy', () => {
  it('allows nothing by default, scripts only by nonce, styles and fonts only from the extension', () => {
    const nonce = createNonce();
    assert.equal(
      panelContentSecurityPolicy(options.cspSource, nonce),
      `default-src 'none'; img-src https://*.vscode-cdn.net data:; style-src https://*.vscode-cdn.net; script-src 'nonce-${nonce}'; font-src https://*.vscode-cdn.net;`,
    );
  });

  it('puts the policy in the document with no unsafe-inline or unsafe-eval anywhere', () => {
    const nonce = createNonce();
    const html = panelHtml({ ...options, nonce });
    const csp = cspOf(html);
    assert.ok(csp.includes(`script-src 'nonce-${nonce}'`));
    assert.doesNotMatch(html, /unsafe-/);
    assert.doesNotMatch(html, /\sstyle=/, 'no inline style attributes');
    assert.doesNotMatch(html, /<style/, 'no inline style elements');
  });

  it('gives every script tag the nonce and loads the bundle and stylesheet from the given URIs', () => {
    const nonce = createNonce();
    const html = panelHtml({ ...options, nonce });
    const scripts = html.match(/<script\b[^>]*>/g) ?? [];
    assert.equal(scripts.length, 1);
    assert.equal(scripts[0], `<script nonce="${nonce}" src="${options.scriptUri}">`);
    assert.ok(html.includes(`<link rel="stylesheet" href="${options.styleUri}">`));
  });

  it('escapes the title and URIs it interpolates', () => {
    const html = panelHtml({ ...options, nonce: createNonce(), title: '<img src=x onerror=alert(1)> & "quotes"' });
    assert.ok(html.includes('<title>&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot;</title>'));
    assert.doesNotMatch(html, /<img/);
  });

  it('refuses a weak or attribute-breaking nonce', () => {
    assert.throws(() => panelHtml({ ...options, nonce: 'abc' }), /nonce/);
    assert.throws(() => panelHtml({ ...options, nonce: 'aaaaaaaaaaaaaaaa" onload="x' }), /nonce/);
  });

  it('refuses a cspSource that would add directives', () => {
    assert.throws(() => panelHtml({ ...options, cspSource: "x; script-src 'unsafe-inline'", nonce: createNonce() }), /cspSource/);
  });
});

describe('panel HTML: createNonce', () => {
  it('returns at least 32 characters that are safe in an attribute and a CSP source', () => {
    const nonce = createNonce();
    assert.ok(nonce.length >= 32, nonce);
    assert.match(nonce, /^[0-9a-f]+$/);
  });

  it('differs on every call', () => {
    const nonces = new Set(Array.from({ length: 1000 }, () => createNonce()));
    assert.equal(nonces.size, 1000);
  });

  it('draws from crypto.getRandomValues, never Math.random', () => {
    const original = Math.random;
    Math.random = () => {
      throw new Error('Math.random must not be used for a nonce');
    };
    try {
      assert.equal(createNonce().length, 64);
    } finally {
      Math.random = original;
    }
  });
});
