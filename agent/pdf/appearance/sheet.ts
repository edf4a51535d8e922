/**
 * A sheet collects what one widget shows, in display coordinates of its page, then becomes a
 * form XObject whose BBox is the union of everything drawn.
 */
import type { FontSubset } from './font.ts';
import { displayRectToUser, formMatrix, unionRect } from './geometry.ts';
import type { DecodedImage } from './png.ts';
import { num, numbers, streamBody } from './syntax.ts';
import type { AppearanceObject, PageGeometry, PlacedAppearance, Rect } from './types.ts';

export const BLACK: [number, number, number] = [0, 0, 0];

export class Sheet {
  readonly ops: string[] = [];
  readonly images: DecodedImage[] = [];
  bounds: Rect | undefined;
  /** Fonts drawn with, in resource order (/F1, /F2 ...). */
  readonly fonts: FontSubset[] = [];

  constructor(
    readonly pageIndex: number,
    readonly page: PageGeometry,
  ) {}

  include(r: Rect): void {
    this.bounds = this.bounds ? unionRect(this.bounds, r) : r;
  }

  /** Paints white over r: hides a placeholder such as "[SO_VB]" under the new content. */
  whiteOut(r: Rect): void {
    this.include(r);
    this.ops.push(`q 1 g ${numbers([r[0], r[1], r[2] - r[0], r[3] - r[1]])} re f Q`);
  }

  image(image: DecodedImage, r: Rect): void {
    this.include(r);
    this.images.push(image);
    const name = `/Im${this.images.length}`;
    this.ops.push(`q ${numbers([r[2] - r[0], 0, 0, r[3] - r[1], r[0], r[1]])} cm ${name} Do Q`);
  }

  text(
    font: FontSubset,
    line: string,
    x: number,
    baseline: number,
    size: number,
    rgb = BLACK,
  ): void {
    if (!this.fonts.includes(font)) this.fonts.push(font);
    const resource = `/F${this.fonts.indexOf(font) + 1}`;
    this.include([x, baseline - 0.25 * size, x + font.width(line, size), baseline + 0.95 * size]);
    this.ops.push(
      `BT ${resource} ${num(size)} Tf ${numbers(rgb)} rg ${numbers([x, baseline])} Td ${font.encode(line)} Tj ET`,
    );
  }

  frame(r: Rect, lineWidth: number, rgb = BLACK): void {
    this.include(r);
    const h = lineWidth / 2;
    this.ops.push(
      `q ${num(lineWidth)} w ${numbers(rgb)} RG ${numbers([r[0] + h, r[1] + h, r[2] - r[0] - lineWidth, r[3] - r[1] - lineWidth])} re S Q`,
    );
  }
}

/**
 * Turns sheets into objects. Images and fonts are written once, in the main appearance's
 * objects, and shared by every sheet; the first sheet is the main widget, the others go to
 * `extra`.
 */
export function assemble(
  sheets: Sheet[],
  imageIds: Map<DecodedImage, number>,
  fontIds: Map<FontSubset, number>,
  allocate: () => number,
  shared: AppearanceObject[],
): PlacedAppearance {
  const placed = sheets.map((sheet) => {
    const b = sheet.bounds ?? [0, 0, 1, 1];
    const w = Math.max(b[2] - b[0], 1);
    const h = Math.max(b[3] - b[1], 1);
    const content = [`1 0 0 1 ${numbers([-b[0], -b[1]])} cm`, ...sheet.ops].join('\n');
    const xobjects = sheet.images.map((image, i) => `/Im${i + 1} ${imageIds.get(image) ?? 0} 0 R`);
    const fonts = sheet.fonts.map((font, i) => `/F${i + 1} ${fontIds.get(font) ?? 0} 0 R`);
    const resources = [
      fonts.length > 0 ? `/Font << ${fonts.join(' ')} >>` : '',
      xobjects.length > 0 ? `/XObject << ${xobjects.join(' ')} >>` : '',
    ]
      .filter(Boolean)
      .join(' ');
    const id = allocate();
    const body = streamBody(
      `/Type /XObject /Subtype /Form /FormType 1 /BBox [0 0 ${numbers([w, h])}] ` +
        `/Matrix [${numbers(formMatrix(sheet.page.rotate))}] /Resources << ${resources} >>`,
      Buffer.from(content, 'latin1'),
      false,
    );
    const appearance: PlacedAppearance = {
      pageIndex: sheet.pageIndex,
      rect: displayRectToUser(sheet.page, [b[0], b[1], b[0] + w, b[1] + h]),
      objects: [{ id, body }],
      normalAppearanceId: id,
    };
    return appearance;
  });
  const [main, ...extra] = placed;
  if (!main) throw new RangeError('no sheet');
  main.objects.unshift(...shared);
  if (extra.length > 0) main.extra = extra;
  return main;
}
