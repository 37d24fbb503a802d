// `npm start` can run the project's API simulator and offer it to the extension through the
// extension host's environment. Only the person who starts VS Code sets that environment: a
// workspace cannot (settings, files and prompts never reach process.env), so a workspace can make
// neither a real run look simulated nor a simulated run look real.

/** The environment variable that carries the simulator's URL (set by `npm start`). */
export const SIMULATOR_URL_VARIABLE = 'PROMPT_WORKBENCH_SIMULATOR_URL';
/** `always` (npm start -- --simulator) or `withoutKey` (the default: only while no key is set). */
export const SIMULATOR_USE_VARIABLE = 'PROMPT_WORKBENCH_SIMULATOR_USE';

/**
 * The key sent to the simulator. It is not a secret and no real API accepts it, so a request meant
 * for the simulator that reached the real API would be refused, never billed.
 */
export const SIMULATOR_API_KEY = 'sk-ant-simulator';

export interface SimulatorOffer {
  /** The simulator's base URL, always on the loopback interface. */
  url: string;
  /** Use it even when an API key is set (npm start -- --simulator). */
  always: boolean;
}

function isLoopback(url: URL): boolean {
  return url.protocol === 'http:' && (url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]');
}

/**
 * The simulator on offer, or undefined. Only an http URL on this machine's loopback interface is
 * taken: the simulator never listens elsewhere, and the label "simulator" must never be shown for
 * an answer that came over the network.
 */
export function simulatorOffer(env: Readonly<Record<string, string | undefined>>): SimulatorOffer | undefined {
  const raw = env[SIMULATOR_URL_VARIABLE];
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (!isLoopback(url) || url.username || url.password) return undefined;
  return { url: url.origin, always: env[SIMULATOR_USE_VARIABLE] === 'always' };
}

/** Where API calls go: the simulator, or the API with a key from SecretStorage or the environment. */
export type ApiTarget =
  | { kind: 'simulator'; baseURL: string; key: string }
  | { kind: 'api'; baseURL: string; key: string; source: 'secretStorage' | 'environment' };

/** Picks the target: the simulator when it is offered always, or offered and no key is set. */
export function chooseApiTarget(
  offer: SimulatorOffer | undefined,
  key: { key: string; source: 'secretStorage' | 'environment' } | undefined,
  apiBaseUrl: string,
): ApiTarget | undefined {
  if (offer && (offer.always || !key)) return { kind: 'simulator', baseURL: offer.url, key: SIMULATOR_API_KEY };
  if (key) return { kind: 'api', baseURL: apiBaseUrl, key: key.key, source: key.source };
  return undefined;
}

/** How a key is shown: its source and last four characters, never more. */
export function describeKey(key: string, source: 'secretStorage' | 'environment'): string {
  const tail = key.trim().length >= 12 ? key.trim().slice(-4) : '';
  const where = source === 'secretStorage' ? 'SecretStorage' : 'the environment (ANTHROPIC_API_KEY)';
  return tail ? `the key from ${where}, ending in …${tail}` : `the key from ${where}`;
}

/** Which credentials are active, for messages: never more of a key than its last four characters. */
export function describeTarget(target: ApiTarget | undefined): string {
  if (!target) return 'no API key is set';
  if (target.kind === 'simulator') return 'the local API simulator (started by npm start; no key is used)';
  return describeKey(target.key, target.source);
}
