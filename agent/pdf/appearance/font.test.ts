import * as fontkit from 'fontkit';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { isKysoError } from '../../errors/index.ts';
import { FontSubset, liberationSerif } from './font.ts';
import { makeTestPdf, pdfToText } from './test-pdf.ts';

/** Every Vietnamese letter with every tone mark, upper and lower case. */
const VIETNAMESE =
  'aàáảãạ ăằắẳẵặ âầấẩẫậ eèéẻẽẹ êềếểễệ iìíỉĩị oòóỏõọ ôồốổỗộ ơờớởỡợ uùúủũụ ưừứửữự yỳýỷỹỵ đ';

function streamOf(body: Buffer): Buffer {
  const start = body.indexOf('stream\n') + 'stream\n'.length;
  const end = body.lastIndexOf('\nendstream');
  return inflateSync(body.subarray(start, end));
}

describe('FontSubset', () => {
  it('is Liberation Serif 2.x with Vietnamese glyphs and Times metrics', () => {
    const font = liberationSerif();
    expect(font.postscriptName).toBe('LiberationSerif');
    for (const ch of (VIETNAMESE + VIETNAMESE.toUpperCase()).replace(/ /g, '')) {
      expect(font.hasGlyphForCodePoint(ch.codePointAt(0) ?? 0), ch).toBe(true);
    }
    // Times New Roman's advance widths: space 250, "a" 444, "W" 944 (1/1000 em).
    const subset = new FontSubset();
    expect(subset.width(' ', 1000)).toBeCloseTo(250, 0);
    expect(subset.width('a', 1000)).toBeCloseTo(444, 0);
    expect(subset.width('W', 1000)).toBeCloseTo(944, 0);
  });

  it('embeds only the glyphs used, as a valid TrueType subset with matching widths', () => {
    const subset = new FontSubset();
    const text = 'Ủy ban nhân dân';
    const hex = subset.encode(text);
    const distinct = new Set([...text]).size;
    expect(subset.usedGlyphCount).toBe(distinct);
    expect(hex).toMatch(/^<([0-9a-f]{4})+>$/);
    expect((hex.length - 2) / 4).toBe([...text].length);

    let next = 10;
    const { fontId, objects } = subset.objects(() => next++);
    expect(fontId).toBe(10);
    expect(objects.map((o) => o.id)).toEqual([10, 11, 12, 13, 14]);
    const type0 = objects[0]?.body.toString('latin1') ?? '';
    expect(type0).toMatch(
      /\/Subtype \/Type0 \/BaseFont \/[A-Z]{6}\+LiberationSerif \/Encoding \/Identity-H/,
    );
    expect(type0).toContain('/ToUnicode 14 0 R');
    const cid = objects[1]?.body.toString('latin1') ?? '';
    expect(cid).toContain('/CIDFontType2');
    expect(cid).toContain('/CIDToGIDMap /Identity');

    const file = streamOf(objects[3]?.body ?? Buffer.alloc(0));
    expect(file.length).toBeLessThan(20_000); // the full font is 400 kB
    const parsed = fontkit.create(file) as fontkit.Font;
    // .notdef + the used glyphs + components of composite glyphs (accents).
    expect(parsed.numGlyphs).toBeGreaterThan(distinct);
    const widths = new Map<number, number>();
    for (const m of cid.matchAll(/(\d+) \[([\d.]+)\]/g)) widths.set(Number(m[1]), Number(m[2]));
    expect(widths.size).toBe(distinct);
    for (const [gid, width] of widths) {
      const glyph = parsed.getGlyph(gid);
      expect(glyph.advanceWidth * (1000 / parsed.unitsPerEm)).toBeCloseTo(width, 1);
      if (width !== 250) expect(glyph.path.commands.length, `glyph ${gid}`).toBeGreaterThan(0);
    }

    const cmap = streamOf(objects[4]?.body ?? Buffer.alloc(0)).toString('latin1');
    expect(cmap).toContain(`${distinct} beginbfchar`);
    expect(cmap).toContain('<1EE6>'); // Ủ
  });

  it('maps decomposed (NFD) input to the same precomposed glyphs', () => {
    const subset = new FontSubset();
    expect(subset.encode('Nguyễn'.normalize('NFD'))).toBe(subset.encode('Nguyễn'.normalize('NFC')));
  });

  it('refuses characters the font does not have with INVALID_INPUT', () => {
    const subset = new FontSubset();
    let error: unknown;
    try {
      subset.encode('chữ ký 😀');
    } catch (e) {
      error = e;
    }
    expect(isKysoError(error, 'INVALID_INPUT')).toBe(true);
    expect(isKysoError(error) && error.details.character).toBe('U+1F600');
  });

  it('round-trips Vietnamese text through ToUnicode (pdftotext)', () => {
    const lines = [
      'Ủy ban nhân dân tỉnh Hà Giang',
      'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM',
      'Độc lập - Tự do - Hạnh phúc',
      VIETNAMESE,
      VIETNAMESE.toUpperCase(),
    ];
    const pdf = makeTestPdf([
      { texts: lines.map((text, i) => ({ text, x: 30, y: 780 - i * 24, size: 9 })) },
    ]);
    const text = pdfToText(pdf.bytes);
    for (const line of lines) expect(text).toContain(line);
  });
});
