// Faults on demand: the failures an API client has to survive, injected per request (a test-only
// header), from a queue of scenarios consumed in order, or for every request.

/** Every fault the simulator can inject. Numeric aliases ('429', '529'...) are accepted too. */
export type FaultName =
  /** 429 rate_limit_error with retry-after. */
  | 'rate_limit'
  /**
   * 429 rate_limit_error with `details.error_code: enforced_spend_limit_reached` (sheet §4.2): the
   * organization's monthly spend limit. No retry-after: waiting does not help.
   */
  | 'spend_limit'
  /** 529 overloaded_error. */
  | 'overloaded'
  /** 500 api_error. */
  | 'api_error'
  /** 504 timeout_error. */
  | 'gateway_timeout'
  /** 403 permission_error. */
  | 'permission'
  /** Holds the request before sending any header, until the client gives up (or `ms` passes). */
  | 'stall_before_headers'
  /** Stops sending after `afterEvents` events, until the client gives up (or `ms` passes). */
  | 'stall_mid_stream'
  /** Destroys the connection after `afterEvents` events. */
  | 'reset_mid_stream'
  /** Sends `event: error` (overloaded_error) after `afterEvents` events; non-streaming requests get a 529. */
  | 'error_event'
  /** Answers 200 with a body that is not valid JSON (a broken SSE data line when streaming). */
  | 'malformed'
  /** Sends the body in small pieces, `ms` apart (default 20 ms per SSE event). */
  | 'slow_body';

export const FAULT_ALIASES: Record<string, FaultName> = {
  '429': 'rate_limit',
  '529': 'overloaded',
  '500': 'api_error',
  '504': 'gateway_timeout',
  '403': 'permission',
};

const FAULT_NAMES: readonly FaultName[] = [
  'rate_limit', 'spend_limit', 'overloaded', 'api_error', 'gateway_timeout', 'permission', 'stall_before_headers', 'stall_mid_stream',
  'reset_mid_stream', 'error_event', 'malformed', 'slow_body',
];

/** The endpoints the simulator knows, as recorded in `requests` and counted by `countByEndpoint()`. */
export type EndpointName =
  | 'messages'
  | 'count_tokens'
  | 'batches.create'
  | 'batches.retrieve'
  | 'batches.list'
  | 'batches.cancel'
  | 'batches.delete'
  | 'batches.results'
  | 'files.upload'
  | 'files.list'
  | 'files.retrieve'
  | 'files.download'
  | 'files.delete'
  | 'models.list'
  | 'models.retrieve'
  | 'unknown';

export interface FaultSettings {
  fault: FaultName | keyof typeof FAULT_ALIASES;
  /** Events (SSE) sent before a mid-stream fault strikes. Default 3 (message_start, content_block_start, ping). */
  afterEvents?: number;
  /** retry-after seconds for rate_limit (default 1) and overloaded (default none). */
  retryAfterSeconds?: number;
  /** Stall length (default: until the client aborts) or slow_body delay per piece (default 20). */
  ms?: number;
}

export interface FaultSpec extends FaultSettings {
  /** Only requests to this endpoint, or to a group ('batches', 'files', 'models'), consume it. Default: any. */
  endpoint?: EndpointName | 'batches' | 'files' | 'models';
  /** How many matching requests it applies to. Default 1. */
  times?: number;
}

/** A fault ready to apply to one request. */
export interface ActiveFault {
  name: FaultName;
  afterEvents: number;
  retryAfterSeconds?: number;
  ms?: number;
}

export function resolveFaultName(name: string): FaultName {
  const resolved = FAULT_ALIASES[name] ?? (FAULT_NAMES as readonly string[]).find((n) => n === name);
  if (!resolved) throw new Error(`Unknown simulator fault '${name}'. Known: ${FAULT_NAMES.join(', ')} (or ${Object.keys(FAULT_ALIASES).join(', ')}).`);
  return resolved as FaultName;
}

export function activate(settings: FaultSettings): ActiveFault {
  return {
    name: resolveFaultName(settings.fault),
    afterEvents: settings.afterEvents ?? 3,
    retryAfterSeconds: settings.retryAfterSeconds,
    ms: settings.ms,
  };
}

function matches(endpoint: EndpointName, wanted: FaultSpec['endpoint']): boolean {
  return wanted === undefined || wanted === endpoint || endpoint.startsWith(`${wanted}.`);
}

/** Scenario faults, consumed by matching requests in the order they were queued. */
export class FaultQueue {
  private readonly queue: { spec: FaultSpec; left: number }[] = [];

  enqueue(spec: FaultSpec): void {
    resolveFaultName(spec.fault);
    this.queue.push({ spec, left: spec.times ?? 1 });
  }

  clear(): void {
    this.queue.length = 0;
  }

  get pending(): number {
    return this.queue.reduce((sum, item) => sum + item.left, 0);
  }

  take(endpoint: EndpointName): ActiveFault | undefined {
    const index = this.queue.findIndex((item) => matches(endpoint, item.spec.endpoint));
    const item = this.queue[index];
    if (!item) return undefined;
    item.left -= 1;
    if (item.left <= 0) this.queue.splice(index, 1);
    return activate(item.spec);
  }
}

/** Test-only request headers that steer the simulator. */
export const SIMULATOR_HEADERS = {
  fault: 'x-simulator-fault',
  faultAfterEvents: 'x-simulator-fault-after-events',
  faultMs: 'x-simulator-fault-ms',
  retryAfter: 'x-simulator-retry-after',
  outputTokens: 'x-simulator-output-tokens',
  thinkingTokens: 'x-simulator-thinking-tokens',
  latencyMs: 'x-simulator-latency-ms',
  tokensPerSecond: 'x-simulator-tps',
  /** Refuse this request: stop_reason "refusal" with this stop_details category ("none" for a null category). */
  refusal: 'x-simulator-refusal',
} as const;

export function numberHeader(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** The fault named by a request's x-simulator-fault header, if any. */
export function faultFromHeaders(headers: Record<string, string | undefined>): ActiveFault | undefined {
  const name = headers[SIMULATOR_HEADERS.fault];
  if (!name) return undefined;
  return activate({
    fault: name as FaultName,
    afterEvents: numberHeader(headers[SIMULATOR_HEADERS.faultAfterEvents]),
    retryAfterSeconds: numberHeader(headers[SIMULATOR_HEADERS.retryAfter]),
    ms: numberHeader(headers[SIMULATOR_HEADERS.faultMs]),
  });
}

