/**
 * Tray icons drawn in code (a filled disc with a ring, colour by state), so no binary assets
 * need shipping or review. Returns raw BGRA bitmaps for nativeImage.createFromBitmap.
 */
export type TrayState = 'ready' | 'no-token' | 'error';

const COLOURS: Record<TrayState, [number, number, number]> = {
  ready: [0x1f, 0x7a, 0x3a],
  'no-token': [0x8a, 0x93, 0xa3],
  error: [0xb3, 0x26, 0x1e],
};

/** A size×size BGRA bitmap of the state's icon. */
export function iconBitmap(state: TrayState, size = 32): Buffer {
  const [r, g, b] = COLOURS[state];
  const buf = Buffer.alloc(size * size * 4);
  const c = (size - 1) / 2;
  const outer = size / 2 - 0.5;
  const inner = outer * 0.62;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const d = Math.hypot(x - c, y - c);
      // Ring and centre in the state colour, a white gap between: readable on light and dark bars.
      const alpha = Math.max(0, Math.min(1, outer + 0.5 - d));
      if (alpha === 0) continue;
      const gap = d > inner && d < inner + size * 0.1;
      const i = (y * size + x) * 4;
      buf[i] = gap ? 0xff : b;
      buf[i + 1] = gap ? 0xff : g;
      buf[i + 2] = gap ? 0xff : r;
      buf[i + 3] = Math.round(alpha * 255);
    }
  }
  return buf;
}
