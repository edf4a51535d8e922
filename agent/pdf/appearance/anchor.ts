/**
 * Finds a text anchor (the signer's name, "[SIGNATURE]", "[SO_VB]" ...) on a page with its
 * position, and answers the layout's other questions about the page's text (the title line
 * above a name, where text is). Uses our own content-stream extractor (text.ts) over the PDF
 * reader: a page at a time, files read by range, no renderer loaded.
 */
import { KysoError } from '../../errors/index.ts';
import { type Glyph, PageTextReader } from './text.ts';
import type { Rect } from './types.ts';

export interface AnchorHit {
  pageIndex: number;
  /** Bounding box of the matched text in the page's default user space. */
  rect: Rect;
  /** Font size of the matched text (points). */
  fontSize: number;
  /** The matched text is set in an italic face. */
  italic: boolean;
}

/** Whitespace is ignored (extractors split and join words differently). */
const squeeze = (s: string): string => s.normalize('NFC').replace(/\s+/gu, '');

interface CharRef {
  glyph: Glyph;
  ch: string;
  /** Where the character starts and ends along the glyph's box (ligatures), as fractions. */
  from: number;
  to: number;
}

export class AnchorFinder {
  private readonly text: PageTextReader;
  private readonly pageGlyphs = new Map<number, Promise<Glyph[]>>();
  private readonly pageChars = new Map<number, Promise<CharRef[]>>();

  constructor(pdf: { path?: string; bytes?: Buffer }) {
    this.text = new PageTextReader(pdf);
  }

  /** The page's glyphs (cached for the appearance being built). */
  glyphs(pageIndex: number): Promise<Glyph[]> {
    let cached = this.pageGlyphs.get(pageIndex);
    if (!cached) {
      cached = this.text.glyphs(pageIndex).catch((error: unknown) => {
        if (error instanceof KysoError) throw error;
        throw new KysoError(
          'PDF_MALFORMED',
          { reason: 'text search could not read the page', page: pageIndex },
          error,
        );
      });
      this.pageGlyphs.set(pageIndex, cached);
    }
    return cached;
  }

  private chars(pageIndex: number): Promise<CharRef[]> {
    let cached = this.pageChars.get(pageIndex);
    if (!cached) {
      cached = (async () => {
        const refs: CharRef[] = [];
        for (const glyph of await this.glyphs(pageIndex)) {
          const chars = [...glyph.ch];
          chars.forEach((ch, i) => {
            if (!/\s/u.test(ch)) {
              refs.push({ glyph, ch, from: i / chars.length, to: (i + 1) / chars.length });
            }
          });
        }
        return refs;
      })();
      this.pageChars.set(pageIndex, cached);
    }
    return cached;
  }

  /**
   * First occurrence of anchor on the given pages, in the order given. Exact match first,
   * then ignoring case (names are often printed in capitals).
   */
  async find(anchor: string, pageIndexes: number[]): Promise<AnchorHit | null> {
    const wanted = squeeze(anchor);
    if (wanted.length === 0) throw new KysoError('INVALID_INPUT', { reason: 'empty anchor' });
    for (const caseless of [false, true]) {
      const needle = caseless ? wanted.toLocaleLowerCase('vi') : wanted;
      const needleChars = [...needle];
      for (const pageIndex of pageIndexes) {
        const refs = await this.chars(pageIndex);
        const hay = refs.map((r) => (caseless ? r.ch.toLocaleLowerCase('vi') : r.ch));
        for (let i = 0; i + needleChars.length <= hay.length; i++) {
          let ok = true;
          for (let j = 0; j < needleChars.length && ok; j++) ok = hay[i + j] === needleChars[j];
          if (ok) return { pageIndex, ...boxOf(refs.slice(i, i + needleChars.length)) };
        }
      }
    }
    return null;
  }

  async close(): Promise<void> {
    this.pageGlyphs.clear();
    this.pageChars.clear();
    await this.text.close();
  }
}

/** Union of the matched characters' boxes. */
function boxOf(refs: CharRef[]): { rect: Rect; fontSize: number; italic: boolean } {
  let x1 = Infinity;
  let y1 = Infinity;
  let x2 = -Infinity;
  let y2 = -Infinity;
  let fontSize = 0;
  let italic = refs.length > 0;
  for (const ref of refs) {
    const b = ref.glyph.box;
    fontSize = Math.max(fontSize, ref.glyph.size);
    italic &&= ref.glyph.italic;
    // Split a ligature's box along its longer side.
    const horizontal = b[2] - b[0] >= b[3] - b[1];
    const part: Rect = horizontal
      ? [b[0] + (b[2] - b[0]) * ref.from, b[1], b[0] + (b[2] - b[0]) * ref.to, b[3]]
      : b;
    x1 = Math.min(x1, part[0]);
    y1 = Math.min(y1, part[1]);
    x2 = Math.max(x2, part[2]);
    y2 = Math.max(y2, part[3]);
  }
  return { rect: [x1, y1, x2, y2], fontSize, italic };
}
