/** One figure printed by `npm run bench`. */
export interface BenchFigure {
  name: string;
  value: number;
  unit: string;
  /** The target the issue set, if any, e.g. "< 50". */
  target?: string;
  /** Whether the figure meets the target; undefined when there is no target. */
  ok?: boolean;
  detail?: string;
}

/** Median of a list of samples (the mean of the two middle ones for an even count). */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) throw new Error('median of no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
