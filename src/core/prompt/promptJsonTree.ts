// A strict JSON parser that keeps the source range of every value and key, for live diagnostics
// on .prompt.json files.
//
// Why not jsonc-parser's parseTree: measured on this machine (Node 20), parseTree took 90-120 ms
// for a 5 MB file holding one long document and 370-600 ms for a 7.9 MB conversation of small
// messages, against a 50 ms budget for validating while the user types. Most of that is garbage
// collection: a tree of several hundred thousand small objects that all survive the young
// generation. This parser writes the tree into a few typed arrays instead (one row per value, in
// document order, like a "tape"), creates no string until a caller asks for one, and notes while
// scanning which strings contain escapes or "{{", so the placeholder pass can skip the rest.
// It stops at the first syntax error; promptFile.ts asks jsonc-parser (which recovers and reports
// every error) for the full list when the text is small enough for that to be quick.
//
// Offsets are UTF-16 code unit indices into the text, as in JS strings and VS Code's positionAt.

export type JsonType = 'object' | 'array' | 'string' | 'number' | 'boolean' | 'null';

/** A segment of a JSON path: a property name or an array index. */
export type JsonPath = (string | number)[];

export interface JsonSyntaxError {
  offset: number;
  length: number;
  message: string;
}

export type JsonTreeResult = { tree: JsonTree; error?: undefined } | { tree?: undefined; error: JsonSyntaxError };

/** Deeper nesting than this is refused rather than risking a stack overflow in the recursive descent. */
export const MAX_JSON_DEPTH = 1000;

const OBJECT = 1;
const ARRAY = 2;
const STRING = 3;
const NUMBER = 4;
const TRUE = 5;
const FALSE = 6;
const NULL = 7;
const TYPE_OF_KIND: readonly JsonType[] = ['null', 'object', 'array', 'string', 'number', 'boolean', 'boolean', 'null'];

// Flags, per row.
const VALUE_ESCAPED = 1;
/** The source has "{{". */
const VALUE_HAS_BRACES = 2;
/**
 * The source has an escape that can produce a character of a placeholder (\uXXXX, or \t, which
 * may pad a name); other escapes (\n, \", …) produce characters that cannot be part of one.
 */
const VALUE_PLACEHOLDER_ESCAPE = 4;
/** A property name's flags are the same, shifted by KEY_FLAG_SHIFT. */
const KEY_FLAG_SHIFT = 3;
const KEY_ESCAPED = VALUE_ESCAPED << KEY_FLAG_SHIFT;
const KEY_HAS_BRACES = VALUE_HAS_BRACES << KEY_FLAG_SHIFT;
const KEY_PLACEHOLDER_ESCAPE = VALUE_PLACEHOLDER_ESCAPE << KEY_FLAG_SHIFT;

const enum Char {
  Tab = 0x09,
  LineFeed = 0x0a,
  CarriageReturn = 0x0d,
  Space = 0x20,
  Quote = 0x22,
  Asterisk = 0x2a,
  Plus = 0x2b,
  Comma = 0x2c,
  Minus = 0x2d,
  Dot = 0x2e,
  Slash = 0x2f,
  Zero = 0x30,
  Nine = 0x39,
  Colon = 0x3a,
  UpperE = 0x45,
  OpenBracket = 0x5b,
  Backslash = 0x5c,
  CloseBracket = 0x5d,
  LowerB = 0x62,
  LowerE = 0x65,
  LowerF = 0x66,
  LowerN = 0x6e,
  LowerR = 0x72,
  LowerT = 0x74,
  LowerU = 0x75,
  OpenBrace = 0x7b,
  CloseBrace = 0x7d,
}

/** Storage of a released tree, taken by the next parse that fits in it; at most one is kept. */
let spareRows: Int32Array | undefined;
/** Larger storage is not kept after its tree is released (it would hold memory for one huge file). */
const MAX_SPARE_BYTES = 32 * 1024 * 1024;

// Row layout: ROW_WIDTH int32 fields per node in one Int32Array. A single buffer, grown by
// doubling, keeps allocation (and the GC work it causes) independent of the node count.
const KIND_AND_FLAGS = 0; // kind in the low 4 bits, flags above
const OFFSET = 1;
const LENGTH = 2;
const KEY_OFFSET = 3;
const KEY_LENGTH = 4;
const PARENT = 5;
const NEXT_SIBLING = 6;
const CHILD_COUNT = 7;
const END = 8;
const ROW_WIDTH = 9;
const FLAG_SHIFT = 4;
const KIND_MASK = 0xf;

/**
 * A parsed JSON document. Nodes are row numbers: the root is 0 and rows are in document order,
 * so the descendants of node n are exactly the rows n + 1 .. end(n) - 1.
 */
export class JsonTree {
  /** @internal */ constructor(
    readonly text: string,
    /** Number of nodes. */
    readonly size: number,
    private rows: Int32Array,
  ) {}

  /**
   * Hands the tree's storage back for the next parse to reuse, which spares allocating (and the
   * garbage collector reclaiming) megabytes per keystroke on large prompts. The tree must not
   * be used afterwards.
   */
  release(): void {
    if (this.rows.length * Int32Array.BYTES_PER_ELEMENT <= MAX_SPARE_BYTES && (spareRows === undefined || spareRows.length < this.rows.length)) spareRows = this.rows;
    this.rows = new Int32Array(0);
  }

  private field(node: number, field: number): number {
    return this.rows[node * ROW_WIDTH + field] as number;
  }

  private kind(node: number): number {
    return (this.rows[node * ROW_WIDTH + KIND_AND_FLAGS] as number) & KIND_MASK;
  }

  private hasFlag(node: number, flags: number): boolean {
    return (((this.rows[node * ROW_WIDTH + KIND_AND_FLAGS] as number) >> FLAG_SHIFT) & flags) !== 0;
  }

  type(node: number): JsonType {
    return TYPE_OF_KIND[this.kind(node)] as JsonType;
  }

  /** Offset of the first character of the value (its quote, bracket, digit or letter). */
  offset(node: number): number {
    return this.field(node, OFFSET);
  }

  /** Length of the value's source text, quotes and brackets included. */
  length(node: number): number {
    return this.field(node, LENGTH);
  }

  /** Offset of the quote opening the node's property name, or -1 for an array item or the root. */
  keyOffset(node: number): number {
    return this.field(node, KEY_OFFSET);
  }

  /** Length of the property name's source text, quotes included (0 when there is no name). */
  keyLength(node: number): number {
    return this.field(node, KEY_LENGTH);
  }

  /** The parent node, or -1 for the root. */
  parent(node: number): number {
    return this.field(node, PARENT);
  }

  childCount(node: number): number {
    return this.field(node, CHILD_COUNT);
  }

  /** The first child of an object or array, or -1 when it is empty or not a container. */
  firstChild(node: number): number {
    return this.field(node, CHILD_COUNT) > 0 ? node + 1 : -1;
  }

  /** The next node with the same parent, or -1. */
  nextSibling(node: number): number {
    return this.field(node, NEXT_SIBLING);
  }

  /** The row after the node's last descendant. */
  end(node: number): number {
    return this.field(node, END);
  }

  /** The value of a string node (decoded on each call; callers keep it if they need it twice). */
  stringValue(node: number): string {
    const offset = this.field(node, OFFSET);
    const end = offset + this.field(node, LENGTH);
    if (this.hasFlag(node, VALUE_ESCAPED)) return JSON.parse(this.text.slice(offset, end)) as string;
    return this.text.slice(offset + 1, end - 1);
  }

  /**
   * The candidate equal to a string node's value, or undefined. Returns the candidate itself, so
   * checking a field against a fixed set of values (roles, block types) creates no string.
   */
  stringAmong<T extends string>(node: number, candidates: readonly T[]): T | undefined {
    if (this.kind(node) !== STRING) return undefined;
    if (this.hasFlag(node, VALUE_ESCAPED)) {
      const value = this.stringValue(node);
      return candidates.find((c) => c === value);
    }
    const start = this.field(node, OFFSET) + 1;
    const length = this.field(node, LENGTH) - 2;
    for (const candidate of candidates) {
      if (candidate.length === length && this.text.startsWith(candidate, start)) return candidate;
    }
    return undefined;
  }

  /** Whether a string node may hold a placeholder: its source contains "{{", or an escape that could spell part of one. */
  mayHoldPlaceholder(node: number): boolean {
    return this.hasFlag(node, VALUE_HAS_BRACES | VALUE_PLACEHOLDER_ESCAPE);
  }

  /**
   * Whether finding a string node's placeholders needs its decoded value. When false, the source
   * between the quotes (sourceContent) has exactly the same placeholders, at the same indices:
   * the escapes it may hold (\n, \", \\, …) produce no character a placeholder can contain.
   */
  placeholdersNeedDecoding(node: number): boolean {
    return this.hasFlag(node, VALUE_PLACEHOLDER_ESCAPE);
  }

  /** The source text between a string node's quotes, escapes as written. */
  sourceContent(node: number): string {
    const offset = this.field(node, OFFSET);
    return this.text.slice(offset + 1, offset + this.field(node, LENGTH) - 1);
  }

  /** Whether the node's property name may hold a placeholder (directly or through an escape). */
  keyMayHoldPlaceholder(node: number): boolean {
    return this.hasFlag(node, KEY_HAS_BRACES | KEY_PLACEHOLDER_ESCAPE);
  }

  numberValue(node: number): number {
    const offset = this.field(node, OFFSET);
    return Number(this.text.slice(offset, offset + this.field(node, LENGTH)));
  }

  booleanValue(node: number): boolean {
    return this.kind(node) === TRUE;
  }

  /** The property name of an object member, or undefined for an array item or the root. */
  key(node: number): string | undefined {
    const keyOffset = this.field(node, KEY_OFFSET);
    if (keyOffset < 0) return undefined;
    const end = keyOffset + this.field(node, KEY_LENGTH);
    if (this.hasFlag(node, KEY_ESCAPED)) return JSON.parse(this.text.slice(keyOffset, end)) as string;
    return this.text.slice(keyOffset + 1, end - 1);
  }

  /** Whether the node's property name is `name`, without creating a string for unescaped names. */
  keyIs(node: number, name: string): boolean {
    const keyOffset = this.field(node, KEY_OFFSET);
    if (keyOffset < 0) return false;
    if (this.hasFlag(node, KEY_ESCAPED)) return this.key(node) === name;
    return this.field(node, KEY_LENGTH) === name.length + 2 && this.text.startsWith(name, keyOffset + 1);
  }

  /** The value of property `name` of an object node (the last one when the name repeats, as with JSON.parse), or -1. */
  property(node: number, name: string): number {
    let found = -1;
    if (this.kind(node) !== OBJECT) return found;
    for (let child = this.firstChild(node); child !== -1; child = this.field(child, NEXT_SIBLING)) {
      if (this.keyIs(child, name)) found = child;
    }
    return found;
  }

  /** The path from the root to the node, e.g. ['request', 'messages', 0, 'content']. */
  path(node: number): JsonPath {
    const path: JsonPath = [];
    for (let n = node; this.field(n, PARENT) >= 0; n = this.field(n, PARENT)) {
      const parent = this.field(n, PARENT);
      if (this.kind(parent) === ARRAY) {
        let index = 0;
        for (let c = parent + 1; c !== n; c = this.field(c, NEXT_SIBLING)) index++;
        path.push(index);
      } else {
        path.push(this.key(n) as string);
      }
    }
    return path.reverse();
  }

  /** The node as a plain JS value (JSON.parse of its source text, which is valid JSON). */
  value(node: number): unknown {
    const offset = this.field(node, OFFSET);
    return JSON.parse(this.text.slice(offset, offset + this.field(node, LENGTH)));
  }
}

/** Parses strict JSON (no comments, no trailing commas) into a JsonTree, or returns the first syntax error. */
export function parseJsonTree(text: string): JsonTreeResult {
  const parser = new JsonTreeParser(text);
  try {
    return { tree: parser.parseDocument() };
  } catch (err) {
    if (err instanceof JsonSyntaxFailure) return { error: err.syntaxError };
    throw err;
  }
}

class JsonSyntaxFailure extends Error {
  constructor(readonly syntaxError: JsonSyntaxError) {
    super(syntaxError.message);
  }
}

class JsonTreeParser {
  private pos = 0;
  private depth = 0;
  private size = 0;
  private rows: Int32Array;
  /** Flags of the last string scanned: VALUE_ESCAPED, VALUE_HAS_BRACES, VALUE_PLACEHOLDER_ESCAPE. */
  private stringFlags = 0;

  constructor(private readonly text: string) {
    // Pretty-printed prompts hold about one value per 30 characters; sizing for that avoids most
    // regrowth, and pages of a large zero-filled buffer that are never written cost nothing.
    const wanted = Math.max(256, Math.ceil(text.length / 32)) * ROW_WIDTH;
    if (spareRows !== undefined && spareRows.length >= wanted) {
      // Taken, not shared: a parse started while this tree is alive allocates its own.
      this.rows = spareRows;
      spareRows = undefined;
    } else {
      this.rows = new Int32Array(wanted);
    }
  }

  parseDocument(): JsonTree {
    this.skipWhitespace();
    if (this.pos >= this.text.length) this.fail(this.pos, 0, 'The file is empty: expected a JSON object.');
    this.parseValue(-1, -1, 0, 0);
    this.skipWhitespace();
    if (this.pos < this.text.length) this.fail(this.pos, 1, 'Unexpected text after the end of the JSON value.');
    return new JsonTree(this.text, this.size, this.rows);
  }

  /** Parses the value at pos into a new row and returns the row number. */
  private parseValue(parent: number, keyOffset: number, keyLength: number, keyFlags: number): number {
    const node = this.addRow(parent, keyOffset, keyLength);
    const start = this.pos;
    const c = this.text.charCodeAt(start);
    let kind: number;
    let flags = keyFlags;
    switch (c) {
      case Char.OpenBrace:
        kind = OBJECT;
        this.parseObject(node);
        break;
      case Char.OpenBracket:
        kind = ARRAY;
        this.parseArray(node);
        break;
      case Char.Quote:
        kind = STRING;
        this.scanString();
        flags |= this.stringFlags;
        break;
      case Char.LowerT:
        kind = TRUE;
        this.scanKeyword('true');
        break;
      case Char.LowerF:
        kind = FALSE;
        this.scanKeyword('false');
        break;
      case Char.LowerN:
        kind = NULL;
        this.scanKeyword('null');
        break;
      default:
        if (c !== Char.Minus && !isDigit(c)) this.failUnexpected('a value');
        kind = NUMBER;
        this.scanNumber();
    }
    const row = node * ROW_WIDTH;
    const rows = this.rows; // read after the children: parsing them may have grown the buffer
    rows[row + KIND_AND_FLAGS] = kind | (flags << FLAG_SHIFT);
    rows[row + OFFSET] = start;
    rows[row + LENGTH] = this.pos - start;
    rows[row + END] = this.size;
    return node;
  }

  private addRow(parent: number, keyOffset: number, keyLength: number): number {
    const node = this.size++;
    const row = node * ROW_WIDTH;
    if (row + ROW_WIDTH > this.rows.length) {
      const wider = new Int32Array(this.rows.length * 2);
      wider.set(this.rows);
      this.rows = wider;
    }
    const rows = this.rows;
    rows[row + KEY_OFFSET] = keyOffset;
    rows[row + KEY_LENGTH] = keyLength;
    rows[row + PARENT] = parent;
    rows[row + NEXT_SIBLING] = -1;
    rows[row + CHILD_COUNT] = 0;
    return node;
  }

  private parseObject(node: number): void {
    this.enter();
    this.pos++;
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) === Char.CloseBrace) {
      this.pos++;
      this.depth--;
      return;
    }
    let previous = -1;
    let count = 0;
    for (;;) {
      if (this.text.charCodeAt(this.pos) !== Char.Quote) this.failUnexpected('a property name in double quotes');
      const keyOffset = this.pos;
      this.scanString();
      const keyLength = this.pos - keyOffset;
      const keyFlags = this.stringFlags << KEY_FLAG_SHIFT;
      this.skipWhitespace();
      if (this.text.charCodeAt(this.pos) !== Char.Colon) this.failUnexpected(`':' after the property name ${this.text.slice(keyOffset, keyOffset + keyLength)}`);
      this.pos++;
      this.skipWhitespace();
      const child = this.parseValue(node, keyOffset, keyLength, keyFlags);
      if (previous >= 0) this.rows[previous * ROW_WIDTH + NEXT_SIBLING] = child;
      previous = child;
      count++;
      this.skipWhitespace();
      const c = this.text.charCodeAt(this.pos);
      if (c === Char.Comma) {
        const commaOffset = this.pos;
        this.pos++;
        this.skipWhitespace();
        if (this.text.charCodeAt(this.pos) === Char.CloseBrace) this.fail(commaOffset, 1, 'Trailing comma: JSON does not allow a comma before }.');
        continue;
      }
      if (c === Char.CloseBrace) {
        this.pos++;
        break;
      }
      this.failUnexpected(`',' or '}' after the value of ${this.text.slice(keyOffset, keyOffset + keyLength)}`);
    }
    this.rows[node * ROW_WIDTH + CHILD_COUNT] = count;
    this.depth--;
  }

  private parseArray(node: number): void {
    this.enter();
    this.pos++;
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) === Char.CloseBracket) {
      this.pos++;
      this.depth--;
      return;
    }
    let previous = -1;
    let count = 0;
    for (;;) {
      const child = this.parseValue(node, -1, 0, 0);
      if (previous >= 0) this.rows[previous * ROW_WIDTH + NEXT_SIBLING] = child;
      previous = child;
      count++;
      this.skipWhitespace();
      const c = this.text.charCodeAt(this.pos);
      if (c === Char.Comma) {
        const commaOffset = this.pos;
        this.pos++;
        this.skipWhitespace();
        if (this.text.charCodeAt(this.pos) === Char.CloseBracket) this.fail(commaOffset, 1, 'Trailing comma: JSON does not allow a comma before ].');
        continue;
      }
      if (c === Char.CloseBracket) {
        this.pos++;
        break;
      }
      this.failUnexpected("',' or ']' after an array item");
    }
    this.rows[node * ROW_WIDTH + CHILD_COUNT] = count;
    this.depth--;
  }

  /** Moves pos past the string starting at pos and sets stringFlags; validates escapes and control characters. */
  private scanString(): void {
    const text = this.text;
    const start = this.pos;
    let i = start + 1;
    let flags = 0;
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === Char.Quote) break;
      if (c === Char.Backslash) {
        flags |= VALUE_ESCAPED;
        const next = text.charCodeAt(i + 1);
        if (next === Char.LowerU || next === Char.LowerT) flags |= VALUE_PLACEHOLDER_ESCAPE;
        if (next === Char.LowerU) {
          if (!isHex(text.charCodeAt(i + 2)) || !isHex(text.charCodeAt(i + 3)) || !isHex(text.charCodeAt(i + 4)) || !isHex(text.charCodeAt(i + 5))) {
            this.fail(i, Math.min(6, text.length - i), 'Invalid \\u escape: expected four hex digits.');
          }
          i += 6;
        } else if (isSimpleEscape(next)) {
          i += 2;
        } else {
          this.fail(i, Number.isNaN(next) ? 1 : 2, 'Invalid escape sequence in string.');
        }
        continue;
      }
      if (c === Char.OpenBrace) {
        if (text.charCodeAt(i + 1) === Char.OpenBrace) flags |= VALUE_HAS_BRACES;
      } else if (c < Char.Space || Number.isNaN(c)) {
        if (Number.isNaN(c) || c === Char.LineFeed || c === Char.CarriageReturn) this.fail(start, i - start, 'Unterminated string: add the closing double quote.');
        this.fail(i, 1, 'Control character in string: write it as an escape such as \\t.');
      }
      i++;
    }
    this.pos = i + 1;
    this.stringFlags = flags;
  }

  private scanNumber(): void {
    const text = this.text;
    const start = this.pos;
    let i = start;
    if (text.charCodeAt(i) === Char.Minus) i++;
    const first = text.charCodeAt(i);
    if (first === Char.Zero) {
      i++;
    } else if (first > Char.Zero && first <= Char.Nine) {
      while (isDigit(text.charCodeAt(i))) i++;
    } else {
      this.fail(start, Math.max(1, i - start), 'Invalid number.');
    }
    if (text.charCodeAt(i) === Char.Dot) {
      i++;
      if (!isDigit(text.charCodeAt(i))) this.fail(start, i - start, 'Invalid number: expected a digit after the decimal point.');
      while (isDigit(text.charCodeAt(i))) i++;
    }
    const e = text.charCodeAt(i);
    if (e === Char.LowerE || e === Char.UpperE) {
      i++;
      const sign = text.charCodeAt(i);
      if (sign === Char.Plus || sign === Char.Minus) i++;
      if (!isDigit(text.charCodeAt(i))) this.fail(start, i - start, 'Invalid number: expected a digit in the exponent.');
      while (isDigit(text.charCodeAt(i))) i++;
    }
    if (isDigit(text.charCodeAt(i))) this.fail(start, i - start + 1, 'Invalid number: JSON numbers have no leading zeros.');
    this.pos = i;
  }

  private scanKeyword(word: string): void {
    if (!this.text.startsWith(word, this.pos)) this.failUnexpected('a value');
    this.pos += word.length;
  }

  private skipWhitespace(): void {
    const text = this.text;
    let i = this.pos;
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === Char.Space || c === Char.LineFeed || c === Char.CarriageReturn || c === Char.Tab) i++;
      else break;
    }
    this.pos = i;
  }

  private enter(): void {
    if (++this.depth > MAX_JSON_DEPTH) this.fail(this.pos, 1, `Nesting deeper than ${MAX_JSON_DEPTH} levels is not supported.`);
  }

  private failUnexpected(expected: string): never {
    const text = this.text;
    const c = text.charCodeAt(this.pos);
    if (Number.isNaN(c)) this.fail(this.pos, 0, `Unexpected end of file: expected ${expected}.`);
    const next = text.charCodeAt(this.pos + 1);
    if (c === Char.Slash && (next === Char.Slash || next === Char.Asterisk)) {
      this.fail(this.pos, 2, 'Comments are not allowed: a .prompt.json file is strict JSON.');
    }
    // Report the whole unexpected token (a string, or a word such as an unquoted key) rather than one character.
    const token = /^(?:"[^"\\\n]{0,98}"|[A-Za-z0-9_$.+-]+)/.exec(text.slice(this.pos, this.pos + 100));
    const length = token ? token[0].length : c >= 0xd800 && c <= 0xdbff ? 2 : 1;
    const found = text.slice(this.pos, this.pos + length);
    this.fail(this.pos, length, `Unexpected ${c === Char.Quote && length > 1 ? `string ${found}` : JSON.stringify(found)}: expected ${expected}.`);
  }

  private fail(offset: number, length: number, message: string): never {
    throw new JsonSyntaxFailure({ offset, length, message });
  }
}

function isDigit(c: number): boolean {
  return c >= Char.Zero && c <= Char.Nine;
}

function isHex(c: number): boolean {
  return (c >= Char.Zero && c <= Char.Nine) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

function isSimpleEscape(c: number): boolean {
  return (
    c === Char.Quote ||
    c === Char.Backslash ||
    c === Char.Slash ||
    c === Char.LowerB ||
    c === Char.LowerF ||
    c === Char.LowerN ||
    c === Char.LowerR ||
    c === Char.LowerT
  );
}
