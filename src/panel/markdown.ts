// Markdown rendering of model output for the panel. Model output is untrusted: raw HTML is shown as
// text, and only http(s) and mailto links survive. The panel inserts HTML into the page only from
// here, never model text itself. Pure (no DOM, no `vscode`), so it runs in the browser bundle and in
// the unit tests alike.
import MarkdownIt from 'markdown-it';

const ALLOWED_LINK = /^(?:https?:\/\/|mailto:)/i;

/**
 * Whether a link target (as markdown-it normalized it) may become an `href`: only http, https and
 * mailto. Everything else, including relative links (meaningless inside a webview) and the
 * `javascript:`, `vbscript:`, `data:` and `file:` schemes, stays plain text.
 */
export function isAllowedLink(url: string): boolean {
  return ALLOWED_LINK.test(url.trim());
}

/** A markdown-it instance configured for untrusted model output. */
export function createMarkdownRenderer(): MarkdownIt.MarkdownIt {
  const md = new MarkdownIt({ html: false, linkify: true, typographer: false, breaks: false });
  md.validateLink = isAllowedLink;
  // The CSP blocks remote images anyway; `![alt](url)` then reads as "!" and a link to the image.
  md.disable('image');
  const defaultLinkOpen =
    md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
  md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
    const token = tokens[idx];
    if (token) {
      // Show where a link goes before it is followed; VS Code opens it outside the panel.
      const href = token.attrGet('href');
      if (href !== null && token.attrGet('title') === null) token.attrSet('title', href);
      token.attrSet('rel', 'noopener noreferrer');
    }
    return defaultLinkOpen(tokens, idx, options, env, self);
  };
  return md;
}

let shared: MarkdownIt.MarkdownIt | undefined;

/** Model output as safe HTML: markdown-it escapes all text, raw HTML included. */
export function renderMarkdown(text: string): string {
  shared ??= createMarkdownRenderer();
  return shared.render(text);
}

/** What one append changed: HTML of the blocks that closed, and the whole open block again. */
export interface MarkdownProgress {
  /** Blocks that can no longer change, to add after the ones added before. */
  closedHtml: string;
  /**
   * The last, still open block (a paragraph, list or code fence being written), rendered afresh;
   * undefined when it was not rendered this time (see tailText).
   */
  tailHtml: string | undefined;
  /** Text added to the open block since its last render, to show as plain text after it until the next one. */
  tailText: string;
}

/** Up to this length the open block is rendered on every append. */
const TAIL_RENDER_ALWAYS = 2 * 1024;
/** Beyond it, again only once it has grown by this factor: a geometric series, so linear in total. */
const TAIL_GROWTH = 1.25;

const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/**
 * Markdown rendered from the first token while a reply streams, in linear time: text up to the
 * last blank line outside a code fence is rendered once and never again, and only the open block
 * after it is re-rendered on each append. Constructs that span a blank line (a loose list, an
 * indented code block) can look split while streaming; the final render of the whole text, when
 * the run ends, is exact.
 */
export class IncrementalMarkdown {
  /** The open block: everything before it has been rendered and handed out. */
  private open = '';
  /** The current line, not ended yet (kept apart so a long line is never re-read). */
  private line = '';
  private fence: string | undefined;
  /** Length of the open block at its last render. */
  private tailRendered = 0;

  append(chunk: string): MarkdownProgress {
    // Only the new text is scanned, and the open block is read (sliced, rendered) only to render
    // it: long strings are never re-read on every append.
    let closedText = '';
    let rest = chunk;
    for (;;) {
      const lineEnd = rest.indexOf('\n');
      if (lineEnd < 0) {
        this.line += rest;
        this.open += rest;
        break;
      }
      const line = this.line + rest.slice(0, lineEnd);
      this.open += rest.slice(0, lineEnd + 1);
      this.line = '';
      rest = rest.slice(lineEnd + 1);
      const fence = FENCE.exec(line)?.[1];
      if (this.fence !== undefined) {
        if (fence && fence[0] === this.fence[0] && fence.length >= this.fence.length && line.trim() === fence) this.fence = undefined;
      } else if (fence) {
        this.fence = fence;
      } else if (line.trim() === '') {
        // A blank line outside a fence ends the open block.
        closedText += this.open;
        this.open = '';
        this.tailRendered = 0;
      }
    }
    const closedHtml = closedText.trim() === '' ? '' : renderMarkdown(closedText);
    // A long open block (one huge paragraph or code fence) is rendered again only as it grows
    // by a factor, and what came in between shows as plain text after it.
    const tailLength = this.open.length;
    if (closedHtml || tailLength <= TAIL_RENDER_ALWAYS || tailLength >= this.tailRendered * TAIL_GROWTH) {
      this.tailRendered = tailLength;
      return { closedHtml, tailHtml: renderMarkdown(this.open), tailText: '' };
    }
    return { closedHtml, tailHtml: undefined, tailText: chunk };
  }
}
