// A response's content blocks in the DOM: streamed as plain text, rendered once when the run ends.
import type { BlockStart, CitationView, LinkView, ServerToolResultView } from '../protocol';
import { describeCitations, describeServerToolResult } from '../core/run/serverToolResults';
import { IncrementalMarkdown, renderMarkdown } from '../panel/markdown';
import { assertNever, blockTitle, prettyJsonOrRaw, serverToolCallView, type RunBlock } from '../panel/panelModel';
import { append, button, el, type Attributes } from './dom';

/** What a block's links and produced files do; without it (history, comparison) they are shown as text. */
export interface BlockActions {
  openLink(url: string): void;
  downloadFile(fileId: string): void;
}

/** A link as a button that asks the host to open it, with the address always visible (a title cannot disguise it). */
function linkItem(link: { url?: string; title?: string }, actions: BlockActions | undefined, note?: string): HTMLElement {
  const title = link.title ?? link.url ?? '';
  const url = link.url;
  return el(
    'li',
    { class: 'link-item' },
    url && actions ? button(title, () => actions.openLink(url), { class: 'link-button', 'data-url': url, title: url }) : el('span', {}, title),
    url && title !== url ? el('span', { class: 'description link-url' }, ` ${url}`) : null,
    note ? el('span', { class: 'description' }, ` · ${note}`) : null,
  );
}

/** A result block's view from its JSON text; undefined when the text is not the whole block (cut in a saved state). */
function resultOf(text: string): ServerToolResultView | undefined {
  try {
    return describeServerToolResult(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/** A server tool's result: output, return code, produced files, links, or the error. */
function serverToolResultBody(result: ServerToolResultView | undefined, actions: BlockActions | undefined): HTMLElement {
  const body = el('div', { class: 'block-body server-tool-result' });
  if (!result) {
    append(body, el('p', { class: 'description' }, 'The result is too large to show here; the run history keeps it.'));
    return body;
  }
  if (result.error) append(body, el('p', { class: 'error-text', 'data-testid': 'server-tool-error' }, `Failed: ${result.error}`));
  if (result.encrypted) append(body, el('p', { class: 'description', 'data-testid': 'encrypted-result' }, 'Encrypted output: the code called web search, so only the API can read its output. It is sent back as it is on Continue.'));
  if (result.summary) append(body, el('p', {}, result.summary));
  if (result.stdout !== undefined) append(body, el('h5', {}, 'stdout'), el('pre', { class: 'code', 'data-testid': 'stdout' }, result.stdout));
  if (result.stderr) append(body, el('h5', {}, 'stderr'), el('pre', { class: 'code stderr', 'data-testid': 'stderr' }, result.stderr));
  if (result.returnCode !== undefined) append(body, el('p', { 'data-testid': 'return-code' }, `Return code: ${result.returnCode}`));
  if (result.truncated) append(body, el('p', { class: 'description' }, 'Output cut for display; the run history keeps all of it.'));
  if (result.fileIds?.length) {
    const list = el('ul', { class: 'produced-files', 'aria-label': 'Files the code produced' });
    for (const fileId of result.fileIds) {
      append(list, el('li', {}, el('code', {}, fileId), ' ', actions ? button('Download…', () => actions.downloadFile(fileId), { 'data-file-id': fileId, 'data-testid': 'download-file' }) : null));
    }
    append(body, el('h5', {}, 'Produced files'), list);
  }
  if (result.links) {
    const list = el('ul', { class: 'links', 'data-testid': 'result-links' });
    for (const link of result.links as LinkView[]) list.appendChild(linkItem(link, actions, link.note));
    append(body, result.links.length ? list : el('p', { class: 'description' }, 'No results.'));
  }
  return body;
}

/** The sources a text block cites, listed under it. */
function citationList(citations: readonly CitationView[], actions: BlockActions | undefined): HTMLElement {
  const list = el('ol', { class: 'citations', 'data-testid': 'citations' });
  for (const citation of citations) {
    const item = linkItem({ ...(citation.url ? { url: citation.url } : {}), title: citation.title ?? citation.url ?? 'document' }, actions);
    if (citation.citedText) append(item, el('blockquote', {}, citation.citedText));
    list.appendChild(item);
  }
  return el('div', { class: 'sources' }, el('h5', {}, 'Sources'), list);
}

/** A streamed text chunk this long starts a new element at its next line break (see StreamingText). */
const STREAM_CHUNK_CHARS = 8 * 1024;

/**
 * Plain text that grows by appends. Each append extends the last Text node with appendData; once
 * that chunk passes STREAM_CHUNK_CHARS, the next line break starts a new block-level chunk, so the
 * browser re-lays out only the last few kilobytes instead of the whole (possibly huge) block.
 */
class StreamingText {
  readonly element: HTMLElement;
  private chunk: Text | undefined;
  private chunkLength = 0;

  constructor(className: string) {
    this.element = el('div', { class: `streaming-text ${className}` });
  }

  append(text: string): void {
    if (text === '') return;
    if (this.chunk && this.chunkLength >= STREAM_CHUNK_CHARS) {
      const lineEnd = text.indexOf('\n');
      if (lineEnd >= 0) {
        this.appendToChunk(text.slice(0, lineEnd + 1));
        this.chunk = undefined;
        this.append(text.slice(lineEnd + 1));
        return;
      }
    }
    this.appendToChunk(text);
  }

  private appendToChunk(text: string): void {
    if (text === '') return;
    if (!this.chunk) {
      this.chunk = document.createTextNode('');
      this.chunkLength = 0;
      this.element.appendChild(el('span', { class: 'stream-chunk' }, this.chunk));
    }
    this.chunk.appendData(text);
    this.chunkLength += text.length;
  }
}

/**
 * Prose that is rendered as Markdown while it streams: the blocks that closed are added once, and
 * only the open block at the end is rendered again (see IncrementalMarkdown), so the work stays
 * linear in the length of the reply.
 */
class StreamingMarkdown {
  readonly element: HTMLElement;
  private readonly closed: HTMLElement;
  private readonly open: HTMLElement;
  /** Text of the open block that arrived since its last render, as plain text. */
  private readonly pending = document.createTextNode('');
  private readonly markdown = new IncrementalMarkdown();

  constructor() {
    this.closed = el('div', { class: 'markdown-closed' });
    this.open = el('div', { class: 'markdown-open' });
    this.element = el('div', { class: 'streaming-markdown markdown' }, this.closed, this.open, el('span', { class: 'markdown-pending' }, this.pending));
  }

  append(text: string): void {
    if (text === '') return;
    const { closedHtml, tailHtml, tailText } = this.markdown.append(text);
    // Both HTML strings come from renderMarkdown, which escapes the model's text and drops raw HTML.
    if (closedHtml) this.closed.insertAdjacentHTML('beforeend', closedHtml);
    if (tailHtml !== undefined) {
      this.open.innerHTML = tailHtml;
      this.pending.data = '';
    } else {
      this.pending.appendData(tailText);
    }
  }
}

/** One content block in the output: rendered as it streams, then rendered once more, whole, when the run ends. */
export class BlockView {
  readonly root: HTMLElement;
  private readonly heading: HTMLElement | undefined;
  private body: HTMLElement;
  private streaming: StreamingText | StreamingMarkdown | undefined;

  constructor(
    private block: BlockStart,
    text: string,
    streaming: boolean,
    private readonly actions?: BlockActions,
  ) {
    let container: HTMLElement;
    switch (block.kind) {
      case 'server_tool_result':
        // Results arrive whole: rendered at once, never streamed.
        this.heading = el('h4', { class: 'block-title' }, blockTitle(block));
        this.root = el('div', { class: 'block block-server-tool-result', 'data-testid': 'server-tool-result' }, this.heading);
        this.body = serverToolResultBody(resultOf(text), actions);
        this.root.appendChild(this.body);
        return;
      case 'text':
        this.root = el('div', { class: 'block block-text' });
        container = this.root;
        break;
      case 'thinking':
      case 'redacted_thinking':
        // Folded by default; <summary> is focusable and toggles with Enter or Space.
        this.heading = el('summary', {}, blockTitle(block));
        this.root = el('details', { class: `block block-thinking block-${block.kind}` }, this.heading);
        if (block.kind === 'redacted_thinking') {
          append(this.root, el('p', { class: 'description' }, 'Safety systems redacted this reasoning. It is sent back to the API encrypted, so the conversation can continue.'));
        }
        container = this.root;
        break;
      case 'tool_use':
      case 'server_tool':
      case 'other':
        this.heading = el('h4', { class: 'block-title' }, blockTitle(block));
        this.root = el('div', { class: `block block-json block-${block.kind}` }, this.heading);
        container = this.root;
        break;
      default:
        assertNever(block.kind);
    }
    this.body = el('div', { class: 'block-body' });
    container.appendChild(this.body);
    if (streaming) {
      // Prose is Markdown from the first token; tool input and redacted thinking stay raw text.
      this.streaming = this.isJson() || block.kind === 'redacted_thinking' ? new StreamingText(this.isJson() ? 'code' : 'prose') : new StreamingMarkdown();
      this.body.appendChild(this.streaming.element);
      this.streaming.append(text);
    } else {
      this.finish(text);
    }
  }

  update(block: BlockStart): void {
    this.block = block;
    if (this.heading) this.heading.textContent = blockTitle(block);
  }

  append(text: string): void {
    this.streaming?.append(text);
  }

  /** Replaces the streamed text with its final form: markdown for prose, pretty JSON for tool input. */
  finish(text: string): void {
    this.streaming = undefined;
    if (this.block.kind === 'server_tool_result') {
      const body = serverToolResultBody(resultOf(text), this.actions);
      this.body.replaceWith(body);
      this.body = body;
      return;
    }
    const body = el('div', { class: 'block-body' });
    const call = this.block.kind === 'server_tool' ? serverToolCallView(this.block.name, text) : undefined;
    if (call) {
      append(body, el('p', { class: 'server-tool-call' }, call.label));
      if (call.code !== undefined) append(body, el('pre', { class: 'code', 'data-testid': 'server-tool-code' }, call.code));
    } else if (this.isJson()) {
      // Input that never finished streaming is partial JSON: shown raw.
      append(body, el('pre', { class: 'code' }, prettyJsonOrRaw(text).text));
    } else if (this.block.kind === 'redacted_thinking') {
      if (text !== '') append(body, el('pre', { class: 'code opaque' }, text));
    } else {
      body.classList.add('markdown');
      body.innerHTML = renderMarkdown(text);
      const citations = describeCitations(this.block.citations);
      if (citations.length > 0) body.appendChild(citationList(citations, this.actions));
    }
    this.body.replaceWith(body);
    this.body = body;
  }

  private isJson(): boolean {
    return this.block.kind === 'tool_use' || this.block.kind === 'server_tool' || this.block.kind === 'other';
  }
}

/** Renders a finished run's blocks (history, comparison, reload) in their final form. */
export function finishedBlocks(blocks: readonly RunBlock[], attributes: Attributes, actions?: BlockActions): HTMLElement {
  const output = el('div', { class: 'run-output', ...attributes });
  for (const block of blocks) output.appendChild(new BlockView(block, block.text, false, actions).root);
  if (blocks.length === 0) append(output, el('p', { class: 'description' }, 'No output.'));
  return output;
}

