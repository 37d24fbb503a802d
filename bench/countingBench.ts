// Exact token counting while the user types (issue 6): "after a scripted burst of edits, the
// simulator sees at most one count request per pause, and none for a request that has not changed".
// The real TokenCountScheduler (default 400 ms pause, real timers) counts through the official SDK
// against the local API simulator, so every count request is one the simulator records.
// One run of the script, with a fresh scheduler:
//   - PAUSES content bursts: 20 edits 30 ms apart (typing: each edit appends a word), then 600 ms idle;
//   - a burst that changes only max_tokens and metadata (not input): no request expected;
//   - a burst of undos that walks the last content burst back to the state before it, which was
//     counted after the previous pause: no request expected, the cached count is shown at once.
// RUNS runs; the latency figures are medians over all of them. The offline estimate's per-edit time
// (1 MB prompt) is estimateBench's figure, not repeated here.
import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import Anthropic from '@anthropic-ai/sdk';
import { TokenCountScheduler, type CountTokensFn, type TokenCountState } from '../src/core/counting/tokenCountScheduler';
import { inputRelevantKey, type CountableRequest } from '../src/core/counting/tokenEstimate';
import { start, type Simulator } from '../test/simulator/server';
import { countRequestTokens } from '../test/simulator/tokenizer';
import { median, runAlone, type BenchFigure } from './benchResult';

const MODEL = 'claude-sonnet-5-5';
const RUNS = 3;
const PAUSES = 5;
const EDITS_PER_BURST = 20;
const EDIT_GAP_MS = 30;
/** The scheduler's default; passed explicitly so the figure names what it measured. */
const DELAY_MS = 400;
const IDLE_MS = 600;

interface Request extends CountableRequest {
  max_tokens: number;
  metadata?: { user_id: string };
}

type PhaseKind = 'content' | 'irrelevant' | 'revert';

interface Phase {
  kind: PhaseKind;
  /** Count requests the simulator received from the burst's first edit to the end of the pause. */
  requests: number;
  /** Of those, requests whose input had already been sent for counting before. */
  repeats: number;
  /** Last keystroke to the exact count of the final request, or undefined if none was shown. */
  latencyMs: number | undefined;
  /** Whether the exact count shown equals the simulator's own count of the final request. */
  correct: boolean;
}

interface RunResult {
  phases: Phase[];
  /** Round trips of the count requests (SDK call start to reply), from the count function. */
  roundTripsMs: number[];
}

function requestFor(text: string, maxTokens: number, userId?: string): Request {
  return {
    model: MODEL,
    max_tokens: maxTokens,
    system: 'You are a careful editor. Answer in plain English.',
    messages: [{ role: 'user', content: text }],
    ...(userId ? { metadata: { user_id: userId } } : {}),
  };
}

/** The simulator's own count of a request: what an exact state must show. */
function simulatorCount(request: Request): number {
  return countRequestTokens(request as unknown as Record<string, unknown>, MODEL);
}

async function runScript(simulator: Simulator, client: Anthropic, run: number): Promise<RunResult> {
  const roundTripsMs: number[] = [];
  const count: CountTokensFn = (params, signal) => {
    const started = performance.now();
    return client.messages.countTokens(params, { signal }).then((r) => {
      roundTripsMs.push(performance.now() - started);
      return r.input_tokens;
    });
  };
  const scheduler = new TokenCountScheduler({ count, delayMs: DELAY_MS });
  const published: { at: number; state: TokenCountState }[] = [];
  scheduler.onDidUpdate((state) => published.push({ at: performance.now(), state }));
  /** Keys of every input the simulator has been asked to count in this run. */
  const sentKeys = new Set<string>();
  const phases: Phase[] = [];

  /** Plays `states` as one burst of edits, waits the pause, and sees what reached the simulator. */
  const burst = async (kind: PhaseKind, states: Request[]): Promise<void> => {
    const firstRequest = simulator.requests.length;
    let lastKeystroke = 0;
    for (let i = 0; i < states.length; i++) {
      if (i > 0) await sleep(EDIT_GAP_MS);
      lastKeystroke = performance.now();
      scheduler.request(states[i] as Request);
    }
    await sleep(IDLE_MS);
    const final = states[states.length - 1] as Request;
    const shown = published.find((p) => p.at >= lastKeystroke && p.state.kind === 'exact');
    let requests = 0;
    let repeats = 0;
    for (const recorded of simulator.requests.slice(firstRequest)) {
      if (recorded.endpoint !== 'count_tokens') continue;
      requests++;
      const key = inputRelevantKey(recorded.body as CountableRequest);
      if (sentKeys.has(key)) repeats++;
      sentKeys.add(key);
    }
    phases.push({
      kind,
      requests,
      repeats,
      latencyMs: shown ? shown.at - lastKeystroke : undefined,
      correct: shown?.state.inputTokens === simulatorCount(final) && scheduler.state?.kind === 'exact',
    });
  };

  try {
    let text = `Run ${run}: summarise the following notes for the release.`;
    let lastBurst: Request[] = [];
    let beforeLastBurst = requestFor(text, 1_024);
    for (let pause = 0; pause < PAUSES; pause++) {
      beforeLastBurst = requestFor(text, 1_024);
      lastBurst = [];
      for (let edit = 0; edit < EDITS_PER_BURST; edit++) {
        // Distinct content on every edit and in every burst.
        text += ` note${pause}-${edit}`;
        lastBurst.push(requestFor(text, 1_024));
      }
      await burst('content', lastBurst);
    }
    // Only fields count_tokens does not take: the count shown must not change and nothing is sent.
    const last = lastBurst[lastBurst.length - 1] as Request;
    await burst(
      'irrelevant',
      Array.from({ length: EDITS_PER_BURST }, (_, i) => ({ ...last, max_tokens: 2_048 + i * 64, metadata: { user_id: `user-${run}-${i}` } })),
    );
    // Undo the last content burst step by step: the states in between were never counted (they
    // never lasted a pause), the last one is the input counted after the previous pause.
    const undo = lastBurst
      .slice(0, -1)
      .reverse()
      .map((r) => ({ ...r, max_tokens: 4_096 }));
    undo.push({ ...beforeLastBurst, max_tokens: 4_096 });
    await burst('revert', undo);
    return { phases, roundTripsMs };
  } finally {
    scheduler.dispose();
  }
}

export async function benchCounting(): Promise<BenchFigure[]> {
  const simulator = await start({ port: 0 });
  const client = new Anthropic({ apiKey: 'sk-ant-bench', baseURL: simulator.url, maxRetries: 0 });
  try {
    // Warm-up outside the script: the socket, the SDK's first request, the JIT.
    for (let i = 0; i < 3; i++) await client.messages.countTokens({ model: MODEL, messages: [{ role: 'user', content: `warm-up ${i}` }] });
    simulator.reset();

    const results: RunResult[] = [];
    for (let run = 0; run < RUNS; run++) results.push(await runScript(simulator, client, run));
    const phases = results.flatMap((r) => r.phases);
    const of = (kind: PhaseKind): Phase[] => phases.filter((p) => p.kind === kind);
    const content = of('content');
    const unchanged = [...of('irrelevant'), ...of('revert')];

    const mostPerPause = Math.max(...phases.map((p) => p.requests));
    const repeats = phases.reduce((sum, p) => sum + p.repeats, 0);
    // A request in a pause whose final input was already counted is a request for unchanged input
    // even if its own input is new (an intermediate state of the burst).
    const unchangedRequests = repeats + unchanged.reduce((sum, p) => sum + p.requests - p.repeats, 0);
    const contentLatencies = content.map((p) => p.latencyMs).filter((ms): ms is number => ms !== undefined);
    const cachedLatencies = unchanged.map((p) => p.latencyMs).filter((ms): ms is number => ms !== undefined);
    const missing = phases.filter((p) => p.latencyMs === undefined).length;
    const wrong = phases.filter((p) => !p.correct).length;
    const roundTrips = results.flatMap((r) => r.roundTripsMs);
    const perPause = (kind: PhaseKind): string =>
      results.map((r) => r.phases.filter((p) => p.kind === kind).map((p) => p.requests).join(',')).join(' | ');
    const script =
      `${RUNS} runs x (${PAUSES} bursts of ${EDITS_PER_BURST} edits ${EDIT_GAP_MS} ms apart + a max_tokens/metadata burst + an undo burst back to a counted input), ` +
      `${IDLE_MS} ms idle after each, delayMs ${DELAY_MS}`;
    const checks = `${missing} pause(s) without an exact count, ${wrong} exact count(s) differing from the simulator's`;
    const latencyOk = missing === 0 && wrong === 0;

    return [
      {
        name: 'count requests per pause (most in any pause)',
        value: mostPerPause,
        unit: 'requests',
        target: '<= 1',
        ok: mostPerPause <= 1,
        detail: `${script}; per content pause, per run: ${perPause('content')}; max_tokens/metadata pauses: ${perPause('irrelevant')}; undo pauses: ${perPause('revert')}`,
      },
      {
        name: 'count requests for unchanged input',
        value: unchangedRequests,
        unit: 'requests',
        target: '= 0',
        ok: unchangedRequests === 0,
        detail: `requests whose input had been sent before, or sent in a pause ending on a counted input; ${RUNS * 2} such pauses (max_tokens/metadata, undo)`,
      },
      {
        name: 'last keystroke -> exact count, new input',
        value: round(median(contentLatencies)),
        unit: 'ms',
        ...(latencyOk ? {} : { target: 'an exact count after every pause', ok: false }),
        detail:
          `median of ${contentLatencies.length} pauses (slowest ${round(Math.max(...contentLatencies))} ms) = the ${DELAY_MS} ms pause + ` +
          `${round(median(contentLatencies) - DELAY_MS)} ms (timer, SDK count_tokens round trip median ${round(median(roundTrips))} ms); ${checks}`,
      },
      {
        name: 'last keystroke -> exact count, unchanged input (cached)',
        value: round(median(cachedLatencies)),
        unit: 'ms',
        ...(latencyOk ? {} : { target: 'an exact count after every pause', ok: false }),
        detail: `median of ${cachedLatencies.length} pauses (slowest ${round(Math.max(...cachedLatencies))} ms): shown synchronously from the cache, no pause, no request`,
      },
    ];
  } finally {
    await simulator.close();
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

if (require.main === module) runAlone('countingBench', benchCounting);
