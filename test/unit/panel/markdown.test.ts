import * as assert from 'node:assert/strict';
import { isAllowedLink, renderMarkdown } from '../../../src/panel/markdown';

/** Asserts the rendered HTML carries nothing that could run script or load from elsewhere. */
function assertInert(html: string): void {
  assert.doesNotMatch(html, /<script/i, html);
  assert.doesNotMatch(html, /<img/i, html);
  assert.doesNotMatch(html, /<iframe/i, html);
  assert.doesNotMatch(html, /<[a-z][^>]*\son\w+=/i, `no event handler attribute in a tag: ${html}`);
  assert.doesNotMatch(html, /href="(?!https?:|mailto:)/i, `only http(s) and mailto hrefs: ${html}`);
  assert.doesNotMatch(html, /<[a-z][^>]*\s(?:src|style)=/i, `no src or style attribute in a tag: ${html}`);
}

describe('markdown: hostile model output renders inert', () => {
  it('shows a <script> element as text', () => {
    const html = renderMarkdown('Hello <script>alert(1)</script> world');
    assertInert(html);
    assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), html);
  });

  it('shows <img onerror> as text, inline and as an HTML block', () => {
    for (const input of ['x <img src=x onerror=alert(1)> y', '<img src=x onerror=alert(1)>', '<div onclick="alert(1)">hi</div>']) {
      const html = renderMarkdown(input);
      assertInert(html);
      assert.ok(html.includes('&lt;'), `shown as escaped text: ${html}`);
    }
  });

  it('leaves javascript:, vbscript:, data: and file: links as plain text', () => {
    for (const target of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'vbscript:msgbox(1)', 'data:text/html;base64,PHNjcmlwdD4=', 'file:///etc/passwd']) {
      const html = renderMarkdown(`[click](${target})`);
      assertInert(html);
      assert.doesNotMatch(html, /<a /, html);
    }
  });

  it('does not let entities or whitespace smuggle a javascript: link', () => {
    for (const input of ['[x](&#106;avascript:alert(1))', '[x](java\tscript:alert(1))', '[x]( javascript:alert(1))', '<javascript:alert(1)>', '[x][r]\n\n[r]: javascript:alert(1)']) {
      const html = renderMarkdown(input);
      assertInert(html);
      assert.doesNotMatch(html, /href="javascript:/i, html);
    }
  });

  it('does not render images, not even data: ones', () => {
    const html = renderMarkdown('![alt](data:image/png;base64,AAAA) ![x](https://example.com/a.png)');
    assertInert(html);
    assert.doesNotMatch(html, /<img/);
  });

  it('escapes attribute-breaking characters inside a permitted link', () => {
    const html = renderMarkdown('[x](https://example.com/"onmouseover="alert(1))');
    assertInert(html);
    assert.doesNotMatch(html, /"onmouseover="/);
  });

  it('escapes raw HTML inside code spans and fences', () => {
    const html = renderMarkdown('`<b>x</b>`\n\n```html\n<script>alert(1)</script>\n```');
    assertInert(html);
    assert.ok(html.includes('&lt;b&gt;x&lt;/b&gt;'));
  });
});

describe('markdown: ordinary output', () => {
  it('renders emphasis, lists and code', () => {
    const html = renderMarkdown('**bold** and *it*\n\n- one\n- two\n\n```\ncode\n```');
    assert.ok(html.includes('<strong>bold</strong>'));
    assert.ok(html.includes('<li>one</li>'));
    assert.ok(html.includes('<pre><code>code\n</code></pre>'));
  });

  it('turns http(s) URLs and e-mail addresses into links, explicit or linkified', () => {
    const html = renderMarkdown('See [docs](https://docs.anthropic.com), https://example.com/a?b=1 and ask@example.com.');
    assert.ok(html.includes('href="https://docs.anthropic.com"'), html);
    assert.ok(html.includes('href="https://example.com/a?b=1"'), html);
    assert.ok(html.includes('href="mailto:ask@example.com"'), html);
    assert.ok(html.includes('rel="noopener noreferrer"'), html);
  });

  it('keeps relative links as text, since they lead nowhere inside the panel', () => {
    const html = renderMarkdown('[notes](./notes.md)');
    assert.doesNotMatch(html, /<a /);
    assert.ok(html.includes('[notes](./notes.md)'));
  });
});

describe('markdown: isAllowedLink', () => {
  it('allows only http, https and mailto', () => {
    assert.equal(isAllowedLink('https://example.com'), true);
    assert.equal(isAllowedLink('HTTP://example.com'), true);
    assert.equal(isAllowedLink('mailto:a@b.c'), true);
    for (const url of ['javascript:alert(1)', 'vbscript:x', 'data:text/html,x', 'file:///x', 'ftp://x', 'command:workbench.action.quit', '/relative', '#anchor', '']) {
      assert.equal(isAllowedLink(url), false, url);
    }
  });
});
