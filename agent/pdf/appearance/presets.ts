/**
 * Decree 30/2020 Appendix I presets, one function each: where the signature, the seal and the
 * text boxes go, and what they say. Layout mechanics are in layout.ts.
 */
import { KysoError } from '../../errors/index.ts';
import {
  displaySize,
  keepWithin,
  rectHeight,
  rectWidth,
  userRectToDisplay,
  visibleBox,
} from './geometry.ts';
import { BOX_FONT_SIZE, LINE_GAP, fit, naturalSize, pad, type Layout } from './layout.ts';
import { type DecodedImage, decodePng } from './png.ts';
import { formatIssuedDate, formatVietnamTime } from './time.ts';
import type { AppearanceContext, AppearanceRequest, Rect } from './types.ts';

/** Default widths when the PNG has no pHYs resolution: 4 cm signature, 3.6 cm seal. */
export const DEFAULT_SIGNATURE_WIDTH = (40 / 25.4) * 72;
export const DEFAULT_SEAL_WIDTH = (36 / 25.4) * 72;
export const COPY_FORMS = ['SAO Y', 'SAO LỤC', 'TRÍCH SAO'] as const;
export const DEFAULT_DOC_NUMBER_ANCHOR = '[SO_VB]';
export const DEFAULT_ISSUED_DATE_ANCHOR = '[NGAY_BH]';

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

export async function approval(layout: Layout, request: AppearanceRequest): Promise<void> {
  const image = requireImage(request);
  // Without a placement the signature goes above the signer's name, searched from the last page.
  const target = await layout.resolve(request.placement ?? { anchor: request.signerName }, true);
  // Above a name: centred between the signer's title ("CHỦ TỊCH") and the name (ô 7c).
  const gap =
    target.anchor && !target.anchor.placeholder ? await layout.titleGap(target) : undefined;
  layout.placeImage(image, target, DEFAULT_SIGNATURE_WIDTH, gap);
}

export async function issuance(
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
    layout
      .sheet(ctx.previousApprovalRect.pageIndex)
      .image(image, keepWithin(seal, visibleBox(page)));
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
