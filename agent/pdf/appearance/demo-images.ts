/**
 * Demo signature and seal images, drawn with code (no third-party artwork) so tests, the CLI
 * demo and the README can show real appearances. `assets/demo/*.png` are these, written by
 * `npx tsx agent/pdf/appearance/demo-images.ts`; a test keeps them in sync.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import { PNG } from 'pngjs';

type Rgb = [number, number, number];
export const SIGNATURE_BLUE: Rgb = [20, 50, 190];
export const SEAL_RED: Rgb = [210, 25, 30];

class Raster {
  readonly png: PNG;
  constructor(
    readonly width: number,
    readonly height: number,
    readonly colour: Rgb,
  ) {
    this.png = new PNG({ width, height }); // transparent black
  }

  /** Max-blends coverage (0..1) into the alpha of a pixel of the single ink colour. */
  cover(x: number, y: number, coverage: number): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height || coverage <= 0) return;
    const i = (y * this.width + x) * 4;
    const a = Math.round(Math.min(1, coverage) * 255);
    if (a <= (this.png.data[i + 3] ?? 0)) return;
    this.png.data[i] = this.colour[0];
    this.png.data[i + 1] = this.colour[1];
    this.png.data[i + 2] = this.colour[2];
    this.png.data[i + 3] = a;
  }

  /** Anti-aliased thick segment (distance field). */
  segment(x1: number, y1: number, x2: number, y2: number, radius: number): void {
    const minX = Math.floor(Math.min(x1, x2) - radius - 1);
    const maxX = Math.ceil(Math.max(x1, x2) + radius + 1);
    const minY = Math.floor(Math.min(y1, y2) - radius - 1);
    const maxY = Math.ceil(Math.max(y1, y2) + radius + 1);
    const dx = x2 - x1;
    const dy = y2 - y1;
    const len2 = dx * dx + dy * dy || 1;
    for (let y = minY; y <= maxY; y++) {
      for (let x = minX; x <= maxX; x++) {
        const t = Math.max(0, Math.min(1, ((x + 0.5 - x1) * dx + (y + 0.5 - y1) * dy) / len2));
        const d = Math.hypot(x + 0.5 - (x1 + t * dx), y + 0.5 - (y1 + t * dy));
        this.cover(x, y, radius + 0.5 - d);
      }
    }
  }

  polyline(points: [number, number][], radius: number): void {
    for (let i = 1; i < points.length; i++) {
      const a = points[i - 1];
      const b = points[i];
      if (a && b) this.segment(a[0], a[1], b[0], b[1], radius);
    }
  }

  ring(cx: number, cy: number, inner: number, outer: number): void {
    for (let y = 0; y < this.height; y++) {
      for (let x = 0; x < this.width; x++) {
        const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy);
        this.cover(x, y, Math.min(d - inner + 0.5, outer - d + 0.5));
      }
    }
  }

  polygon(points: [number, number][]): void {
    for (let y = 0; y < this.height; y++) {
      for (let x = 0; x < this.width; x++) {
        let inside = false;
        for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
          const [xi, yi] = points[i] ?? [0, 0];
          const [xj, yj] = points[j] ?? [0, 0];
          if (
            yi > y + 0.5 !== yj > y + 0.5 &&
            x + 0.5 < ((xj - xi) * (y + 0.5 - yi)) / (yj - yi) + xi
          ) {
            inside = !inside;
          }
        }
        if (inside) this.cover(x, y, 1);
      }
    }
  }

  encode(dpi: number): Buffer {
    return withPhys(PNG.sync.write(this.png), dpi);
  }
}

/** Inserts a pHYs chunk (pngjs does not write one) so viewers and we know the real size. */
function withPhys(png: Buffer, dpi: number): Buffer {
  const perMetre = Math.round(dpi / 0.0254);
  const body = Buffer.alloc(9);
  body.writeUInt32BE(perMetre, 0);
  body.writeUInt32BE(perMetre, 4);
  body[8] = 1;
  const typeAndBody = Buffer.concat([Buffer.from('pHYs', 'latin1'), body]);
  const chunk = Buffer.alloc(4 + typeAndBody.length + 4);
  chunk.writeUInt32BE(body.length, 0);
  typeAndBody.copy(chunk, 4);
  chunk.writeUInt32BE(crc32(typeAndBody), 4 + typeAndBody.length);
  const ihdrEnd = 8 + 4 + 4 + 13 + 4;
  return Buffer.concat([png.subarray(0, ihdrEnd), chunk, png.subarray(ihdrEnd)]);
}

/** A blue handwritten-looking flourish, 360×140 px at 230 dpi (about 4 × 1.5 cm). */
export function demoSignaturePng(): Buffer {
  const r = new Raster(360, 140, SIGNATURE_BLUE);
  const stroke: [number, number][] = [];
  for (let t = 0; t <= 1; t += 0.002) {
    const x = 25 + 300 * t + 18 * Math.sin(t * Math.PI * 10);
    const y = 70 - 38 * Math.sin(t * Math.PI * 5) * (1 - 0.5 * t) + 14 * Math.cos(t * Math.PI * 10);
    stroke.push([x, y]);
  }
  r.polyline(stroke, 2.6);
  const swoosh: [number, number][] = [];
  for (let t = 0; t <= 1; t += 0.01) swoosh.push([40 + 290 * t, 118 - 22 * Math.sin(t * Math.PI)]);
  r.polyline(swoosh, 2);
  return r.encode(230);
}

/** A red round seal (double ring and star), 300×300 px at 212 dpi = 36 mm, its real size. */
export function demoSealPng(): Buffer {
  const r = new Raster(300, 300, SEAL_RED);
  r.ring(150, 150, 136, 146);
  r.ring(150, 150, 100, 104);
  const star: [number, number][] = [];
  for (let i = 0; i < 10; i++) {
    const radius = i % 2 === 0 ? 70 : 28;
    const angle = -Math.PI / 2 + (i * Math.PI) / 5;
    star.push([150 + radius * Math.cos(angle), 155 + radius * Math.sin(angle)]);
  }
  r.polygon(star);
  for (let i = 0; i < 24; i++) {
    const angle = (i * Math.PI) / 12;
    const x = 150 + 119 * Math.cos(angle);
    const y = 150 + 119 * Math.sin(angle);
    r.segment(x, y, x, y, 4);
  }
  return r.encode(300 / (36 / 25.4));
}

export const DEMO_SIGNATURE_PATH = fileURLToPath(
  new URL('../../../assets/demo/signature.png', import.meta.url),
);
export const DEMO_SEAL_PATH = fileURLToPath(
  new URL('../../../assets/demo/seal.png', import.meta.url),
);

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(DEMO_SIGNATURE_PATH, demoSignaturePng());
  writeFileSync(DEMO_SEAL_PATH, demoSealPng());
}
