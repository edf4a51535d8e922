/**
 * Decree 30/2020 Appendix I signature appearances, one function per preset. Layout is done in
 * display coordinates (the page as a viewer shows it); sheet.ts converts to the file's space.
 */
import { KysoError } from '../../errors/index.ts';
import { type AnchorHit, AnchorFinder } from './anchor.ts';
import { FontSubset } from './font.ts';
import { displaySize, keepInside, rectHeight, rectWidth, userRectToDisplay } from './geometry.ts';
import { type DecodedImage, decodePng, imageObjects } from './png.ts';
import { Sheet, assemble } from './sheet.ts';
import { formatIssuedDate, formatVietnamTime } from './time.ts';
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
/** Default widths when the PNG has no pHYs resolution: 4 cm signature, 3.6 cm seal. */
export const DEFAULT_SIGNATURE_WIDTH = (40 / 25.4) * 72;
export const DEFAULT_SEAL_WIDTH = (36 / 25.4) * 72;
/** Top-right box position: 15 mm from the right edge, 4 mm from the top (inside the top margin). */
const BOX_RIGHT_MARGIN = (15 / 25.4) * 72;
const BOX_TOP_MARGIN = (4 / 25.4) * 72;
const BOX_PADDING = 4;
const LINE_GAP = 1.2;
export const COPY_FORMS = ['SAO Y', 'SAO LỤC', 'TRÍCH SAO'] as const;
export const DEFAULT_DOC_NUMBER_ANCHOR = '[SO_VB]';
export const DEFAULT_ISSUED_DATE_ANCHOR = '[NGAY_BH]';

/** Where something goes once its placement is resolved, in display coordinates. */
interface Target {
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

class Layout {
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
const pad = (r: Rect, p: number): Rect => [r[0] - p, r[1] - p, r[2] + p, r[3] + p];

/** Largest rectangle with the image's aspect ratio inside box, centred. */
function fit(image: DecodedImage, box: Rect): Rect {
  const scale = Math.min(rectWidth(box) / image.width, rectHeight(box) / image.height);
  const w = image.width * scale;
  const h = image.height * scale;
  const x = (box[0] + box[2] - w) / 2;
  const y = (box[1] + box[3] - h) / 2;
  return [x, y, x + w, y + h];
}

/** Real size from the PNG's resolution when recorded (seals), else the default width. */
function naturalSize(
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

function requireImage(request: AppearanceRequest): DecodedImage {
  if (!request.image || request.image.length === 0) {
    throw new KysoError('PDF_IMAGE_REQUIRED', { preset: request.preset });
  }
  return decodePng(request.image);
}

function organisationOf(request: AppearanceRequest): string {
  const o = request.signerCertificate.subject.attributes.find((a) => a.type === 'O')?.value;
  return request.organisation?.trim() || o || request.signerName;
}

export function normaliseCopyForm(form: string | undefined): string {
  const value = (form ?? 'SAO Y')
    .normalize('NFC')
    .trim()
    .replace(/\s+/g, ' ')
    .toLocaleUpperCase('vi');
  if (!(COPY_FORMS as readonly string[]).includes(value)) {
    throw new KysoError('INVALID_INPUT', {
      field: 'copyForm',
      value: form ?? '',
      allowed: COPY_FORMS.join(', '),
    });
  }
  return value;
}

async function approval(layout: Layout, request: AppearanceRequest): Promise<void> {
  const image = requireImage(request);
  // Without a placement the signature goes above the signer's name, searched from the last page.
  const target = await layout.resolve(request.placement ?? { anchor: request.signerName }, true);
  layout.placeImage(image, target, DEFAULT_SIGNATURE_WIDTH);
}

async function issuance(
  layout: Layout,
  request: AppearanceRequest,
  ctx: AppearanceContext,
): Promise<void> {
  const image = requireImage(request);
  if (request.placement) {
    layout.placeImage(image, await layout.resolve(request.placement, true), DEFAULT_SEAL_WIDTH);
  } else if (ctx.previousApprovalRect) {
    const page = layout.page(ctx.previousApprovalRect.pageIndex);
    const a = userRectToDisplay(page, ctx.previousApprovalRect.rect);
    const { width, height } = displaySize(page);
    const [w, h] = naturalSize(image, DEFAULT_SEAL_WIDTH, width, height);
    // The seal's right part covers the left third of the signature (Decree 30, ô 8).
    const right = a[0] + rectWidth(a) / 3;
    const cy = (a[1] + a[3]) / 2;
    const seal: Rect = [right - w, cy - h / 2, right, cy + h / 2];
    layout.sheet(ctx.previousApprovalRect.pageIndex).image(image, keepInside(seal, width, height));
  } else {
    throw new KysoError('PDF_PLACEMENT_INVALID', {
      reason: 'issuance needs a placement or the approval signature to overlap',
    });
  }
  if (request.docNumber?.trim()) {
    await layout.field(
      request.docNumber.trim(),
      request.docNumberPlacement,
      DEFAULT_DOC_NUMBER_ANCHOR,
    );
  }
  if (request.issuedDate?.trim()) {
    await layout.field(
      formatIssuedDate(request.issuedDate),
      request.issuedDatePlacement,
      DEFAULT_ISSUED_DATE_ANCHOR,
    );
  }
}

async function custom(layout: Layout, request: AppearanceRequest): Promise<void> {
  if (!request.placement) {
    throw new KysoError('PDF_PLACEMENT_INVALID', {
      reason: 'custom appearance needs a page and rectangle or an anchor',
    });
  }
  const lines = (request.textLines ?? []).map((l) => l.trim()).filter(Boolean);
  const image = request.image && request.image.length > 0 ? decodePng(request.image) : undefined;
  if (!image && lines.length === 0) {
    throw new KysoError('INVALID_INPUT', {
      reason: 'custom appearance needs an image or text lines',
    });
  }
  const target = await layout.resolve(request.placement);
  let box = target.box;
  if (target.anchor) {
    const { width, height } = displaySize(target.page);
    const w = 170;
    const h =
      (image ? 60 : 0) + (lines.length > 0 ? lines.length * LINE_GAP * BOX_FONT_SIZE + 4 : 0);
    const cx = (box[0] + box[2]) / 2;
    box = target.anchor.placeholder
      ? [cx - w / 2, (box[1] + box[3]) / 2 - h / 2, cx + w / 2, (box[1] + box[3]) / 2 + h / 2]
      : [cx - w / 2, box[3] + 2, cx + w / 2, box[3] + 2 + h];
    box = keepInside(box, width, height);
  }
  const sheet = layout.sheet(target.pageIndex);
  if (target.anchor?.placeholder) sheet.whiteOut(pad(target.box, 1));
  sheet.include(box);
  let size = BOX_FONT_SIZE;
  if (lines.length > 0) {
    const widest = Math.max(...lines.map((l) => layout.font.width(l, BOX_FONT_SIZE)));
    size = Math.max(4, Math.min(BOX_FONT_SIZE, (BOX_FONT_SIZE * rectWidth(box)) / widest));
    size = Math.min(size, rectHeight(box) / (lines.length * LINE_GAP));
  }
  const textHeight = lines.length * LINE_GAP * size;
  if (image) {
    const area: Rect = [box[0], box[1] + textHeight, box[2], box[3]];
    if (rectHeight(area) > 1) sheet.image(image, fit(image, area));
  }
  let baseline = box[1] + textHeight - 0.9 * size;
  for (const line of lines) {
    sheet.text(layout.font, line, box[0], baseline, size);
    baseline -= LINE_GAP * size;
  }
}

/**
 * Builds the visible appearance of one signature; null for `plain` (invisible signature).
 * Throws KysoError: PDF_IMAGE_REQUIRED / PDF_IMAGE_INVALID (image), PDF_PLACEMENT_INVALID
 * (page, rectangle), PDF_ANCHOR_NOT_FOUND (anchor text), INVALID_INPUT (other fields).
 */
export async function buildAppearance(
  request: AppearanceRequest,
  ctx: AppearanceContext,
): Promise<PlacedAppearance | null> {
  if (request.preset === 'plain') return null;
  if (ctx.pages.length === 0)
    throw new KysoError('PDF_MALFORMED', { reason: 'document has no pages' });
  const layout = new Layout(ctx);
  try {
    switch (request.preset) {
      case 'approval':
        await approval(layout, request);
        break;
      case 'issuance':
        await issuance(layout, request, ctx);
        break;
      case 'attachment': {
        const number = request.docNumber?.trim();
        if (!number)
          throw new KysoError('INVALID_INPUT', { field: 'docNumber', preset: 'attachment' });
        await layout.textBox([number, formatVietnamTime(request.signingTime)], request);
        break;
      }
      case 'copy':
        await layout.textBox(
          [
            normaliseCopyForm(request.copyForm),
            organisationOf(request),
            formatVietnamTime(request.signingTime),
          ],
          request,
        );
        break;
      case 'custom':
        await custom(layout, request);
        break;
      default:
        throw new KysoError('INVALID_INPUT', { field: 'preset', value: String(request.preset) });
    }
  } finally {
    await layout.finder.close();
  }
  return emit(layout, ctx);
}

function emit(layout: Layout, ctx: AppearanceContext): PlacedAppearance {
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
