// What a streamed response is made of, as the runner reports it and the panel shows it. Types
// only, with no imports, so the browser bundle can share them through src/protocol.ts.

/** One content block of a response as the panel shows it. */
export type BlockKind = 'text' | 'thinking' | 'redacted_thinking' | 'tool_use' | 'server_tool' | 'server_tool_result' | 'other';

export interface BlockStart {
  index: number;
  kind: BlockKind;
  /** Tool name for tool_use / server tools; the raw block type for `other`. */
  name?: string;
  /** tool_use id, needed to answer with a tool_result. */
  id?: string;
  /**
   * The citations of a text block so far, as the API sent them (they arrive as citations_delta
   * before the text). The panel describes them (describeCitations) and links only http(s) URLs.
   */
  citations?: ApiCitation[];
}

/** Text appended to a block since the last update (text, thinking, or partial tool-input JSON). */
export interface BlockAppend {
  index: number;
  text: string;
}

/** A citation object of the API (web_search_result_location, char_location, ...). */
export type ApiCitation = Record<string, unknown>;

/** A link the panel may open: an http(s) URL checked on the host, with the text shown for it. */
export interface LinkView {
  url: string;
  title: string;
  /** e.g. a search result's page age. */
  note?: string;
}

/** A citation of a text block (web search result, document location), as the panel lists it under the text. */
export interface CitationView {
  citedText: string;
  /** A checked http(s) URL; absent for document citations and for URLs that are not http(s). */
  url?: string;
  title?: string;
}

/**
 * A server tool's result block (code execution, web search, web fetch), described for the panel
 * (describeServerToolResult, from the block's JSON), so the rendering reads fields, not API shapes.
 */
export interface ServerToolResultView {
  /** The API block type, e.g. `bash_code_execution_tool_result`. */
  blockType: string;
  /** The server_tool_use id it answers. */
  toolUseId?: string;
  stdout?: string;
  stderr?: string;
  returnCode?: number;
  /** The output is encrypted (code that called web search): only the API can read it. */
  encrypted?: boolean;
  /** Files the code produced, downloadable with the Files API. */
  fileIds?: string[];
  /** Search results, or the fetched page. */
  links?: LinkView[];
  /** A one-line account of results without output (text editor create/view/str_replace). */
  summary?: string;
  /** The tool's error code and message, when it failed. */
  error?: string;
  /** Output longer than the panel keeps was cut (the full block stays in the run history). */
  truncated?: boolean;
}
