// The chunking declaration of a .prompt.json: a variable bound to a large file (or, when run over a
// dataset, to a column) marked with `chunk`, saying how large each piece is, how much consecutive
// pieces overlap, where to cut, and how the per-chunk results are stitched back together.
//
//   "variables": {
//     "contract": {
//       "file": "./data/contract.md",
//       "chunk": { "targetTokens": 20000, "overlapTokens": 200, "boundary": "paragraph",
//                  "reduce": { "type": "prompt", "path": "./merge-findings.prompt.json" } }
//     }
//   }
import type { PreferredBoundary } from './textBoundaries';

/** Concatenate the chunk results in order, each under a marker line ({{index}} and {{count}} are filled in). */
export interface ConcatenateReduce {
  type: 'concatenate';
  /** The line before each result. Default "--- chunk {{index}} of {{count}} ---". */
  marker?: string;
}

/** Send the results to a second prompt, in its {{results}} variable. */
export interface PromptReduce {
  type: 'prompt';
  /** A .prompt.json relative to this prompt, inside the workspace. */
  path: string;
}

/** Send the results to an inline Messages request whose strings hold {{results}}. */
export interface RequestReduce {
  type: 'request';
  request: Record<string, unknown>;
}

export type ChunkReduce = ConcatenateReduce | PromptReduce | RequestReduce;

/** The `chunk` key of a variable. Every field is optional. */
export interface ChunkDeclaration {
  /** Tokens per chunk; default: the model's context window less the prompt, max_tokens and the headroom. */
  targetTokens?: number;
  /** Tokens of the previous chunk sent again before each chunk. Default 0. */
  overlapTokens?: number;
  /** Where to cut by preference (smaller boundaries are the fallback). Default "paragraph". */
  boundary?: PreferredBoundary;
  /** How the results are stitched. Default: concatenate. */
  reduce?: 'concatenate' | ChunkReduce;
}

/** The variable that receives the results in a reduce step. */
export const RESULTS_VARIABLE = 'results';

export const DEFAULT_CHUNK_MARKER = '--- chunk {{index}} of {{count}} ---';

export interface ChunkedVariable {
  name: string;
  declaration: ChunkDeclaration;
  /** The variable's file, relative to the prompt, when it is bound to one. */
  file?: string;
}

type VariablesOf = Readonly<Record<string, unknown>> | undefined;

/** The prompt's chunked variable, if it declares one (the checks report a second one as an error). */
export function chunkedVariable(prompt: { variables?: VariablesOf }): ChunkedVariable | undefined {
  for (const [name, declaration] of Object.entries(prompt.variables ?? {})) {
    if (typeof declaration !== 'object' || declaration === null) continue;
    const chunk = (declaration as { chunk?: unknown }).chunk;
    if (typeof chunk !== 'object' || chunk === null || Array.isArray(chunk)) continue;
    const file = (declaration as { file?: unknown }).file;
    return { name, declaration: chunk as ChunkDeclaration, ...(typeof file === 'string' ? { file } : {}) };
  }
  return undefined;
}

/** The reduce step with its default filled in. */
export function reduceOf(declaration: ChunkDeclaration): ChunkReduce {
  const reduce = declaration.reduce;
  if (reduce === undefined || reduce === 'concatenate') return { type: 'concatenate' };
  return reduce;
}

/** The marker line before chunk `index` (0-based) of `count`. */
export function chunkMarker(marker: string | undefined, index: number, count: number): string {
  return (marker ?? DEFAULT_CHUNK_MARKER).replace(/\{\{\s*index\s*\}\}/g, String(index + 1)).replace(/\{\{\s*count\s*\}\}/g, String(count));
}
