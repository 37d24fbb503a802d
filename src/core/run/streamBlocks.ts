// What a streamed response is made of, as the runner reports it and the panel shows it. Types
// only, with no imports, so the browser bundle can share them through src/protocol.ts.

/** One content block of a response as the panel shows it. */
export type BlockKind = 'text' | 'thinking' | 'redacted_thinking' | 'tool_use' | 'server_tool' | 'other';

export interface BlockStart {
  index: number;
  kind: BlockKind;
  /** Tool name for tool_use / server tools; the raw block type for `other`. */
  name?: string;
  /** tool_use id, needed to answer with a tool_result. */
  id?: string;
}

/** Text appended to a block since the last update (text, thinking, or partial tool-input JSON). */
export interface BlockAppend {
  index: number;
  text: string;
}
