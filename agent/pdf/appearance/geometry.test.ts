import { describe, expect, it } from 'vitest';
import {
  displayRectToUser,
  displaySize,
  displayToUser,
  formMatrix,
  keepInside,
  normaliseRotate,
  userRectToDisplay,
  userToDisplay,
} from './geometry.ts';
import type { PageGeometry } from './types.ts';

const page = (rotate: number): PageGeometry => ({
  index: 0,
  mediaBox: [100, 50, 700, 450],
  rotate,
});
const apply = (m: number[], x: number, y: number): [number, number] => [
  (m[0] ?? 0) * x + (m[2] ?? 0) * y + (m[4] ?? 0),
  (m[1] ?? 0) * x + (m[3] ?? 0) * y + (m[5] ?? 0),
];

describe('page geometry', () => {
  it('normalises /Rotate values', () => {
    expect([0, 90, 180, 270, 360, -90, 450, -180].map(normaliseRotate)).toEqual([
      0, 90, 180, 270, 0, 270, 90, 180,
    ]);
  });

  it('swaps the displayed size for quarter turns', () => {
    expect(displaySize(page(0))).toEqual({ width: 600, height: 400 });
    expect(displaySize(page(90))).toEqual({ width: 400, height: 600 });
    expect(displaySize(page(270))).toEqual({ width: 400, height: 600 });
  });

  it('maps the displayed bottom-left and top-left corners to the right MediaBox corners', () => {
    // /Rotate 90 turns the page clockwise: the MediaBox's bottom-right corner is displayed
    // bottom-left, its bottom-left corner top-left.
    expect(displayToUser(page(0), 0, 0)).toEqual([100, 50]);
    expect(displayToUser(page(90), 0, 0)).toEqual([700, 50]);
    expect(displayToUser(page(90), 0, 600)).toEqual([100, 50]);
    expect(displayToUser(page(180), 0, 0)).toEqual([700, 450]);
    expect(displayToUser(page(270), 0, 0)).toEqual([100, 450]);
  });

  it('round-trips points and rectangles for every rotation', () => {
    for (const r of [0, 90, 180, 270]) {
      const p = page(r);
      for (const [u, v] of [
        [0, 0],
        [10, 20],
        [123.5, 77.25],
      ] as const) {
        const [x, y] = displayToUser(p, u, v);
        expect(userToDisplay(p, x, y)).toEqual([u, v]);
      }
      const rect = displayRectToUser(p, [10, 20, 110, 60]);
      expect(userRectToDisplay(p, rect)).toEqual([10, 20, 110, 60]);
      expect(rect[2] - rect[0]).toBe(r % 180 === 0 ? 100 : 40);
    }
  });

  it('form matrix turns the content so it reads upright on the displayed page', () => {
    for (const r of [0, 90, 180, 270]) {
      const p = page(r);
      const m = formMatrix(r);
      // Display "right" (+u) in user space, then back to display: must still point right.
      const [x0, y0] = apply(m, 0, 0);
      const [x1, y1] = apply(m, 1, 0);
      const [u0, v0] = userToDisplay(p, 200 + x0, 200 + y0);
      const [u1, v1] = userToDisplay(p, 200 + x1, 200 + y1);
      expect([u1 - u0, v1 - v0]).toEqual([1, 0]);
      const [x2, y2] = apply(m, 0, 1);
      const [u2, v2] = userToDisplay(p, 200 + x2, 200 + y2);
      expect([u2 - u0, v2 - v0]).toEqual([0, 1]);
    }
  });

  it('keeps a rectangle on the page', () => {
    expect(keepInside([-5, 10, 45, 20], 100, 100)).toEqual([0, 10, 50, 20]);
    expect(keepInside([80, 95, 120, 105], 100, 100)).toEqual([60, 90, 100, 100]);
  });
});
