import * as assert from 'node:assert/strict';
import { isAllowedLink, renderMarkdown, IncrementalMarkdown } from '../../../src/panel/markdown';

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

describe('IncrementalMarkdown (Markdown while the reply streams)', () => {
  const reply = [
    '# Tides',
    '',
    'The **moon** pulls the water. A [link](https://example.com) stays a link.',
    '',
    '```ts',
    'const a = 1;',
    '',
    'const b = 2;',
    '```',
    '',
    '- one',
    '- two',
    '',
    'Raw <script>alert(1)</script> stays text.',
    '',
  ].join('\n');

  function stream(text: string, size: number): { closed: string[]; tail: string } {
    const markdown = new IncrementalMarkdown();
    const closed: string[] = [];
    let tail = '';
    for (let i = 0; i < text.length; i += size) {
      const progress = markdown.append(text.slice(i, i + size));
      if (progress.closedHtml) closed.push(progress.closedHtml);
      tail = progress.tailHtml ?? tail;
    }
    return { closed, tail };
  }

  for (const size of [1, 3, 17, 1000]) {
    it(`renders the same HTML as a whole render, streamed in pieces of ${size}`, () => {
      const { closed, tail } = stream(reply, size);
      assert.equal(closed.join('') + tail, renderMarkdown(reply));
    });
  }

  it('renders from the first token: an open paragraph is Markdown before its line ends', () => {
    const markdown = new IncrementalMarkdown();
    assert.equal(markdown.append('Some **bold').tailHtml, '<p>Some **bold</p>\n');
    assert.equal(markdown.append('** text').tailHtml, '<p>Some <strong>bold</strong> text</p>\n');
  });

  it('never splits a code fence at a blank line inside it, and hands out each closed block once', () => {
    const markdown = new IncrementalMarkdown();
    const first = markdown.append('```\ncode\n\nmore\n');
    assert.equal(first.closedHtml, '', 'the open fence was closed at its blank line');
    assert.match(first.tailHtml ?? '', /<pre><code>code\n\nmore\n<\/code><\/pre>/);
    const second = markdown.append('```\n\nAfter.\n');
    assert.match(second.closedHtml, /<pre><code>code\n\nmore\n<\/code><\/pre>/);
    assert.equal(second.tailHtml, '<p>After.</p>\n');
    assert.equal(markdown.append(' More.').closedHtml, '', 'a closed block was handed out again');
  });

  it('renders one huge open block (no blank line) ever more rarely, so the work stays linear', () => {
    /** Characters of HTML rendered while `words` words stream into one paragraph, one word per append. */
    const renderedFor = (words: number): { rendered: number; shown: string } => {
      const markdown = new IncrementalMarkdown();
      let rendered = 0;
      let shown = '';
      for (let i = 0; i < words; i++) {
        const progress = markdown.append(`w${i % 10} `);
        if (progress.tailHtml !== undefined) {
          rendered += progress.tailHtml.length;
          shown = '';
        } else {
          shown += progress.tailText;
        }
      }
      return { rendered, shown };
    };
    const small = renderedFor(40_000);
    const large = renderedFor(80_000);
    // Twice the text: about twice the work (rendering the whole block each time would be 4x).
    assert.ok(large.rendered / small.rendered < 2.6, `doubling the reply multiplied the rendering by ${(large.rendered / small.rendered).toFixed(2)}`);
    // What arrived since the last render is handed out as text, so nothing is missing on screen.
    assert.ok(large.shown.length > 0 && large.shown.length < 80_000 * 3 * 0.25);
  });

  it('re-renders only the open block: the work per append does not grow with the reply', () => {
    // 2,000 paragraphs; each append adds one. The open block is one paragraph long every time.
    const markdown = new IncrementalMarkdown();
    let longestTail = 0;
    for (let i = 0; i < 2000; i++) longestTail = Math.max(longestTail, markdown.append(`Paragraph ${i} with some words.\n\n`).tailHtml?.length ?? 0);
    assert.ok(longestTail < 100, `the open block grew to ${longestTail} characters`);
  });
});
