/**
 * Finds a text anchor (the signer's name, "[SIGNATURE]", "[SO_VB]" ...) on a page with its
 * position, using pdf.js's text extraction (fonts, ToUnicode and text matrices handled there).
 * Files given by path are read by range, so a 200 MB PDF is not loaded to find a name.
 */
import { pathToFileURL } from 'node:url';
import type { PDFDocumentProxy } from 'pdfjs-dist';
import type { TextItem } from 'pdfjs-dist/types/src/display/api.js';
import { KysoError } from '../../errors/index.ts';
import { liberationSerif } from './font.ts';
import type { Rect } from './types.ts';

export interface AnchorHit {
  pageIndex: number;
  /** Bounding box of the matched text in the page's default user space. */
  rect: Rect;
  /** Font size of the matched text (points). */
  fontSize: number;
}

/** Whitespace is ignored (extractors split and join words differently). */
const squeeze = (s: string): string => s.normalize('NFC').replace(/\s+/gu, '');

interface CharRef {
  item: TextItem;
  ch: string;
  /** Where the character starts and ends along the item, as fractions of its width. */
  from: number;
  to: number;
}

/**
 * pdf.js gives one width per text run, not per character. Split it in proportion to the
 * characters' advances in Liberation Serif (Times metrics, the usual font of Vietnamese
 * official documents); close enough for other fonts to cover a placeholder.
 */
function charSpans(text: string): { ch: string; from: number; to: number }[] {
  const font = liberationSerif();
  const chars = [...text];
  const widths = chars.map((ch) => {
    const glyph = font.glyphForCodePoint(ch.codePointAt(0) ?? 0);
    return glyph.id === 0 ? font.unitsPerEm / 2 : glyph.advanceWidth;
  });
  const total = widths.reduce((a, b) => a + b, 0) || 1;
  let at = 0;
  return chars.map((ch, i) => {
    const from = at / total;
    at += widths[i] ?? 0;
    return { ch, from, to: at / total };
  });
}

export class AnchorFinder {
  private doc: Promise<PDFDocumentProxy> | undefined;
  private readonly pageText = new Map<number, Promise<CharRef[]>>();

  constructor(private readonly pdf: { path?: string; bytes?: Buffer }) {}

  private document(): Promise<PDFDocumentProxy> {
    this.doc ??= (async () => {
      const { getDocument } = await import('pdfjs-dist/legacy/build/pdf.mjs');
      const common = {
        verbosity: 0,
        isEvalSupported: false,
        disableFontFace: true,
        useSystemFonts: false,
        disableAutoFetch: true,
        disableStream: true,
      };
      if (this.pdf.bytes) {
        // pdf.js transfers (detaches) the buffer it gets: hand it a copy.
        return getDocument({ ...common, data: new Uint8Array(this.pdf.bytes) }).promise;
      }
      if (this.pdf.path) {
        return getDocument({ ...common, url: pathToFileURL(this.pdf.path).href }).promise;
      }
      throw new KysoError('INVALID_INPUT', { reason: 'no PDF given for the anchor search' });
    })().catch((error: unknown) => {
      if (error instanceof KysoError) throw error;
      if (error instanceof Error && error.name === 'PasswordException') {
        throw new KysoError('PDF_ENCRYPTED', {}, error);
      }
      throw new KysoError(
        'PDF_MALFORMED',
        { reason: 'anchor search could not read the PDF' },
        error,
      );
    });
    return this.doc;
  }

  private chars(pageIndex: number): Promise<CharRef[]> {
    let cached = this.pageText.get(pageIndex);
    if (!cached) {
      cached = (async () => {
        const page = await (await this.document()).getPage(pageIndex + 1);
        const content = await page.getTextContent();
        const refs: CharRef[] = [];
        for (const entry of content.items) {
          if (!('str' in entry)) continue;
          for (const span of charSpans(entry.str.normalize('NFC'))) {
            if (!/\s/u.test(span.ch)) refs.push({ item: entry, ...span });
          }
        }
        return refs;
      })();
      this.pageText.set(pageIndex, cached);
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
    if (this.doc) await (await this.doc.catch(() => undefined))?.destroy();
  }
}

/** Union of the matched characters' boxes. */
function boxOf(refs: CharRef[]): { rect: Rect; fontSize: number } {
  let x1 = Infinity;
  let y1 = Infinity;
  let x2 = -Infinity;
  let y2 = -Infinity;
  let fontSize = 0;
  for (const ref of refs) {
    const [a = 1, b = 0, c = 0, d = 1, e = 0, f = 0] = ref.item.transform as number[];
    const along = Math.hypot(a, b) || 1;
    const across = Math.hypot(c, d) || 1;
    const size = ref.item.height || across;
    fontSize = Math.max(fontSize, size);
    const dir: [number, number] = [a / along, b / along];
    const up: [number, number] = [c / across, d / across];
    const s0 = ref.item.width * ref.from;
    const s1 = ref.item.width * ref.to;
    // Liberation/Times-like fonts: descent ~0.22 em, ascent ~0.9 em.
    for (const s of [s0, s1]) {
      for (const t of [-0.22 * size, 0.9 * size]) {
        const x = e + dir[0] * s + up[0] * t;
        const y = f + dir[1] * s + up[1] * t;
        x1 = Math.min(x1, x);
        y1 = Math.min(y1, y);
        x2 = Math.max(x2, x);
        y2 = Math.max(y2, y);
      }
    }
  }
  return { rect: [x1, y1, x2, y2], fontSize };
}
