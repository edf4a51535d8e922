/**
 * Page geometry. Callers and presets think in "display" coordinates: points on the page as a
 * viewer shows it (after /Rotate), origin at the displayed bottom-left corner. The file wants
 * default user space (the MediaBox's coordinates, possibly with a non-zero origin). These
 * functions convert between the two.
 */
import type { PageGeometry, Rect } from './types.ts';

export type Rotation = 0 | 90 | 180 | 270;
export type Matrix = [number, number, number, number, number, number];

export function normaliseRotate(rotate: number): Rotation {
  const r = (((Math.round(rotate / 90) * 90) % 360) + 360) % 360;
  return r as Rotation;
}

function box(page: PageGeometry): { x0: number; y0: number; w: number; h: number } {
  const [a, b, c, d] = page.mediaBox;
  return { x0: Math.min(a, c), y0: Math.min(b, d), w: Math.abs(c - a), h: Math.abs(d - b) };
}

/** Width and height of the page as displayed. */
export function displaySize(page: PageGeometry): { width: number; height: number } {
  const { w, h } = box(page);
  const r = normaliseRotate(page.rotate);
  return r === 90 || r === 270 ? { width: h, height: w } : { width: w, height: h };
}

export function userToDisplay(page: PageGeometry, x: number, y: number): [number, number] {
  const { x0, y0, w, h } = box(page);
  const px = x - x0;
  const py = y - y0;
  switch (normaliseRotate(page.rotate)) {
    case 0:
      return [px, py];
    case 90: // displayed turned clockwise: the left edge is on top
      return [py, w - px];
    case 180:
      return [w - px, h - py];
    case 270:
      return [h - py, px];
  }
}

export function displayToUser(page: PageGeometry, u: number, v: number): [number, number] {
  const { x0, y0, w, h } = box(page);
  switch (normaliseRotate(page.rotate)) {
    case 0:
      return [x0 + u, y0 + v];
    case 90:
      return [x0 + w - v, y0 + u];
    case 180:
      return [x0 + w - u, y0 + h - v];
    case 270:
      return [x0 + v, y0 + h - u];
  }
}

export function normaliseRect(r: Rect): Rect {
  return [Math.min(r[0], r[2]), Math.min(r[1], r[3]), Math.max(r[0], r[2]), Math.max(r[1], r[3])];
}

export function displayRectToUser(page: PageGeometry, r: Rect): Rect {
  const [x1, y1] = displayToUser(page, r[0], r[1]);
  const [x2, y2] = displayToUser(page, r[2], r[3]);
  return normaliseRect([x1, y1, x2, y2]);
}

export function userRectToDisplay(page: PageGeometry, r: Rect): Rect {
  const [u1, v1] = userToDisplay(page, r[0], r[1]);
  const [u2, v2] = userToDisplay(page, r[2], r[3]);
  return normaliseRect([u1, v1, u2, v2]);
}

/**
 * The appearance form's /Matrix: its content is drawn upright in a [0 0 w h] box of display
 * orientation; rotating it counter-clockwise by /Rotate makes it upright again once the viewer
 * turns the page clockwise. Viewers then map the rotated BBox onto the widget's /Rect.
 */
export function formMatrix(rotate: number): Matrix {
  switch (normaliseRotate(rotate)) {
    case 0:
      return [1, 0, 0, 1, 0, 0];
    case 90:
      return [0, 1, -1, 0, 0, 0];
    case 180:
      return [-1, 0, 0, -1, 0, 0];
    case 270:
      return [0, -1, 1, 0, 0, 0];
  }
}

/**
 * The visible part of the page (CropBox clipped to the MediaBox) in display coordinates;
 * the whole displayed page without a CropBox or when it does not overlap the MediaBox.
 */
export function visibleBox(page: PageGeometry): Rect {
  const media = normaliseRect(page.mediaBox);
  const { width, height } = displaySize(page);
  if (!page.cropBox) return [0, 0, width, height];
  const crop = normaliseRect(page.cropBox);
  const clipped: Rect = [
    Math.max(media[0], crop[0]),
    Math.max(media[1], crop[1]),
    Math.min(media[2], crop[2]),
    Math.min(media[3], crop[3]),
  ];
  if (clipped[2] - clipped[0] < 1 || clipped[3] - clipped[1] < 1) return [0, 0, width, height];
  return userRectToDisplay(page, clipped);
}

export const intersects = (a: Rect, b: Rect): boolean =>
  a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];

/** Moves r (not resizing) so it lies inside the box as far as possible. */
export function keepWithin(r: Rect, box: Rect): Rect {
  const dx =
    r[0] < box[0] ? box[0] - r[0] : r[2] > box[2] ? Math.max(box[2] - r[2], box[0] - r[0]) : 0;
  const dy =
    r[1] < box[1] ? box[1] - r[1] : r[3] > box[3] ? Math.max(box[3] - r[3], box[1] - r[1]) : 0;
  return [r[0] + dx, r[1] + dy, r[2] + dx, r[3] + dy];
}

export function rectWidth(r: Rect): number {
  return r[2] - r[0];
}

export function rectHeight(r: Rect): number {
  return r[3] - r[1];
}

export function unionRect(a: Rect, b: Rect): Rect {
  return [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])];
}

/** Moves r (not resizing) so it lies inside [0 0 width height] as far as possible. */
export function keepInside(r: Rect, width: number, height: number): Rect {
  const dx = r[0] < 0 ? -r[0] : r[2] > width ? Math.max(width - r[2], -r[0]) : 0;
  const dy = r[1] < 0 ? -r[1] : r[3] > height ? Math.max(height - r[3], -r[1]) : 0;
  return [r[0] + dx, r[1] + dy, r[2] + dx, r[3] + dy];
}
