// Where a prompt's cacheable blocks are, in the order the API caches them (tools, then system,
// then messages: §8), with their source ranges, their cache_control breakpoints and the
// {{variables}} each holds. Read from the positional tree the checks already built
// (promptJsonTree.ts), so finding the stable prefix of a multi-megabyte prompt walks its blocks
// and its placeholders, never its text: no parse of its own, no string built for a block.
import type { PlaceholderOccurrence } from '../prompt/promptFormat';
import type { JsonPath, JsonTree } from '../prompt/promptJsonTree';

export type PrefixPart = 'tools' | 'system' | 'messages';

/** A cache_control marker as written: its TTL and the source range of `"cache_control": {…}`. */
export interface WrittenBreakpoint {
  ttl: '5m' | '1h';
  offset: number;
  length: number;
}

/** One block of the prompt's prefix, in cache order (materialized on demand: see CacheLayout.segment). */
export interface CacheSegment {
  part: PrefixPart;
  /** How a person names it: `tools[0]`, `system[1]`, `messages[2].content[0]`, `messages[0]` (string content), `system` (a string). */
  label: string;
  /** JSON path of the block from the file's root, e.g. ['request', 'system', 1]. */
  path: JsonPath;
  /** Source range of the block's value. */
  offset: number;
  length: number;
  /**
   * `block`: an object that may carry cache_control. `string`: a string system prompt or message
   * content, which must become a text block first. `none`: a block that cannot carry one (thinking).
   */
  kind: SegmentKind;
  breakpoint?: WrittenBreakpoint;
}

export type SegmentKind = 'block' | 'string' | 'none';

const PARTS: readonly PrefixPart[] = ['tools', 'system', 'messages'];
const KINDS: readonly SegmentKind[] = ['block', 'string', 'none'];

/**
 * The blocks in cache order, as columns of typed arrays: a conversation of 25,000 blocks makes
 * no object per block (the garbage of one per block per keystroke was most of the cost).
 */
export class CacheSegments {
  /** @internal */ constructor(
    readonly count: number,
    private readonly columns: {
      offset: Int32Array;
      length: Int32Array;
      /** part index | kind index << 2 */
      info: Int32Array;
      /** tool, system block or message index */
      outer: Int32Array;
      /** content block index, or -1 for string content / a string system prompt */
      inner: Int32Array;
      /** Range of the block's placeholders in the placeholder list. */
      firstPlaceholder: Int32Array;
      endPlaceholder: Int32Array;
    },
    private readonly breakpoints: ReadonlyMap<number, WrittenBreakpoint>,
    readonly placeholders: readonly PlaceholderOccurrence[],
  ) {}

  part(i: number): PrefixPart {
    return PARTS[(this.columns.info[i] as number) & 3] as PrefixPart;
  }

  kind(i: number): SegmentKind {
    return KINDS[(this.columns.info[i] as number) >> 2] as SegmentKind;
  }

  offset(i: number): number {
    return this.columns.offset[i] as number;
  }

  length(i: number): number {
    return this.columns.length[i] as number;
  }

  breakpoint(i: number): WrittenBreakpoint | undefined {
    return this.breakpoints.get(i);
  }

  /** Indices of the blocks with a written breakpoint, in cache order. */
  withBreakpoints(): number[] {
    return [...this.breakpoints.keys()].sort((a, b) => a - b);
  }

  /** The block's placeholders: indices firstPlaceholder(i) .. endPlaceholder(i) - 1 of `placeholders`. */
  firstPlaceholder(i: number): number {
    return this.columns.firstPlaceholder[i] as number;
  }

  endPlaceholder(i: number): number {
    return this.columns.endPlaceholder[i] as number;
  }

  /** The block's variables, each once, in order of first use. */
  variables(i: number): string[] {
    const names: string[] = [];
    for (let p = this.firstPlaceholder(i); p < this.endPlaceholder(i); p++) {
      const name = (this.placeholders[p] as PlaceholderOccurrence).name;
      if (!names.includes(name)) names.push(name);
    }
    return names;
  }

  segment(i: number): CacheSegment {
    const part = this.part(i);
    const outer = this.columns.outer[i] as number;
    const inner = this.columns.inner[i] as number;
    let label: string;
    let path: JsonPath;
    if (part === 'messages') {
      label = inner >= 0 ? `messages[${outer}].content[${inner}]` : `messages[${outer}]`;
      path = inner >= 0 ? ['request', 'messages', outer, 'content', inner] : ['request', 'messages', outer, 'content'];
    } else if (outer >= 0) {
      label = `${part}[${outer}]`;
      path = ['request', part, outer];
    } else {
      label = part;
      path = ['request', part];
    }
    const breakpoint = this.breakpoint(i);
    return { part, label, path, offset: this.offset(i), length: this.length(i), kind: this.kind(i), ...(breakpoint ? { breakpoint } : {}) };
  }
}

/** A prompt's cache-relevant structure, from one walk of its tree. */
export interface CacheLayout {
  /** The request's model when it is a plain string (no placeholder). */
  model?: string;
  /** Variables in the model field: then every run may be another model, and nothing is stable. */
  modelVariables: string[];
  /** `speed: "fast"`: prices carry the fast-mode multiplier. */
  fast: boolean;
  segments: CacheSegments;
  /** The top-level `request.cache_control` (automatic caching: a breakpoint on the last cacheable block). */
  automatic?: WrittenBreakpoint;
  /** The `variables` object as written (small), for the values the prompt supplies itself. */
  variablesDeclared?: unknown;
  valuesFile?: string;
  /** Whether the prompt names a dataset; its `map` keys are bound to columns. */
  dataset?: { mapped: string[] };
}

/** Block types that cannot carry cache_control (§8 lists the ones that can). */
const UNCACHEABLE_TYPES = ['thinking', 'redacted_thinking'] as const;

/** The layout of a checked prompt's tree, or undefined when it has no `request` object. */
export function cacheLayoutOf(tree: JsonTree, placeholders: readonly PlaceholderOccurrence[]): CacheLayout | undefined {
  const root = 0;
  if (tree.size === 0 || tree.type(root) !== 'object') return undefined;
  const request = tree.property(root, 'request');
  if (request === -1 || tree.type(request) !== 'object') return undefined;

  const tools = tree.property(request, 'tools');
  const system = tree.property(request, 'system');
  const messages = tree.property(request, 'messages');
  const isArray = (node: number): boolean => node !== -1 && tree.type(node) === 'array';
  // Count first, so each column is allocated once.
  let capacity = (isArray(tools) ? tree.childCount(tools) : 0) + (isArray(system) ? tree.childCount(system) : 1);
  if (isArray(messages)) {
    for (let message = tree.firstChild(messages); message !== -1; message = tree.nextSibling(message)) {
      const content = tree.type(message) === 'object' ? tree.property(message, 'content') : -1;
      capacity += content !== -1 && tree.type(content) === 'array' ? tree.childCount(content) : 1;
    }
  }
  const columns = {
    offset: new Int32Array(capacity),
    length: new Int32Array(capacity),
    info: new Int32Array(capacity),
    outer: new Int32Array(capacity),
    inner: new Int32Array(capacity),
    firstPlaceholder: new Int32Array(capacity),
    endPlaceholder: new Int32Array(capacity),
  };
  const breakpoints = new Map<number, WrittenBreakpoint>();
  let count = 0;

  /** Index of the first placeholder at or after `offset` (placeholders are in document order). */
  const firstAtOrAfter = (offset: number): number => {
    let lo = 0;
    let hi = placeholders.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((placeholders[mid] as PlaceholderOccurrence).offset < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const markerOf = (marker: number): WrittenBreakpoint => {
    const ttl = tree.property(marker, 'ttl');
    const keyOffset = tree.keyOffset(marker);
    return {
      ttl: ttl !== -1 && tree.stringAmong(ttl, ['1h']) === '1h' ? '1h' : '5m',
      offset: keyOffset,
      length: tree.offset(marker) + tree.length(marker) - keyOffset,
    };
  };
  const breakpointOf = (block: number): WrittenBreakpoint | undefined => {
    const marker = tree.property(block, 'cache_control');
    return marker !== -1 && tree.type(marker) === 'object' ? markerOf(marker) : undefined;
  };
  // Placeholders of the blocks of one part are in document order: a cursor moves forward through
  // them, set once per part by a binary search (the parts may come in any order in the file).
  let cursor = 0;
  const add = (part: number, outer: number, inner: number, node: number): void => {
    const offset = tree.offset(node);
    const length = tree.length(node);
    let kind = 1;
    const type = tree.type(node);
    if (type === 'object') {
      kind = 0;
      let marker = -1;
      // One pass over the block's keys for both "type" and "cache_control".
      for (let child = tree.firstChild(node); child !== -1; child = tree.nextSibling(child)) {
        if (tree.keyIs(child, 'type')) {
          if (tree.stringAmong(child, UNCACHEABLE_TYPES) !== undefined) kind = 2;
        } else if (tree.keyIs(child, 'cache_control')) marker = child;
      }
      if (kind === 0 && marker !== -1 && tree.type(marker) === 'object') breakpoints.set(count, markerOf(marker));
    } else if (type !== 'string') kind = 2;
    while (cursor < placeholders.length && (placeholders[cursor] as PlaceholderOccurrence).offset < offset) cursor++;
    const first = cursor;
    while (cursor < placeholders.length && (placeholders[cursor] as PlaceholderOccurrence).offset < offset + length) cursor++;
    columns.offset[count] = offset;
    columns.length[count] = length;
    columns.info[count] = part | (kind << 2);
    columns.outer[count] = outer;
    columns.inner[count] = inner;
    columns.firstPlaceholder[count] = first;
    columns.endPlaceholder[count] = cursor;
    count++;
  };

  if (isArray(tools)) {
    cursor = firstAtOrAfter(tree.offset(tools));
    let i = 0;
    for (let tool = tree.firstChild(tools); tool !== -1; tool = tree.nextSibling(tool), i++) add(0, i, -1, tool);
  }
  if (system !== -1) cursor = firstAtOrAfter(tree.offset(system));
  if (isArray(system)) {
    let i = 0;
    for (let block = tree.firstChild(system); block !== -1; block = tree.nextSibling(block), i++) add(1, i, -1, block);
  } else if (system !== -1 && tree.type(system) === 'string' && tree.length(system) > 2) add(1, -1, -1, system);
  if (isArray(messages)) {
    cursor = firstAtOrAfter(tree.offset(messages));
    let m = 0;
    for (let message = tree.firstChild(messages); message !== -1; message = tree.nextSibling(message), m++) {
      const content = tree.type(message) === 'object' ? tree.property(message, 'content') : -1;
      if (content === -1) continue;
      if (tree.type(content) === 'array') {
        let b = 0;
        for (let block = tree.firstChild(content); block !== -1; block = tree.nextSibling(block), b++) add(2, m, b, block);
      } else add(2, m, -1, content);
    }
  }

  const layout: CacheLayout = { modelVariables: [], fast: false, segments: new CacheSegments(count, columns, breakpoints, placeholders) };
  const model = tree.property(request, 'model');
  if (model !== -1 && tree.type(model) === 'string') {
    const first = firstAtOrAfter(tree.offset(model));
    const names: string[] = [];
    for (let p = first; p < placeholders.length && (placeholders[p] as PlaceholderOccurrence).offset < tree.offset(model) + tree.length(model); p++) {
      names.push((placeholders[p] as PlaceholderOccurrence).name);
    }
    if (names.length > 0) layout.modelVariables = names;
    else layout.model = tree.stringValue(model);
  }
  const speed = tree.property(request, 'speed');
  layout.fast = speed !== -1 && tree.stringAmong(speed, ['fast']) === 'fast';
  const automatic = breakpointOf(request);
  if (automatic) layout.automatic = automatic;
  const variables = tree.property(root, 'variables');
  if (variables !== -1 && tree.type(variables) === 'object') layout.variablesDeclared = tree.value(variables);
  const valuesFile = tree.property(root, 'valuesFile');
  if (valuesFile !== -1 && tree.type(valuesFile) === 'string') layout.valuesFile = tree.stringValue(valuesFile);
  const dataset = tree.property(root, 'dataset');
  if (dataset !== -1 && tree.type(dataset) === 'object') {
    const map = tree.property(dataset, 'map');
    const mapped: string[] = [];
    if (map !== -1 && tree.type(map) === 'object') {
      for (let entry = tree.firstChild(map); entry !== -1; entry = tree.nextSibling(entry)) mapped.push(tree.key(entry) as string);
    }
    layout.dataset = { mapped };
  }
  return layout;
}
