/**
 * Liberation Serif (Times New Roman metrics, Vietnamese glyphs) embedded as a subset:
 * Type0 font, Identity-H encoding, CIDFontType2 whose CIDs are the subset's glyph ids
 * (CIDToGIDMap /Identity), /W widths and a ToUnicode CMap so copy/paste and search work.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as fontkit from 'fontkit';
import { KysoError } from '../../errors/index.ts';
import { stripHinting } from './font-strip.ts';
import { num, numbers, streamBody } from './syntax.ts';
import type { AppearanceObject } from './types.ts';

export const FONT_PATH = fileURLToPath(
  new URL('../../../assets/fonts/LiberationSerif-Regular.ttf', import.meta.url),
);
export const ITALIC_FONT_PATH = fileURLToPath(
  new URL('../../../assets/fonts/LiberationSerif-Italic.ttf', import.meta.url),
);

const cachedFonts = new Map<string, fontkit.Font>();

function load(path: string): fontkit.Font {
  let font = cachedFonts.get(path);
  if (!font) {
    const parsed = fontkit.create(readFileSync(path));
    if (!('glyphForCodePoint' in parsed)) throw new KysoError('INTERNAL_ERROR', { reason: 'font' });
    font = parsed;
    cachedFonts.set(path, font);
  }
  return font;
}

/** The shipped font, parsed once per process. */
export function liberationSerif(): fontkit.Font {
  return load(FONT_PATH);
}

/** Its italic face (the issue date's line in Decree 30 templates is italic). */
export function liberationSerifItalic(): fontkit.Font {
  return load(ITALIC_FONT_PATH);
}

/** fontkit's typings say boolean; the implementation returns the glyph's id in the subset. */
interface SubsetWithIds {
  includeGlyph(glyph: fontkit.Glyph | number): number;
  encode(): Uint8Array;
}

interface UsedGlyph {
  cid: number;
  /** Advance in 1/1000 em. */
  width: number;
  unicode: string;
}

const utf16Hex = (s: string): string => {
  let out = '';
  for (let i = 0; i < s.length; i++) out += s.charCodeAt(i).toString(16).padStart(4, '0');
  return out.toUpperCase();
};

/** Collects the glyphs of every text drawn in one appearance, then emits one subset font. */
export class FontSubset {
  private readonly font: fontkit.Font;
  private readonly subset: SubsetWithIds;
  private readonly byGlyphId = new Map<number, UsedGlyph>();

  constructor(font: fontkit.Font = liberationSerif()) {
    this.font = font;
    this.subset = font.createSubset() as unknown as SubsetWithIds;
  }

  get usedGlyphCount(): number {
    return this.byGlyphId.size;
  }

  private glyphs(text: string): UsedGlyph[] {
    const scale = 1000 / this.font.unitsPerEm;
    const out: UsedGlyph[] = [];
    // NFC: decomposed input (macOS, some web forms) maps to the font's precomposed glyphs.
    for (const ch of text.normalize('NFC').replace(/[\t\r\n]/g, ' ')) {
      const cp = ch.codePointAt(0) ?? 0;
      const glyph = this.font.glyphForCodePoint(cp);
      if (glyph.id === 0) {
        throw new KysoError('INVALID_INPUT', {
          reason: 'character not available in the signature font',
          character: `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`,
        });
      }
      let used = this.byGlyphId.get(glyph.id);
      if (!used) {
        used = {
          cid: this.subset.includeGlyph(glyph),
          width: glyph.advanceWidth * scale,
          unicode: ch,
        };
        this.byGlyphId.set(glyph.id, used);
      }
      out.push(used);
    }
    return out;
  }

  /** Width of text in points at the given size. */
  width(text: string, size: number): number {
    return (this.glyphs(text).reduce((sum, g) => sum + g.width, 0) * size) / 1000;
  }

  /** The text as a hex string operand for Tj (2-byte CIDs). */
  encode(text: string): string {
    return `<${this.glyphs(text)
      .map((g) => g.cid.toString(16).padStart(4, '0'))
      .join('')}>`;
  }

  /** The font's objects; returns the Type0 font's id for the /Font resource. */
  objects(allocate: () => number): { fontId: number; objects: AppearanceObject[] } {
    const used = [...this.byGlyphId.values()].sort((a, b) => a.cid - b.cid);
    const tag = subsetTag(used.map((g) => g.cid + ':' + g.unicode).join(','));
    const baseFont = `${tag}+${this.font.postscriptName}`;
    const scale = 1000 / this.font.unitsPerEm;
    const fontFile = stripHinting(Buffer.from(this.subset.encode()));

    const fontId = allocate();
    const cidFontId = allocate();
    const descriptorId = allocate();
    const fileId = allocate();
    const toUnicodeId = allocate();

    const bbox = this.font.bbox;
    const widths = used.map((g) => `${g.cid} [${num(g.width)}]`).join(' ');
    const objects: AppearanceObject[] = [
      {
        id: fontId,
        body: Buffer.from(
          `<< /Type /Font /Subtype /Type0 /BaseFont /${baseFont} /Encoding /Identity-H ` +
            `/DescendantFonts [${cidFontId} 0 R] /ToUnicode ${toUnicodeId} 0 R >>`,
          'latin1',
        ),
      },
      {
        id: cidFontId,
        body: Buffer.from(
          `<< /Type /Font /Subtype /CIDFontType2 /BaseFont /${baseFont} ` +
            `/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> ` +
            `/FontDescriptor ${descriptorId} 0 R /DW 1000 /W [${widths}] /CIDToGIDMap /Identity >>`,
          'latin1',
        ),
      },
      {
        id: descriptorId,
        body: Buffer.from(
          `<< /Type /FontDescriptor /FontName /${baseFont} /Flags ${this.font.italicAngle !== 0 ? 6 | 64 : 6} ` +
            `/FontBBox [${numbers([bbox.minX * scale, bbox.minY * scale, bbox.maxX * scale, bbox.maxY * scale])}] ` +
            `/ItalicAngle ${num(this.font.italicAngle)} /Ascent ${num(this.font.ascent * scale)} ` +
            `/Descent ${num(this.font.descent * scale)} /CapHeight ${num(this.font.capHeight * scale)} ` +
            `/StemV 80 /FontFile2 ${fileId} 0 R >>`,
          'latin1',
        ),
      },
      { id: fileId, body: streamBody(`/Length1 ${fontFile.length}`, fontFile, true) },
      { id: toUnicodeId, body: streamBody('', Buffer.from(toUnicodeCMap(used), 'latin1'), true) },
    ];
    return { fontId, objects };
  }
}

/** Six capital letters derived from the glyph set (PDF 32000 9.6.4 subset tag). */
function subsetTag(seed: string): string {
  const digest = createHash('sha256').update(seed).digest();
  let tag = '';
  for (let i = 0; i < 6; i++) tag += String.fromCharCode(65 + ((digest[i] ?? 0) % 26));
  return tag;
}

function toUnicodeCMap(used: UsedGlyph[]): string {
  const lines = [
    '/CIDInit /ProcSet findresource begin',
    '12 dict begin',
    'begincmap',
    '/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def',
    '/CMapName /Adobe-Identity-UCS def',
    '/CMapType 2 def',
    '1 begincodespacerange',
    '<0000> <FFFF>',
    'endcodespacerange',
  ];
  for (let i = 0; i < used.length; i += 100) {
    const chunk = used.slice(i, i + 100);
    lines.push(`${chunk.length} beginbfchar`);
    for (const g of chunk)
      lines.push(`<${g.cid.toString(16).padStart(4, '0').toUpperCase()}> <${utf16Hex(g.unicode)}>`);
    lines.push('endbfchar');
  }
  lines.push('endcmap', 'CMapName currentdict /CMap defineresource pop', 'end', 'end');
  return lines.join('\n');
}
