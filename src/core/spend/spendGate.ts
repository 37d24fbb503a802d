// The one path every billed call goes through (runs, tool rounds, Continue, dataset rows, batches,
// chunks). Before anything is sent, the job's worst case (from src/core/pricing) is checked
// against the spend cap and the monthly budget and reserved; each call is then sent through a
// callback that uses the SDK, and its actual cost (from the API's usage) is recorded into the
// spend ledger, giving back the part of the reservation it did not use.
//
//   const decision = await gate.assess(job);            // send | confirm | refuse, with the message
//   // ...ask the user when decision.kind === 'confirm'...
//   const billed = await gate.open(job, { confirmed }); // re-checks, reserves; throws SpendRefusedError
//   try {
//     const sent = await billed.call({ model, worstCaseUsd }, async () => {
//       const { data, response } = await client.messages.create(params).withResponse();
//       return { result: data, usage: data.usage, headers: response.headers, requestId: data._request_id };
//     });
//   } finally {
//     billed.close();                                   // releases what is left of the reservation
//   }
//
// A job reserves its whole worst case up front, so concurrent jobs (in this window) cannot
// together overshoot the budget: month-to-date + every open reservation stays within it. Each
// call re-reads the ledger (other windows' spend) and stops the job before a request whose
// remaining worst case no longer fits. Simulated answers are recorded apart and never count.
import { isSimulatedResponse } from '../api/simulatedResponse';
import { decideSpend, type SpendDecision } from '../pricing/costGuard';
import { formatUsd } from '../format';
import { costFromUsage, estimateUsd, tokenUsageFromApi, type ApiUsage, type PriceEntry } from '../pricing/priceTable';
import type { RateLimitBoard } from './rateLimitHeaders';
import type { LedgerCall, LedgerKind, LedgerUsage, SpendLedger } from './spendLedger';

export interface SpendLimits {
  /** Ask first above this worst case (USD). */
  confirmAboveUsd: number;
  /** Refuse above this worst case (USD): what one run, or one whole job, may spend. */
  maxRunCostUsd: number;
  /** The monthly budget (USD); 0 means none. */
  monthlyBudgetUsd: number;
}

/** Something the user asked to send: one run, or a whole job of many requests. */
export interface BilledJob {
  kind: LedgerKind;
  model: string;
  promptName: string;
  /** Worst case of everything the job may send, USD, from src/core/pricing (worstCaseCost); undefined when unknown. */
  worstCaseUsd: number | undefined;
  /** Why the worst case is unknown (spendCheckFields); without it, the model's price is taken to be missing. */
  unknownReason?: string;
  /** A lower bound of an unknown worst case: checked (and reserved) like a worst case. */
  atLeastUsd?: number;
  /** The job in words, for messages: "12,480 input tokens + up to 1,024 output tokens on claude-x". */
  what: string;
  /** For the per-run message when `what` is not given. */
  inputTokens?: number;
  maxTokens?: number;
  /** Already sent as a batch (the ×0.5 advice would be noise). */
  batch?: boolean;
}

/** Who pays, for the ledger entry. */
export interface CallTarget {
  keyFingerprint: string;
  baseUrlHost: string;
}

/** One request of a job. */
export interface CallSpec {
  model: string;
  /** This request's worst case, USD; undefined when unknown. Taken from the job's reservation. */
  worstCaseUsd: number | undefined;
  /** Defaults to the job's. */
  promptName?: string;
}

/** What the send callback hands back. */
export interface SentCall<T> {
  result: T;
  /** The API's usage: final, or what a stopped stream reported. Absent when nothing was billed. */
  usage?: ApiUsage;
  /** The output count in `usage` is an estimate (a stream stopped before its final usage). */
  usageEstimated?: boolean;
  /** Response headers (SDK `withResponse()` / `stream.response`): rate limits and the simulator's mark. */
  headers?: unknown;
  requestId?: string;
  batchId?: string;
  isBatchResult?: boolean;
  /** Force the simulated mark (otherwise read from the response headers). */
  simulated?: boolean;
}

/** A result whose usage arrived apart from any call (a Message Batch result), as recorded. */
export type RecordedResult = Omit<SentCall<undefined>, 'result' | 'usage'> & { usage: ApiUsage };

/** A call as recorded: the callback's result plus the ledger entry written for it. */
export interface BilledCall<T> extends SentCall<T> {
  entry?: LedgerCall;
}

/** Marks a refusal so that `instanceof` holds across bundles (datasets load as a bundle of their own). */
const spendRefusedBrand = Symbol.for('promptWorkbench.SpendRefusedError');

export class SpendRefusedError extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[spendRefusedBrand] === true;
  }
  readonly [spendRefusedBrand] = true;

  constructor(
    message: string,
    /** Nothing of the job had been sent (`open`), or it stopped before a later request (`call`). */
    readonly when: 'before-job' | 'before-request',
  ) {
    super(message);
    this.name = 'SpendRefusedError';
  }
}

export interface SpendGateDeps {
  ledger: SpendLedger;
  limits: () => SpendLimits;
  prices: (model: string) => PriceEntry | undefined;
  target: () => Promise<CallTarget>;
  rateLimits?: RateLimitBoard;
  now?: () => number;
}

const usd = formatUsd;

/** The cost of a finished call and what caching and batching saved, at the price in force. */
export function costOfCall(
  price: PriceEntry | undefined,
  usage: ApiUsage,
  options: { isBatchResult?: boolean } = {},
): { costUsd: number | null; cacheSavingsUsd: number; batchSavingsUsd: number } {
  const tokens = tokenUsageFromApi(usage, options);
  // Savings compare token costs only: the fees are the same either way. (estimateUsd is
  // estimateCost's usd without building its breakdown: a batch's results are priced a hundred thousand at a time.)
  const tokensUsd = estimateUsd(price, tokens);
  // The same figure the panel shows: tokens plus server tool fees (a web fetch has no price: unknown).
  // Without server tool calls that is the tokens' cost.
  const tools = usage.server_tool_use;
  const withFees = (tools?.web_fetch_requests ?? 0) > 0 || (tools?.web_search_requests ?? 0) > 0 ? costFromUsage(price, usage, options) : undefined;
  const actualUsd = withFees ? (withFees.known ? withFees.usd : undefined) : tokensUsd;
  if (actualUsd === undefined) return { costUsd: null, cacheSavingsUsd: 0, batchSavingsUsd: 0 };
  const tokensOnlyUsd = tokensUsd ?? actualUsd;
  const read = tokens.cacheReadTokens ?? 0;
  const uncachedUsd = read > 0 ? estimateUsd(price, { ...tokens, inputTokens: tokens.inputTokens + read, cacheReadTokens: 0 }) : undefined;
  const synchronousUsd = tokens.batch ? estimateUsd(price, { ...tokens, batch: false }) : undefined;
  return {
    costUsd: actualUsd,
    cacheSavingsUsd: uncachedUsd !== undefined ? Math.max(0, uncachedUsd - tokensOnlyUsd) : 0,
    batchSavingsUsd: synchronousUsd !== undefined ? Math.max(0, synchronousUsd - tokensOnlyUsd) : 0,
  };
}

/** A ledger line as the gate builds it, before the ledger adds its type and writer. */
type LedgerEntry = Omit<LedgerCall, 'type' | 'writer'> & { time: string };

/** Results recorded together that share one ledger line; the savings are added only when above zero. */
interface ResultGroup {
  entry: LedgerEntry & { costUsd: number | null };
  cacheSavingsUsd: number;
  batchSavingsUsd: number;
}

function addUsage(sum: LedgerUsage, usage: LedgerUsage): void {
  sum.inputTokens += usage.inputTokens;
  sum.outputTokens += usage.outputTokens;
  sum.cacheWrite5mTokens += usage.cacheWrite5mTokens;
  sum.cacheWrite1hTokens += usage.cacheWrite1hTokens;
  sum.cacheReadTokens += usage.cacheReadTokens;
  if (usage.webSearchRequests) sum.webSearchRequests = (sum.webSearchRequests ?? 0) + usage.webSearchRequests;
  if (usage.webFetchRequests) sum.webFetchRequests = (sum.webFetchRequests ?? 0) + usage.webFetchRequests;
}

function ledgerUsage(usage: ApiUsage): LedgerCall['usage'] {
  const tokens = tokenUsageFromApi(usage);
  return {
    inputTokens: tokens.inputTokens,
    outputTokens: tokens.outputTokens,
    cacheWrite5mTokens: tokens.cacheWrite5mTokens ?? 0,
    cacheWrite1hTokens: tokens.cacheWrite1hTokens ?? 0,
    cacheReadTokens: tokens.cacheReadTokens ?? 0,
    ...(usage.server_tool_use?.web_search_requests ? { webSearchRequests: usage.server_tool_use.web_search_requests } : {}),
    ...(usage.server_tool_use?.web_fetch_requests ? { webFetchRequests: usage.server_tool_use.web_fetch_requests } : {}),
  };
}

/** Checks, reserves and records. One per window; every billed call goes through it. */
export class SpendGate {
  private readonly open_ = new Set<BilledJobHandle>();

  constructor(private readonly deps: SpendGateDeps) {}

  /** Real spend this month (as last read) and what open jobs have reserved. */
  get monthToDate(): { usd: number; reservedUsd: number; budgetUsd: number } {
    return { usd: this.deps.ledger.totals.usd, reservedUsd: this.reservedUsd(), budgetUsd: this.deps.limits().monthlyBudgetUsd };
  }

  reservedUsd(except?: BilledJobHandle): number {
    let sum = 0;
    for (const job of this.open_) if (job !== except) sum += job.outstandingUsd;
    return sum;
  }

  /** Send, ask first, or refuse: the spend cap and the monthly budget, on the job's worst case. */
  async assess(job: BilledJob): Promise<SpendDecision> {
    await this.deps.ledger.refresh();
    return this.decide(job);
  }

  private decide(job: BilledJob): SpendDecision {
    const limits = this.deps.limits();
    const cap = decideSpend({
      worstCaseUsd: job.worstCaseUsd,
      inputTokens: job.inputTokens ?? 0,
      maxTokens: job.maxTokens ?? 0,
      model: job.model,
      confirmAboveUsd: limits.confirmAboveUsd,
      maxRunCostUsd: limits.maxRunCostUsd,
      ...(job.unknownReason !== undefined ? { unknownReason: job.unknownReason } : {}),
      ...(job.atLeastUsd !== undefined ? { atLeastUsd: job.atLeastUsd } : {}),
      ...(job.inputTokens === undefined || job.maxTokens === undefined ? { what: job.what } : {}),
    });
    if (cap.kind === 'refuse') return cap;
    const bound = job.worstCaseUsd ?? job.atLeastUsd;
    if (limits.monthlyBudgetUsd > 0 && bound !== undefined) {
      const refusal = this.budgetRefusal(job, bound, this.reservedUsd(), 'before-job');
      if (refusal) return { kind: 'refuse', message: job.worstCaseUsd === undefined ? refusal.replace('the worst case, ', 'the worst case, at least ') : refusal };
    }
    if (cap.kind === 'confirm' && job.worstCaseUsd === undefined && limits.monthlyBudgetUsd > 0) {
      return { kind: 'confirm', message: `${cap.message.replace(/ Send anyway\?$/, '')} The monthly budget cannot guard it either. Send anyway?` };
    }
    return cap;
  }

  /** The refusal message when `neededUsd` more would take month-to-date past the budget, else undefined. */
  private budgetRefusal(job: BilledJob, neededUsd: number, reservedUsd: number, when: 'before-job' | 'before-request'): string | undefined {
    const budget = this.deps.limits().monthlyBudgetUsd;
    if (budget <= 0) return undefined;
    const spent = this.deps.ledger.totals.usd;
    const after = spent + reservedUsd + neededUsd;
    // A hair of tolerance so a job whose worst case exactly fills the budget is not refused by rounding.
    if (after <= budget + 1e-9) return undefined;
    const reserved = reservedUsd > 0 ? ` plus ${usd(reservedUsd)} held by jobs still running` : '';
    const left = Math.max(0, budget - spent - reservedUsd);
    const ways = ['choose a cheaper model', ...(job.batch ? [] : ['send it as a batch (×0.5)']), 'lower max_tokens', 'or raise promptWorkbench.monthlyBudgetUsd'];
    const head = when === 'before-job' ? 'Not sent' : 'Stopped before the next request';
    return `${head}: the worst case, ${usd(neededUsd)} (${job.what}), would take this month's spend from ${usd(spent)}${reserved} to ${usd(after)}, past your monthly budget of ${usd(budget)} (${usd(left)} left). To send it: ${ways.join(', ')}.`;
  }

  /**
   * Reserves the job's worst case and returns the handle its calls go through. Re-checks first
   * (the user may have taken a while to confirm); a refusal throws SpendRefusedError and a
   * confirmation not given throws too, so nothing can be sent past the checks.
   */
  async open(job: BilledJob, options: { confirmed?: boolean } = {}): Promise<BilledJobHandle> {
    await this.deps.ledger.refresh();
    const decision = this.decide(job);
    if (decision.kind === 'refuse') throw new SpendRefusedError(decision.message, 'before-job');
    if (decision.kind === 'confirm' && !options.confirmed) throw new SpendRefusedError(`Not sent without your confirmation: ${decision.message}`, 'before-job');
    const handle = new BilledJobHandle(this, this.deps, job, job.worstCaseUsd ?? job.atLeastUsd ?? 0);
    this.open_.add(handle);
    return handle;
  }

  /**
   * Takes back a job that was sent before this window started (a Message Batch still processing
   * after a reload): reserves what it may still cost without checking, since a refusal cannot
   * un-send it, so that later jobs are checked against it. Its results are recorded through the
   * handle's `recordResult`; `close` releases the rest.
   */
  adopt(job: BilledJob): BilledJobHandle {
    const handle = new BilledJobHandle(this, this.deps, job, job.worstCaseUsd ?? job.atLeastUsd ?? 0);
    this.open_.add(handle);
    return handle;
  }

  /** @internal the handle asks whether `moreUsd` may be added to its reservation. */
  mayGrow(handle: BilledJobHandle, job: BilledJob, neededUsd: number): string | undefined {
    const limits = this.deps.limits();
    if (handle.reservedUsd + neededUsd > limits.maxRunCostUsd + 1e-9) {
      return `Stopped before the next request: the job's worst case would reach ${usd(handle.reservedUsd + neededUsd)} (${job.what}), above promptWorkbench.maxRunCostUsd (${usd(limits.maxRunCostUsd)}).`;
    }
    return this.budgetRefusal(job, neededUsd, this.reservedUsd(), 'before-request');
  }

  /** @internal the handle checks its remaining worst case against the budget before each request. */
  stillFits(handle: BilledJobHandle, job: BilledJob, remainingUsd: number): string | undefined {
    return this.budgetRefusal(job, remainingUsd, this.reservedUsd(handle), 'before-request');
  }

  /** @internal */
  closed(handle: BilledJobHandle): void {
    this.open_.delete(handle);
  }
}

/** An open job: its calls go through `call`; `close` releases what is left of its reservation. */
export class BilledJobHandle {
  private settledUsd = 0;
  private inFlightUsd = 0;
  private isClosed = false;
  /** Calls recorded so far and their real cost. */
  readonly recorded = { calls: 0, usd: 0 };

  constructor(
    private readonly gate: SpendGate,
    private readonly deps: SpendGateDeps,
    readonly job: BilledJob,
    private reserved: number,
  ) {}

  get reservedUsd(): number {
    return this.reserved;
  }

  /** What this job still holds against the budget. */
  get outstandingUsd(): number {
    return this.isClosed ? 0 : Math.max(0, this.reserved - this.settledUsd);
  }

  /**
   * Sends one request through `send` after checking it fits, then records its actual cost. The
   * callback's error is rethrown after its rate-limit headers are read; nothing billed, nothing
   * recorded.
   */
  async call<T>(spec: CallSpec, send: () => Promise<SentCall<T>>): Promise<BilledCall<T>> {
    if (this.isClosed) throw new SpendRefusedError('This job is closed: open a new one to send more.', 'before-request');
    const need = spec.worstCaseUsd ?? 0;
    const limits = this.deps.limits();
    if (limits.monthlyBudgetUsd > 0) await this.deps.ledger.refresh();
    const shortfall = this.settledUsd + this.inFlightUsd + need - this.reserved;
    if (shortfall > 1e-9) {
      const refusal = this.gate.mayGrow(this, this.job, shortfall);
      if (refusal) throw new SpendRefusedError(refusal, 'before-request');
      this.reserved += shortfall;
    }
    const remaining = Math.max(this.reserved - this.settledUsd, this.inFlightUsd + need);
    const refusal = this.gate.stillFits(this, this.job, remaining);
    if (refusal) throw new SpendRefusedError(refusal, 'before-request');

    this.inFlightUsd += need;
    let sent: SentCall<T>;
    try {
      sent = await send();
    } catch (error) {
      this.inFlightUsd -= need;
      this.deps.rateLimits?.observe((error as { headers?: unknown }).headers, spec.model, this.now());
      throw error;
    }
    this.inFlightUsd -= need;
    this.deps.rateLimits?.observe(sent.headers, spec.model, this.now());
    if (!sent.usage) return sent;
    const entry = await this.record(spec, sent, sent.usage);
    return { ...sent, entry };
  }

  /**
   * Records the actual cost of something this job sent whose usage arrives later and apart from
   * `call` (a Message Batch result): no check, since it was sent (and checked) when the batch was
   * created. Allowed after `close` too: real spend is always recorded. Returns the line written (a
   * group of one).
   */
  async recordResult(spec: CallSpec, sent: RecordedResult): Promise<LedgerCall> {
    const [group] = await this.writeGroups([{ spec, sent }]);
    return group as LedgerCall;
  }

  /**
   * Records many such results at once (a batch's results, a thousand at a time), same rules as
   * `recordResult`: one ledger line per group of results alike (model, prompt, batch, simulated,
   * priced or not), with a `calls` count, the summed usage, cost and savings, and the results'
   * message ids; all in one write. Returns each result's own cost, in order.
   */
  async recordResults(results: readonly { spec: CallSpec; sent: RecordedResult }[]): Promise<{ costUsd: number | null }[]> {
    const costs: { costUsd: number | null }[] = [];
    await this.writeGroups(results, costs);
    return costs;
  }

  /** One result's cost at the price in force, as `recordResults` would record it; records nothing. */
  costOfResult(spec: CallSpec, sent: RecordedResult): number | null {
    return costOfCall(this.deps.prices(spec.model), sent.usage, sent.isBatchResult ? { isBatchResult: true } : {}).costUsd;
  }

  private async writeGroups(results: readonly { spec: CallSpec; sent: RecordedResult }[], costs?: { costUsd: number | null }[]): Promise<LedgerCall[]> {
    if (results.length === 0) return [];
    const target = await this.deps.target();
    const time = new Date(this.now()).toISOString();
    const groups = new Map<string, ResultGroup>();
    // The price in force, looked up once per model for the whole write.
    const prices = new Map<string, PriceEntry | undefined>();
    const batchResult = { isBatchResult: true };
    const noOptions = {};
    // The group of the result before, and what made it: results alike come in runs (a batch's
    // results are one model, prompt and batch), which then need no group key built.
    let last: ResultGroup | undefined;
    let lastModel = '';
    let lastPromptName = '';
    let lastBatchId: string | undefined;
    let lastSimulated = false;
    let lastUnpriced = false;
    let lastEstimated = false;
    for (const { spec, sent } of results) {
      let price = prices.get(spec.model);
      if (price === undefined && !prices.has(spec.model)) prices.set(spec.model, (price = this.deps.prices(spec.model)));
      const cost = costOfCall(price, sent.usage, sent.isBatchResult ? batchResult : noOptions);
      costs?.push({ costUsd: cost.costUsd });
      const simulated = sent.simulated ?? isSimulatedResponse(sent.headers);
      const promptName = spec.promptName ?? this.job.promptName;
      const unpriced = cost.costUsd === null;
      const estimated = sent.usageEstimated === true;
      const alike = last !== undefined && lastModel === spec.model && lastPromptName === promptName && lastBatchId === sent.batchId && lastSimulated === simulated && lastUnpriced === unpriced && lastEstimated === estimated;
      const key = alike ? '' : `${spec.model}\u0000${promptName}\u0000${sent.batchId ?? ''}\u0000${simulated}\u0000${unpriced}\u0000${estimated}`;
      let group = alike ? last : groups.get(key);
      if (!group) {
        group = {
          entry: {
            keyFingerprint: target.keyFingerprint,
            baseUrlHost: target.baseUrlHost,
            model: spec.model,
            promptName,
            kind: this.job.kind,
            calls: 0,
            usage: { inputTokens: 0, outputTokens: 0, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, cacheReadTokens: 0 },
            costUsd: cost.costUsd === null ? null : 0,
            priceAsOf: price?.asOf ?? null,
            requestIds: [],
            ...(sent.batchId ? { batchId: sent.batchId } : {}),
            simulated,
            ...(sent.usageEstimated ? { estimated: true } : {}),
            time,
          },
          cacheSavingsUsd: 0,
          batchSavingsUsd: 0,
        };
        groups.set(key, group);
      }
      if (!alike) {
        last = group;
        lastModel = spec.model;
        lastPromptName = promptName;
        lastBatchId = sent.batchId;
        lastSimulated = simulated;
        lastUnpriced = unpriced;
        lastEstimated = estimated;
      }
      const entry = group.entry;
      entry.calls = (entry.calls ?? 0) + 1;
      addUsage(entry.usage, ledgerUsage(sent.usage));
      if (entry.costUsd !== null) entry.costUsd += cost.costUsd ?? 0;
      group.cacheSavingsUsd += cost.cacheSavingsUsd;
      group.batchSavingsUsd += cost.batchSavingsUsd;
      if (sent.requestId) entry.requestIds?.push(sent.requestId);
    }
    const built = [...groups.values()].map(({ entry, cacheSavingsUsd, batchSavingsUsd }) => {
      if (entry.requestIds?.length === 0) delete entry.requestIds;
      const full: LedgerEntry = { ...entry, ...(cacheSavingsUsd > 0 ? { cacheSavingsUsd } : {}), ...(batchSavingsUsd > 0 ? { batchSavingsUsd } : {}) };
      return { entry: full, simulated: entry.simulated, costUsd: entry.costUsd };
    });
    await this.deps.ledger.appendAll(built.map((b) => b.entry));
    return built.map((b) => this.settle(b));
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  private async record<T>(spec: CallSpec, sent: SentCall<T>, usage: ApiUsage): Promise<LedgerCall> {
    const built = this.entryFor(spec, sent, usage, await this.deps.target(), new Date(this.now()).toISOString());
    await this.deps.ledger.append(built.entry);
    return this.settle(built);
  }

  /** The ledger entry of a finished call, at the price in force. */
  private entryFor<T>(spec: CallSpec, sent: SentCall<T>, usage: ApiUsage, target: CallTarget, time: string): { entry: LedgerEntry; simulated: boolean; costUsd: number | null } {
    const price = this.deps.prices(spec.model);
    const cost = costOfCall(price, usage, sent.isBatchResult ? { isBatchResult: true } : {});
    const simulated = sent.simulated ?? isSimulatedResponse(sent.headers);
    const entry: LedgerEntry = {
      keyFingerprint: target.keyFingerprint,
      baseUrlHost: target.baseUrlHost,
      model: spec.model,
      promptName: spec.promptName ?? this.job.promptName,
      kind: this.job.kind,
      usage: ledgerUsage(usage),
      costUsd: cost.costUsd,
      priceAsOf: price?.asOf ?? null,
      ...(sent.requestId ? { requestId: sent.requestId } : {}),
      ...(sent.batchId ? { batchId: sent.batchId } : {}),
      simulated,
      ...(sent.usageEstimated ? { estimated: true } : {}),
      ...(cost.cacheSavingsUsd > 0 ? { cacheSavingsUsd: cost.cacheSavingsUsd } : {}),
      ...(cost.batchSavingsUsd > 0 ? { batchSavingsUsd: cost.batchSavingsUsd } : {}),
      time,
    };
    return { entry, simulated, costUsd: cost.costUsd };
  }

  /** Called once the entry is in the ledger (and so in month-to-date): the two never count it twice or not at all. */
  private settle(built: { entry: LedgerEntry; simulated: boolean; costUsd: number | null }): LedgerCall {
    // Simulated answers cost nothing real: they never use up the reservation.
    if (!built.simulated) {
      this.settledUsd += built.costUsd ?? 0;
      this.recorded.usd += built.costUsd ?? 0;
    }
    this.recorded.calls += built.entry.calls ?? 1;
    return { type: 'call', ...built.entry, writer: this.deps.ledger.writer };
  }

  /** Releases what is left of the reservation. Safe to call twice. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.gate.closed(this);
  }
}
