/**
 * The layout engine: resolves placements (rectangle or anchor text) to display coordinates
 * (the page as a viewer shows it), places images and text boxes on per-page sheets, and emits
 * the PDF objects. sheet.ts converts to the file's space; the Decree 30 rules are in presets.ts.
 */
import { KysoError } from '../../errors/index.ts';
import { type AnchorHit, AnchorFinder } from './anchor.ts';
import { FontSubset } from './font.ts';
import { displaySize, keepInside, rectHeight, rectWidth, userRectToDisplay } from './geometry.ts';
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
  anchor?: { placeholder: boolean; fontSize: number };
}

const BOX_GAP = 3;

const intersects = (a: Rect, b: Rect): boolean =>
  a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];

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

const isPlaceholder = (anchor: string): boolean => /^\s*[[{<].*[\]}>]\s*$/su.test(anchor);

export class Layout {
  readonly font = new FontSubset();
  readonly sheets = new Map<number, Sheet>();
  readonly finder: AnchorFinder;

  constructor(readonly ctx: AppearanceContext) {
    this.finder = new AnchorFinder(ctx.pdf);
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
      anchor: { placeholder: isPlaceholder(placement.anchor), fontSize: hit.fontSize },
    };
  }

  /** Puts an image on its target: fitted into a rectangle, or sized naturally around an anchor. */
  placeImage(image: DecodedImage, target: Target, naturalWidth: number): Rect {
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
      } else {
        r = [cx - w / 2, b[3] + 2, cx + w / 2, b[3] + 2 + h];
      }
      r = keepInside(r, pw, ph);
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
        const { width, height } = displaySize(page);
        target = { pageIndex: 0, page, box: [0, 0, width, height] };
        box = [
          width - BOX_RIGHT_MARGIN - w,
          height - BOX_TOP_MARGIN - h,
          width - BOX_RIGHT_MARGIN,
          height - BOX_TOP_MARGIN,
        ];
        box = belowEarlierBoxes(box, this.earlierBoxesOn(0));
      }
      const { width, height } = displaySize(target.page);
      box = keepInside(box, width, height);
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

  /** Writes a value (document number, issue date) into its field. */
  async field(
    value: string,
    placement: Placement | undefined,
    defaultAnchor: string,
  ): Promise<void> {
    let target: Target;
    try {
      target = await this.resolve(placement ?? { anchor: defaultAnchor });
    } catch (error) {
      // The default placeholder is optional: the template may already carry the value.
      if (!placement && error instanceof KysoError && error.code === 'PDF_ANCHOR_NOT_FOUND') return;
      throw error;
    }
    const sheet = this.sheet(target.pageIndex);
    const b = target.box;
    if (target.anchor) {
      const size = clamp(target.anchor.fontSize, 6, 20);
      if (target.anchor.placeholder) sheet.whiteOut(pad(b, 1));
      // The anchor box runs from 0.22 em below the baseline.
      const baseline = b[1] + 0.22 * size;
      const x = target.anchor.placeholder ? b[0] : b[2] + 0.25 * size;
      sheet.text(this.font, value, x, baseline, size);
    } else {
      let size = Math.min(13, rectHeight(b) * 0.7);
      size = Math.max(4, Math.min(size, (size * rectWidth(b)) / this.font.width(value, size)));
      sheet.include(b);
      sheet.text(this.font, value, b[0], b[1] + (rectHeight(b) - 0.68 * size) / 2, size);
    }
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
export function naturalSize(
  image: DecodedImage,
  defaultWidth: number,
  pw: number,
  ph: number,
): [number, number] {
  let w: number;
  let h: number;
  if (image.dpi !== undefined && image.dpi >= 30 && image.dpi <= 2400) {
    w = (image.width * 72) / image.dpi;
    h = (image.height * 72) / image.dpi;
  } else {
    w = defaultWidth;
    h = (defaultWidth * image.height) / image.width;
  }
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
  let fontId: number | undefined;
  if (sheets.some((s) => s.usesFont)) {
    const font = layout.font.objects(allocate);
    fontId = font.fontId;
    shared.push(...font.objects);
  }
  return assemble(sheets, imageIds, fontId, allocate, shared);
}
