/**
 * Decree 30/2020 Appendix I presets, one function each: where the signature, the seal and the
 * text boxes go, and what they say. Layout mechanics are in layout.ts.
 */
import { KysoError } from '../../errors/index.ts';
import { hintDetails } from '../../protocol/index.ts';
import {
  displaySize,
  keepWithin,
  rectHeight,
  rectWidth,
  userRectToDisplay,
  visibleBox,
} from './geometry.ts';
import {
  BOX_FONT_SIZE,
  LINE_GAP,
  MM,
  fit,
  naturalSize,
  pad,
  realSize,
  type Layout,
  type Target,
} from './layout.ts';
import { type DecodedImage, decodePng } from './png.ts';
import { formatIssuedDate, formatVietnamTime } from './time.ts';
import type { AppearanceContext, AppearanceRequest, Rect } from './types.ts';

/** Default widths when the PNG has no pHYs resolution: 4 cm signature, 3.6 cm seal. */
export const DEFAULT_SIGNATURE_WIDTH = (40 / 25.4) * 72;
export const DEFAULT_SEAL_WIDTH = (36 / 25.4) * 72;
export const COPY_FORMS = ['SAO Y', 'SAO LỤC', 'TRÍCH SAO'] as const;
export const DEFAULT_DOC_NUMBER_ANCHOR = '[SO_VB]';
export const DEFAULT_ISSUED_DATE_ANCHOR = '[NGAY_BH]';
/** Signature placeholders the approval looks for when the signer's name is not found. */
export const SIGNATURE_PLACEHOLDERS = ['[CHU_KY]', '[SIGNATURE]'] as const;
/**
 * Default approval place: this far below the last text line (room for the seal of a later
 * issuance, centred on the signature, to clear the text), and above the page's bottom.
 */
const DEFAULT_PLACE_GAP = 14 * MM;
const DEFAULT_PLACE_BOTTOM = 20 * MM;
/** Below this share of its real size the default place is no place for a signature. */
const DEFAULT_PLACE_MIN_SCALE = 0.5;

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

/** The first of the anchors found (each searched from the last page back), else null. */
async function firstFound(layout: Layout, anchors: string[]): Promise<Target | null> {
  for (const anchor of anchors) {
    if (!anchor.trim()) continue;
    try {
      return await layout.resolve({ anchor }, true);
    } catch (error) {
      if (!(error instanceof KysoError && error.code === 'PDF_ANCHOR_NOT_FOUND')) throw error;
    }
  }
  return null;
}

/**
 * Approval without a placement: above the signer's name (from the last page back), else on a
 * signature placeholder, else the default place (defaultApprovalPlace).
 */
export async function approval(layout: Layout, request: AppearanceRequest): Promise<void> {
  const image = requireImage(request);
  const target = request.placement
    ? await layout.resolve(request.placement, true)
    : await firstFound(layout, [request.signerName, ...SIGNATURE_PLACEHOLDERS]);
  if (!target) {
    const place = await defaultApprovalPlace(layout, image, request.signerName);
    layout.sheet(place.pageIndex).image(image, place.rect);
    layout.noteScaled('signature', place.pageIndex, place.real, place.rect);
    layout.warn('APPROVAL_DEFAULT_PLACEMENT', {
      signerName: request.signerName,
      pageNumber: place.pageIndex + 1,
      rect: JSON.stringify(place.rect.map((n) => Math.round(n * 10) / 10)),
    });
    return;
  }
  // Above a name: centred between the signer's title ("CHỦ TỊCH") and the name (ô 7c).
  const gap =
    target.anchor && !target.anchor.placeholder ? await layout.titleGap(target) : undefined;
  layout.placeImage(image, target, DEFAULT_SIGNATURE_WIDTH, 'signature', gap);
}

/**
 * The default approval place, where Decree 30 puts the signature block: on the last page, in
 * the right half of its text block, 14 mm below the last text line (so a later issuance's
 * seal, centred on the signature, clears the text), at its real size (smaller,
 * down to half, when the room is short), above the page's bottom 20 mm (footers there, such
 * as page numbers, are not counted as text). A last page without text (scanned, blank) or
 * without room: PDF_ANCHOR_NOT_FOUND, with what to pass in the details.
 */
async function defaultApprovalPlace(
  layout: Layout,
  image: DecodedImage,
  signerName: string,
): Promise<{ pageIndex: number; rect: Rect; real: [number, number] }> {
  const pageIndex = layout.ctx.pages.length - 1;
  const page = layout.page(pageIndex);
  const vis = visibleBox(page);
  const { width, height } = displaySize(page);
  const bottom = vis[1] + DEFAULT_PLACE_BOTTOM;
  const body = (await layout.textOn(pageIndex)).filter((b) => b[3] > bottom);
  const fail = (reason: string): KysoError =>
    new KysoError('PDF_ANCHOR_NOT_FOUND', {
      anchor: signerName,
      anchors: [signerName, ...SIGNATURE_PLACEHOLDERS].join(', '),
      page: null,
      reason,
      ...hintDetails('APPROVAL_NO_ROOM'),
    });
  if (body.length === 0) throw fail('the last page has no text to place the signature below');
  const left = Math.max(vis[0], Math.min(...body.map((b) => b[0])));
  const right = Math.min(vis[2], await layout.rightMargin(pageIndex));
  const top = Math.min(...body.map((b) => b[1])) - DEFAULT_PLACE_GAP;
  const area: Rect = [(left + right) / 2, bottom, right, top];
  const real = realSize(image, DEFAULT_SIGNATURE_WIDTH);
  const [w, h] = naturalSize(image, DEFAULT_SIGNATURE_WIDTH, width, height);
  const k = Math.min(w / real[0], rectWidth(area) / real[0], rectHeight(area) / real[1]);
  if (!(k >= DEFAULT_PLACE_MIN_SCALE) || rectWidth(area) <= 0) {
    throw fail('no room for the signature below the last text line of the last page');
  }
  const sw = Math.min(w, real[0] * k);
  const sh = Math.min(h, real[1] * k);
  const cx = (area[0] + area[2]) / 2;
  return { pageIndex, rect: [cx - sw / 2, top - sh, cx + sw / 2, top], real };
}

export async function issuance(
  layout: Layout,
  request: AppearanceRequest,
  ctx: AppearanceContext,
): Promise<void> {
  const image = requireImage(request);
  if (request.placement) {
    const target = await layout.resolve(request.placement, true);
    layout.placeImage(image, target, DEFAULT_SEAL_WIDTH, 'seal');
  } else if (ctx.previousApprovalRect) {
    const page = layout.page(ctx.previousApprovalRect.pageIndex);
    const a = userRectToDisplay(page, ctx.previousApprovalRect.rect);
    const { width, height } = displaySize(page);
    const [w, h] = naturalSize(image, DEFAULT_SEAL_WIDTH, width, height);
    // The seal's right part covers the left third of the signature (Decree 30, ô 8).
    const right = a[0] + rectWidth(a) / 3;
    const cy = (a[1] + a[3]) / 2;
    const seal: Rect = keepWithin([right - w, cy - h / 2, right, cy + h / 2], visibleBox(page));
    layout.sheet(ctx.previousApprovalRect.pageIndex).image(image, seal);
    layout.noteScaled(
      'seal',
      ctx.previousApprovalRect.pageIndex,
      realSize(image, DEFAULT_SEAL_WIDTH),
      seal,
    );
  } else {
    // Decree 30 (ô 8): the seal overlaps the approval signature; without one there is no
    // place to guess.
    throw new KysoError('PDF_PLACEMENT_INVALID', {
      reason: 'no approval signature to overlap; sign the approval first or give a placement',
      ...hintDetails('ISSUANCE_WITHOUT_APPROVAL'),
    });
  }
  const docNumber = request.docNumber?.trim();
  if (
    docNumber &&
    !(await layout.field(docNumber, request.docNumberPlacement, DEFAULT_DOC_NUMBER_ANCHOR))
  ) {
    layout.warn('DOC_NUMBER_NOT_PLACED', { docNumber, anchor: DEFAULT_DOC_NUMBER_ANCHOR });
  }
  const issuedDate = request.issuedDate?.trim();
  if (
    issuedDate &&
    !(await layout.field(
      formatIssuedDate(issuedDate),
      request.issuedDatePlacement,
      DEFAULT_ISSUED_DATE_ANCHOR,
    ))
  ) {
    layout.warn('ISSUED_DATE_NOT_PLACED', { issuedDate, anchor: DEFAULT_ISSUED_DATE_ANCHOR });
  }
}

export async function custom(layout: Layout, request: AppearanceRequest): Promise<void> {
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
    const w = 170;
    const h =
      (image ? 60 : 0) + (lines.length > 0 ? lines.length * LINE_GAP * BOX_FONT_SIZE + 4 : 0);
    const cx = (box[0] + box[2]) / 2;
    box = target.anchor.placeholder
      ? [cx - w / 2, (box[1] + box[3]) / 2 - h / 2, cx + w / 2, (box[1] + box[3]) / 2 + h / 2]
      : [cx - w / 2, box[3] + 2, cx + w / 2, box[3] + 2 + h];
    box = keepWithin(box, visibleBox(target.page));
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

export async function attachment(layout: Layout, request: AppearanceRequest): Promise<void> {
  const number = request.docNumber?.trim();
  if (!number) throw new KysoError('INVALID_INPUT', { field: 'docNumber', preset: 'attachment' });
  await layout.textBox([number, formatVietnamTime(request.signingTime)], request);
}

export async function copy(layout: Layout, request: AppearanceRequest): Promise<void> {
  await layout.textBox(
    [
      normaliseCopyForm(request.copyForm),
      organisationOf(request),
      formatVietnamTime(request.signingTime),
    ],
    request,
  );
}
