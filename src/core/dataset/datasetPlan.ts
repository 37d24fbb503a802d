// The plan of a dataset job, made before anything is sent: which rows run and which are skipped
// (and why), the input tokens (counted exactly with count_tokens when there are few rows, or for a
// stratified sample with a calibrated extrapolation and its error bound when there are many), the
// expected and worst-case cost now and as a batch (×0.5), and the time at the current rate limits.
// A run made now and a Message Batch (the next issue) both start from this plan.
//
// The dataset is read once, streaming: only counts, the skipped rows' first reasons, and the
// sample are kept, so a plan of any size takes constant memory.
import type { MessageCountTokensParams } from '@anthropic-ai/sdk/resources/messages';
import { describeApiError } from '../api/apiErrors';
import { cacheBreakpoints, countTokensParams, estimateInputTokens, type CountableRequest } from '../counting/tokenEstimate';
import { formatCount } from '../format';
import { DEFAULT_EXPECTED_OUTPUT_TOKENS } from '../pricing/costReport';
import { estimateCost, type PriceEntry, type TokenUsage } from '../pricing/priceTable';
import type { PromptFile } from '../prompt/promptFile';
import { resolveRequest } from '../prompt/template';
import type { RateLimits } from '../scheduler/rateLimitBuckets';
import { RateLimitScheduler, type SchedulerClock } from '../scheduler/rateLimitScheduler';
import { bindColumns, bindRow, promptVariables, type BindingSpec, type ColumnBinding } from './datasetBinding';
import { declaredColumns, describeLocation, readDataset, type DatasetSource } from './datasetSource';

/** Counts one request's input tokens with the API (count_tokens), handing back the response headers. */
export type CountTokens = (params: MessageCountTokensParams, signal: AbortSignal) => Promise<{ inputTokens: number; headers?: unknown }>;

export interface PlanOptions {
  prompt: PromptFile;
  /** The values the prompt supplies itself (collectDefaults). */
  promptValues: Readonly<Record<string, string>>;
  source: DatasetSource;
  binding: BindingSpec;
  countTokens: CountTokens;
  price: PriceEntry | undefined;
  /** The rate limits last seen for the model (headers of earlier responses), for the time estimate. */
  limits?: Partial<RateLimits>;
  /** The most requests in flight (the user's setting). */
  maxConcurrency: number;
  /** At most this many runnable rows are each counted exactly. Default 200. */
  exactCountLimit?: number;
  /** Rows counted per stratum when sampling. Default 30. */
  samplePerStratum?: number;
  /** Reasons kept for the view (the counts are always whole). Default 200. */
  keepSkipped?: number;
  signal?: AbortSignal;
  clock?: SchedulerClock;
}

export interface SkippedRow {
  key?: string;
  where: string;
  reason: string;
}

/** Input tokens per character of the count_tokens body, per length stratum: turns a row's length into an estimate. */
export interface TokenCalibration {
  /** Stratum (floor(log2(characters))) -> tokens per character. */
  ratios: Record<number, number>;
  /** Over the whole sample, for strata that had none. */
  overall: number;
}

export interface InputTokenPlan {
  method: 'exact' | 'sampled' | 'none';
  /** Input tokens of all runnable rows together (before any cache effect). */
  total: number;
  /** Rows counted with count_tokens. */
  counted: number;
  /** Half-width of the 95% interval around `total` (0 when exact). */
  errorBound: number;
  /** Exact counts by row index (exact plans only), so the run reserves exactly. */
  exact?: Record<number, number>;
  calibration: TokenCalibration;
}

export interface CostLine {
  expectedUsd: number;
  worstCaseUsd: number;
}

export interface CostPlan {
  known: boolean;
  /** Why the cost is unknown. */
  reason?: string;
  now?: CostLine;
  batch?: CostLine;
  /** The rows share a cached prefix (cache breakpoints before any row value): written once, then read. */
  cachedPrefixTokens?: number;
  notes: string[];
}

export interface TimePlan {
  /** Seconds at the current limits; undefined when the limits are not known yet. */
  seconds?: number;
  /** What holds the job back. */
  boundBy?: 'requests per minute' | 'input tokens per minute' | 'output tokens per minute' | 'concurrency';
  limits?: Partial<RateLimits>;
}

export interface DatasetPlan {
  promptName: string;
  model: string;
  maxTokens: number;
  expectedOutputTokens: number;
  source: DatasetSource;
  binding: ColumnBinding;
  columns: string[];
  /** Each makes the job unrunnable (a missing column...). Nothing is counted then. */
  errors: string[];
  warnings: string[];
  rows: { read: number; runnable: number; skipped: number; bad: number };
  /** The first skipped and bad rows, with where they are and why. */
  skipped: SkippedRow[];
  tokens: InputTokenPlan;
  cost: CostPlan;
  time: TimePlan;
}

interface Sampled {
  index: number;
  /** The row as the user finds it: its key and where it is in the dataset. */
  row: string;
  chars: number;
  params: MessageCountTokensParams;
  tokens?: number;
}

interface Stratum {
  rows: number;
  chars: number;
  seen: number;
  sample: Sampled[];
}

/** floor(log2(chars)): rows of similar length share a stratum, so long and short rows are both sampled. */
export function stratumOf(chars: number): number {
  return chars <= 1 ? 0 : Math.floor(Math.log2(chars));
}

/** The characters of a request's count_tokens body: the measure rows are stratified and extrapolated by. */
export function requestChars(request: Record<string, unknown>): number {
  return JSON.stringify(countTokensParams(request as unknown as CountableRequest)).length;
}

/** A row's input tokens from the plan: exact when counted, else its length times its stratum's ratio. */
export function rowInputTokens(tokens: InputTokenPlan, index: number, request: Record<string, unknown>): number {
  const exact = tokens.exact?.[index];
  if (exact !== undefined) return exact;
  const chars = requestChars(request);
  return Math.ceil(chars * (tokens.calibration.ratios[stratumOf(chars)] ?? tokens.calibration.overall));
}

/** A small deterministic generator (mulberry32), so the same dataset gives the same sample and plan. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function planDataset(options: PlanOptions): Promise<DatasetPlan> {
  const { prompt } = options;
  const request = prompt.request;
  const maxTokens = request.max_tokens;
  const expectedOutputTokens = Math.min(maxTokens, prompt.expectedOutputTokens ?? DEFAULT_EXPECTED_OUTPUT_TOKENS);
  const keepSkipped = options.keepSkipped ?? 200;
  const exactLimit = options.exactCountLimit ?? 200;
  const perStratum = options.samplePerStratum ?? 30;
  const variables = promptVariables(prompt);

  const plan: DatasetPlan = {
    promptName: prompt.name ?? 'prompt',
    model: request.model,
    maxTokens,
    expectedOutputTokens,
    source: options.source,
    binding: { columns: new Map(), fromPrompt: [] },
    columns: [],
    errors: [],
    warnings: [],
    rows: { read: 0, runnable: 0, skipped: 0, bad: 0 },
    skipped: [],
    tokens: { method: 'none', total: 0, counted: 0, errorBound: 0, calibration: { ratios: {}, overall: 0 } },
    cost: { known: false, notes: [] },
    time: { limits: options.limits },
  };

  // Columns: declared by the source (CSV header, folder), or seen in the rows (JSON).
  const declared = await declaredColumns(options.source);
  let columns: string[];
  if (declared) {
    columns = declared;
  } else {
    const seen = new Set<string>();
    for await (const record of readDataset(options.source, options.signal)) {
      if (record.kind === 'row') for (const name of Object.keys(record.row.values)) if (seen.size < 10_000) seen.add(name);
    }
    columns = [...seen];
  }
  plan.columns = columns;
  const bound = bindColumns(variables, columns, options.binding, options.promptValues);
  plan.binding = bound.binding;
  plan.errors.push(...bound.errors);
  plan.warnings.push(...bound.warnings);
  if (plan.errors.length > 0) return plan;

  // One pass: classify rows, keep every runnable row's request while few, and a per-stratum reservoir.
  const random = seededRandom(0x5eed);
  const strata = new Map<number, Stratum>();
  let few: Sampled[] | undefined = [];
  for await (const record of readDataset(options.source, options.signal)) {
    plan.rows.read++;
    if (record.kind === 'bad') {
      plan.rows.bad++;
      if (plan.skipped.length < keepSkipped) plan.skipped.push({ where: describeLocation(record.bad), reason: record.bad.message });
      continue;
    }
    const row = bindRow(prompt, record.row, plan.binding, options.promptValues);
    if (row.kind === 'skipped') {
      plan.rows.skipped++;
      if (plan.skipped.length < keepSkipped) plan.skipped.push({ key: row.key, where: describeLocation(record.row), reason: row.reason });
      continue;
    }
    plan.rows.runnable++;
    const params = countTokensParams(row.request as unknown as CountableRequest);
    const chars = JSON.stringify(params).length;
    const entry: Sampled = { index: record.row.index, row: `Row ${row.key} (${describeLocation(record.row)})`, chars, params };
    if (few) {
      few.push(entry);
      if (few.length > exactLimit) {
        // Too many to count each: from here on, sample. The rows so far go through the reservoirs too.
        for (const earlier of few) addToStratum(strata, earlier, perStratum, random);
        few = undefined;
      }
    } else {
      addToStratum(strata, entry, perStratum, random);
    }
  }

  if (plan.rows.runnable > 0) {
    const toCount = few ?? [...strata.values()].flatMap((s) => s.sample);
    const refused = await countAll(toCount, options);
    if (refused.length > 0 && refused.length === toCount.length) {
      plan.errors.push(`The API refused to count every ${few ? '' : 'sampled '}row, so none would run: ${refused[0]}. Fix the prompt or the dataset's values.`);
      return plan;
    }
    if (refused.length > 0) {
      // Such a row is sent and comes back failed, unbilled ("fix the request first" in a batch): the
      // rest of the job runs, and the plan says which rows and why before anything is sent.
      const shown = refused.slice(0, 3).join('; ');
      const more = refused.length > 3 ? `; and ${formatCount(refused.length - 3)} more` : '';
      const of = few ? '' : ` of the ${formatCount(toCount.length)} sampled`;
      plan.warnings.push(`The API refused to count ${formatCount(refused.length)}${of} row${refused.length === 1 ? '' : 's'}, which will fail when sent until fixed: ${shown}${more}.`);
    }
    plan.tokens = few ? exactPlan(few) : sampledPlan(strata);
  }
  plan.cost = costPlan(plan, options.price, prompt, options.promptValues);
  plan.time = timePlan(plan, options.limits, options.maxConcurrency);
  return plan;
}

function addToStratum(strata: Map<number, Stratum>, entry: Sampled, size: number, random: () => number): void {
  const key = stratumOf(entry.chars);
  let stratum = strata.get(key);
  if (!stratum) strata.set(key, (stratum = { rows: 0, chars: 0, seen: 0, sample: [] }));
  stratum.rows++;
  stratum.chars += entry.chars;
  stratum.seen++;
  // Reservoir sampling (Algorithm R): every row of the stratum is equally likely to be counted.
  if (stratum.sample.length < size) stratum.sample.push(entry);
  else {
    const slot = Math.floor(random() * stratum.seen);
    if (slot < size) stratum.sample[slot] = entry;
  }
}

/**
 * Counts the rows; gives the rows the API refused to count (400/413: a dataset value the API
 * rejects, such as an unknown effort), each with its reason. Any other failure fails the planning.
 */
async function countAll(rows: Sampled[], options: PlanOptions): Promise<string[]> {
  const refused: string[] = [];
  // count_tokens has its own requests-per-minute limit: paced by the same scheduler as runs.
  const scheduler = new RateLimitScheduler<number>({
    maxConcurrency: Math.min(4, options.maxConcurrency),
    clock: options.clock,
    signal: options.signal,
    onOutcome: (outcome) => {
      const row = rows[Number(outcome.request.id)];
      if (outcome.kind === 'done') {
        if (row) row.tokens = outcome.value;
        return;
      }
      const status = (outcome.error as { status?: unknown } | undefined)?.status;
      const reason = describeApiError(outcome.error).message.replace(/\.$/, '');
      if (status === 400 || status === 413) refused.push(`${row?.row ?? `request ${outcome.request.id}`}: ${reason}`);
      else throw new Error(`count_tokens failed: ${reason}`);
    },
  });
  const summary = await scheduler.run(
    rows.map((row, i) => ({
      id: String(i),
      inputTokens: 0,
      maxOutputTokens: 0,
      send: async (signal: AbortSignal) => {
        const counted = await options.countTokens(row.params, signal);
        return { value: counted.inputTokens, headers: counted.headers, usage: { input_tokens: 0, output_tokens: 0 } };
      },
    })),
  );
  if (summary.cancelled) throw new Error('Planning was cancelled.');
  if (summary.stoppedReason) throw new Error(summary.stoppedReason);
  return refused;
}

function exactPlan(rows: Sampled[]): InputTokenPlan {
  const exact: Record<number, number> = {};
  let total = 0;
  let chars = 0;
  for (const row of rows) {
    exact[row.index] = row.tokens ?? 0;
    total += row.tokens ?? 0;
    chars += row.chars;
  }
  return { method: 'exact', total, counted: rows.length, errorBound: 0, exact, calibration: { ratios: {}, overall: chars > 0 ? total / chars : 0 } };
}

/**
 * The stratified ratio estimator: in each stratum, tokens = (counted tokens / counted characters)
 * × the stratum's characters; its variance from the residuals of the counted rows, with the
 * finite-population correction. The bound is 1.96 standard errors (95%).
 */
function sampledPlan(strata: Map<number, Stratum>): InputTokenPlan {
  let total = 0;
  let variance = 0;
  let counted = 0;
  let sampleTokens = 0;
  let sampleChars = 0;
  const ratios: Record<number, number> = {};
  const pooledRelative: number[] = [];
  const estimates: { stratum: Stratum; ratio: number; residualVariance?: number }[] = [];
  for (const [key, stratum] of strata) {
    const tokens = stratum.sample.reduce((sum, s) => sum + (s.tokens ?? 0), 0);
    const chars = stratum.sample.reduce((sum, s) => sum + s.chars, 0);
    const ratio = chars > 0 ? tokens / chars : 0;
    ratios[key] = ratio;
    counted += stratum.sample.length;
    sampleTokens += tokens;
    sampleChars += chars;
    total += ratio * stratum.chars;
    const n = stratum.sample.length;
    let residualVariance: number | undefined;
    if (n >= 2) {
      const residuals = stratum.sample.map((s) => (s.tokens ?? 0) - ratio * s.chars);
      residualVariance = residuals.reduce((sum, e) => sum + e * e, 0) / (n - 1);
      const meanTokens = tokens / n;
      if (meanTokens > 0) pooledRelative.push(residualVariance / (meanTokens * meanTokens));
    }
    estimates.push({ stratum, ratio, residualVariance });
  }
  const pooled = pooledRelative.length > 0 ? pooledRelative.reduce((a, b) => a + b, 0) / pooledRelative.length : 0;
  for (const { stratum, ratio, residualVariance } of estimates) {
    const n = stratum.sample.length;
    const N = stratum.rows;
    if (n === 0 || n >= N) continue;
    // A stratum with one counted row borrows the others' relative spread.
    const meanTokens = (ratio * stratum.chars) / N;
    const s2 = residualVariance ?? pooled * meanTokens * meanTokens;
    variance += (N * N * (1 - n / N) * s2) / n;
  }
  return {
    method: 'sampled',
    total: Math.round(total),
    counted,
    errorBound: Math.ceil(1.96 * Math.sqrt(variance)),
    calibration: { ratios, overall: sampleChars > 0 ? sampleTokens / sampleChars : 0 },
  };
}

function costPlan(plan: DatasetPlan, price: PriceEntry | undefined, prompt: PromptFile, promptValues: Readonly<Record<string, string>>): CostPlan {
  const rows = plan.rows.runnable;
  const notes: string[] = [];
  if (rows === 0) return { known: true, now: { expectedUsd: 0, worstCaseUsd: 0 }, batch: { expectedUsd: 0, worstCaseUsd: 0 }, notes };
  const meanInput = plan.tokens.total / rows;
  const worstInput = (plan.tokens.total + plan.tokens.errorBound) / rows;
  const prefix = sharedCachedPrefix(plan, prompt, promptValues, meanInput);
  const fast = prompt.request.speed === 'fast';
  // Cost of every row at the mean row (the long-prompt band applies per request, so per row it is).
  const costOf = (usage: TokenUsage): number | string => {
    const estimate = estimateCost(price, { ...usage, fast });
    return estimate.known ? estimate.usd : estimate.reason;
  };
  const lines: Partial<Record<'now' | 'batch', CostLine>> = {};
  for (const batch of [false, true]) {
    let expected: number | string;
    let worst: number | string;
    if (prefix) {
      const write = prefix.ttl === '1h' ? { cacheWrite1hTokens: prefix.tokens } : { cacheWrite5mTokens: prefix.tokens };
      const firstRow = costOf({ inputTokens: meanInput - prefix.tokens, outputTokens: plan.expectedOutputTokens, ...write, batch });
      const laterRow = costOf({ inputTokens: meanInput - prefix.tokens, outputTokens: plan.expectedOutputTokens, cacheReadTokens: prefix.tokens, batch });
      expected = typeof firstRow === 'string' ? firstRow : typeof laterRow === 'string' ? laterRow : firstRow + (rows - 1) * laterRow;
      // Worst case: every row misses the cache and writes its prefix again.
      const worstRow = costOf({ inputTokens: worstInput - prefix.tokens, outputTokens: plan.maxTokens, ...write, batch });
      worst = typeof worstRow === 'string' ? worstRow : rows * worstRow;
    } else {
      const row = costOf({ inputTokens: meanInput, outputTokens: plan.expectedOutputTokens, batch });
      const worstRow = costOf({ inputTokens: worstInput, outputTokens: plan.maxTokens, batch });
      expected = typeof row === 'string' ? row : rows * row;
      worst = typeof worstRow === 'string' ? worstRow : rows * worstRow;
    }
    if (typeof expected === 'string' || typeof worst === 'string') return { known: false, reason: typeof expected === 'string' ? expected : String(worst), notes };
    lines[batch ? 'batch' : 'now'] = { expectedUsd: expected, worstCaseUsd: worst };
  }
  notes.push(`expected: ${formatCount(plan.expectedOutputTokens)} output tokens a row; worst case: max_tokens (${formatCount(plan.maxTokens)}) a row${plan.tokens.errorBound > 0 ? ' and input at the top of the error bound' : ''}`);
  if (prefix) notes.push(`the rows share a cached prefix of about ${formatCount(prefix.tokens)} tokens: written by the first row, read by the others within the ${prefix.ttl} TTL (cache hits in batches are best effort)`);
  return { known: true, now: lines.now, batch: lines.batch, cachedPrefixTokens: prefix?.tokens, notes };
}

/**
 * The cached prefix the rows share: the span up to the last cache breakpoint, when no row value
 * falls inside it. Found by rendering the request with empty and with long row values: a prefix
 * whose size does not change holds no row value.
 */
function sharedCachedPrefix(plan: DatasetPlan, prompt: PromptFile, promptValues: Readonly<Record<string, string>>, meanInput: number): { tokens: number; ttl: '5m' | '1h' } | undefined {
  const render = (filler: string): Record<string, unknown> => {
    const values: Record<string, string> = { ...promptValues };
    for (const variable of plan.binding.columns.keys()) values[variable] = filler;
    return resolveRequest(prompt, values).request;
  };
  const prefixOf = (request: Record<string, unknown>): { tokens: number; share: number; ttl: '5m' | '1h' } => {
    const cache = cacheBreakpoints(request as unknown as CountableRequest);
    const estimate = estimateInputTokens(request as unknown as CountableRequest);
    const last = cache.breakpoints[cache.breakpoints.length - 1];
    return { tokens: Math.round(cache.readShare * estimate), share: cache.readShare, ttl: last?.ttl ?? '5m' };
  };
  const short = prefixOf(render(''));
  const long = prefixOf(render('x'.repeat(4000)));
  if (short.tokens === 0 || short.tokens !== long.tokens) return undefined;
  // Scale the (offline) prefix estimate onto the counted mean: the prefix's share of a typical row.
  const typical = prefixOf(render('x'.repeat(Math.max(0, Math.round(meanInput)))));
  return { tokens: Math.min(Math.round(meanInput), Math.round(typical.share * meanInput)), ttl: short.ttl };
}

function timePlan(plan: DatasetPlan, limits: Partial<RateLimits> | undefined, maxConcurrency: number): TimePlan {
  const rows = plan.rows.runnable;
  if (!limits?.requestsPerMinute || !limits.inputTokensPerMinute || !limits.outputTokensPerMinute) return { limits };
  // Each bucket starts full, so the first minute's worth goes at once; the rest at the refill rate.
  const cachedRead = plan.cost.cachedPrefixTokens ? plan.cost.cachedPrefixTokens * Math.max(0, rows - 1) : 0;
  const minutes: [NonNullable<TimePlan['boundBy']>, number][] = [
    ['requests per minute', Math.max(0, rows - limits.requestsPerMinute) / limits.requestsPerMinute],
    ['input tokens per minute', Math.max(0, plan.tokens.total - cachedRead - limits.inputTokensPerMinute) / limits.inputTokensPerMinute],
    ['output tokens per minute', Math.max(0, rows * plan.expectedOutputTokens - limits.outputTokensPerMinute) / limits.outputTokensPerMinute],
    // Assumed: a reply takes a second plus its output at 60 tokens a second.
    ['concurrency', (rows * (1 + plan.expectedOutputTokens / 60)) / Math.max(1, maxConcurrency) / 60],
  ];
  const [boundBy, longest] = minutes.reduce((a, b) => (b[1] > a[1] ? b : a));
  return { seconds: Math.ceil(longest * 60), boundBy, limits };
}
