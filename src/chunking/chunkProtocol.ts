// Every message between the chunk preview (Run Prompt over Chunks…) and the extension host, both
// directions, as discriminated unions. Plain data only: the page gets no path it could use, no key
// and no markup (every string is shown with textContent); a chunk is named by its index, and the
// host maps it back to the place in the source file.

/** Send, ask first, or refuse: the spend cap and the monthly budget on a worst case. */
export interface LimitsCheckView {
  kind: 'send' | 'confirm' | 'refuse';
  message?: string;
}

export interface CostPairView {
  /** Absent when a price is unknown. */
  expectedUsd?: number;
  worstUsd?: number;
}

/** One chunk as the preview lists it. */
export interface ChunkRowView {
  index: number;
  /** Counted tokens of the chunk's text as sent (its overlap included), without the prompt around it. */
  tokens: number;
  /** 1-based line and column where the chunk's own text starts in the source file. */
  line: number;
  column: number;
  /** Characters of the chunk's own region, and of the overlap sent before it. */
  characters: number;
  overlapCharacters: number;
  withinTarget: boolean;
  /** Finished by an earlier run of this job: not sent again. */
  done: boolean;
}

export interface ChunkPreviewView {
  promptName: string;
  model: string;
  /** The chunked variable and its file, relative to the workspace folder. */
  variable: string;
  source: string;
  sourceBytes: number;
  /** The per-chunk results file, relative to the workspace folder. */
  results: string;
  boundary: string;
  targetTokens: number;
  /** Declared in the prompt, or the default (window less the prompt, max_tokens and the headroom). */
  targetFrom: 'declared' | 'default';
  overlapTokens: number;
  /** The prompt's own tokens, sent with every chunk. */
  overheadTokens: number;
  maxTokens: number;
  /** count_tokens calls the sizing made (0 when the saved chunks of an earlier run were reused). */
  countCalls: number;
  chunks: ChunkRowView[];
  /** How the results are stitched, in words ("concatenated under chunk markers", "reduced by merge.prompt.json on claude-x"). */
  stitch: string;
  cost: {
    known: boolean;
    reason?: string;
    map: { now: CostPairView; batch: CostPairView };
    reduce: CostPairView;
    total: { now: CostPairView; batch: CostPairView };
  };
  /** The whole job's worst case now, against the spend cap and the monthly budget. */
  limitsCheck: LimitsCheckView;
  /** The same at batch prices (×0.5). */
  batchLimitsCheck: LimitsCheckView;
  /** Submit as Batch: offered once the batch path for chunks is wired; `reason` says why not yet. */
  batch: { available: boolean; reason?: string };
  /** Chunks finished by an earlier, cancelled or interrupted, run of the same job. */
  alreadyDone: number;
  warnings: string[];
  errors: string[];
}

export type ChunkJobState = 'planned' | 'running' | 'reducing' | 'finished' | 'cancelled' | 'stopped' | 'failed' | 'submitted';

export interface ChunkProgressView {
  /** Chunks this run sends (not finished before). */
  toSend: number;
  succeeded: number;
  errored: number;
  alreadyDone: number;
  /** Reduce requests sent so far. */
  reduceRequests: number;
  costUsd: number;
}

export type HostToPreview =
  | { type: 'preview'; preview: ChunkPreviewView }
  | { type: 'state'; state: ChunkJobState; message?: string }
  | { type: 'progress'; progress: ChunkProgressView };

export type PreviewToHost =
  | { type: 'ready' }
  /** Sends the chunks not yet finished (all of them the first time), then stitches. */
  | { type: 'start' }
  /** Forgets the finished chunks of an earlier run and starts a new results file. */
  | { type: 'startOver' }
  | { type: 'cancel' }
  /** The chunks as a Message Batch at half price (the batch path wires it). */
  | { type: 'submitBatch' }
  /** Opens the source file where chunk `index` starts. */
  | { type: 'openChunk'; index: number }
  /** Opens the per-chunk results in the results grid. */
  | { type: 'showResults' }
  /** Opens the stitched output in the run panel. */
  | { type: 'showOutput' };

const PLAIN_MESSAGES: readonly PreviewToHost['type'][] = ['ready', 'start', 'startOver', 'cancel', 'submitBatch', 'showResults', 'showOutput'];

/** A message from the page, checked at run time (the page is not trusted to send only what it should). */
export function parsePreviewMessage(message: unknown): PreviewToHost | undefined {
  const candidate = message as { type?: unknown; index?: unknown } | null;
  const type = candidate?.type;
  if (type === 'openChunk') {
    const index = candidate?.index;
    return typeof index === 'number' && Number.isInteger(index) && index >= 0 ? { type, index } : undefined;
  }
  return typeof type === 'string' && (PLAIN_MESSAGES as readonly string[]).includes(type) ? ({ type } as PreviewToHost) : undefined;
}
