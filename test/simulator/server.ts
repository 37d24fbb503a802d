// The local Anthropic API simulator: a node:http server that speaks the real wire format closely
// enough for @anthropic-ai/sdk to work against it unchanged. Started in-process with `start()` (unit
// tests, and integration tests inside the extension host) or from the command line (cli.ts).
// It uses only Node built-ins at run time; SDK imports here are types only.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { MessageBatchErroredResult, MessageBatchResult } from '@anthropic-ai/sdk/resources/messages/batches';
import type { FileMetadata } from '@anthropic-ai/sdk/resources/files';
import type { ModelInfo } from '../../src/core/models/modelCatalogue';
import { SimulatedApiError, invalidRequest, newId, newRequestId, notFound } from './apiError';
import { BatchStore, DEFAULT_BATCH_LIMITS, type BatchLimits, type BatchRequestContext } from './batches';
import { Exchange } from './exchange';
import {
  FaultQueue,
  SIMULATOR_HEADERS,
  activate,
  faultFromHeaders,
  numberHeader,
  type ActiveFault,
  type EndpointName,
  type FaultSpec,
} from './faults';
import { FileStore, parseLimit, parseMultipart, type NewFile } from './files';
import { ContainerStore, type ServerToolRuntime } from './serverTools';
import { buildMessage, messageEvents, usageOf, writeEventStream } from './messageStream';
import { listModels, lookupModel, toApiModel } from './modelCatalogue';
import { PromptCache, type CacheOutcome } from './promptCache';
import { CacheDiagnostics } from './cacheDiagnostics';
import { SIMULATOR_ORGANIZATION_ID } from '../../src/core/api/simulatedResponse';
import { DEFAULT_RATE_LIMITS, RateLimiter, type RateLimitConfig, type TokenLimits } from './rateLimits';
import { planReply, refusalPlan, type RefusalSpec, type ReplyPlan, type ReplySettings } from './replyModel';
import { countRequestTokens, promptSegments, type CacheTtl } from './tokenizer';
import { API_VERSIONS, validateCountTokensRequest, validateMessageRequest, type ValidationContext } from './validation';

export { SIMULATOR_HEADERS } from './faults';
export type { EndpointName, FaultName, FaultSpec } from './faults';

export interface SimulatorLimits extends BatchLimits {
  /** Largest /v1/messages (and count_tokens) body: 32 MB (2025 docs, UNVERIFIED for 2026); larger gets 413. */
  maxRequestBytes: number;
  /** Largest file upload: 500 MB (sheet §16); larger gets 413. */
  maxFileBytes: number;
  /** Total bytes of live files: 100 GB per organization (sheet §16); beyond it an upload gets 400 storage_quota_exceeded. */
  storageQuotaBytes: number;
}

/** The real API's limits; tests shrink them through the `limits` option to exercise the checks cheaply. */
export const DEFAULT_LIMITS: SimulatorLimits = {
  ...DEFAULT_BATCH_LIMITS,
  maxRequestBytes: 32 * 1024 * 1024,
  maxFileBytes: 500 * 1024 * 1024,
  storageQuotaBytes: 100 * 1024 * 1024 * 1024,
};

export interface SimulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1: the simulator never listens beyond loopback unless told to. */
  host?: string;
  /** Accepted API keys. Default: any key starting with `sk-ant-`. */
  apiKeys?: readonly string[];
  /** The clock for caching TTLs, rate-limit buckets, batch timing and timestamps. Default Date.now. */
  now?: () => number;
  /** Delay before the first output token (streaming) or the whole reply (non-streaming). Default 0. */
  latencyMs?: number;
  /** Output pace; 0 (default) sends as fast as the socket takes it. */
  tokensPerSecond?: number;
  /** Length of a generated text reply in tokens (max_tokens still applies). Default 24. */
  outputTokens?: number;
  /** Length of a thinking block when thinking is on. Default 16. */
  thinkingTokens?: number;
  /** Overrides the reply text of plain text replies; return undefined to keep the generated text. */
  replyText?: (body: Record<string, unknown>) => string | undefined;
  /** How long a batch stays in_progress. Default 1000 ms. */
  batchProcessingMs?: number;
  /** How long a canceled batch stays canceling. Default 100 ms. */
  batchCancelMs?: number;
  /**
   * Batch results in the order of the requests. Default false: shuffled, per batch, since the API
   * returns them "in no particular order" and a client must match them on custom_id.
   */
  batchResultsInRequestOrder?: boolean;
  /**
   * Whether uploaded files can be downloaded. On the real API only tool-generated files can (sheet
   * §16); the default true lets tests round-trip an upload. Use addFile() for either kind.
   */
  uploadsDownloadable?: boolean;
  /** Shortest prefix that is cached. Default 1024 tokens (the real minimum is model-dependent). */
  minCacheableTokens?: number;
  /** Refuse every Messages request this way (stop_reason "refusal" with stop_details), until set to null. */
  refusal?: RefusalSpec | null;
  /** Rate limits for every model; see DEFAULT_RATE_LIMITS. */
  rateLimits?: Partial<RateLimitConfig>;
  /** Per-model rate limits, on top of `rateLimits`. */
  rateLimitsByModel?: Record<string, Partial<RateLimitConfig>>;
  limits?: Partial<SimulatorLimits>;
  /** A fault for every request (optionally only one endpoint's), until setFault(null). */
  fault?: FaultSpec | null;
  /** Called with one line per finished request (the CLI prints them). */
  log?: (line: string) => void;
}

/** One request as the simulator received it. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: string;
  endpoint: EndpointName;
  /** All request headers, lower-case names. */
  headers: Record<string, string>;
  /** Parsed JSON body; for uploads `{fields, files}`; undefined when empty. */
  body: unknown;
  /** The simulator clock (`now()`) when it arrived. */
  time: number;
  requestId: string;
  /** Response status, once sent. */
  status?: number;
}

type Settings = Required<Omit<SimulatorOptions, 'port' | 'host' | 'apiKeys' | 'replyText' | 'rateLimits' | 'rateLimitsByModel' | 'limits' | 'fault' | 'log'>> &
  Pick<SimulatorOptions, 'apiKeys' | 'replyText' | 'rateLimitsByModel' | 'log'> & {
    rateLimits: RateLimitConfig;
    limits: SimulatorLimits;
    fault: FaultSpec | null;
  };

function settingsFrom(options: SimulatorOptions): Settings {
  return {
    now: options.now ?? Date.now,
    latencyMs: options.latencyMs ?? 0,
    tokensPerSecond: options.tokensPerSecond ?? 0,
    outputTokens: options.outputTokens ?? 24,
    thinkingTokens: options.thinkingTokens ?? 16,
    batchProcessingMs: options.batchProcessingMs ?? 1000,
    batchCancelMs: options.batchCancelMs ?? 100,
    batchResultsInRequestOrder: options.batchResultsInRequestOrder ?? false,
    uploadsDownloadable: options.uploadsDownloadable ?? true,
    minCacheableTokens: options.minCacheableTokens ?? 1024,
    refusal: options.refusal ?? null,
    apiKeys: options.apiKeys,
    replyText: options.replyText,
    rateLimits: { ...DEFAULT_RATE_LIMITS, ...options.rateLimits },
    rateLimitsByModel: options.rateLimitsByModel,
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    fault: options.fault ?? null,
    log: options.log,
  };
}

interface Route {
  endpoint: EndpointName;
  id?: string;
}

function route(method: string, path: string): Route {
  const parts = path.replace(/\/+$/, '').split('/').slice(1).map(decodeURIComponent);
  const [v1, resource, a, b, c] = parts;
  if (v1 !== 'v1') return { endpoint: 'unknown' };
  if (resource === 'messages') {
    if (a === undefined && method === 'POST') return { endpoint: 'messages' };
    if (a === 'count_tokens' && b === undefined && method === 'POST') return { endpoint: 'count_tokens' };
    if (a === 'batches') {
      if (b === undefined) return { endpoint: method === 'POST' ? 'batches.create' : method === 'GET' ? 'batches.list' : 'unknown' };
      if (c === undefined) return { endpoint: method === 'GET' ? 'batches.retrieve' : method === 'DELETE' ? 'batches.delete' : 'unknown', id: b };
      if (c === 'cancel' && method === 'POST' && parts.length === 5) return { endpoint: 'batches.cancel', id: b };
      if (c === 'results' && method === 'GET' && parts.length === 5) return { endpoint: 'batches.results', id: b };
    }
  }
  if (resource === 'files') {
    if (a === undefined) return { endpoint: method === 'POST' ? 'files.upload' : method === 'GET' ? 'files.list' : 'unknown' };
    if (b === undefined) return { endpoint: method === 'GET' ? 'files.retrieve' : method === 'DELETE' ? 'files.delete' : 'unknown', id: a };
    if (b === 'content' && method === 'GET' && parts.length === 4) return { endpoint: 'files.download', id: a };
  }
  if (resource === 'models' && method === 'GET') {
    if (a === undefined) return { endpoint: 'models.list' };
    if (b === undefined) return { endpoint: 'models.retrieve', id: a };
  }
  return { endpoint: 'unknown' };
}

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** Reads a body up to `limit` bytes; beyond that it drains the rest and reports `tooLarge`. */
function readBody(req: IncomingMessage, limit: number): Promise<{ body: Buffer; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    let ended = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () => {
      ended = true;
      resolve({ body: tooLarge ? Buffer.alloc(0) : Buffer.concat(chunks), tooLarge });
    });
    req.on('error', reject);
    // A client that leaves mid-upload never sends 'end'.
    req.on('close', () => {
      if (!ended) reject(new Error('The client closed the connection before sending the whole body.'));
    });
  });
}

const overloaded = (f: ActiveFault): SimulatedApiError =>
  new SimulatedApiError('overloaded_error', 'Overloaded', undefined, f.retryAfterSeconds !== undefined ? { 'retry-after': String(f.retryAfterSeconds) } : {});

const STATUS_FAULTS: Partial<Record<ActiveFault['name'], (fault: ActiveFault) => SimulatedApiError>> = {
  rate_limit: (f) =>
    new SimulatedApiError('rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit (simulated).', undefined, {
      'retry-after': String(f.retryAfterSeconds ?? 1),
    }),
  spend_limit: () =>
    new SimulatedApiError('rate_limit_error', 'Your organization has crossed the monthly API usage threshold of its API tier (simulated).', {
      error_code: 'enforced_spend_limit_reached',
    }),
  overloaded,
  api_error: () => new SimulatedApiError('api_error', 'Internal server error (simulated).'),
  gateway_timeout: () => new SimulatedApiError('timeout_error', 'Request timed out (simulated).'),
  permission: () => new SimulatedApiError('permission_error', 'Your API key does not have permission to use the specified resource (simulated).'),
};

/** What a /v1/messages request turns into once it is admitted. */
interface PreparedReply {
  model: ModelInfo;
  cache: CacheOutcome;
  outputLimit: number;
  limitReason: 'max_tokens' | 'model_context_window_exceeded';
  settings: ReplySettings;
}

/** A running simulator. */
export class Simulator {
  /** Every request received since start (or the last reset()), oldest first. */
  readonly requests: RecordedRequest[] = [];
  private settings: Settings;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly faults = new FaultQueue();
  private readonly cache: PromptCache;
  private readonly cacheDiagnostics = new CacheDiagnostics();
  private readonly rateLimiter: RateLimiter;
  private readonly files: FileStore;
  private readonly containers: ContainerStore;
  /** Produced files and containers for server tools (code execution). */
  private readonly serverTools: ServerToolRuntime;
  private readonly batches: BatchStore;
  private address: AddressInfo | undefined;
  private openExchanges = 0;

  constructor(options: SimulatorOptions = {}) {
    this.settings = settingsFrom(options);
    const now = (): number => this.settings.now();
    this.cache = new PromptCache(now, () => this.settings.minCacheableTokens);
    this.rateLimiter = new RateLimiter(now, (model) => ({ ...this.settings.rateLimits, ...this.settings.rateLimitsByModel?.[model] }));
    this.files = new FileStore(now, () => this.settings.uploadsDownloadable, () => this.settings.limits.storageQuotaBytes);
    this.containers = new ContainerStore(now);
    this.serverTools = {
      produceFile: (filename, content, mimeType) => this.files.add({ filename, content, mimeType, downloadable: true }).id,
      container: (requested) => this.containers.get(requested),
    };
    this.batches = new BatchStore(
      now,
      { validate: (params, context) => this.validateBatchParams(params, context), run: (params, context) => this.runBatchRequest(params, context) },
      () => this.settings.limits,
      () => ({ processingMs: this.settings.batchProcessingMs, cancelMs: this.settings.batchCancelMs, resultsInRequestOrder: this.settings.batchResultsInRequestOrder }),
    );
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  /** http://127.0.0.1:PORT, the value for the SDK's baseURL and the extension's promptWorkbench.apiBaseUrl. */
  get url(): string {
    if (!this.address) throw new Error('The simulator is not listening yet.');
    const host = this.address.family === 'IPv6' ? `[${this.address.address}]` : this.address.address;
    return `http://${host}:${this.address.port}`;
  }

  get port(): number {
    if (!this.address) throw new Error('The simulator is not listening yet.');
    return this.address.port;
  }

  async listen(port: number, host: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.address = this.server.address() as AddressInfo;
  }

  /** Stops listening and drops every open connection (stalled ones included) at once. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  /** Changes options while running (e.g. latency for one test). */
  configure(options: Omit<SimulatorOptions, 'port' | 'host'>): void {
    const merged: SimulatorOptions = { ...this.currentOptions(), ...options };
    this.settings = settingsFrom(merged);
    // Buckets are sized when first used: new limits start from full buckets.
    if ('rateLimits' in options || 'rateLimitsByModel' in options) this.rateLimiter.clear();
  }

  private currentOptions(): SimulatorOptions {
    const { fault, ...rest } = this.settings;
    return { ...rest, fault };
  }

  /** Queues a fault for the next matching request(s); queued faults are consumed in order. */
  enqueueFault(spec: FaultSpec): void {
    this.faults.enqueue(spec);
  }

  /** Sets (or with null clears) a fault applied to every matching request. */
  setFault(spec: FaultSpec | null): void {
    if (spec) activate(spec);
    this.settings.fault = spec;
  }

  /** Requests whose response has not finished or been abandoned yet (e.g. stalled ones). */
  get inFlight(): number {
    return this.openExchanges;
  }

  /** Queued faults not yet consumed. */
  get pendingFaults(): number {
    return this.faults.pending;
  }

  /** Requests received, for one endpoint or a group ('batches', 'files', 'models'), or in all. */
  requestCount(endpoint?: EndpointName | 'batches' | 'files' | 'models'): number {
    if (endpoint === undefined) return this.requests.length;
    return this.requests.filter((r) => r.endpoint === endpoint || r.endpoint.startsWith(`${endpoint}.`)).length;
  }

  countByEndpoint(): Partial<Record<EndpointName, number>> {
    const counts: Partial<Record<EndpointName, number>> = {};
    for (const request of this.requests) counts[request.endpoint] = (counts[request.endpoint] ?? 0) + 1;
    return counts;
  }

  /** Forgets requests, faults, cache entries, rate-limit state, batches and files. Options stay. */
  reset(): void {
    this.requests.length = 0;
    this.faults.clear();
    this.settings.fault = null;
    this.cache.clear();
    this.cacheDiagnostics.clear();
    this.settings.refusal = null;
    this.rateLimiter.clear();
    this.files.clear();
    this.containers.clear();
    this.batches.clear();
  }

  /** Lets a stored file expire now (its content becomes unavailable: 404 file_expired). */
  expireFile(id: string): void {
    this.files.expire(id);
  }

  /** Stores a file directly, e.g. a downloadable one as if a tool had produced it. */
  addFile(file: NewFile): FileMetadata {
    return this.files.add(file);
  }

  // ---- request handling ----

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const requestId = newRequestId();
    const url = new URL(req.url ?? '/', 'http://simulator.invalid');
    const method = req.method ?? 'GET';
    const { endpoint, id } = route(method, url.pathname);
    const headers = flattenHeaders(req);
    const record: RecordedRequest = {
      method,
      path: url.pathname,
      query: url.search,
      endpoint,
      headers,
      body: undefined,
      time: this.settings.now(),
      requestId,
    };
    this.requests.push(record);
    let rateLimitModel = '*';
    let rateLimitScope: 'messages' | 'count_tokens' | 'other' = 'other';
    let rateLimitTokens: TokenLimits = 'standard';
    const exchange = new Exchange(
      req,
      res,
      requestId,
      () => ({ 'request-id': requestId, 'anthropic-organization-id': SIMULATOR_ORGANIZATION_ID, ...this.rateLimiter.headers(rateLimitModel, rateLimitScope, rateLimitTokens) }),
      (status) => (record.status = status),
    );
    this.openExchanges += 1;
    res.once('close', () => {
      this.openExchanges -= 1;
    });
    res.once('close', () => this.settings.log?.(`${method} ${url.pathname} ${record.status ?? '-'}${exchange.aborted ? ' (aborted)' : ''} ${Date.now() - started}ms ${requestId}`));

    try {
      const limit =
        endpoint === 'batches.create' ? this.settings.limits.maxBatchBytes : endpoint === 'files.upload' ? this.settings.limits.maxFileBytes : this.settings.limits.maxRequestBytes;
      const { body: raw, tooLarge } = await readBody(req, limit);
      if (tooLarge) {
        if (endpoint === 'batches.create') throw invalidRequest(`The batch is larger than the maximum of ${limit} bytes.`);
        throw new SimulatedApiError('request_too_large', `Request exceeds the maximum allowed number of bytes (${limit}).`);
      }
      let json: unknown;
      let jsonError = false;
      if (endpoint === 'files.upload') {
        record.body = this.describeUpload(headers['content-type'], raw);
      } else if (raw.length > 0) {
        try {
          json = JSON.parse(raw.toString('utf8'));
        } catch {
          jsonError = true;
        }
        record.body = jsonError ? raw.toString('utf8') : json;
      }

      this.authenticate(headers);
      const apiVersion = headers['anthropic-version'];
      if (!apiVersion) throw invalidRequest('anthropic-version: header is required');
      if (!(API_VERSIONS as readonly string[]).includes(apiVersion)) throw invalidRequest(`anthropic-version: invalid version '${apiVersion}'`);
      if (endpoint === 'unknown') throw notFound(`Not found: ${method} ${url.pathname}`);

      const fault = this.takeFault(endpoint, headers);
      if (fault) {
        const statusFault = STATUS_FAULTS[fault.name];
        if (statusFault) throw statusFault(fault);
        if (fault.name === 'error_event' && endpoint !== 'messages') throw overloaded(fault);
        if (fault.name === 'stall_before_headers' && !(await exchange.stall(fault.ms))) return;
      }
      if (jsonError) throw invalidRequest('The request body is not valid JSON.');

      const ctx: ValidationContext = { apiVersion, betas: betasOf(headers), fileExists: (f) => this.files.exists(f), fileExpired: (f) => this.files.expired(f) };
      const bodyFault = fault && fault.name !== 'stall_before_headers' ? fault : undefined;
      const baseUrl = headers.host ? `http://${headers.host}` : this.url;
      switch (endpoint) {
        case 'messages': {
          const validated = validateMessageRequest(json, ctx);
          rateLimitModel = validated.model.id;
          rateLimitScope = 'messages';
          if (validated.body.speed === 'fast') rateLimitTokens = 'fast';
          return await this.createMessage(exchange, validated.body, validated.model, headers, bodyFault);
        }
        case 'count_tokens': {
          const { body, model } = validateCountTokensRequest(json, ctx);
          rateLimitModel = model.id;
          rateLimitScope = 'count_tokens';
          const denied = this.rateLimiter.admitCountTokens(model.id);
          if (denied) throw new SimulatedApiError('rate_limit_error', denied.message, undefined, { 'retry-after': String(denied.retryAfterSeconds) });
          const lookup = (fileId: string) => this.files.lookup(fileId);
          return await exchange.sendJson(200, { input_tokens: countRequestTokens(body, model.id, lookup) }, bodyFault);
        }
        case 'batches.create': {
          const context: BatchRequestContext = { apiVersion, betas: ctx.betas, headers };
          const batch = this.batches.create(json, context);
          return await exchange.sendJson(200, this.batches.toApi(batch, baseUrl), bodyFault);
        }
        case 'batches.retrieve':
          return await exchange.sendJson(200, this.batches.toApi(this.batches.get(id ?? ''), baseUrl), bodyFault);
        case 'batches.list':
          return await exchange.sendJson(200, this.batches.list(url.searchParams, baseUrl), bodyFault);
        case 'batches.cancel':
          return await exchange.sendJson(200, this.batches.toApi(this.batches.cancel(id ?? ''), baseUrl), bodyFault);
        case 'batches.delete':
          return await exchange.sendJson(200, this.batches.delete(id ?? ''), bodyFault);
        case 'batches.results':
          // UNVERIFIED content type of the real results download.
          return await exchange.send(200, { 'content-type': 'application/x-jsonl' }, this.batches.resultsJsonl(id ?? ''), bodyFault);
        case 'files.upload':
          return await exchange.sendJson(200, this.files.upload(headers['content-type'], raw), bodyFault);
        case 'files.list':
          return await exchange.sendJson(200, this.files.list(url.searchParams), bodyFault);
        case 'files.retrieve':
          return await exchange.sendJson(200, this.files.metadata(id ?? ''), bodyFault);
        case 'files.download': {
          const file = this.files.download(id ?? '');
          return await exchange.send(
            200,
            { 'content-type': file.meta.mime_type, 'content-disposition': `attachment; filename="${encodeURIComponent(file.meta.filename)}"` },
            file.content,
            bodyFault,
          );
        }
        case 'files.delete':
          return await exchange.sendJson(200, this.files.delete(id ?? ''), bodyFault);
        case 'models.list':
          return await exchange.sendJson(200, this.listModels(url.searchParams), bodyFault);
        case 'models.retrieve': {
          const model = lookupModel(id ?? '');
          if (!model) throw notFound(`model: ${id ?? ''}`);
          return await exchange.sendJson(200, toApiModel(model), bodyFault);
        }
      }
    } catch (error) {
      if (exchange.isClosed) return;
      if (res.headersSent) return exchange.destroy();
      if (error instanceof SimulatedApiError) return await exchange.sendError(error);
      this.settings.log?.(`simulator error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      return await exchange.sendError(new SimulatedApiError('api_error', 'Internal server error'));
    }
  }

  private authenticate(headers: Record<string, string>): void {
    const bearer = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? '')?.[1]?.trim();
    // x-api-key wins when both are present (sheet §1.1).
    const key = headers['x-api-key'] ?? bearer;
    if (!key) throw new SimulatedApiError('authentication_error', 'x-api-key header is required');
    const accepted = this.settings.apiKeys ? this.settings.apiKeys.includes(key) : key.startsWith('sk-ant-');
    if (!accepted) throw new SimulatedApiError('authentication_error', 'invalid x-api-key');
  }

  private takeFault(endpoint: EndpointName, headers: Record<string, string>): ActiveFault | undefined {
    const fromHeader = faultFromHeaders(headers);
    if (fromHeader) return fromHeader;
    const queued = this.faults.take(endpoint);
    if (queued) return queued;
    const always = this.settings.fault;
    if (always && (always.endpoint === undefined || always.endpoint === endpoint || endpoint.startsWith(`${always.endpoint}.`))) return activate(always);
    return undefined;
  }

  private describeUpload(contentType: string | undefined, raw: Buffer): unknown {
    try {
      const parts = parseMultipart(contentType, raw);
      return {
        fields: Object.fromEntries(parts.filter((p) => p.filename === undefined).map((p) => [p.name, p.data.toString('utf8')])),
        files: parts.filter((p) => p.filename !== undefined).map((p) => ({ name: p.name, filename: p.filename, contentType: p.contentType, size: p.data.length })),
      };
    } catch {
      return undefined;
    }
  }

  private listModels(query: URLSearchParams): unknown {
    const lifecycles = [...query.getAll('lifecycle[]'), ...query.getAll('lifecycle')];
    const wanted = lifecycles.length > 0 ? lifecycles : ['active', 'deprecated'];
    const all = listModels().filter((m) => wanted.includes(m.lifecycle));
    const limit = parseLimit(query.get('limit'), 20, 1000);
    const afterId = query.get('after_id');
    const beforeId = query.get('before_id');
    let data;
    let hasMore: boolean;
    if (beforeId) {
      const end = Math.max(0, all.findIndex((m) => m.id === beforeId));
      data = all.slice(Math.max(0, end - limit), end);
      hasMore = end - limit > 0;
    } else {
      const index = afterId ? all.findIndex((m) => m.id === afterId) : -1;
      const start = afterId ? (index < 0 ? all.length : index + 1) : 0;
      data = all.slice(start, start + limit);
      hasMore = start + limit < all.length;
    }
    return { data, has_more: hasMore, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
  }

  // ---- the Messages pipeline, shared by /v1/messages and batches ----

  private replySettings(headers: Record<string, string | undefined>, body: Record<string, unknown>): ReplySettings {
    return {
      outputTokens: numberHeader(headers[SIMULATOR_HEADERS.outputTokens]) ?? this.settings.outputTokens,
      thinkingTokens: numberHeader(headers[SIMULATOR_HEADERS.thinkingTokens]) ?? this.settings.thinkingTokens,
      replyText: this.settings.replyText?.(body),
    };
  }

  /** Counts, checks the context window and plans the cache use of a valid request. */
  private prepare(body: Record<string, unknown>, model: ModelInfo, headers: Record<string, string | undefined>): PreparedReply {
    const segments = promptSegments(body, model.id, (fileId) => this.files.lookup(fileId));
    const total = segments.reduce((sum, s) => sum + s.tokens, 0);
    if (total > model.contextWindow) throw invalidRequest(`prompt is too long: ${total} tokens > ${model.contextWindow} maximum`);
    const maxTokens = body.max_tokens as number;
    const room = model.contextWindow - total;
    const autoTtl: CacheTtl | undefined =
      typeof body.cache_control === 'object' && body.cache_control !== null ? ((body.cache_control as { ttl?: string }).ttl === '1h' ? '1h' : '5m') : undefined;
    return {
      model,
      cache: this.cache.plan(segments, autoTtl),
      // A reply that would overflow the window stops there instead (stop_reason model_context_window_exceeded).
      outputLimit: Math.min(maxTokens, room),
      limitReason: room < maxTokens ? 'model_context_window_exceeded' : 'max_tokens',
      settings: this.replySettings(headers, body),
    };
  }

  private async createMessage(
    exchange: Exchange,
    body: Record<string, unknown>,
    model: ModelInfo,
    headers: Record<string, string>,
    fault: ActiveFault | undefined,
  ): Promise<void> {
    // A named container must exist before anything is billed.
    if (typeof body.container === 'string' || (typeof body.container === 'object' && body.container !== null && 'id' in body.container)) this.containers.get(body.container);
    const prepared = this.prepare(body, model, headers);
    const maxTokens = body.max_tokens as number;
    const { cache } = prepared;
    // Cache reads do not count toward input tokens per minute (sheet §5).
    // Fast mode has its own token limits (sheet §13).
    const tokenLimits: TokenLimits = body.speed === 'fast' ? 'fast' : 'standard';
    const denied = this.rateLimiter.admitMessage(model.id, cache.inputTokens + cache.cacheWrite5mTokens + cache.cacheWrite1hTokens, maxTokens, tokenLimits);
    if (denied) throw new SimulatedApiError('rate_limit_error', denied.message, undefined, { 'retry-after': String(denied.retryAfterSeconds) });
    cache.commit();

    let plan: ReplyPlan | undefined;
    try {
      plan = planReply(body, prepared.settings, prepared.outputLimit, prepared.limitReason, betasOf(headers), this.serverTools);
      const refusal = this.refusalFor(headers);
      if (refusal) plan = refusalPlan(plan, refusal);
      const id = newId('msg_01', 22);
      const diagnostics = this.cacheDiagnostics.diagnose(body, id, cache.cacheReadTokens + cache.cacheWrite5mTokens + cache.cacheWrite1hTokens);
      const message = buildMessage(id, String(body.model), plan, usageOf(cache, plan, body, 'standard'), diagnostics);
      const speedUp = body.speed === 'fast' ? 2.5 : 1;
      const pacing = {
        firstTokenMs: numberHeader(headers[SIMULATOR_HEADERS.latencyMs]) ?? this.settings.latencyMs,
        tokensPerSecond: (numberHeader(headers[SIMULATOR_HEADERS.tokensPerSecond]) ?? this.settings.tokensPerSecond) * speedUp,
      };
      if (body.stream === true) {
        await writeEventStream(exchange, messageEvents(message, plan), pacing, fault);
        return;
      }
      if (fault?.name === 'error_event') throw overloaded(fault);
      const generationMs = pacing.tokensPerSecond > 0 ? (plan.outputTokens * 1000) / pacing.tokensPerSecond : 0;
      if (!(await exchange.sleep(pacing.firstTokenMs + generationMs))) return;
      await exchange.sendJson(200, message, fault);
    } finally {
      // OTPM was reserved from max_tokens; correct it to what the reply used.
      this.rateLimiter.settleOutput(model.id, maxTokens, plan?.outputTokens ?? 0, tokenLimits);
    }
  }

  /** The refusal for a request: its x-simulator-refusal header, else the configured one. */
  private refusalFor(headers: Record<string, string>): RefusalSpec | undefined {
    const header = headers[SIMULATOR_HEADERS.refusal];
    if (header) return { category: header === 'none' ? null : (header as RefusalSpec['category']) };
    return this.settings.refusal ?? undefined;
  }

  private validateBatchParams(params: unknown, context: BatchRequestContext): SimulatedApiError | undefined {
    try {
      const { body, model } = validateMessageRequest(params, { apiVersion: context.apiVersion, betas: context.betas, fileExists: (f) => this.files.exists(f), fileExpired: (f) => this.files.expired(f) });
      const total = countRequestTokens(body, model.id, (fileId) => this.files.lookup(fileId));
      if (total > model.contextWindow) return invalidRequest(`prompt is too long: ${total} tokens > ${model.contextWindow} maximum`);
      return undefined;
    } catch (error) {
      if (error instanceof SimulatedApiError) return error;
      throw error;
    }
  }

  private runBatchRequest(params: Record<string, unknown>, context: BatchRequestContext): MessageBatchResult {
    try {
      const model = lookupModel(String(params.model));
      if (!model) throw notFound(`model: ${String(params.model)}`);
      const prepared = this.prepare(params, model, context.headers);
      prepared.cache.commit();
      const plan = planReply(params, prepared.settings, prepared.outputLimit, prepared.limitReason, context.betas, this.serverTools);
      return { type: 'succeeded', message: buildMessage(newId('msg_01', 22), String(params.model), plan, usageOf(prepared.cache, plan, params, 'batch')) };
    } catch (error) {
      if (!(error instanceof SimulatedApiError)) throw error;
      return { type: 'errored', error: error.body(null) as MessageBatchErroredResult['error'] };
    }
  }
}

/** The anthropic-beta names of a request (a comma-separated header). */
function betasOf(headers: Record<string, string>): string[] {
  return (headers['anthropic-beta'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

/** Starts a simulator listening on 127.0.0.1 (port 0 = any free port). */
export async function start(options: SimulatorOptions = {}): Promise<Simulator> {
  const simulator = new Simulator(options);
  await simulator.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  return simulator;
}
