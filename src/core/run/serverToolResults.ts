// Server tool blocks (anthropic-api.md §7, §17) described for the panel: code execution output
// (stdout, stderr, return code, produced files), web search results, the fetched page, citations.
// Everything in these blocks is attacker-influenced (a web page, the model's code): the views hold
// plain strings the panel renders as text, and only http(s) URLs survive as links.
import type { CitationView, LinkView, ServerToolResultView } from './streamBlocks';

type Json = Record<string, unknown>;

const isRecord = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** Output longer than this is cut in the panel view (the run history keeps the whole block). */
export const MAX_OUTPUT_CHARS = 20_000;

/** Result block types of the server tools, which arrive whole in content_block_start. */
const RESULT_TYPES = new Set([
  'web_search_tool_result',
  'web_fetch_tool_result',
  'code_execution_tool_result',
  'bash_code_execution_tool_result',
  'text_editor_code_execution_tool_result',
  'tool_search_tool_result',
]);

export function isServerToolResult(type: string): boolean {
  return RESULT_TYPES.has(type);
}

/** The URL as the panel may open it: only http and https, parsed and normalised; otherwise undefined. */
export function safeLinkUrl(url: unknown): string | undefined {
  if (typeof url !== 'string' || url.length > 4096) return undefined;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return undefined;
    // Credentials in a link only serve to disguise where it goes.
    if (parsed.username || parsed.password) return undefined;
    return parsed.href;
  } catch {
    return undefined;
  }
}

function link(url: unknown, title: unknown, note?: unknown): LinkView | undefined {
  const safe = safeLinkUrl(url);
  if (!safe) return undefined;
  const view: LinkView = { url: safe, title: str(title)?.trim() || safe };
  const extra = str(note);
  if (extra) view.note = extra;
  return view;
}

function cut(view: ServerToolResultView, field: 'stdout' | 'stderr', value: unknown): void {
  const text = str(value);
  if (text === undefined) return;
  if (text.length > MAX_OUTPUT_CHARS) {
    view[field] = text.slice(0, MAX_OUTPUT_CHARS);
    view.truncated = true;
  } else view[field] = text;
}

function errorOf(content: Json): string | undefined {
  if (!/_error$/.test(str(content['type']) ?? '')) return undefined;
  const code = str(content['error_code']) ?? 'error';
  const message = str(content['error_message']);
  return message ? `${code}: ${message}` : code;
}

/** A server tool result block as the panel shows it. */
export function describeServerToolResult(block: unknown): ServerToolResultView {
  const b = isRecord(block) ? block : {};
  const view: ServerToolResultView = { blockType: str(b['type']) ?? 'unknown' };
  const toolUseId = str(b['tool_use_id']);
  if (toolUseId) view.toolUseId = toolUseId;
  const content = b['content'];

  if (view.blockType === 'web_search_tool_result') {
    if (Array.isArray(content)) {
      view.links = content.flatMap((hit) => (isRecord(hit) ? (link(hit['url'], hit['title'], hit['page_age']) ?? []) : []));
    } else if (isRecord(content)) {
      const error = errorOf(content);
      if (error) view.error = error;
    }
    return view;
  }
  if (!isRecord(content)) return view;
  const error = errorOf(content);
  if (error) {
    view.error = error;
    return view;
  }
  const type = str(content['type']) ?? '';
  switch (type) {
    case 'web_fetch_result': {
      const document = isRecord(content['content']) ? content['content'] : {};
      const fetched = link(content['url'], document['title'], content['retrieved_at'] ? `retrieved ${String(content['retrieved_at'])}` : undefined);
      if (fetched) view.links = [fetched];
      else view.summary = `Fetched ${String(content['url'] ?? 'a page')}`;
      return view;
    }
    case 'code_execution_result':
    case 'bash_code_execution_result':
    case 'encrypted_code_execution_result': {
      if (type === 'encrypted_code_execution_result') view.encrypted = true;
      else cut(view, 'stdout', content['stdout']);
      cut(view, 'stderr', content['stderr']);
      if (typeof content['return_code'] === 'number') view.returnCode = content['return_code'];
      const files = Array.isArray(content['content']) ? content['content'].flatMap((f) => (isRecord(f) && typeof f['file_id'] === 'string' ? [f['file_id']] : [])) : [];
      if (files.length > 0) view.fileIds = files;
      return view;
    }
    case 'text_editor_code_execution_create_result':
      view.summary = content['is_file_update'] === true ? 'File updated.' : 'File created.';
      return view;
    case 'text_editor_code_execution_str_replace_result':
      view.summary = `Replaced lines ${String(content['old_start'] ?? '?')}–${Number(content['old_start'] ?? 0) + Number(content['old_lines'] ?? 0) - 1} with ${String(content['new_lines'] ?? '?')} line(s).`;
      return view;
    case 'text_editor_code_execution_view_result':
      view.summary = `Viewed lines ${String(content['start_line'] ?? 1)}–${Number(content['start_line'] ?? 1) + Number(content['num_lines'] ?? 0) - 1} of ${String(content['total_lines'] ?? '?')}.`;
      cut(view, 'stdout', content['content']);
      return view;
    default:
      return view;
  }
}

/** The citations of a text block (web search results link to their page; document citations are text only). */
export function describeCitations(citations: unknown): CitationView[] {
  if (!Array.isArray(citations)) return [];
  return citations.flatMap((citation): CitationView[] => {
    if (!isRecord(citation)) return [];
    const view: CitationView = { citedText: str(citation['cited_text']) ?? '' };
    const url = safeLinkUrl(citation['url']);
    if (url) view.url = url;
    const title = str(citation['title']) ?? str(citation['document_title']);
    if (title) view.title = title;
    return [view];
  });
}

/** File ids a reply's code produced: the only ids the panel may ask to download. */
export function producedFileIds(content: readonly unknown[]): string[] {
  return content.flatMap((block) => (isRecord(block) && isServerToolResult(String(block['type'])) ? (describeServerToolResult(block).fileIds ?? []) : []));
}

/** The container a reply ran code in, for Continue to reuse (anthropic-api.md §17). */
export function containerOf(message: { container?: unknown } | undefined): string | undefined {
  const container = message?.container;
  return isRecord(container) && typeof container['id'] === 'string' ? container['id'] : undefined;
}
