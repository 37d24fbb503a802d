// Before a run: every workspace file the prompt names is uploaded once with the Files API and the
// request sends its file_id (anthropic-api.md §16). The content's SHA-256 is the key, per API key
// and base URL (uploadRegistry.ts), so an unchanged file is never uploaded twice, and a changed
// one is uploaded afresh. A reused id is checked first (a free metadata call): a file that expired
// or was deleted on the API is uploaded again, with a notice. Limits are checked before the upload:
// the per-file size and the storage quota are errors in words, not a failed request.
import { createHash } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import { basename } from 'node:path';
import type Anthropic from '@anthropic-ai/sdk';
import { loadSdk } from '../api/apiClient';
import { locateNamedFile, type NamedFileScope } from './namedFiles';
import { isExpired, type UploadEntry, type UploadRegistry } from './uploadRegistry';
import { acceptedExtensions, uploadMediaType, withFileIds, workspaceFileRefs } from './workspaceFileRefs';

/** Largest file the Files API takes: 500 MB (anthropic-api.md §16, DOCS 2026-07; UNVERIFIED since GA). */
export const MAX_UPLOAD_BYTES = 500 * 1024 * 1024;
/** Total storage per organization: 100 GB (same source). */
export const STORAGE_QUOTA_BYTES = 100 * 1024 * 1024 * 1024;

/** A workspace file that cannot be sent: says which and why, and what to do. Nothing was uploaded for it. */
export class WorkspaceFileError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = 'WorkspaceFileError';
  }
}

export interface PreparedUploads {
  /** The request with `file` sources (what is counted and sent). */
  request: Record<string, unknown>;
  uploaded: UploadEntry[];
  reused: UploadEntry[];
  /** Things the user should know: a file that expired and was uploaded again. */
  notices: string[];
}

export interface UploadDeps {
  client: Anthropic;
  registry: UploadRegistry;
  scope: string;
  /** The prompt's folder and workspace root; maxBytes is ignored (the upload limit applies). */
  files: Pick<NamedFileScope, 'root' | 'promptDir'>;
  now?: () => number;
  /** Bytes already stored on the API; measured with files.list when not given. */
  storedBytes?: () => Promise<number>;
  maxUploadBytes?: number;
  quotaBytes?: number;
}

/** "12.4 MB", "500 MB", "100 GB": file sizes in messages (decimal-free for whole units). */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 || Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}

const openFlags = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOFOLLOW ?? 0);

/** Reads a workspace file as bytes after the same checks as every file a prompt names (inside the workspace, a regular file). */
export async function readWorkspaceFile(path: string, scope: Pick<NamedFileScope, 'root' | 'promptDir'>, maxBytes: number): Promise<{ bytes: Buffer; realPath: string }> {
  const located = locateNamedFile(path, { ...scope, maxBytes: Number.MAX_SAFE_INTEGER });
  if (!located.ok) throw new WorkspaceFileError(path, located.problem.message);
  if (located.stats.size > maxBytes) {
    throw new WorkspaceFileError(path, `${path} is ${formatBytes(located.stats.size)}: the Files API takes at most ${formatBytes(maxBytes)} per file. Nothing was uploaded.`);
  }
  const handle = await fs.open(located.realPath, openFlags);
  try {
    const stats = await handle.stat();
    if (!stats.isFile() || stats.ino !== located.stats.ino) throw new WorkspaceFileError(path, `${path} changed while it was being opened. Nothing was uploaded.`);
    if (stats.size > maxBytes) throw new WorkspaceFileError(path, `${path} is ${formatBytes(stats.size)}: the Files API takes at most ${formatBytes(maxBytes)} per file. Nothing was uploaded.`);
    return { bytes: await handle.readFile(), realPath: located.realPath };
  } finally {
    await handle.close();
  }
}

export function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Bytes of every live file the key can see, from files.list (free). */
export async function storedBytes(client: Anthropic, now: number = Date.now()): Promise<number> {
  let total = 0;
  for await (const file of client.files.list({ limit: 1000 })) {
    if (!file.expires_at || Date.parse(file.expires_at) > now) total += file.size_bytes;
  }
  return total;
}

const errorCode = (error: unknown): string | undefined => (error as { errorCode?: unknown }).errorCode as string | undefined;
const status = (error: unknown): number | undefined => (error as { status?: unknown }).status as number | undefined;

/** Whether an API error says a file is gone: FileExpiredError (404 file_expired), or a 404 on the file. */
export function isFileGoneError(error: unknown): boolean {
  return errorCode(error) === 'file_expired' || status(error) === 404;
}

/** Uploads (or reuses) every workspace file the request names and returns the request with file ids. */
export async function prepareWorkspaceFiles(request: Record<string, unknown>, deps: UploadDeps): Promise<PreparedUploads> {
  const now = deps.now ?? Date.now;
  const maxBytes = deps.maxUploadBytes ?? MAX_UPLOAD_BYTES;
  const quota = deps.quotaBytes ?? STORAGE_QUOTA_BYTES;
  const prepared: PreparedUploads = { request, uploaded: [], reused: [], notices: [] };
  const refs = workspaceFileRefs(request);
  if (refs.length === 0) return prepared;

  // Read and check every file first: one bad path fails the run before anything is uploaded.
  const files = new Map<string, { bytes: Buffer; sha256: string; mimeType: string }>();
  for (const ref of refs) {
    if (files.has(ref.path)) continue;
    if (ref.path === '') throw new WorkspaceFileError(ref.path, 'A "workspace_file" source needs a "path" to a file in the workspace, relative to the prompt.');
    const mimeType = uploadMediaType(ref.path, ref.blockType);
    if (!mimeType) throw new WorkspaceFileError(ref.path, `${ref.path} cannot go in ${ref.blockType === 'image' ? 'an image' : 'a document'} block: use one of ${acceptedExtensions(ref.blockType)}.`);
    const { bytes } = await readWorkspaceFile(ref.path, deps.files, maxBytes);
    files.set(ref.path, { bytes, sha256: sha256Of(bytes), mimeType });
  }

  const ids = new Map<string, string>();
  const toUpload: [string, { bytes: Buffer; sha256: string; mimeType: string }][] = [];
  for (const [path, file] of files) {
    const known = await deps.registry.find(deps.scope, file.sha256);
    if (known) {
      try {
        const meta = await deps.client.files.retrieveMetadata(known.fileId);
        if (!meta.expires_at || Date.parse(meta.expires_at) > now()) {
          ids.set(path, known.fileId);
          prepared.reused.push(known);
          continue;
        }
      } catch (error) {
        if (!isFileGoneError(error)) throw error;
      }
      await deps.registry.forget(deps.scope, known.fileId);
      prepared.notices.push(`${path}: the uploaded copy (${known.fileId}) expired or was deleted on the API, so it is uploaded again.`);
    }
    toUpload.push([path, file]);
  }

  if (toUpload.length > 0) {
    const adding = toUpload.reduce((sum, [, f]) => sum + f.bytes.length, 0);
    const stored = await (deps.storedBytes ?? (() => storedBytes(deps.client, now())))();
    if (stored + adding > quota) {
      throw new WorkspaceFileError(
        toUpload[0]?.[0] ?? '',
        `Not uploaded: ${formatBytes(adding)} more would take the organization's file storage to ${formatBytes(stored + adding)}, past the ${formatBytes(quota)} quota. Delete files in the Files view, then run again.`,
      );
    }
  }
  const uploadedSoFar = new Map<string, UploadEntry>();
  for (const [path, file] of toUpload) {
    // Two paths with the same content: one upload.
    const same = uploadedSoFar.get(file.sha256);
    if (same) {
      ids.set(path, same.fileId);
      continue;
    }
    let meta;
    try {
      const { toFile } = await loadSdk();
      meta = await deps.client.files.upload({ file: await toFile(file.bytes, basename(path), { type: file.mimeType }) });
    } catch (error) {
      if (errorCode(error) === 'storage_quota_exceeded') {
        throw new WorkspaceFileError(path, `Not uploaded: the organization's file storage quota is full (the API said storage_quota_exceeded). Delete files in the Files view, then run again.`);
      }
      throw error;
    }
    const entry: UploadEntry = {
      fileId: meta.id,
      sha256: file.sha256,
      filename: meta.filename,
      path,
      root: deps.files.root,
      promptDir: deps.files.promptDir,
      sizeBytes: meta.size_bytes,
      mimeType: meta.mime_type,
      createdAt: meta.created_at,
      expiresAt: meta.expires_at ?? null,
    };
    await deps.registry.record(deps.scope, entry);
    uploadedSoFar.set(file.sha256, entry);
    prepared.uploaded.push(entry);
    ids.set(path, meta.id);
  }
  prepared.request = withFileIds(request, ids).request;
  return prepared;
}

/**
 * For the live count: the request with the ids of files already uploaded (from memory, without
 * touching the disk or the network), or the paths not uploaded yet. Counting never uploads: an
 * upload is part of a run, or the user's own Upload command.
 */
export function knownFileIds(
  request: Record<string, unknown>,
  hashes: ReadonlyMap<string, string>,
  registry: Pick<UploadRegistry, 'findLoaded'>,
  scope: string,
): { request: Record<string, unknown>; missing: string[] } {
  const ids = new Map<string, string>();
  for (const [path, sha256] of hashes) {
    const entry = registry.findLoaded(scope, sha256);
    if (entry) ids.set(path, entry.fileId);
  }
  return withFileIds(request, ids);
}

export { isExpired };
