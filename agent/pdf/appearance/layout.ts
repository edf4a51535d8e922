/**
 * The layout engine: resolves placements (rectangle or anchor text) to display coordinates
 * (the page as a viewer shows it), places images and text boxes on per-page sheets, and emits
 * the PDF objects. sheet.ts converts to the file's space; the Decree 30 rules are in presets.ts.
 */
import { KysoError } from '../../errors/index.ts';
import {
  signWarning,
  type SignWarning,
  type SignWarningDetails,
  type WarningCode,
} from '../../protocol/index.ts';
import { type AnchorHit, AnchorFinder } from './anchor.ts';
import { FontSubset, liberationSerifItalic } from './font.ts';
import {
  displaySize,
  intersects,
  keepWithin,
  rectHeight,
  rectWidth,
  userRectToDisplay,
  visibleBox,
} from './geometry.ts';
import { type DecodedImage, imageObjects } from './png.ts';
import { Sheet, assemble } from './sheet.ts';
import type {
  AppearanceContext,
  AppearanceObject,
  AppearanceRequest,
  PageGeometry,
  Placement,
  PlacedAppearance,
  Rect,
} from './types.ts';

/** Text box font size (Decree 30: Times New Roman 10 pt, upright, black). */
export const BOX_FONT_SIZE = 10;
/** Top-right box position: 15 mm from the right edge, 4 mm from the top (inside the top margin). */
const BOX_RIGHT_MARGIN = (15 / 25.4) * 72;
const BOX_TOP_MARGIN = (4 / 25.4) * 72;
const BOX_PADDING = 4;
export const LINE_GAP = 1.2;

/** Where something goes once its placement is resolved, in display coordinates. */
export interface Target {
  pageIndex: number;
  page: PageGeometry;
  box: Rect;
  /** Set when found by text: placeholders get covered, other text gets content above it. */
  anchor?: { placeholder: boolean; fontSize: number; italic: boolean };
}

export const MM = 72 / 25.4;
/** The free space search keeps a box this far from the visible page's left edge. */
const BOX_LEFT_LIMIT = 20 * MM;
/** Space kept between a top-right box and the page's text. */
const TEXT_CLEARANCE = 2;

const BOX_GAP = 3;

/** Moves a box down, keeping its size, until it overlaps none of the earlier boxes. */
function belowEarlierBoxes(box: Rect, earlier: Rect[]): Rect {
  let placed = box;
  for (let moved = true; moved;) {
    moved = false;
    for (const other of earlier) {
      if (!intersects(placed, other)) continue;
      const h = rectHeight(placed);
      placed = [placed[0], other[1] - BOX_GAP - h, placed[2], other[1] - BOX_GAP];
      moved = true;
    }
  }
  return placed;
}

/** Which image, for IMAGE_SCALED. */
export type ImageKind = 'signature' | 'seal';
const IMAGE_VI: Record<ImageKind, string> = { signature: 'chữ ký', seal: 'con dấu' };

const SCALED_NOTICE = 0.9;
const mm = (points: number): string => (points / MM).toFixed(1);

/** The top-right boxes' names in Vietnamese, for BOX_MOVED. */
const BOX_VI: Record<string, string> = {
  attachment: 'chữ ký tệp đính kèm',
  copy: 'chữ ký bản sao',
};

const isPlaceholder = (anchor: string): boolean => /^\s*[[{<].*[\]}>]\s*$/su.test(anchor);

export class Layout {
  readonly font = new FontSubset();
  private italic: FontSubset | undefined;
  readonly sheets = new Map<number, Sheet>();
  readonly finder: AnchorFinder;
  private readonly textBoxes = new Map<number, Promise<Rect[]>>();
  /** What did not go as asked, in the order it happened. */
  readonly warnings: SignWarning[] = [];

  constructor(readonly ctx: AppearanceContext) {
    this.finder = new AnchorFinder(ctx.pdf);
  }

  warn(code: WarningCode, details: SignWarningDetails = {}): void {
    this.warnings.push(signWarning(code, details));
  }

  /**
   * IMAGE_SCALED when an image ended up under 90% of its real size (pHYs, else the default
   * width): too big for half the page, for the gap between a title and a name, or for the
   * default approval place. Rectangles the caller gives are filled without a warning.
   */
  noteScaled(kind: ImageKind, pageIndex: number, real: [number, number], placed: Rect): void {
    const [w, h] = real;
    // A few per cent (a name a little close to its title) is the usual fit, not news.
    if (rectWidth(placed) >= w * SCALED_NOTICE) return;
    this.warn('IMAGE_SCALED', {
      image: kind,
      imageVi: IMAGE_VI[kind],
      pageNumber: pageIndex + 1,
      fromMm: `${mm(w)} × ${mm(h)}`,
      toMm: `${mm(rectWidth(placed))} × ${mm(rectHeight(placed))}`,
      fromWidthMm: Number(mm(w)),
      fromHeightMm: Number(mm(h)),
      toWidthMm: Number(mm(rectWidth(placed))),
      toHeightMm: Number(mm(rectHeight(placed))),
    });
  }

  /** Liberation Serif Italic, subset separately when some text is written in italics. */
  italicFont(): FontSubset {
    this.italic ??= new FontSubset(liberationSerifItalic());
    return this.italic;
  }

  /**
   * Boxes of the text the page's content draws, in display coordinates. Best effort: a page
   * whose text cannot be read counts as empty (the box then goes where it always went).
   */
  textOn(pageIndex: number): Promise<Rect[]> {
    let cached = this.textBoxes.get(pageIndex);
    if (!cached) {
      const page = this.page(pageIndex);
      cached = this.finder.glyphs(pageIndex).then(
        (glyphs) =>
          glyphs.filter((g) => g.ch.trim() !== '').map((g) => userRectToDisplay(page, g.box)),
        () => [],
      );
      this.textBoxes.set(pageIndex, cached);
    }
    return cached;
  }

  /**
   * The gap between a name and the title line above it (nearest text above, in the name's
   * column), as [bottom, top] in display coordinates; undefined when there is no such line.
   */
  async titleGap(target: Target): Promise<[number, number] | undefined> {
    const name = target.box;
    const slack = Math.max(20, rectWidth(name) * 0.25);
    const lo = name[0] - slack;
    const hi = name[2] + slack;
    const above = (await this.textOn(target.pageIndex)).filter(
      (b) => b[1] >= name[3] - 1 && b[0] < hi && b[2] > lo && b[1] - name[3] < 250,
    );
    if (above.length === 0) return undefined;
    const bottom = Math.min(...above.map((b) => b[1]));
    if (bottom - name[3] < 12) return undefined;
    return [name[3], bottom];
  }

  /**
   * The default top-right box of page 1: inside the visible page (CropBox), 15 mm from its
   * right and 4 mm from its top, below earlier boxes; where that covers the page's text, the
   * first free place to the left in the same band, else further down the right side.
   */
  private async topRightBox(w: number, h: number, preset: string): Promise<Rect> {
    const page = this.page(0);
    const vis = visibleBox(page);
    const right = vis[2] - BOX_RIGHT_MARGIN;
    const top = vis[3] - BOX_TOP_MARGIN;
    const start = keepWithin([right - w, top - h, right, top], vis);
    const earlier = this.earlierBoxesOn(0);
    const stacked = belowEarlierBoxes(start, earlier);
    const text = await this.textOn(0);
    // A little air around the page's text, none needed around earlier boxes.
    const obstacles = [...earlier, ...text.map((t) => pad(t, TEXT_CLEARANCE))];
    const free = (r: Rect): boolean =>
      r[1] >= vis[1] && r[0] >= vis[0] && !obstacles.some((o) => intersects(r, o));
    if (free(stacked)) return stacked;
    // Same band as the first box, further left.
    const band = obstacles.filter((o) => o[1] < start[3] && o[3] > start[1]);
    const rights = [...new Set(band.map((o) => o[0] - BOX_GAP))]
      .filter((x) => x < start[2])
      .sort((a, b) => b - a);
    const moved = (r: Rect, direction: 'left' | 'down' | 'none'): Rect => {
      this.warn(direction === 'none' ? 'BOX_OVER_TEXT' : 'BOX_MOVED', {
        preset,
        presetVi: BOX_VI[preset] ?? preset,
        direction,
        directionVi: direction === 'left' ? 'sang trái' : 'xuống dưới',
        rect: JSON.stringify(r.map((n) => Math.round(n * 10) / 10)),
      });
      return r;
    };
    for (const x of rights) {
      const r: Rect = [x - w, start[1], x, start[3]];
      if (r[0] >= vis[0] + BOX_LEFT_LIMIT && free(r)) return moved(r, 'left');
    }
    // Down the right side, just below whatever is in the way.
    const lower = [...new Set(obstacles.map((o) => o[1] - BOX_GAP))]
      .filter((y) => y < start[3])
      .sort((a, b) => b - a);
    for (const y of lower) {
      const r: Rect = [start[0], y - h, start[2], y];
      if (free(r)) return moved(r, 'down');
    }
    return moved(stacked, 'none');
  }

  /** Earlier top-right boxes on a page, in display coordinates. */
  earlierBoxesOn(pageIndex: number): Rect[] {
    return (this.ctx.earlierTextBoxes ?? [])
      .filter((b) => b.pageIndex === pageIndex)
      .map((b) => userRectToDisplay(this.page(pageIndex), b.rect));
  }

  page(index: number): PageGeometry {
    const page = Number.isInteger(index) ? this.ctx.pages[index] : undefined;
    if (!page) {
      throw new KysoError('PDF_PLACEMENT_INVALID', {
        reason: 'no such page',
        page: index,
        pageCount: this.ctx.pages.length,
      });
    }
    return page;
  }

  sheet(pageIndex: number): Sheet {
    let sheet = this.sheets.get(pageIndex);
    if (!sheet) {
      sheet = new Sheet(pageIndex, this.page(pageIndex));
      this.sheets.set(pageIndex, sheet);
    }
    return sheet;
  }

  allPages(lastFirst: boolean): number[] {
    const all = this.ctx.pages.map((_, i) => i);
    return lastFirst ? all.reverse() : all;
  }

  async resolve(placement: Placement, lastFirst = false): Promise<Target> {
    if ('rect' in placement) {
      const page = this.page(placement.page);
      const { width, height } = displaySize(page);
      const [x1, y1, x2, y2] = placement.rect;
      const finite = placement.rect.length === 4 && placement.rect.every(Number.isFinite);
      const tolerance = 1;
      if (
        !finite ||
        x2 <= x1 ||
        y2 <= y1 ||
        x1 < -tolerance ||
        y1 < -tolerance ||
        x2 > width + tolerance ||
        y2 > height + tolerance
      ) {
        throw new KysoError('PDF_PLACEMENT_INVALID', {
          reason: 'rectangle empty or outside the page',
          rect: JSON.stringify(placement.rect),
          pageWidth: width,
          pageHeight: height,
        });
      }
      return { pageIndex: placement.page, page, box: [x1, y1, x2, y2] };
    }
    if (placement.page !== undefined) this.page(placement.page); // validates the index
    const pages = placement.page === undefined ? this.allPages(lastFirst) : [placement.page];
    const hit: AnchorHit | null = await this.finder.find(placement.anchor, pages);
    if (!hit) {
      throw new KysoError('PDF_ANCHOR_NOT_FOUND', {
        anchor: placement.anchor,
        page: placement.page ?? null,
      });
    }
    const page = this.page(hit.pageIndex);
    return {
      pageIndex: hit.pageIndex,
      page,
      box: userRectToDisplay(page, hit.rect),
      anchor: {
        placeholder: isPlaceholder(placement.anchor),
        fontSize: hit.fontSize,
        italic: hit.italic,
      },
    };
  }

  /**
   * Puts an image on its target: fitted into a rectangle, or sized naturally around an anchor.
   * `gap` ([bottom, top]): centre it vertically there (between a title and a name), smaller
   * if it does not fit.
   */
  placeImage(
    image: DecodedImage,
    target: Target,
    naturalWidth: number,
    kind: ImageKind,
    gap?: [number, number],
  ): Rect {
    const sheet = this.sheet(target.pageIndex);
    const { width: pw, height: ph } = displaySize(target.page);
    const b = target.box;
    let r: Rect;
    if (!target.anchor) {
      r = fit(image, b);
    } else {
      const [w, h] = naturalSize(image, naturalWidth, pw, ph);
      const cx = (b[0] + b[2]) / 2;
      if (target.anchor.placeholder) {
        const cy = (b[1] + b[3]) / 2;
        sheet.whiteOut(pad(b, 1));
        r = [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2];
      } else if (gap && gap[1] - gap[0] - 4 >= 0.4 * h) {
        const k = Math.min(1, (gap[1] - gap[0] - 4) / h);
        const cy = (gap[0] + gap[1]) / 2;
        r = [cx - (w * k) / 2, cy - (h * k) / 2, cx + (w * k) / 2, cy + (h * k) / 2];
      } else {
        r = [cx - w / 2, b[3] + 2, cx + w / 2, b[3] + 2 + h];
      }
      r = keepWithin(r, visibleBox(target.page));
      this.noteScaled(kind, target.pageIndex, realSize(image, naturalWidth), r);
    }
    sheet.image(image, r);
    return r;
  }

  /** Lines in a box: given box (font shrunk to fit) or the default top-right box of page 1. */
  async textBox(lines: string[], request: AppearanceRequest): Promise<void> {
    let size = BOX_FONT_SIZE;
    const widest = (s: number): number => Math.max(...lines.map((l) => this.font.width(l, s)));
    const heightFor = (s: number): number =>
      2 * BOX_PADDING + 1.12 * s + (lines.length - 1) * LINE_GAP * s;
    let target: Target;
    let box: Rect;
    if (request.placement && 'rect' in request.placement) {
      target = await this.resolve(request.placement);
      box = target.box;
      const byWidth = (BOX_FONT_SIZE * (rectWidth(box) - 2 * BOX_PADDING)) / widest(BOX_FONT_SIZE);
      const byHeight = (BOX_FONT_SIZE * rectHeight(box)) / heightFor(BOX_FONT_SIZE);
      size = Math.max(4, Math.min(BOX_FONT_SIZE, byWidth, byHeight));
    } else {
      const w = widest(size) + 2 * BOX_PADDING;
      const h = heightFor(size);
      if (request.placement) {
        target = await this.resolve(request.placement);
        const b = target.box;
        box = [b[0], b[3] - h, b[0] + w, b[3]];
      } else {
        const page = this.page(0);
        target = { pageIndex: 0, page, box: visibleBox(page) };
        box = await this.topRightBox(w, h, request.preset);
      }
      box = keepWithin(box, visibleBox(target.page));
    }
    const sheet = this.sheet(target.pageIndex);
    if (target.anchor?.placeholder) sheet.whiteOut(pad(target.box, 1));
    sheet.frame(box, 0.5);
    let baseline = box[3] - BOX_PADDING - 0.9 * size;
    for (const line of lines) {
      sheet.text(this.font, line, box[0] + BOX_PADDING, baseline, size);
      baseline -= LINE_GAP * size;
    }
  }

  /**
   * The page's right margin (display x): where its text ends, between 20 mm and 10 mm from
   * the visible page's right edge (Decree 30: 15-20 mm).
   */
  async rightMargin(pageIndex: number): Promise<number> {
    const vis = visibleBox(this.page(pageIndex));
    const textRight = Math.max(-Infinity, ...(await this.textOn(pageIndex)).map((b) => b[2]));
    return Math.min(vis[2] - 10 * MM, Math.max(vis[2] - 20 * MM, textRight));
  }

  /** Writes a value (document number, issue date) into its field. */
  async field(
    value: string,
    placement: Placement | undefined,
    defaultAnchor: string,
  ): Promise<boolean> {
    let target: Target;
    try {
      target = await this.resolve(placement ?? { anchor: defaultAnchor });
    } catch (error) {
      // The default placeholder is optional (the caller warns that the value was not written).
      if (!placement && error instanceof KysoError && error.code === 'PDF_ANCHOR_NOT_FOUND') {
        return false;
      }
      throw error;
    }
    const sheet = this.sheet(target.pageIndex);
    const b = target.box;
    if (target.anchor) {
      // In the style of the placeholder's line (italic in "Hà Giang, ngày ... "), up to the
      // page's right margin: smaller when it would run past it.
      const font = target.anchor.italic ? this.italicFont() : this.font;
      const anchorSize = clamp(target.anchor.fontSize, 6, 20);
      if (target.anchor.placeholder) sheet.whiteOut(pad(b, 1));
      // The anchor box runs from 0.22 em below the baseline.
      const baseline = b[1] + 0.22 * anchorSize;
      const x = target.anchor.placeholder ? b[0] : b[2] + 0.25 * anchorSize;
      const limit = Math.max(b[2], await this.rightMargin(target.pageIndex));
      const natural = font.width(value, anchorSize);
      const size =
        x + natural > limit ? Math.max(4, (anchorSize * (limit - x)) / natural) : anchorSize;
      sheet.text(font, value, x, baseline, size);
    } else {
      let size = Math.min(13, rectHeight(b) * 0.7);
      size = Math.max(4, Math.min(size, (size * rectWidth(b)) / this.font.width(value, size)));
      sheet.include(b);
      sheet.text(this.font, value, b[0], b[1] + (rectHeight(b) - 0.68 * size) / 2, size);
    }
    return true;
  }
}

const clamp = (n: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, n));
export const pad = (r: Rect, p: number): Rect => [r[0] - p, r[1] - p, r[2] + p, r[3] + p];

/** Largest rectangle with the image's aspect ratio inside box, centred. */
export function fit(image: DecodedImage, box: Rect): Rect {
  const scale = Math.min(rectWidth(box) / image.width, rectHeight(box) / image.height);
  const w = image.width * scale;
  const h = image.height * scale;
  const x = (box[0] + box[2] - w) / 2;
  const y = (box[1] + box[3] - h) / 2;
  return [x, y, x + w, y + h];
}

/** Real size from the PNG's resolution when recorded (seals), else the default width. */
export function realSize(image: DecodedImage, defaultWidth: number): [number, number] {
  if (image.dpi !== undefined && image.dpi >= 30 && image.dpi <= 2400) {
    return [(image.width * 72) / image.dpi, (image.height * 72) / image.dpi];
  }
  return [defaultWidth, (defaultWidth * image.height) / image.width];
}

/** The real size, made smaller to fit half the page either way. */
export function naturalSize(
  image: DecodedImage,
  defaultWidth: number,
  pw: number,
  ph: number,
): [number, number] {
  const [w, h] = realSize(image, defaultWidth);
  const shrink = Math.min(1, (pw * 0.5) / w, (ph * 0.5) / h);
  return [w * shrink, h * shrink];
}

/** The sheets' PDF objects: images and the font subset once each, then the forms. */
export function emit(layout: Layout, ctx: AppearanceContext): PlacedAppearance {
  const allocate = (): number => ctx.allocateObjectId();
  const shared: AppearanceObject[] = [];
  const imageIds = new Map<DecodedImage, number>();
  // The main sheet is the first one created (the image or the box); fields may add more.
  const sheets = [...layout.sheets.values()];
  for (const sheet of sheets) {
    for (const image of sheet.images) {
      if (imageIds.has(image)) continue;
      const { imageId, objects } = imageObjects(image, allocate);
      imageIds.set(image, imageId);
      shared.push(...objects);
    }
  }
  const fontIds = new Map<FontSubset, number>();
  for (const sheet of sheets) {
    for (const font of sheet.fonts) {
      if (fontIds.has(font)) continue;
      const made = font.objects(allocate);
      fontIds.set(font, made.fontId);
      shared.push(...made.objects);
    }
  }
  return assemble(sheets, imageIds, fontIds, allocate, shared);
}
