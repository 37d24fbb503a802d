// Runs a planned dataset job now: streams the dataset again, binds each row, skips the rows the
// results file already holds (the journal: a job interrupted by a reload resumes without sending
// them again), and sends the rest through the rate-limit scheduler and the one billed-call path,
// appending each result to the results file as it arrives.
import type { Message } from '@anthropic-ai/sdk/resources/messages';
import { estimateCost, type ApiUsage, type PriceEntry } from '../pricing/priceTable';
import type { PromptFile } from '../prompt/promptFile';
import type { RateLimits } from '../scheduler/rateLimitBuckets';
import { RateLimitScheduler, realClock, type ScheduledRequest, type SchedulerClock, type SchedulerSummary } from '../scheduler/rateLimitScheduler';
import { bindRow } from './datasetBinding';
import { rowInputTokens, type DatasetPlan } from './datasetPlan';
import { latestStatuses, ResultsWriter, type RowResult, type RowStatus } from './datasetResults';
import { describeLocation, readDataset } from './datasetSource';

/**
 * The one billed-call path, as a job sees it: SpendGate's BilledJobHandle (src/core/spend) has this
 * shape. `call` checks the job's remaining worst case against the spend cap and the monthly budget
 * before sending (throwing SpendRefusedError to stop the job) and records the actual cost after.
 */
export interface RowBilling {
  call<T>(
    spec: { model: string; worstCaseUsd: number | undefined },
    send: () => Promise<{ result: T; usage?: ApiUsage; headers?: unknown; requestId?: string }>,
  ): Promise<{ result: T; entry?: { costUsd: number | null } }>;
}

/** Sends one Messages request with the SDK (retries off, the signal passed), giving the message and the response headers. */
export type SendMessage = (body: Record<string, unknown>, signal: AbortSignal) => Promise<{ message: Message; headers: unknown }>;

export interface JobProgress {
  /** Rows the job will send in this run (runnable, not already in the results file). */
  toSend: number;
  succeeded: number;
  errored: number;
  /** Rows already finished in the results file (resumed). */
  alreadyDone: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  rateLimited: number;
  elapsedMs: number;
  rowsPerMinute: number;
  inputTokensPerMinute: number;
  outputTokensPerMinute: number;
  /** Milliseconds left at the current pace; undefined until a row has finished. */
  etaMs?: number;
  limits: Partial<RateLimits>;
  paused: boolean;
}

export interface DatasetJobOptions {
  plan: DatasetPlan;
  prompt: PromptFile;
  promptValues: Readonly<Record<string, string>>;
  resultsPath: string;
  send: SendMessage;
  billing: RowBilling;
  /** SpendRefusedError (or another error that stops the job) -> its message. */
  stopsJob?: (error: unknown) => string | undefined;
  price: PriceEntry | undefined;
  maxConcurrency: number;
  initialLimits?: Partial<RateLimits>;
  /** Only these row keys (retry failed rows); they are sent even though the results file holds them. */
  onlyKeys?: ReadonlySet<string>;
  clock?: SchedulerClock;
  signal?: AbortSignal;
  onResult?: (result: RowResult) => void;
  onProgress?: (progress: JobProgress) => void;
  /**
   * Each call the job made for a row that ended (answered, or failed for good), before its result
   * is written: the glue records it in history and returns the record's id, which the result line
   * keeps (`recordId`). A call cancelled in flight is not reported: its row is sent again on resume.
   */
  onCall?: (call: RowCall) => Promise<string | undefined>;
}

/** One row's call, as history records it. */
export interface RowCall {
  key: string;
  index: number;
  where: string;
  /** The request as sent (read-only: it shares its constant parts with the other rows). */
  request: Record<string, unknown>;
  /** When the last attempt was sent, and how long it took. */
  startedAt: string;
  durationMs: number;
  attempts: number;
  message?: Message;
  error?: unknown;
  requestId?: string;
  costUsd?: number | null;
}

export interface JobOutcome extends SchedulerSummary {
  progress: JobProgress;
}

/** A row's request, with what its result line needs. */
interface RowRequest extends ScheduledRequest<RowValue> {
  key: string;
  where: string;
  index: number;
  body: Record<string, unknown>;
  /** When the latest attempt was sent (the clock's milliseconds and the wall time). */
  sentAt?: { at: number; time: string };
}

interface RowValue {
  message: Message;
  costUsd: number | null | undefined;
  requestId?: string;
}

/** The worst case of one row: its input plus max_tokens of output, at the model's price. */
export function rowWorstCaseUsd(price: PriceEntry | undefined, inputTokens: number, maxTokens: number, fast: boolean): number | undefined {
  const estimate = estimateCost(price, { inputTokens, outputTokens: maxTokens, fast });
  return estimate.known ? estimate.usd : undefined;
}

function replyText(message: Message): string {
  return message.content
    .filter((block): block is Extract<Message['content'][number], { type: 'text' }> => block.type === 'text')
    .map((block) => block.text)
    .join('');
}

function errorOf(error: unknown): NonNullable<RowResult['error']> {
  const e = error as { status?: unknown; message?: unknown; error?: { error?: { type?: unknown; message?: unknown } } };
  const inner = e.error?.error;
  return {
    message: typeof inner?.message === 'string' ? inner.message : typeof e.message === 'string' ? e.message : String(error),
    ...(typeof e.status === 'number' ? { status: e.status } : {}),
    ...(typeof inner?.type === 'string' ? { type: inner.type } : {}),
  };
}

/** A dataset job in progress: pause, resume, and the progress so far. Cancel through the signal. */
export class DatasetJob {
  private scheduler: RateLimitScheduler<RowValue> | undefined;
  private readonly clock: SchedulerClock;
  private readonly progress: JobProgress;
  private startedAt = 0;

  constructor(private readonly options: DatasetJobOptions) {
    this.clock = options.clock ?? realClock;
    this.progress = {
      toSend: 0,
      succeeded: 0,
      errored: 0,
      alreadyDone: 0,
      inputTokens: 0,
      outputTokens: 0,
      costUsd: 0,
      rateLimited: 0,
      elapsedMs: 0,
      rowsPerMinute: 0,
      inputTokensPerMinute: 0,
      outputTokensPerMinute: 0,
      limits: options.initialLimits ?? {},
      paused: false,
    };
  }

  pause(): void {
    this.scheduler?.pause();
    this.progress.paused = true;
    this.report();
  }

  resume(): void {
    this.scheduler?.resume();
    this.progress.paused = false;
    this.report();
  }

  snapshot(): JobProgress {
    return { ...this.progress };
  }

  async run(): Promise<JobOutcome> {
    const { plan, prompt, options } = { plan: this.options.plan, prompt: this.options.prompt, options: this.options };
    if (plan.errors.length > 0) throw new Error(`The plan has errors: ${plan.errors.join(' ')}`);
    const journal = await latestStatuses(options.resultsPath);
    const finished = (status: RowStatus | undefined): boolean => status !== undefined && status !== 'canceled';
    // Count what this run will send, so progress can say how much is left.
    for (const status of journal.values()) if (finished(status)) this.progress.alreadyDone++;
    this.progress.toSend = options.onlyKeys ? options.onlyKeys.size : Math.max(0, plan.rows.runnable - this.progress.alreadyDone);

    const writer = await ResultsWriter.open(options.resultsPath);
    const fast = prompt.request.speed === 'fast';
    const write = async (result: RowResult): Promise<void> => {
      await writer.append(result);
      options.onResult?.(result);
    };
    const now = (): string => new Date().toISOString();
    const progress = this.progress;
    const report = (): void => this.report();
    const clock = this.clock;
    const recordCall = async (meta: RowRequest, attempts: number, answer: { message?: Message; error?: unknown; requestId?: string; costUsd?: number | null }): Promise<{ recordId?: string }> => {
      if (!options.onCall) return {};
      const recordId = await options.onCall({
        key: meta.key,
        index: meta.index,
        where: meta.where,
        request: meta.body,
        startedAt: meta.sentAt?.time ?? now(),
        durationMs: meta.sentAt ? Math.max(0, clock.now() - meta.sentAt.at) : 0,
        attempts,
        ...answer,
      });
      return recordId !== undefined ? { recordId } : {};
    };

    async function* requests(): AsyncGenerator<RowRequest> {
      for await (const record of readDataset(plan.source, options.signal)) {
        if (record.kind === 'bad') {
          const key = String(record.bad.index);
          if (!options.onlyKeys && !journal.has(key)) {
            await write({ type: 'row', key, index: record.bad.index, where: describeLocation(record.bad), status: 'skipped', error: { message: record.bad.message }, time: now() });
          }
          continue;
        }
        const bound = bindRow(prompt, record.row, plan.binding, options.promptValues);
        if (options.onlyKeys ? !options.onlyKeys.has(bound.key) : finished(journal.get(bound.key))) continue;
        const where = describeLocation(record.row);
        if (bound.kind === 'skipped') {
          await write({ type: 'row', key: bound.key, index: record.row.index, where, status: 'skipped', error: { message: bound.reason }, time: now() });
          continue;
        }
        const body = bound.request;
        const inputTokens = rowInputTokens(plan.tokens, record.row.index, body);
        const worstCaseUsd = rowWorstCaseUsd(options.price, inputTokens, plan.maxTokens, fast);
        const index = record.row.index;
        const request: RowRequest = {
          id: `${index}`,
          key: bound.key,
          where,
          index,
          body,
          inputTokens,
          maxOutputTokens: plan.maxTokens,
          send: async (signal) => {
            request.sentAt = { at: clock.now(), time: now() };
            const billed = await options.billing.call({ model: plan.model, worstCaseUsd }, async () => {
              const { message, headers } = await options.send(body, signal);
              return { result: { message, headers }, usage: message.usage, headers, requestId: (message as { _request_id?: string | null })._request_id ?? undefined };
            });
            const { message, headers } = billed.result;
            const requestId = (message as { _request_id?: string | null })._request_id ?? undefined;
            return { value: { message, costUsd: billed.entry?.costUsd, requestId }, headers, usage: message.usage };
          },
        };
        yield request;
      }
    }

    this.startedAt = this.clock.now();
    const structured = prompt.request.output_config !== undefined && (prompt.request.output_config as { format?: unknown }).format !== undefined;
    this.scheduler = new RateLimitScheduler<RowValue>({
      maxConcurrency: options.maxConcurrency,
      initialLimits: options.initialLimits,
      tokenLimits: prompt.request.speed === 'fast' ? 'fast' : 'standard',
      clock: this.clock,
      signal: options.signal,
      stopsJob: options.stopsJob,
      onEvent: (event) => {
        if (event.type === 'rateLimited') this.progress.rateLimited++;
        if (event.type === 'limits') this.progress.limits = event.limits;
      },
      async onOutcome(outcome) {
        const meta = outcome.request as RowRequest;
        const base = { type: 'row' as const, key: meta.key, index: meta.index, where: meta.where, attempts: outcome.attempts, time: now() };
        if (outcome.kind === 'done') {
          const { message, costUsd, requestId } = outcome.value;
          const text = replyText(message);
          let parsed: unknown;
          if (structured) {
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = undefined;
            }
          }
          progress.succeeded++;
          progress.inputTokens += message.usage.input_tokens + (message.usage.cache_creation_input_tokens ?? 0) + (message.usage.cache_read_input_tokens ?? 0);
          progress.outputTokens += message.usage.output_tokens;
          progress.costUsd += costUsd ?? 0;
          const recorded = await recordCall(meta, outcome.attempts, { message, costUsd, ...(requestId ? { requestId } : {}) });
          await write({
            ...base,
            ...recorded,
            status: 'succeeded',
            text,
            ...(parsed !== undefined ? { structured: parsed } : {}),
            stopReason: message.stop_reason,
            usage: message.usage as ApiUsage,
            costUsd: costUsd ?? null,
            ...(requestId ? { requestId } : {}),
          });
        } else {
          progress.errored++;
          const requestId = (outcome.error as { requestID?: string | null }).requestID ?? undefined;
          const recorded = await recordCall(meta, outcome.attempts, { error: outcome.error, ...(requestId ? { requestId } : {}) });
          await write({ ...base, ...recorded, status: 'errored', error: errorOf(outcome.error), ...(requestId ? { requestId } : {}) });
        }
        report();
      },
    });
    let summary: SchedulerSummary;
    try {
      summary = await this.scheduler.run(requests());
    } finally {
      await writer.close();
    }
    this.progress.limits = summary.limits;
    this.report();
    return { ...summary, progress: this.snapshot() };
  }

  private report(): void {
    const p = this.progress;
    p.elapsedMs = Math.max(0, this.clock.now() - this.startedAt);
    const minutes = p.elapsedMs / 60_000;
    const finished = p.succeeded + p.errored;
    if (minutes > 0) {
      p.rowsPerMinute = finished / minutes;
      p.inputTokensPerMinute = p.inputTokens / minutes;
      p.outputTokensPerMinute = p.outputTokens / minutes;
    }
    p.etaMs = finished > 0 ? ((p.toSend - finished) / finished) * p.elapsedMs : undefined;
    this.options.onProgress?.({ ...p });
  }
}
