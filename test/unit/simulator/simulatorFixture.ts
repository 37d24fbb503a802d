// Shared set-up for the simulator's tests: a simulator per describe block, and the official SDK as
// the client, configured the way the extension configures it (explicit key and base URL).
import Anthropic, { type ClientOptions } from '@anthropic-ai/sdk';
import { start, type Simulator, type SimulatorOptions } from '../../simulator/server';

export const TEST_KEY = 'sk-ant-simulator-test';
export const MODEL = 'claude-sonnet-5-5';

/** An SDK client for the simulator; no retries unless a test asks for them. */
export function clientFor(sim: Simulator, options: Partial<ClientOptions> = {}): Anthropic {
  return new Anthropic({ apiKey: TEST_KEY, baseURL: sim.url, maxRetries: 0, ...options });
}

export interface SimulatorFixture {
  sim: Simulator;
  client: Anthropic;
}

/**
 * Starts one simulator for the enclosing describe block, resets it after each test and closes it at
 * the end. The returned object is filled in by the `before` hook.
 */
export function useSimulator(options: SimulatorOptions = {}): SimulatorFixture {
  const fixture = {} as SimulatorFixture;
  before(async () => {
    fixture.sim = await start(options);
    fixture.client = clientFor(fixture.sim);
  });
  afterEach(() => fixture.sim.reset());
  after(async () => {
    await fixture.sim.close();
  });
  return fixture;
}

/** Polls until `check` returns a value, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 3000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** A controllable clock for the `now` option. */
export class ManualClock {
  constructor(public time = Date.parse('2026-11-25T12:00:00Z')) {}
  readonly now = (): number => this.time;
  advance(ms: number): void {
    this.time += ms;
  }
}
