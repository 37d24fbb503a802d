// The Files API (sheet §16): multipart upload, cursor-paged list, metadata, download and delete.
import type { DeletedFile, FileMetadata } from '@anthropic-ai/sdk/resources/files';
import { SimulatedApiError, invalidRequest, newId, notFound } from './apiError';

interface StoredFile {
  meta: FileMetadata;
  content: Buffer;
  /** Insertion order, for a stable newest-first listing when timestamps tie. */
  serial: number;
}

export interface NewFile {
  filename: string;
  content: Buffer | string;
  mimeType?: string;
  /** Defaults to the server's `uploadsDownloadable` option. */
  downloadable?: boolean;
  expiresInSeconds?: number;
}

const MIME_BY_EXTENSION: Record<string, string> = {
  txt: 'text/plain', md: 'text/markdown', csv: 'text/csv', json: 'application/json', pdf: 'application/pdf',
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp',
};

export class FileStore {
  private readonly files = new Map<string, StoredFile>();
  private serial = 0;

  constructor(
    private readonly now: () => number,
    private readonly uploadsDownloadable: () => boolean,
    /** The organization's storage quota in bytes (sheet §16: 100 GB). */
    private readonly quotaBytes: () => number = () => Infinity,
  ) {}

  /** Bytes held by live (not expired) files. */
  private usedBytes(): number {
    let used = 0;
    for (const file of this.files.values()) if (!this.isExpired(file)) used += file.content.length;
    return used;
  }

  private isExpired(file: StoredFile): boolean {
    return file.meta.expires_at !== null && file.meta.expires_at !== undefined && Date.parse(file.meta.expires_at) <= this.now();
  }

  /** Makes a file expire now, as if its expires_at had passed (tests of re-upload). */
  expire(id: string): void {
    const file = this.files.get(id);
    if (file) file.meta = { ...file.meta, expires_at: new Date(this.now() - 1).toISOString() };
  }

  /** Whether the file existed and its expires_at has passed. */
  expired(id: string): boolean {
    const file = this.files.get(id);
    return file !== undefined && this.isExpired(file);
  }

  clear(): void {
    this.files.clear();
  }

  add(file: NewFile): FileMetadata {
    const created = this.now();
    const filename = file.filename.split(/[\\/]/).pop() || 'file';
    const extension = filename.includes('.') ? filename.split('.').pop()?.toLowerCase() : undefined;
    let mimeType = file.mimeType;
    if (!mimeType || mimeType === 'application/octet-stream') mimeType = (extension && MIME_BY_EXTENSION[extension]) || mimeType || 'application/octet-stream';
    const content = typeof file.content === 'string' ? Buffer.from(file.content, 'utf8') : file.content;
    if (file.expiresInSeconds !== undefined && !(Number.isInteger(file.expiresInSeconds) && file.expiresInSeconds >= 3600 && file.expiresInSeconds <= 7_776_000)) {
      throw invalidRequest('expires_in_seconds: Input should be an integer between 3600 and 7776000');
    }
    if (this.usedBytes() + content.length > this.quotaBytes()) {
      throw new SimulatedApiError('invalid_request_error', 'Storage quota exceeded: delete files to free up space, then retry the upload.', { error_code: 'storage_quota_exceeded' });
    }
    const meta: FileMetadata = {
      id: newId('file_011C', 20),
      type: 'file',
      filename,
      mime_type: mimeType,
      size_bytes: content.length,
      created_at: new Date(created).toISOString(),
      downloadable: file.downloadable ?? this.uploadsDownloadable(),
      expires_at: file.expiresInSeconds !== undefined ? new Date(created + file.expiresInSeconds * 1000).toISOString() : null,
    };
    this.files.set(meta.id, { meta, content, serial: this.serial++ });
    return meta;
  }

  /** Handles POST /v1/files. */
  upload(contentType: string | undefined, body: Buffer): FileMetadata {
    const parts = parseMultipart(contentType, body);
    const file = parts.find((p) => p.name === 'file' && p.filename !== undefined);
    if (!file) throw invalidRequest('file: Field required');
    const expires = parts.find((p) => p.name === 'expires_in_seconds');
    const expiresInSeconds = expires ? Number(expires.data.toString('utf8')) : undefined;
    return this.add({ filename: file.filename ?? 'file', content: file.data, mimeType: file.contentType, expiresInSeconds });
  }

  private live(id: string): StoredFile {
    const file = this.files.get(id);
    if (!file) throw notFound(`File not found: ${id}`);
    if (file.meta.expires_at && Date.parse(file.meta.expires_at) <= this.now()) {
      throw notFound(`File ${id} has expired.`, 'file_expired');
    }
    return file;
  }

  exists(id: string): boolean {
    try {
      this.live(id);
      return true;
    } catch {
      return false;
    }
  }

  lookup(id: string): { mimeType: string; content: Buffer } | undefined {
    const file = this.files.get(id);
    return file && { mimeType: file.meta.mime_type, content: file.content };
  }

  metadata(id: string): FileMetadata {
    return this.live(id).meta;
  }

  /** The bytes of a downloadable file; uploads are downloadable only with `uploadsDownloadable`. */
  download(id: string): { meta: FileMetadata; content: Buffer } {
    const file = this.live(id);
    if (!file.meta.downloadable) {
      throw new SimulatedApiError('invalid_request_error', `File ${id} is not downloadable: only files created by tools can be downloaded.`, {
        error_code: 'file_not_downloadable',
      });
    }
    return file;
  }

  delete(id: string): DeletedFile {
    this.live(id);
    this.files.delete(id);
    return { id, type: 'file_deleted' };
  }

  /** GET /v1/files: newest first, cursor pages `{data, next_page}` as the SDK's PageCursor reads them. */
  list(query: URLSearchParams): { data: FileMetadata[]; next_page: string | null } {
    const ids = [...query.getAll('ids[]'), ...query.getAll('ids')];
    const all = [...this.files.values()]
      .filter((f) => !f.meta.expires_at || Date.parse(f.meta.expires_at) > this.now())
      .sort((a, b) => b.serial - a.serial);
    if (ids.length > 0) {
      if (ids.length > 100) throw invalidRequest('ids: at most 100 ids may be given');
      if (query.has('page') || query.has('limit')) throw invalidRequest('ids: cannot be combined with page or limit');
      return { data: all.filter((f) => ids.includes(f.meta.id)).map((f) => f.meta), next_page: null };
    }
    const limit = parseLimit(query.get('limit'), 20, 1000);
    let start = 0;
    const page = query.get('page');
    if (page) {
      const after = Buffer.from(page, 'base64url').toString('utf8').replace(/^after:/, '');
      const index = all.findIndex((f) => f.meta.id === after);
      if (index < 0) throw invalidRequest('page: invalid page token');
      start = index + 1;
    }
    const data = all.slice(start, start + limit).map((f) => f.meta);
    const last = data.at(-1);
    const next_page = start + limit < all.length && last ? Buffer.from(`after:${last.id}`, 'utf8').toString('base64url') : null;
    return { data, next_page };
  }
}

export function parseLimit(raw: string | null, fallback: number, max: number): number {
  if (raw === null) return fallback;
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > max) throw invalidRequest(`limit: Input should be between 1 and ${max}`);
  return limit;
}

export interface MultipartPart {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

function headerParam(header: string, key: string): string | undefined {
  const extended = new RegExp(`(?:^|;)\\s*${key}\\*=([^;]*)`, 'i').exec(header);
  if (extended?.[1]) {
    const value = extended[1].trim().replace(/^UTF-8''/i, '');
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  }
  const match = new RegExp(`(?:^|;)\\s*${key}="((?:[^"\\\\]|\\\\.)*)"|(?:^|;)\\s*${key}=([^;]*)`, 'i').exec(header);
  const raw = match?.[1] ?? match?.[2]?.trim();
  // Browsers and undici percent-encode quotes and line breaks in form-data names (WHATWG HTML).
  return raw?.replace(/%22/g, '"').replace(/%0D/gi, '\r').replace(/%0A/gi, '\n').replace(/\\(.)/g, '$1');
}

/** Parses a multipart/form-data body (RFC 7578) with nothing but Buffer operations. */
export function parseMultipart(contentType: string | undefined, body: Buffer): MultipartPart[] {
  const boundary = contentType && /^multipart\/form-data/i.test(contentType) ? headerParam(contentType, 'boundary') : undefined;
  if (!boundary) throw invalidRequest('Content-Type must be multipart/form-data with a boundary');
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: MultipartPart[] = [];
  let position = body.indexOf(delimiter);
  if (position < 0) throw invalidRequest('Malformed multipart body: no boundary found');
  for (;;) {
    position += delimiter.length;
    if (body[position] === 0x2d && body[position + 1] === 0x2d) break; // "--": the closing delimiter
    if (body[position] === 0x0d && body[position + 1] === 0x0a) position += 2;
    const headerEnd = body.indexOf('\r\n\r\n', position);
    if (headerEnd < 0) throw invalidRequest('Malformed multipart body: part headers not terminated');
    const headers = body.subarray(position, headerEnd).toString('utf8').split('\r\n');
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headerEnd + 4);
    if (next < 0) throw invalidRequest('Malformed multipart body: missing closing boundary');
    const data = body.subarray(headerEnd + 4, next);
    let name = '';
    let filename: string | undefined;
    let partType: string | undefined;
    for (const line of headers) {
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const key = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (key === 'content-disposition') {
        name = headerParam(value, 'name') ?? '';
        filename = headerParam(value, 'filename');
      } else if (key === 'content-type') {
        partType = value;
      }
    }
    parts.push({ name, filename, contentType: partType, data: Buffer.from(data) });
    position = next + 2;
  }
  return parts;
}
