/** PNG → PDF image XObject (RGB) with a /SMask carrying the alpha channel. */
import { PNG } from 'pngjs';
import { KysoError } from '../../errors/index.ts';
import { streamBody } from './syntax.ts';
import type { AppearanceObject } from './types.ts';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** A signature or seal never needs more; bigger ones are mistakes (photos, scans at 1200 dpi). */
export const MAX_PIXELS = 25_000_000;

export interface DecodedImage {
  width: number;
  height: number;
  rgb: Buffer;
  /** Present only when some pixel is not fully opaque. */
  alpha?: Buffer;
  /** Resolution from the pHYs chunk, for "real size" seals; undefined when not recorded. */
  dpi?: number;
}

export function decodePng(data: Buffer): DecodedImage {
  if (data.length < SIGNATURE.length || !data.subarray(0, 8).equals(SIGNATURE)) {
    throw new KysoError('PDF_IMAGE_INVALID', { reason: 'not a PNG file' });
  }
  const header = readHeader(data);
  if (header.width * header.height > MAX_PIXELS) {
    throw new KysoError('PDF_IMAGE_INVALID', {
      reason: 'image too large',
      width: header.width,
      height: header.height,
    });
  }
  let png: { width: number; height: number; data: Buffer };
  try {
    png = PNG.sync.read(data);
  } catch (error) {
    throw new KysoError(
      'PDF_IMAGE_INVALID',
      { reason: error instanceof Error ? error.message : 'unreadable PNG' },
      error,
    );
  }
  const { width, height } = png;
  const pixels = width * height;
  if (pixels === 0 || png.data.length < pixels * 4) {
    throw new KysoError('PDF_IMAGE_INVALID', { reason: 'empty or truncated image' });
  }
  const rgb = Buffer.alloc(pixels * 3);
  const alpha = Buffer.alloc(pixels);
  let translucent = false;
  for (let i = 0; i < pixels; i++) {
    rgb[i * 3] = png.data[i * 4] ?? 0;
    rgb[i * 3 + 1] = png.data[i * 4 + 1] ?? 0;
    rgb[i * 3 + 2] = png.data[i * 4 + 2] ?? 0;
    const a = png.data[i * 4 + 3] ?? 255;
    alpha[i] = a;
    if (a !== 255) translucent = true;
  }
  const image: DecodedImage = { width, height, rgb };
  if (translucent) image.alpha = alpha;
  if (header.dpi !== undefined) image.dpi = header.dpi;
  return image;
}

/** Width and height from IHDR, dpi from pHYs (unit = metre); validates the chunk layout. */
function readHeader(data: Buffer): { width: number; height: number; dpi?: number } {
  let offset = 8;
  let width = -1;
  let height = -1;
  let dpi: number | undefined;
  while (offset + 8 <= data.length) {
    const length = data.readUInt32BE(offset);
    const type = data.toString('latin1', offset + 4, offset + 8);
    const body = offset + 8;
    if (body + length + 4 > data.length) break;
    if (type === 'IHDR' && length >= 8) {
      width = data.readUInt32BE(body);
      height = data.readUInt32BE(body + 4);
    } else if (type === 'pHYs' && length >= 9 && data[body + 8] === 1) {
      const perMetre = data.readUInt32BE(body);
      if (perMetre > 0) dpi = perMetre * 0.0254;
    } else if (type === 'IDAT' || type === 'IEND') {
      break;
    }
    offset = body + length + 4;
  }
  if (width <= 0 || height <= 0) {
    throw new KysoError('PDF_IMAGE_INVALID', { reason: 'missing or empty IHDR header' });
  }
  return dpi === undefined ? { width, height } : { width, height, dpi };
}

/** The image XObject (and its soft mask); returns the id to use in /XObject resources. */
export function imageObjects(
  image: DecodedImage,
  allocate: () => number,
): { imageId: number; objects: AppearanceObject[] } {
  const imageId = allocate();
  const objects: AppearanceObject[] = [];
  let smask = '';
  if (image.alpha) {
    const maskId = allocate();
    smask = ` /SMask ${maskId} 0 R`;
    objects.push({
      id: maskId,
      body: streamBody(
        `/Type /XObject /Subtype /Image /Width ${image.width} /Height ${image.height} /ColorSpace /DeviceGray /BitsPerComponent 8`,
        image.alpha,
        true,
      ),
    });
  }
  objects.unshift({
    id: imageId,
    body: streamBody(
      `/Type /XObject /Subtype /Image /Width ${image.width} /Height ${image.height} /ColorSpace /DeviceRGB /BitsPerComponent 8${smask}`,
      image.rgb,
      true,
    ),
  });
  return { imageId, objects };
}
