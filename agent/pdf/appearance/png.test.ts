import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { isKysoError } from '../../errors/index.ts';
import {
  DEMO_SEAL_PATH,
  DEMO_SIGNATURE_PATH,
  demoSealPng,
  demoSignaturePng,
} from './demo-images.ts';
import { decodePng, imageObjects } from './png.ts';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return isKysoError(error) ? error.code : 'not a KysoError';
  }
  return undefined;
}

describe('decodePng', () => {
  it('decodes the demo signature with alpha and its resolution', () => {
    const image = decodePng(readFileSync(DEMO_SIGNATURE_PATH));
    expect(image.width).toBe(360);
    expect(image.height).toBe(140);
    expect(image.rgb.length).toBe(360 * 140 * 3);
    expect(image.alpha?.length).toBe(360 * 140);
    expect(image.dpi).toBeCloseTo(230, 0);
  });

  it('leaves out the mask of an opaque image', () => {
    const png = new PNG({ width: 2, height: 2 });
    png.data.fill(255);
    const image = decodePng(PNG.sync.write(png));
    expect(image.alpha).toBeUndefined();
    expect(image.dpi).toBeUndefined();
    let id = 1;
    const { imageId, objects } = imageObjects(image, () => id++);
    expect(imageId).toBe(1);
    expect(objects).toHaveLength(1);
    expect(objects[0]?.body.toString('latin1')).not.toContain('/SMask');
  });

  it('writes an RGB image with a DeviceGray soft mask', () => {
    const image = decodePng(demoSignaturePng());
    let id = 7;
    const { imageId, objects } = imageObjects(image, () => id++);
    expect(imageId).toBe(7);
    expect(objects.map((o) => o.id)).toEqual([7, 8]);
    const main = objects[0]?.body.toString('latin1') ?? '';
    expect(main).toMatch(
      /\/Width 360 \/Height 140 \/ColorSpace \/DeviceRGB \/BitsPerComponent 8 \/SMask 8 0 R \/Filter \/FlateDecode/,
    );
    expect(objects[1]?.body.toString('latin1')).toContain('/ColorSpace /DeviceGray');
  });

  it('reads grayscale, palette and 16-bit PNGs', () => {
    const src = new PNG({ width: 3, height: 3 });
    src.data.fill(128);
    for (const options of [
      { colorType: 0, inputHasAlpha: true },
      { colorType: 2, inputHasAlpha: true, bitDepth: 16 },
    ] as const) {
      const image = decodePng(PNG.sync.write(src, options));
      expect(image.width).toBe(3);
      expect(image.rgb.length).toBe(27);
    }
  });

  it('refuses non-PNG, truncated and oversized images with PDF_IMAGE_INVALID', () => {
    expect(code(() => decodePng(Buffer.from('GIF89a not a png')))).toBe('PDF_IMAGE_INVALID');
    expect(code(() => decodePng(Buffer.alloc(0)))).toBe('PDF_IMAGE_INVALID');
    const good = demoSealPng();
    expect(code(() => decodePng(good.subarray(0, good.length / 2)))).toBe('PDF_IMAGE_INVALID');
    const corrupt = Buffer.from(good);
    corrupt.fill(0x42, 200, 400);
    expect(code(() => decodePng(corrupt))).toBe('PDF_IMAGE_INVALID');
    const huge = Buffer.from(good);
    huge.writeUInt32BE(20_000, 16); // IHDR width
    huge.writeUInt32BE(20_000, 20); // IHDR height
    let error: unknown;
    try {
      decodePng(huge);
    } catch (e) {
      error = e;
    }
    expect(isKysoError(error, 'PDF_IMAGE_INVALID') && error.details.reason).toBe('image too large');
  });
});

describe('demo images', () => {
  it('are the generator output (regenerate with npx tsx agent/pdf/appearance/demo-images.ts)', () => {
    expect(readFileSync(DEMO_SIGNATURE_PATH).equals(demoSignaturePng())).toBe(true);
    expect(readFileSync(DEMO_SEAL_PATH).equals(demoSealPng())).toBe(true);
  });

  it('are blue and red on a transparent background, the seal at 36 mm', () => {
    const sig = decodePng(readFileSync(DEMO_SIGNATURE_PATH));
    const seal = decodePng(readFileSync(DEMO_SEAL_PATH));
    expect(sig.alpha?.[0]).toBe(0);
    expect(seal.alpha?.[0]).toBe(0);
    const inked = (img: typeof sig): [number, number, number] => {
      const i = img.alpha?.findIndex((a) => a === 255) ?? -1;
      return [img.rgb[i * 3] ?? 0, img.rgb[i * 3 + 1] ?? 0, img.rgb[i * 3 + 2] ?? 0];
    };
    const [r, , b] = inked(sig);
    expect(b).toBeGreaterThan(150);
    expect(r).toBeLessThan(60);
    const [sr, sg] = inked(seal);
    expect(sr).toBeGreaterThan(180);
    expect(sg).toBeLessThan(60);
    expect((seal.width / (seal.dpi ?? 1)) * 25.4).toBeCloseTo(36, 0);
  });
});
