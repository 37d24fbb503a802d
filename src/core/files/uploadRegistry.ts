// Which workspace files are already uploaded: a map from the content's SHA-256 to the Files API's
// file_id, kept apart per key fingerprint and base URL (a file uploaded with one key, or to the
// simulator, is not visible with another). Persisted as one JSON file in the extension's global
// storage, so the same document is uploaded once across runs, prompts, windows and restarts.
import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';

export interface UploadEntry {
  fileId: string;
  sha256: string;
  /** The name it was uploaded under (the last path component). */
  filename: string;
  /** The workspace path it was last uploaded from, for the Files view and re-upload. */
  path: string;
  /** The workspace folder it was read from (absolute), so re-upload finds it again. */
  root?: string;
  /** The prompt's folder the path is relative to. */
  promptDir?: string;
  sizeBytes: number;
  mimeType: string;
  createdAt: string;
  /** null: does not expire (anthropic-api.md §16). */
  expiresAt: string | null;
}

interface RegistryFile {
  version: 1;
  /** scope ("fingerprint@baseURL") → sha256 → entry */
  scopes: Record<string, Record<string, UploadEntry>>;
}

/** The scope an upload is visible in: the key (as its salted fingerprint, never the key) and the base URL. */
export function uploadScope(keyFingerprint: string, baseURL: string): string {
  return `${keyFingerprint}@${baseURL.replace(/\/+$/, '')}`;
}

export function isExpired(entry: Pick<UploadEntry, 'expiresAt'>, now: number): boolean {
  return entry.expiresAt !== null && Date.parse(entry.expiresAt) <= now;
}

export class UploadRegistry {
  private data: RegistryFile = { version: 1, scopes: {} };
  private loaded = false;
  /** Serialises writes of this window; other windows are merged in by re-reading before each write. */
  private writing: Promise<void> = Promise.resolve();

  constructor(
    readonly file: string,
    private readonly now: () => number = Date.now,
  ) {}

  private async read(): Promise<RegistryFile> {
    try {
      const parsed = JSON.parse(await fs.readFile(this.file, 'utf8')) as Partial<RegistryFile>;
      if (parsed.version === 1 && typeof parsed.scopes === 'object' && parsed.scopes !== null) return { version: 1, scopes: parsed.scopes };
    } catch (error) {
      // A missing file is a fresh start; a torn or foreign one is replaced (the uploads still exist on the API).
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && !(error instanceof SyntaxError)) throw error;
    }
    return { version: 1, scopes: {} };
  }

  async load(): Promise<void> {
    this.data = await this.read();
    this.loaded = true;
  }

  private async ensureLoaded(): Promise<void> {
    if (!this.loaded) await this.load();
  }

  /** A live upload of this content in this scope (an expired one is not returned). */
  async find(scope: string, sha256: string): Promise<UploadEntry | undefined> {
    await this.ensureLoaded();
    const entry = this.data.scopes[scope]?.[sha256];
    return entry && !isExpired(entry, this.now()) ? entry : undefined;
  }

  /** The same, from what is in memory: for the live count, which must not touch the disk per keystroke. */
  findLoaded(scope: string, sha256: string): UploadEntry | undefined {
    const entry = this.data.scopes[scope]?.[sha256];
    return entry && !isExpired(entry, this.now()) ? entry : undefined;
  }

  async entries(scope: string): Promise<UploadEntry[]> {
    await this.ensureLoaded();
    return Object.values(this.data.scopes[scope] ?? {}).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  async record(scope: string, entry: UploadEntry): Promise<void> {
    await this.update((data) => {
      (data.scopes[scope] ??= {})[entry.sha256] = entry;
    });
  }

  /** Forgets a file id (deleted, expired, or not found on the API): the next run uploads the content again. */
  async forget(scope: string, fileId: string): Promise<UploadEntry | undefined> {
    let removed: UploadEntry | undefined;
    await this.update((data) => {
      const entries = data.scopes[scope] ?? {};
      for (const [hash, entry] of Object.entries(entries)) {
        if (entry.fileId === fileId) {
          removed = entry;
          delete entries[hash];
        }
      }
    });
    return removed;
  }

  private update(change: (data: RegistryFile) => void): Promise<void> {
    const next = this.writing.then(async () => {
      const data = await this.read();
      change(data);
      await fs.mkdir(dirname(this.file), { recursive: true });
      const temporary = `${this.file}.${process.pid}.${Date.now()}.tmp`;
      await fs.writeFile(temporary, JSON.stringify(data), { mode: 0o600 });
      await fs.rename(temporary, this.file);
      this.data = data;
      this.loaded = true;
    });
    this.writing = next.catch(() => undefined);
    return next;
  }
}
