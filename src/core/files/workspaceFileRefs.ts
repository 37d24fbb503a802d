// Workspace files a prompt names where a document or an image goes:
//
//   { "type": "document", "source": { "type": "workspace_file", "path": "docs/handbook.pdf" } }
//   { "type": "image",    "source": { "type": "workspace_file", "path": "img/chart.png" } }
//
// `workspace_file` is the workbench's own source type: before a run the file is uploaded once with
// the Files API (deduplicated by content hash) and the source becomes `{ "type": "file", "file_id" }`,
// which is what the API receives (anthropic-api.md §6.1, §16). The path is relative to the prompt
// file and must stay inside the workspace, like every other path a prompt names.

export const WORKSPACE_FILE_SOURCE = 'workspace_file';

export interface WorkspaceFileRef {
  /** The path as written in the prompt. */
  path: string;
  blockType: 'document' | 'image';
}

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

function workspaceSource(block: Json): Json | undefined {
  if (block['type'] !== 'document' && block['type'] !== 'image') return undefined;
  const source = block['source'];
  return isRecord(source) && source['type'] === WORKSPACE_FILE_SOURCE ? source : undefined;
}

/** Every workspace file the request's messages name (system and tools cannot hold documents). */
export function workspaceFileRefs(request: Readonly<Json>): WorkspaceFileRef[] {
  const refs: WorkspaceFileRef[] = [];
  // Iterative: a hostile prompt may nest tool results deeper than the call stack.
  const stack: unknown[] = [request['messages']];
  while (stack.length > 0) {
    const value = stack.pop();
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push(value[i]);
    } else if (isRecord(value)) {
      const source = workspaceSource(value);
      if (source) refs.push({ path: typeof source['path'] === 'string' ? source['path'] : '', blockType: value['type'] as 'document' | 'image' });
      else if (Array.isArray(value['content'])) stack.push(value['content']);
    }
  }
  return refs;
}

/** Whether a request names any workspace file: cheap, so the files feature loads only for such prompts. */
export function requestNamesWorkspaceFiles(request: Readonly<Json>): boolean {
  const messages = request['messages'];
  return Array.isArray(messages) && JSON.stringify(messages).includes(`"${WORKSPACE_FILE_SOURCE}"`) && workspaceFileRefs(request).length > 0;
}

/**
 * The request with each workspace file source replaced by its `file` source. Paths without an id
 * are left as they are and listed in `missing`. The input is not modified.
 */
export function withFileIds(request: Readonly<Json>, fileIds: ReadonlyMap<string, string>): { request: Json; missing: string[] } {
  const missing: string[] = [];
  const replace = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(replace);
    if (!isRecord(value)) return value;
    const source = workspaceSource(value);
    if (source) {
      const path = typeof source['path'] === 'string' ? source['path'] : '';
      const fileId = fileIds.get(path);
      if (fileId === undefined) {
        if (!missing.includes(path)) missing.push(path);
        return value;
      }
      return { ...value, source: { type: 'file', file_id: fileId } };
    }
    return Array.isArray(value['content']) ? { ...value, content: replace(value['content']) } : value;
  };
  const messages = request['messages'];
  return { request: { ...request, ...(Array.isArray(messages) ? { messages: messages.map(replace) } : {}) }, missing };
}

const IMAGE_TYPES: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp' };
const DOCUMENT_TYPES: Record<string, string> = { pdf: 'application/pdf', txt: 'text/plain', md: 'text/plain', text: 'text/plain' };

/** The MIME type a file is uploaded with, from its extension; undefined when the block cannot take it. */
export function uploadMediaType(path: string, blockType: 'document' | 'image'): string | undefined {
  const extension = /\.([A-Za-z0-9]+)$/.exec(path)?.[1]?.toLowerCase() ?? '';
  return (blockType === 'image' ? IMAGE_TYPES : DOCUMENT_TYPES)[extension];
}

/** The file name extensions each block takes, for error messages. */
export function acceptedExtensions(blockType: 'document' | 'image'): string {
  return Object.keys(blockType === 'image' ? IMAGE_TYPES : DOCUMENT_TYPES)
    .map((e) => `.${e}`)
    .join(', ');
}

/** Uploads (once, deduplicated by content hash) the workspace files a request names; the request with their file ids. */
export type UploadRequestFiles = (request: Record<string, unknown>) => Promise<{ request: Record<string, unknown> }>;

/**
 * A job's prompt (dataset rows, a batch, chunks) with its workspace files uploaded: `upload` runs
 * once for the whole job, before the plan's counts, and every row's request is bound from the
 * returned prompt, so each one sends (and counts) the same `file_id` and no row uploads again. A
 * prompt that names no workspace file comes back as it is, without calling `upload` (nor loading
 * the files feature).
 */
export async function withJobUploads<P extends { request: object }>(prompt: P, upload: UploadRequestFiles): Promise<P> {
  const request = prompt.request as Record<string, unknown>;
  if (!requestNamesWorkspaceFiles(request)) return prompt;
  return { ...prompt, request: (await upload(request)).request };
}
