import { describe, expect, it } from 'vitest';
import { PageTextReader, parseToUnicode } from './text.ts';

/** A one-page PDF from object bodies (1: catalog, 2: pages, 3: page), classic xref. */
function rawPdf(bodies: string[]): Buffer {
  let out = '%PDF-1.7\n';
  const offsets: number[] = [];
  bodies.forEach((body, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${bodies.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) out += `${String(o).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${bodies.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

const stream = (content: string, dict = ''): string =>
  `<< ${dict} /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`;

describe('PageTextReader', () => {
  it('follows text state, TJ kerning, forms and skips inline images', async () => {
    const content = [
      'q 1 0 0 1 0 0 cm',
      'BI /W 2 /H 1 /BPC 8 /CS /G ID \x00Tj EI',
      'BT /F1 10 Tf 100 700 Td 2 Tc [(A) -1000 (B)] TJ ET',
      'BT /F1 10 Tf 0 1 -1 0 300 300 Tm (Up) Tj ET',
      'Q /Fm1 Do /Im1 Do',
    ].join('\n');
    const pdf = rawPdf([
      '<< /Type /Catalog /Pages 2 0 R >>',
      '<< /Type /Pages /Kids [3 0 R] /Count 1 /Resources << /Font << /F1 5 0 R >> /XObject << /Fm1 6 0 R /Im1 7 0 R >> >> >>',
      '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>',
      stream(content),
      '<< /Type /Font /Subtype /Type1 /BaseFont /Times-Italic /Encoding << /Differences [65 /bracketleft] >> >>',
      stream(
        'BT /F1 12 Tf 50 50 Td (C) Tj ET',
        '/Type /XObject /Subtype /Form /BBox [0 0 100 100] /Matrix [1 0 0 1 10 20] /Resources << /Font << /F1 5 0 R >> >>',
      ),
      // An image (never read: skipped from its first bytes).
      stream('BT /F1 12 Tf (X) Tj ET', '/Type /XObject /Subtype /Image /Width 1 /Height 1'),
    ]);
    const reader = new PageTextReader({ bytes: pdf });
    try {
      const glyphs = await reader.glyphs(0);
      expect(glyphs.map((g) => g.ch).join('')).toBe('[BUpC');
      const [a, b, u, p, c] = glyphs;
      expect(a?.italic).toBe(true);
      expect(a?.box[0]).toBeCloseTo(100, 3);
      // "[" (Times advance 0.333 em) + 2 pt Tc + 10 pt from the -1000 kerning.
      expect(b?.box[0]).toBeCloseTo(100 + 3.33 + 2 + 10, 0);
      // Rotated text runs upwards: "p" above "U", same x.
      expect(p?.box[1] ?? 0).toBeCloseTo((u?.box[1] ?? 0) + 9.22, 1); // "U" 0.722 em + Tc 2 (kept across BT)
      expect(p?.box[0]).toBeCloseTo(u?.box[0] ?? NaN, 3);
      // Form XObject: its /Matrix applies.
      expect(c?.box[0]).toBeCloseTo(60, 3);
      expect(c?.size).toBeCloseTo(12, 3);
    } finally {
      await reader.close();
    }
  });

  it('parses ToUnicode bfchar, bfrange (offset and array) and codespace', () => {
    const cmap = parseToUnicode(
      Buffer.from(
        [
          '1 begincodespacerange <0000> <FFFF> endcodespacerange',
          '1 beginbfchar <0003> <0020> endbfchar',
          '2 beginbfrange <0010> <0012> <00E0> <0020> <0021> [<1EE6> <0066006C>] endbfrange',
        ].join('\n'),
        'latin1',
      ),
    );
    expect(cmap.codespace).toEqual([{ bytes: 2, lo: 0, hi: 0xffff }]);
    expect(cmap.map.get(3)).toBe(' ');
    expect(cmap.map.get(0x11)).toBe('á');
    expect(cmap.map.get(0x20)).toBe('Ủ');
    expect(cmap.map.get(0x21)).toBe('fl');
  });
});
