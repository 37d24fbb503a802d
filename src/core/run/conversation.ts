// The API is stateless: every turn resends the whole history. These build the next request.
import { applyEdits, findNodeAtLocation, format, modify, parseTree } from 'jsonc-parser';
import type { Message } from '@anthropic-ai/sdk/resources/messages/messages';
import { escapeTemplateText, escapeTemplateValues } from '../prompt/template';

type Json = Record<string, unknown>;

/** The assistant turn to append, as a MessageParam (content blocks passed back unmodified). */
export function assistantTurn(message: Message): Json {
  return { role: 'assistant', content: message.content.map((block) => ({ ...block })) };
}

/**
 * The assistant turn as it is written back into the prompt file, which is a template: every string
 * of the reply escaped (escapeTemplateText), so a "{{name}}" the model wrote stays literal text on
 * the next run instead of becoming a placeholder. Resolution removes the escapes, so the API gets
 * the reply back byte for byte (thinking signatures included).
 */
export function literalAssistantTurn(message: Message): Json {
  return escapeTemplateValues(assistantTurn(message));
}

/**
 * The messages after a finished turn, for the prompt file: the assistant's reply (literal), then
 * the user's next message (the user's own, so a placeholder in it is meant). For pause_turn the
 * reply is sent back as it is and an empty next message adds nothing.
 */
export function continueMessages(messages: readonly Json[], reply: Message, nextUserMessage: string): Json[] {
  const next = [...messages, literalAssistantTurn(reply)];
  if (nextUserMessage.trim()) next.push({ role: 'user', content: nextUserMessage });
  return next;
}

export interface ToolResultInput {
  toolUseId: string;
  content: string;
  isError: boolean;
}

/** The messages after a tool_use turn: the reply, then one user turn holding every tool_result. */
export function toolResultMessages(messages: readonly Json[], reply: Message, results: readonly ToolResultInput[]): Json[] {
  const pending = new Set(reply.content.filter((b) => b.type === 'tool_use').map((b) => (b as { id: string }).id));
  for (const result of results) {
    if (!pending.has(result.toolUseId)) throw new Error(`No tool_use with id ${result.toolUseId} in the last response.`);
  }
  const seen = new Set<string>();
  for (const result of results) {
    if (seen.has(result.toolUseId)) throw new Error(`Tool call ${result.toolUseId} has more than one result; give each call exactly one.`);
    seen.add(result.toolUseId);
  }
  const missing = [...pending].filter((id) => !seen.has(id));
  if (missing.length) throw new Error(`Every tool call needs a result; missing: ${missing.join(', ')}.`);
  return [
    ...messages,
    literalAssistantTurn(reply),
    {
      role: 'user',
      // Tool output is data from outside the prompt: literal too.
      content: results.map((r) => ({ type: 'tool_result', tool_use_id: r.toolUseId, content: escapeTemplateText(r.content), ...(r.isError ? { is_error: true } : {}) })),
    },
  ];
}

/** Tool rounds taken so far in a conversation: assistant turns that called a tool. */
export function toolRoundsUsed(messages: readonly Json[]): number {
  return messages.filter(
    (m) => m['role'] === 'assistant' && Array.isArray(m['content']) && (m['content'] as Json[]).some((b) => b['type'] === 'tool_use'),
  ).length;
}

export interface TextFormatting {
  tabSize: number;
  insertSpaces: boolean;
  eol: string;
}

/**
 * A .prompt.json text with `turns` appended to request.messages and `requestFields` set in
 * request (e.g. the `container` to reuse), the rest of the file left as written.
 */
export function appendTurnsToText(text: string, turns: readonly Json[], formatting: TextFormatting, requestFields: Readonly<Json> = {}): string {
  let next = text;
  for (const [field, value] of Object.entries(requestFields)) {
    // As for turns below: insert unformatted, then format only the insertion, so the rest of the
    // request keeps its layout.
    const [edit] = modify(next, ['request', field], value, {});
    if (!edit) continue;
    const edited = applyEdits(next, [edit]);
    next = applyEdits(edited, format(edited, { offset: edit.offset, length: edit.content.length }, formatting));
  }
  for (const turn of turns) {
    const root = parseTree(next);
    const messages = root ? findNodeAtLocation(root, ['request', 'messages']) : undefined;
    if (messages?.type !== 'array') throw new Error('The prompt has no request.messages array to continue.');
    const index = messages.children?.length ?? 0;
    // Insert unformatted, then format only the insertion (and the gaps either side of it): modify's own
    // formatting re-formats whole lines, which rewrote an earlier message written on one line.
    const [insertion] = modify(next, ['request', 'messages', index], turn, { isArrayInsertion: true });
    if (!insertion) throw new Error('The prompt has no request.messages array to continue.');
    const inserted = applyEdits(next, [insertion]);
    next = applyEdits(inserted, format(inserted, { offset: insertion.offset - 1, length: insertion.content.length + 2 }, formatting));
  }
  return next;
}
