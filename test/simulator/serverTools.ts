// Server tools (sheet §6.3, §7, §17): when a request lists web search, web fetch or code execution,
// the simulated model uses each of them once before it answers, and the reply carries the blocks
// the real API sends: server_tool_use (its input streamed as input_json_delta) followed by the
// matching *_tool_result, which arrives whole. Code execution runs in a container (Message.container,
// reusable by id) and produces a downloadable file; web search results are cited in the text.
// Everything is derived from the request's seed, so tests can predict it.
import { createHash } from 'node:crypto';
import { invalidRequest, newId } from './apiError';

type Json = Record<string, unknown>;

export interface SimulatedContainer {
  id: string;
  expires_at: string;
  skills: null;
}

/** What the server tools need from the simulator: a place for produced files, and containers. */
export interface ServerToolRuntime {
  /** Stores a file the code produced (downloadable, as tool output is on the real API); returns its id. */
  produceFile(filename: string, content: string, mimeType: string): string;
  /** The container named by the request's `container` field, or a new one. */
  container(requested: unknown): SimulatedContainer;
}

/** One planned server-tool block: a call (its input is output the model generates) or its result. */
export type ServerToolBlock =
  | { type: 'server_tool_use'; id: string; name: string; input: Json; json: string }
  | { type: 'server_tool_result'; block: Json };

export interface ServerToolTurn {
  blocks: ServerToolBlock[];
  /** Citations the answer's text carries (web search results). */
  citations: Json[];
  webSearchRequests: number;
  webFetchRequests: number;
  container: SimulatedContainer | null;
}

const isRecord = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The text of the last user turn: what the query and the fetched URL are taken from. */
function lastUserText(messages: unknown): string {
  if (!Array.isArray(messages)) return '';
  for (let i = messages.length - 1; i >= 0; i--) {
    const message: unknown = messages[i];
    if (!isRecord(message) || message.role !== 'user') continue;
    if (typeof message.content === 'string') return message.content;
    if (!Array.isArray(message.content)) return '';
    return message.content.filter((b): b is Json => isRecord(b) && b.type === 'text' && typeof b.text === 'string').map((b) => String(b.text)).join('\n');
  }
  return '';
}

const digest = (text: string): string => createHash('sha256').update(text).digest('base64');

/** The server tools of a request, in the order listed (custom and client tools are not ours). */
function serverToolsOf(body: Json): { type: string; tool: Json }[] {
  const tools = Array.isArray(body.tools) ? body.tools : [];
  return tools
    .filter((t): t is Json => isRecord(t) && typeof t.type === 'string')
    .map((tool) => ({ type: String(tool.type), tool }))
    .filter(({ type }) => /^(web_search|web_fetch|code_execution)_\d{8}$/.test(type));
}

/** Whether the request lists a server tool the simulator plays (and tool_choice allows tools). */
export function usesServerTools(body: Json): boolean {
  if (isRecord(body.tool_choice) && body.tool_choice.type === 'none') return false;
  return serverToolsOf(body).length > 0;
}

/** The server-tool part of the reply to `body`; undefined when it lists none. */
export function planServerTools(body: Json, seed: number, runtime: ServerToolRuntime): ServerToolTurn | undefined {
  if (!usesServerTools(body)) return undefined;
  const tools = serverToolsOf(body);
  const text = lastUserText(body.messages);
  const turn: ServerToolTurn = { blocks: [], citations: [], webSearchRequests: 0, webFetchRequests: 0, container: null };
  const call = (name: string, input: Json): string => {
    const id = newId('srvtoolu_01', 22);
    turn.blocks.push({ type: 'server_tool_use', id, name, input, json: JSON.stringify(input) });
    return id;
  };
  const result = (block: Json): void => void turn.blocks.push({ type: 'server_tool_result', block });
  const hasWebSearch = tools.some((t) => t.type.startsWith('web_search_'));

  for (const { type, tool } of tools) {
    if (type.startsWith('web_search_')) {
      const query = text.split(/\s+/).filter(Boolean).slice(0, 6).join(' ') || 'simulated search';
      const id = call('web_search', { query });
      if (tool.max_uses === 0) {
        result({ type: 'web_search_tool_result', tool_use_id: id, caller: { type: 'direct' }, content: { type: 'web_search_tool_result_error', error_code: 'max_uses_exceeded' } });
        continue;
      }
      turn.webSearchRequests += 1;
      const hits = [1, 2, 3].map((n) => ({
        type: 'web_search_result',
        url: `https://example.com/simulated/${seed.toString(16)}/${n}`,
        title: `Simulated result ${n} for "${query}"`,
        encrypted_content: `Ew${digest(`${seed}:search:${n}`)}`,
        page_age: `${n} days ago`,
      }));
      result({ type: 'web_search_tool_result', tool_use_id: id, caller: { type: 'direct' }, content: hits });
      for (const hit of hits.slice(0, 2)) {
        turn.citations.push({ type: 'web_search_result_location', url: hit.url, title: hit.title, encrypted_index: `Eo${digest(hit.url).slice(0, 16)}`, cited_text: `What ${hit.title} says.` });
      }
    } else if (type.startsWith('web_fetch_')) {
      const url = /https?:\/\/[^\s"'<>]+/.exec(text)?.[0] ?? 'https://example.com/simulated/page';
      const id = call('web_fetch', { url });
      turn.webFetchRequests += 1;
      result({
        type: 'web_fetch_tool_result',
        tool_use_id: id,
        caller: { type: 'direct' },
        content: {
          type: 'web_fetch_result',
          url,
          retrieved_at: new Date(0).toISOString(),
          content: { type: 'document', title: `Simulated page at ${url}`, citations: null, source: { type: 'text', media_type: 'text/plain', data: `Simulated content of ${url}.` } },
        },
      });
    } else {
      turn.container ??= runtime.container(body.container);
      const rows = [1, 2, 3].map((n) => `${n},${(seed % 97) * n}`);
      const csv = `n,value\n${rows.join('\n')}\n`;
      const script = `import csv\nrows = [(n, ${seed % 97} * n) for n in (1, 2, 3)]\nwith open('/tmp/outputs/output.csv', 'w') as f:\n    csv.writer(f).writerows([('n', 'value'), *rows])\nprint('wrote', len(rows), 'rows')\n`;
      const fileId = runtime.produceFile('output.csv', csv, 'text/csv');
      if (type === 'code_execution_20250522' || (hasWebSearch && (type === 'code_execution_20260120' || type === 'code_execution_20260521'))) {
        // The oldest version runs Python directly; with web search at hand, the code's output is
        // encrypted (sheet §17: "when the code called web search").
        const id = call('code_execution', { code: script });
        const encrypted = type !== 'code_execution_20250522';
        result({
          type: 'code_execution_tool_result',
          tool_use_id: id,
          content: encrypted
            ? { type: 'encrypted_code_execution_result', encrypted_stdout: `Ex${digest(`${seed}:stdout`)}`, stderr: '', return_code: 0, content: [{ type: 'code_execution_output', file_id: fileId }] }
            : { type: 'code_execution_result', stdout: 'wrote 3 rows\n', stderr: '', return_code: 0, content: [{ type: 'code_execution_output', file_id: fileId }] },
        });
      } else {
        // Later versions write the script with the text editor tool, then run it with bash.
        const editId = call('text_editor_code_execution', { command: 'create', path: '/tmp/script.py', file_text: script });
        result({ type: 'text_editor_code_execution_tool_result', tool_use_id: editId, content: { type: 'text_editor_code_execution_create_result', is_file_update: false } });
        const bashId = call('bash_code_execution', { command: 'python3 /tmp/script.py' });
        result({
          type: 'bash_code_execution_tool_result',
          tool_use_id: bashId,
          content: { type: 'bash_code_execution_result', stdout: 'wrote 3 rows\n', stderr: 'warning: simulated\n', return_code: 0, content: [{ type: 'bash_code_execution_output', file_id: fileId }] },
        });
      }
    }
  }
  return turn;
}

/** Containers the code ran in: created on first use, reused when a request names one (sheet §17). */
export class ContainerStore {
  private readonly containers = new Map<string, SimulatedContainer>();

  constructor(private readonly now: () => number) {}

  clear(): void {
    this.containers.clear();
  }

  /** "Containers persist for 30 days" (sheet §17, DOCS 2026-07). */
  private static readonly LIFETIME_MS = 30 * 24 * 3600 * 1000;

  get(requested: unknown): SimulatedContainer {
    const id = typeof requested === 'string' ? requested : isRecord(requested) && typeof requested.id === 'string' ? requested.id : undefined;
    if (id !== undefined) {
      const found = this.containers.get(id);
      // UNVERIFIED which error the API gives for an unknown or expired container; 400 is the guess.
      if (!found || Date.parse(found.expires_at) <= this.now()) throw invalidRequest(`container: Container '${id}' not found or expired.`);
      return found;
    }
    const container: SimulatedContainer = { id: newId('container_011C', 20), expires_at: new Date(this.now() + ContainerStore.LIFETIME_MS).toISOString(), skills: null };
    this.containers.set(container.id, container);
    return container;
  }

  has(id: string): boolean {
    return this.containers.has(id);
  }
}
