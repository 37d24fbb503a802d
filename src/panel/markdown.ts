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
