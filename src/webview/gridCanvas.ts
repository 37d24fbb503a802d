// The results grid's rows as they are seen: their text drawn on one canvas the size of the view,
// which stays at the top of the view (position: sticky, which the compositor applies as it scrolls)
// and is drawn again at each new scroll offset. The DOM rows stay beneath it (role row and
// gridcell, their text transparent) for screen readers, clicks, hover and selection backgrounds, and
// are brought up to date once scrolling rests.
//
// Why: every row that scrolls into view as DOM costs style, layout, paint and raster. At a fling's
// pace (about 17 new rows a frame, in a software-rendered webview on 2 cores) that was some 8 ms of
// main-thread work a frame and 9 ms more on the compositor, viz and raster threads, and frames went
// over 16 ms whenever anything else ran. Drawn on a canvas, a frame takes about 5 ms of the main
// thread and 5 ms of the others (`npm run bench -- grid`). A canvas moved with the rows by
// transform (as this one first was) made Chromium layerize the page again on every frame, about
// 1 ms more; a sticky one does not. The price: when the compositor scrolls ahead of the page's next
// frame, the text stays where it was for that frame and the rows' backgrounds move on without it.
//
// Nothing here is styled by itself: the font is the grid's, each kind of row's colour is read from
// a hidden sample row with the same classes as a DOM row, and the columns are where a laid-out DOM
// row's cells are. A theme change or a resize reads them again.

/** How a row's text is coloured: as the DOM row's classes colour it (selection wins). */
export type Tone = 'normal' | 'errored' | 'skipped' | 'selected';

export interface DrawnRow {
  /** The text of each cell, in column order. */
  texts: readonly string[];
  tone: Tone;
}

export interface CanvasStyle {
  /** A CSS font shorthand, as the canvas's `font` takes it. */
  font: string;
  colours: Record<Tone, string>;
}

interface Column {
  left: number;
  width: number;
  /** Right-aligned (numbers). */
  right: boolean;
  /** Fades the text out over the column's last pixels, where a cell would have been cut with an ellipsis. */
  fade: CanvasGradient | undefined;
}

/**
 * A canvas holds a few buffers in flight to the compositor, and the first frames after one is
 * sized each allocate one (in a software-rendered webview about 20 ms each, measured under a
 * Chromium trace as the frame's commit). They are allocated up front: the canvas is drawn on this
 * many consecutive frames after it is sized, so the first scroll does not pay for them.
 */
const PRIME_FRAMES = 10;
/** The width over which text cut at a column's end fades out. */
const FADE_PX = 14;

export class GridCanvas {
  private columns: Column[] = [];
  private width = 0;
  private height = 0;
  private ratio = 0;
  private baseline = 0;
  private style: CanvasStyle | undefined;
  private primeFrames = 0;

  /** A grid canvas, or undefined in a webview that cannot draw on one (its DOM rows then show their own text). */
  static create(rowHeight: number): GridCanvas | undefined {
    const element = document.createElement('canvas');
    const context = element.getContext('2d');
    return context ? new GridCanvas(rowHeight, element, context) : undefined;
  }

  private constructor(
    private readonly rowHeight: number,
    readonly element: HTMLCanvasElement,
    private readonly context: CanvasRenderingContext2D,
  ) {
    element.className = 'grid-canvas';
    element.setAttribute('aria-hidden', 'true');
  }

  /** The size in CSS pixels it was last given, and the device pixel ratio then. */
  sizedFor(width: number, height: number, ratio: number): boolean {
    return this.width === width && this.height === height && this.ratio === ratio;
  }

  /**
   * Sizes the canvas to `width` by `height` CSS pixels at the device pixel ratio `ratio`,
   * with the grid's font and colours, and columns where `cells` (one laid-out DOM row's cells, in
   * column order) are. Right-aligned columns are the cells whose text is aligned right.
   */
  layout(width: number, height: number, ratio: number, style: CanvasStyle, cells: readonly HTMLElement[]): void {
    const resized = !this.sizedFor(width, height, ratio);
    this.width = width;
    this.height = height;
    this.ratio = ratio;
    this.style = style;
    if (resized) {
      this.element.width = Math.max(1, Math.round(width * ratio));
      this.element.height = Math.max(1, Math.round(height * ratio));
      this.element.style.width = `${width}px`;
      this.element.style.height = `${height}px`;
      this.primeFrames = PRIME_FRAMES;
    }
    // Sizing a canvas resets its context's state, so the font is set after it.
    const context = this.context;
    context.font = style.font;
    context.textBaseline = 'alphabetic';
    // Where a line box of rowHeight puts the baseline: the font's ascent and descent centred in it.
    const metrics = context.measureText('Mg');
    this.baseline = (this.rowHeight - (metrics.fontBoundingBoxAscent + metrics.fontBoundingBoxDescent)) / 2 + metrics.fontBoundingBoxAscent;
    const origin = cells[0]?.parentElement?.getBoundingClientRect().left ?? 0;
    this.columns = cells.map((cell) => {
      const box = cell.getBoundingClientRect();
      const left = box.left - origin;
      const right = getComputedStyle(cell).textAlign === 'right';
      let fade: CanvasGradient | undefined;
      if (!right && box.width > FADE_PX) {
        fade = context.createLinearGradient(left + box.width - FADE_PX, 0, left + box.width, 0);
        fade.addColorStop(0, 'rgba(0, 0, 0, 0)');
        fade.addColorStop(1, 'rgba(0, 0, 0, 1)');
      }
      return { left, width: box.width, right, fade };
    });
  }

  /** True while the canvas still wants to be drawn on the next frames (see PRIME_FRAMES). */
  get priming(): boolean {
    return this.primeFrames > 0;
  }

  /** Draws `rows` one a row height below the other, the first `y` CSS pixels from the canvas's top (0 or above it). */
  draw(rows: readonly DrawnRow[], y: number): void {
    if (this.primeFrames > 0) this.primeFrames--;
    const context = this.context;
    const style = this.style;
    context.setTransform(this.ratio, 0, 0, this.ratio, 0, 0);
    context.clearRect(0, 0, this.width, this.height);
    if (!style) return;
    for (let c = 0; c < this.columns.length; c++) {
      const column = this.columns[c] as Column;
      context.save();
      context.beginPath();
      context.rect(column.left, 0, column.width, this.height);
      context.clip();
      context.textAlign = column.right ? 'right' : 'left';
      const x = column.right ? column.left + column.width : column.left;
      let fill = '';
      for (let r = 0; r < rows.length; r++) {
        const row = rows[r] as DrawnRow;
        const text = row.texts[c];
        if (!text) continue;
        const colour = style.colours[row.tone];
        if (colour !== fill) context.fillStyle = fill = colour;
        context.fillText(text, x, y + r * this.rowHeight + this.baseline);
      }
      if (column.fade) {
        // Erases the text's last pixels in a gradient, whatever is behind the canvas.
        context.globalCompositeOperation = 'destination-out';
        context.fillStyle = column.fade;
        context.fillRect(column.left + column.width - FADE_PX, 0, FADE_PX, this.height);
      }
      context.restore();
    }
  }
}
