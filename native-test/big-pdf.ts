/**
 * Valid PDFs of a chosen size for transfer tests and benches: pages with uncompressed grey
 * images (like a scanned document), written as a stream so a 50 MB file costs 1 MiB of memory.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

const SIDE = 1024;
/** Bytes a page costs besides its image (objects, content stream, xref line). */
const PAGE_OVERHEAD = 700;

/** Writes a PDF of about `bytes` bytes (within a few hundred), distinct per `seed`. */
export function makeBigPdf(path: string, bytes: number, seed = 1): void {
  const fd = openSync(path, 'w');
  let offset = 0;
  const offsets: number[] = [];
  const write = (data: string | Buffer): void => {
    const b = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    writeSync(fd, b);
    offset += b.length;
  };
  const obj = (num: number, parts: (string | Buffer)[]): void => {
    offsets[num] = offset;
    write(`${num} 0 obj\n`);
    for (const p of parts) write(p);
    write('\nendobj\n');
  };
  const pixels = Buffer.alloc(SIDE * SIDE);
  let state = (seed * 2654435761) >>> 0;
  for (let i = 0; i < pixels.length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    pixels[i] = state >>> 24;
  }
  // Image heights: full pages, then one shorter page for the rest.
  const heights: number[] = [];
  let left = Math.max(SIDE, bytes - 1000);
  while (left > 0) {
    const rows = Math.max(1, Math.min(SIDE, Math.floor((left - PAGE_OVERHEAD) / SIDE)));
    heights.push(rows);
    left -= rows * SIDE + PAGE_OVERHEAD;
  }
  write('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n');
  const pageIds: number[] = [];
  for (const [p, rows] of heights.entries()) {
    const pageId = 3 + p * 3;
    pageIds.push(pageId);
    const content = `q 500 0 0 ${Math.round((500 * rows) / SIDE)} 50 200 cm /Im0 Do Q BT /F1 24 Tf 50 750 Td (Page ${p + 1}) Tj ET`;
    obj(pageId, [
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im0 ${pageId + 2} 0 R >> /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> /Contents ${pageId + 1} 0 R >>`,
    ]);
    obj(pageId + 1, [`<< /Length ${content.length} >>\nstream\n${content}\nendstream`]);
    pixels[p % pixels.length] = (p + seed) & 0xff;
    const image = pixels.subarray(0, rows * SIDE);
    obj(pageId + 2, [
      `<< /Type /XObject /Subtype /Image /Width ${SIDE} /Height ${rows} /ColorSpace /DeviceGray /BitsPerComponent 8 /Length ${image.length} >>\nstream\n`,
      image,
      '\nendstream',
    ]);
  }
  obj(1, ['<< /Type /Catalog /Pages 2 0 R >>']);
  obj(2, [
    `<< /Type /Pages /Count ${heights.length} /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] >>`,
  ]);
  const size = 3 + heights.length * 3;
  const xref = offset;
  let table = `xref\n0 ${size}\n0000000000 65535 f\r\n`;
  for (let i = 1; i < size; i++) {
    table += `${String(offsets[i] ?? 0).padStart(10, '0')} 00000 n\r\n`;
  }
  write(table);
  write(`trailer\n<< /Size ${size} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`);
  closeSync(fd);
}
