// Splits a JSON array arriving in chunks into the source text of its elements, so a dataset held as
// one large `[ {...}, {...} ]` file is read with constant memory: only one element is ever kept.
// It does not validate the elements (JSON.parse does that on each one, so one bad element is one
// bad row); it only tracks strings and nesting to know where each element ends.

export interface JsonArrayElement {
  /** The element's source text, ready for JSON.parse. */
  text: string;
  /** 1-based line where the element starts. */
  line: number;
  /** 0-based position in the array. */
  index: number;
}

export class JsonArraySyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
  }
}

const enum State {
  BeforeArray,
  BeforeElement,
  InElement,
  AfterArray,
}

/** Feed chunks with `push`, then call `end`; each complete element is passed to onElement. */
export class JsonArrayStream {
  private state = State.BeforeArray;
  private line = 1;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private element = '';
  private elementLine = 1;
  private index = 0;

  constructor(private readonly onElement: (element: JsonArrayElement) => void) {}

  push(chunk: string): void {
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (this.state === State.InElement) {
        if (this.inString) {
          if (this.escaped) this.escaped = false;
          else if (c === 0x5c) this.escaped = true;
          else if (c === 0x22) this.inString = false;
          else if (c === 0x0a) this.line++;
          continue;
        }
        if (c === 0x22) this.inString = true;
        else if (c === 0x7b || c === 0x5b) this.depth++;
        else if (c === 0x7d || c === 0x5d) {
          if (this.depth === 0) {
            // The closing bracket of the array ends a scalar last element.
            this.element += chunk.slice(start, i);
            this.finishElement();
            this.state = State.AfterArray;
            continue;
          }
          this.depth--;
        } else if (c === 0x2c && this.depth === 0) {
          this.element += chunk.slice(start, i);
          this.finishElement();
          this.state = State.BeforeElement;
          continue;
        } else if (c === 0x0a) this.line++;
        continue;
      }
      if (c === 0x0a) {
        this.line++;
        continue;
      }
      if (c === 0x20 || c === 0x09 || c === 0x0d || (c === 0xfeff && this.state === State.BeforeArray)) continue;
      switch (this.state) {
        case State.BeforeArray:
          if (c !== 0x5b) throw new JsonArraySyntaxError('the file must hold a JSON array ([ ... ]) of rows', this.line);
          this.state = State.BeforeElement;
          break;
        case State.BeforeElement:
          if (c === 0x5d && this.index === 0) {
            this.state = State.AfterArray;
            break;
          }
          this.state = State.InElement;
          this.element = '';
          this.elementLine = this.line;
          start = i;
          i--; // let the InElement branch see this character
          break;
        case State.AfterArray:
          throw new JsonArraySyntaxError('text after the end of the array', this.line);
      }
    }
    if (this.state === State.InElement) this.element += chunk.slice(start);
  }

  end(): void {
    if (this.state !== State.AfterArray) {
      throw new JsonArraySyntaxError(this.state === State.BeforeArray ? 'the file is empty; expected a JSON array of rows' : 'the array is not closed (missing ])', this.line);
    }
  }

  private finishElement(): void {
    const text = this.element.trim();
    this.element = '';
    this.depth = 0;
    if (text.length === 0) throw new JsonArraySyntaxError(`empty element at position ${this.index}`, this.elementLine);
    this.onElement({ text, line: this.elementLine, index: this.index++ });
  }
}
