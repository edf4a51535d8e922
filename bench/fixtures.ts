/** Documents the benchmarks generate (bench/pdf.ts, bench/verify.ts). */
import { closeSync, existsSync, openSync, writeSync } from 'node:fs';

/** Writes a valid PDF of about `mb` MB: 1 MB uncompressed grey image per page, streamed. */
export function makePdf(path: string, mb: number): void {
  if (existsSync(path)) return;
  const fd = openSync(path, 'w');
  let offset = 0;
  const offsets: number[] = [];
  const write = (data: string | Buffer): void => {
    const b = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    writeSync(fd, b);
    offset += b.length;
  };
  const obj = (num: number, body: string | Buffer[]): void => {
    offsets[num] = offset;
    write(`${num} 0 obj\n`);
    if (typeof body === 'string') write(body);
    else for (const b of body) write(b);
    write('\nendobj\n');
  };
  const pages = Math.max(1, mb);
  const side = 1024; // 1024×1024 8-bit grey = 1 MiB per image
  const pixels = Buffer.alloc(side * side);
  let seed = 12345;
  for (let i = 0; i < pixels.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    pixels[i] = seed >>> 24;
  }
  write('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n');
  const pageIds: number[] = [];
  // Objects: 1 catalog, 2 pages, then per page: page, contents, image.
  for (let p = 0; p < pages; p++) {
    const pageId = 3 + p * 3;
    pageIds.push(pageId);
    const content = `q 500 0 0 500 50 200 cm /Im0 Do Q BT /F1 24 Tf 50 750 Td (Page ${p + 1}) Tj ET`;
    obj(
      pageId,
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im0 ${pageId + 2} 0 R >> /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> /Contents ${pageId + 1} 0 R >>`,
    );
    obj(pageId + 1, `<< /Length ${content.length} >>\nstream\n${content}\nendstream`);
    pixels[p % pixels.length] = p & 0xff;
    obj(pageId + 2, [
      Buffer.from(
        `<< /Type /XObject /Subtype /Image /Width ${side} /Height ${side} /ColorSpace /DeviceGray /BitsPerComponent 8 /Length ${pixels.length} >>\nstream\n`,
        'latin1',
      ),
      pixels,
      Buffer.from('\nendstream', 'latin1'),
    ]);
  }
  obj(1, '<< /Type /Catalog /Pages 2 0 R >>');
  obj(
    2,
    `<< /Type /Pages /Count ${pages} /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] >>`,
  );
  const size = 3 + pages * 3;
  const xref = offset;
  let table = `xref\n0 ${size}\n0000000000 65535 f\r\n`;
  for (let i = 1; i < size; i++)
    table += `${String(offsets[i] ?? 0).padStart(10, '0')} 00000 n\r\n`;
  write(table);
  write(`trailer\n<< /Size ${size} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`);
  closeSync(fd);
}
