// Prompt strings (the model id above all) reach the Markdown of the status bar tooltip and the cost
// details. Rendered, they must stay text: no link, image, code-span break-out, HTML or extra row.
import * as assert from 'node:assert/strict';
import MarkdownIt from 'markdown-it';
import { buildCostSummary, detailsMarkdown, escapeMarkdown, tooltipMarkdown } from '../../../src/core/pricing/costReport';
import { BUNDLED_PRICES, findPrice } from '../../../src/core/pricing/priceTable';

// The most permissive renderer: raw HTML on, links turned into anchors.
const markdown = new MarkdownIt({ html: true, linkify: false });

const hostileIds = [
  'claude`](command:workbench.action.terminal.new) `x',
  '![pixel](https://evil.example/track.png)',
  '[click me](command:workbench.action.terminal.new)',
  '<img src=x onerror=alert(1)>',
  'a | b | c',
  'line\n# heading\n![i](https://e.x/i.png)',
  'sep\u2028[x](https://e.x)',
  '**bold** _it_ ~~s~~ &lt;b&gt;',
];

function text(html: string): string {
  return html.replace(/<[^>]+>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
}

function summaryFor(model: string) {
  return buildCostSummary({
    count: { kind: 'estimate', inputTokens: 100, model, cause: 'network', reason: `offline (${model})` },
    maxTokens: 10,
    price: findPrice(BUNDLED_PRICES, model),
    request: { model, max_tokens: 10, inference_geo: model, tools: [{ type: model, name: 'x' }], messages: [] },
  });
}

describe('costReport Markdown with hostile prompt strings', () => {
  for (const id of hostileIds) {
    it(`keeps ${JSON.stringify(id)} as text in the tooltip and the details`, () => {
      for (const source of [tooltipMarkdown(summaryFor(id)), detailsMarkdown(summaryFor(id), [summaryFor(id), summaryFor('claude-opus-5')])]) {
        const html = markdown.render(source);
        assert.doesNotMatch(html, /<img|<a |<script|<h1|<strong>bold|<em>it|<s>/, `no markup from the id: ${html}`);
        // The id is still readable, whole, on one line.
        assert.ok(text(html).includes(id.replace(/\r\n|[\r\n\u2028\u2029]/g, ' ')), `the id reads as written in: ${text(html)}`);
      }
    });
  }

  it('a model id with a pipe does not add table cells', () => {
    const id = 'a | b | c';
    const html = markdown.render(detailsMarkdown(summaryFor(id), [summaryFor(id)]));
    const tables = html.match(/<table>[\s\S]*?<\/table>/g) ?? [];
    assert.equal(tables.length, 2, 'the cost table and the what-if table');
    for (const table of tables) {
      const rows = table.match(/<tr>[\s\S]*?<\/tr>/g) ?? [];
      const header = (rows[0]?.match(/<t[hd][ >]/g) ?? []).length;
      for (const row of rows) assert.equal((row.match(/<t[hd][ >]/g) ?? []).length, header, row);
    }
  });

  it('plain model ids stay inline code', () => {
    assert.match(tooltipMarkdown(summaryFor('claude-opus-5')), /for `claude-opus-5` \(/);
  });

  it('escapeMarkdown escapes backticks, brackets and the image bang, and flattens line breaks', () => {
    assert.equal(escapeMarkdown('![a](b) `c`\nd'), '\\!\\[a\\](b) \\`c\\` d');
  });
});
