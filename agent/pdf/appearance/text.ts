/**
 * A small content-stream text extractor over our own PDF reader: where each glyph of a page's
 * text is, what character it is and in which style. Enough for anchors (the signer's name,
 * "[SIGNATURE]"), the title line above a name, the style of a placeholder's line and free
 * space for a box; it is no renderer. Handles the text operators (Tf Tm Td TD T* Tj TJ ' "
 * Tc Tw Tz TL Ts), q/Q/cm, form XObjects, Type0 (2-byte codes or the font's codespace) and
 * simple fonts, /W and /Widths, ToUnicode CMaps, /Encoding /Differences. A page at a time, on
 * demand: nothing else of the document is decoded.
 */
import { KysoError } from '../../errors/index.ts';
import { decodeStream } from '../filters.ts';
import { PdfDict, PdfName, PdfRef, PdfStream, PdfString, type PdfValue } from '../objects.ts';
import { Parser, SyntaxError_, isWhite } from '../parser.ts';
import { PdfReader } from '../reader.ts';
import { type ByteSource, openSource } from '../source.ts';
import { liberationSerif } from './font.ts';
import type { Rect } from './types.ts';

export interface Glyph {
  /** The character(s) (NFC); ligatures may give several. */
  ch: string;
  /** Box in the page's default user space (descent 0.22 em to ascent 0.9 em). */
  box: Rect;
  /** Font size on the page (text matrix and CTM applied), points. */
  size: number;
  italic: boolean;
  bold: boolean;
}

type Matrix = [number, number, number, number, number, number];
const IDENTITY: Matrix = [1, 0, 0, 1, 0, 0];
const mul = (m: Matrix, n: Matrix): Matrix => [
  m[0] * n[0] + m[1] * n[2],
  m[0] * n[1] + m[1] * n[3],
  m[2] * n[0] + m[3] * n[2],
  m[2] * n[1] + m[3] * n[3],
  m[4] * n[0] + m[5] * n[2] + n[4],
  m[4] * n[1] + m[5] * n[3] + n[5],
];

interface FontInfo {
  /** Bytes per code for each first byte (from the codespace); simple fonts: 1. */
  codeLength(first: number): number;
  unicode(code: number): string;
  /** Advance in text space units (1/1000 em for non-Type3). */
  width(code: number): number;
  italic: boolean;
  bold: boolean;
  /** Text-space-to-glyph-space scale (1/1000, or Type3's FontMatrix). */
  scale: number;
}

const num = (v: PdfValue | undefined): number | undefined =>
  typeof v === 'number' ? v : undefined;

/** The few glyph names simple fonts' /Differences use for Latin text and brackets. */
const GLYPH_NAMES: Record<string, string> = {
  space: ' ',
  bracketleft: '[',
  bracketright: ']',
  braceleft: '{',
  braceright: '}',
  less: '<',
  greater: '>',
  underscore: '_',
  period: '.',
  comma: ',',
  colon: ':',
  semicolon: ';',
  hyphen: '-',
  slash: '/',
  parenleft: '(',
  parenright: ')',
  zero: '0',
  one: '1',
  two: '2',
  three: '3',
  four: '4',
  five: '5',
  six: '6',
  seven: '7',
  eight: '8',
  nine: '9',
};

function glyphNameToUnicode(name: string): string | undefined {
  if (/^[A-Za-z]$/.test(name)) return name;
  const mapped = GLYPH_NAMES[name];
  if (mapped) return mapped;
  const uni = /^uni([0-9A-Fa-f]{4,6})$/.exec(name) ?? /^u([0-9A-Fa-f]{4,6})$/.exec(name);
  if (uni?.[1]) return String.fromCodePoint(parseInt(uni[1], 16));
  return undefined;
}

const WIN_ANSI_80 = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';

function winAnsi(code: number): string {
  if (code >= 0x80 && code < 0xa0) return WIN_ANSI_80[code - 0x80] ?? '';
  return String.fromCharCode(code);
}

function utf16be(bytes: Buffer): string {
  let out = '';
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    out += String.fromCharCode(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  }
  return out;
}

/** bfchar/bfrange and codespace ranges of a ToUnicode CMap. */
export function parseToUnicode(data: Buffer): {
  map: Map<number, string>;
  codespace: { bytes: number; lo: number; hi: number }[];
} {
  const map = new Map<number, string>();
  const codespace: { bytes: number; lo: number; hi: number }[] = [];
  const text = data.toString('latin1');
  const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
  const code = (s: string): number => parseInt(s.replace(/\s+/g, '') || '0', 16);
  for (const block of text.matchAll(/begincodespacerange([\s\S]*?)endcodespacerange/g)) {
    for (const m of (block[1] ?? '').matchAll(/<([0-9A-Fa-f\s]*)>\s*<([0-9A-Fa-f\s]*)>/g)) {
      const lo = m[1] ?? '';
      codespace.push({
        bytes: Math.ceil(lo.replace(/\s+/g, '').length / 2),
        lo: code(lo),
        hi: code(m[2] ?? ''),
      });
    }
  }
  for (const block of text.matchAll(/beginbfchar([\s\S]*?)endbfchar/g)) {
    for (const m of (block[1] ?? '').matchAll(/<([0-9A-Fa-f\s]*)>\s*<([0-9A-Fa-f\s]*)>/g)) {
      map.set(code(m[1] ?? ''), utf16be(hex(m[2] ?? '')));
    }
  }
  for (const block of text.matchAll(/beginbfrange([\s\S]*?)endbfrange/g)) {
    const body = block[1] ?? '';
    for (const m of body.matchAll(
      /<([0-9A-Fa-f\s]*)>\s*<([0-9A-Fa-f\s]*)>\s*(?:<([0-9A-Fa-f\s]*)>|\[([^\]]*)\])/g,
    )) {
      const lo = code(m[1] ?? '');
      const hi = Math.min(code(m[2] ?? ''), lo + 0xffff);
      if (m[3] !== undefined) {
        const start = hex(m[3]);
        for (let c = lo; c <= hi; c++) {
          const dst = Buffer.from(start);
          // Increment the last byte(s) of the destination by the offset.
          let carry = c - lo;
          for (let i = dst.length - 1; i >= 0 && carry > 0; i--) {
            const v = (dst[i] ?? 0) + carry;
            dst[i] = v & 0xff;
            carry = v >> 8;
          }
          map.set(c, utf16be(dst));
        }
      } else {
        const items = [...(m[4] ?? '').matchAll(/<([0-9A-Fa-f\s]*)>/g)];
        items.forEach((item, i) => {
          if (lo + i <= hi) map.set(lo + i, utf16be(hex(item[1] ?? '')));
        });
      }
    }
  }
  return { map, codespace };
}

/** Reads the page's text, one page at a time. */
export class PageTextReader {
  private reader: Promise<{ reader: PdfReader; source: ByteSource }> | undefined;
  private readonly fonts = new Map<string, Promise<FontInfo>>();

  constructor(private readonly pdf: { path?: string; bytes?: Buffer }) {}

  private open(): Promise<{ reader: PdfReader; source: ByteSource }> {
    this.reader ??= (async () => {
      const input = this.pdf.bytes ?? this.pdf.path;
      if (input === undefined) {
        throw new KysoError('INVALID_INPUT', { reason: 'no PDF given for the text search' });
      }
      const source = await openSource(input);
      try {
        return { reader: await PdfReader.open(source), source };
      } catch (error) {
        await source.close().catch(() => undefined);
        throw error;
      }
    })();
    return this.reader;
  }

  async close(): Promise<void> {
    const opened = await this.reader?.catch(() => undefined);
    this.reader = undefined;
    await opened?.source.close();
  }

  /** Every glyph drawn on the page by its content (annotations not included). */
  async glyphs(pageIndex: number): Promise<Glyph[]> {
    const { reader } = await this.open();
    const pages = await reader.pages();
    const page = pages[pageIndex];
    if (!page) return [];
    const resources = await inherited(reader, page.dict, 'Resources');
    const out: Glyph[] = [];
    const contents = await reader.resolve(page.dict.get('Contents'));
    const parts = Array.isArray(contents) ? contents : contents === undefined ? [] : [contents];
    const chunks: Buffer[] = [];
    for (const part of parts) {
      const data = await streamData(reader, part);
      if (data) chunks.push(data, Buffer.from('\n'));
    }
    await this.run(
      reader,
      Buffer.concat(chunks),
      await reader.resolveDict(resources),
      IDENTITY,
      out,
      0,
    );
    return out;
  }

  private async font(reader: PdfReader, value: PdfValue | undefined): Promise<FontInfo> {
    const key = value instanceof PdfRef ? `r${value.num}` : undefined;
    const cached = key ? this.fonts.get(key) : undefined;
    if (cached) return cached;
    const made = loadFont(reader, value);
    if (key) this.fonts.set(key, made);
    return made;
  }

  private async run(
    reader: PdfReader,
    content: Buffer,
    resources: PdfDict | undefined,
    ctm0: Matrix,
    out: Glyph[],
    depth: number,
  ): Promise<void> {
    // A trailing newline ends the last operator (the parser wants a delimiter after a token).
    const data = Buffer.concat([content, Buffer.from('\n')]);
    const fontDict = await reader.resolveDict(resources?.get('Font'));
    const xobjects = await reader.resolveDict(resources?.get('XObject'));
    const stack: Matrix[] = [];
    let ctm = ctm0;
    let tm: Matrix = IDENTITY;
    let tlm: Matrix = IDENTITY;
    let font: FontInfo | undefined;
    let size = 0;
    let tc = 0;
    let tw = 0;
    let th = 1;
    let tl = 0;
    let rise = 0;
    const operands: PdfValue[] = [];
    const p = new Parser(data, 0, true);
    const show = (s: PdfString): void => {
      if (!font) return;
      const bytes = s.bytes;
      for (let i = 0; i < bytes.length;) {
        const first = bytes[i] ?? 0;
        const n = Math.max(1, Math.min(4, font.codeLength(first)));
        let code = 0;
        for (let k = 0; k < n; k++) code = (code << 8) | (bytes[i + k] ?? 0);
        i += n;
        const w = font.width(code) * font.scale;
        const trm = mul([size * th, 0, 0, size, 0, rise], mul(tm, ctm));
        const ch = font.unicode(code).normalize('NFC');
        if (ch !== '') {
          let x1 = Infinity;
          let y1 = Infinity;
          let x2 = -Infinity;
          let y2 = -Infinity;
          for (const gx of [0, w]) {
            for (const gy of [-0.22, 0.9]) {
              const x = gx * trm[0] + gy * trm[2] + trm[4];
              const y = gx * trm[1] + gy * trm[3] + trm[5];
              x1 = Math.min(x1, x);
              y1 = Math.min(y1, y);
              x2 = Math.max(x2, x);
              y2 = Math.max(y2, y);
            }
          }
          out.push({
            ch,
            box: [x1, y1, x2, y2],
            size: Math.hypot(trm[2], trm[3]),
            italic: font.italic,
            bold: font.bold,
          });
        }
        const advance = (w * size + tc + (n === 1 && code === 32 ? tw : 0)) * th;
        tm = mul([1, 0, 0, 1, advance, 0], tm);
      }
    };
    const nextLine = (tx: number, ty: number): void => {
      tlm = mul([1, 0, 0, 1, tx, ty], tlm);
      tm = tlm;
    };
    for (;;) {
      p.skipWhitespace();
      if (p.pos >= data.length) break;
      const b = data[p.pos] ?? 0;
      let op: string;
      if (
        b === 0x2f ||
        b === 0x28 ||
        b === 0x3c ||
        b === 0x5b ||
        b === 0x2b ||
        b === 0x2d ||
        b === 0x2e ||
        (b >= 0x30 && b <= 0x39)
      ) {
        try {
          operands.push(p.parseValue());
        } catch (error) {
          if (error instanceof SyntaxError_) break;
          throw error;
        }
        continue;
      } else {
        op = p.peekKeyword();
        if (op === '') {
          p.pos++; // stray delimiter (")", "]", ">"): skip
          operands.length = 0;
          continue;
        }
        p.pos += op.length;
      }
      const n = (i: number): number => num(operands[i]) ?? 0;
      switch (op) {
        case 'true':
        case 'false':
        case 'null':
          operands.push(op === 'true' ? true : op === 'false' ? false : null);
          continue;
        case 'q':
          stack.push(ctm);
          break;
        case 'Q':
          ctm = stack.pop() ?? ctm0;
          break;
        case 'cm':
          ctm = mul([n(0), n(1), n(2), n(3), n(4), n(5)], ctm);
          break;
        case 'BT':
          tm = IDENTITY;
          tlm = IDENTITY;
          break;
        case 'Tf': {
          const nameValue = operands[0];
          size = n(1);
          font =
            nameValue instanceof PdfName
              ? await this.font(reader, fontDict?.get(nameValue.name))
              : undefined;
          break;
        }
        case 'Tc':
          tc = n(0);
          break;
        case 'Tw':
          tw = n(0);
          break;
        case 'Tz':
          th = n(0) / 100;
          break;
        case 'TL':
          tl = n(0);
          break;
        case 'Ts':
          rise = n(0);
          break;
        case 'Td':
          nextLine(n(0), n(1));
          break;
        case 'TD':
          tl = -n(1);
          nextLine(n(0), n(1));
          break;
        case 'Tm':
          tlm = [n(0), n(1), n(2), n(3), n(4), n(5)];
          tm = tlm;
          break;
        case 'T*':
          nextLine(0, -tl);
          break;
        case 'Tj': {
          const s = operands[0];
          if (s instanceof PdfString) show(s);
          break;
        }
        case "'": {
          nextLine(0, -tl);
          const s = operands[0];
          if (s instanceof PdfString) show(s);
          break;
        }
        case '"': {
          tw = n(0);
          tc = n(1);
          nextLine(0, -tl);
          const s = operands[2];
          if (s instanceof PdfString) show(s);
          break;
        }
        case 'TJ': {
          const items = operands[0];
          if (!Array.isArray(items)) break;
          for (const item of items) {
            if (item instanceof PdfString) show(item);
            else if (typeof item === 'number')
              tm = mul([1, 0, 0, 1, (-item / 1000) * size * th, 0], tm);
          }
          break;
        }
        case 'BI': {
          // Inline image: skip its data up to "EI" between white space.
          const idAt = data.indexOf('ID', p.pos, 'latin1');
          let at = idAt < 0 ? data.length : idAt + 3;
          for (;;) {
            const ei = data.indexOf('EI', at, 'latin1');
            if (ei < 0) {
              at = data.length;
              break;
            }
            if (isWhite(data[ei - 1]) && (ei + 2 >= data.length || isWhite(data[ei + 2]))) {
              at = ei + 2;
              break;
            }
            at = ei + 2;
          }
          p.pos = at;
          break;
        }
        case 'Do': {
          const nameValue = operands[0];
          if (depth >= 8 || !(nameValue instanceof PdfName)) break;
          const ref = xobjects?.get(nameValue.name);
          if (ref instanceof PdfRef && (await isImage(reader, ref))) break;
          const form = await reader.resolve(ref);
          if (!(form instanceof PdfStream)) break;
          const subtype = form.dict.get('Subtype');
          if (!(subtype instanceof PdfName) || subtype.name !== 'Form') break;
          const m = await reader.resolve(form.dict.get('Matrix'));
          const matrix: Matrix =
            Array.isArray(m) && m.length === 6 && m.every((x) => typeof x === 'number')
              ? (m as Matrix)
              : IDENTITY;
          const inner = await streamData(reader, form);
          if (!inner) break;
          const formResources = (await reader.resolveDict(form.dict.get('Resources'))) ?? resources;
          await this.run(reader, inner, formResources, mul(matrix, ctm), out, depth + 1);
          break;
        }
        default:
          break;
      }
      operands.length = 0;
    }
  }
}

/** An inheritable page attribute (Resources, CropBox...), looked up the /Parent chain. */
export async function inherited(
  reader: PdfReader,
  page: PdfDict,
  key: string,
): Promise<PdfValue | undefined> {
  let node: PdfDict | undefined = page;
  for (let depth = 0; node && depth < 64; depth++) {
    const v = node.get(key);
    if (v !== undefined) return v;
    node = await reader.resolveDict(node.get('Parent'));
  }
  return undefined;
}

/**
 * Whether an XObject is an image, from the first bytes of its object: images are not read
 * (a scanned page's image can be tens of MB, the reader would keep it).
 */
async function isImage(reader: PdfReader, ref: PdfRef): Promise<boolean> {
  const entry = reader.xref.get(ref.num);
  if (entry?.type !== 1) return false;
  const head = (await reader.source.read(entry.offset, 2048)).toString('latin1');
  const dictEnd = head.indexOf('stream');
  return /\/Subtype\s*\/Image\b/.test(dictEnd >= 0 ? head.slice(0, dictEnd) : head);
}

/** A stream's decoded data; undefined when it cannot be decoded (unsupported filter). */
async function streamData(
  reader: PdfReader,
  value: PdfValue | undefined,
): Promise<Buffer | undefined> {
  const s = await reader.resolve(value);
  if (!(s instanceof PdfStream)) return undefined;
  try {
    return decodeStream(s.dict, s.raw);
  } catch {
    return undefined;
  }
}

async function loadFont(reader: PdfReader, value: PdfValue | undefined): Promise<FontInfo> {
  const dict = await reader.resolveDict(value);
  const subtype = dict?.get('Subtype');
  const type0 = subtype instanceof PdfName && subtype.name === 'Type0';
  const type3 = subtype instanceof PdfName && subtype.name === 'Type3';
  const baseFont = dict?.get('BaseFont');
  const baseName = baseFont instanceof PdfName ? baseFont.name : '';
  let descendant: PdfDict | undefined;
  if (type0) {
    const kids = await reader.resolve(dict?.get('DescendantFonts'));
    descendant = Array.isArray(kids) ? await reader.resolveDict(kids[0]) : undefined;
  }
  const descriptor = await reader.resolveDict((descendant ?? dict)?.get('FontDescriptor'));
  const flags = num(await reader.resolve(descriptor?.get('Flags'))) ?? 0;
  const italicAngle = num(await reader.resolve(descriptor?.get('ItalicAngle'))) ?? 0;
  const italic = (flags & 64) !== 0 || italicAngle !== 0 || /italic|oblique/i.test(baseName);
  const weight = num(await reader.resolve(descriptor?.get('FontWeight'))) ?? 0;
  const bold = (flags & 0x40000) !== 0 || weight >= 600 || /bold|black|heavy/i.test(baseName);

  const toUnicodeData = await streamData(reader, dict?.get('ToUnicode'));
  const toUnicode = toUnicodeData ? parseToUnicode(toUnicodeData) : undefined;

  let scale = 1 / 1000;
  if (type3) {
    const fm = await reader.resolve(dict?.get('FontMatrix'));
    if (Array.isArray(fm) && typeof fm[0] === 'number') scale = fm[0];
  }

  // Widths.
  const widths = new Map<number, number>();
  let defaultWidth = type0 ? 1000 : 0;
  if (type0 && descendant) {
    defaultWidth = num(await reader.resolve(descendant.get('DW'))) ?? 1000;
    const w = await reader.resolve(descendant.get('W'));
    if (Array.isArray(w)) {
      for (let i = 0; i < w.length;) {
        const first = num(await reader.resolve(w[i]));
        const next = await reader.resolve(w[i + 1]);
        if (first === undefined) break;
        if (Array.isArray(next)) {
          for (let k = 0; k < next.length; k++) {
            widths.set(first + k, num(await reader.resolve(next[k])) ?? defaultWidth);
          }
          i += 2;
        } else {
          const last = num(next) ?? first;
          const width = num(await reader.resolve(w[i + 2])) ?? defaultWidth;
          for (let c = first; c <= last && c - first < 0x10000; c++) widths.set(c, width);
          i += 3;
        }
      }
    }
  } else if (dict) {
    const firstChar = num(await reader.resolve(dict.get('FirstChar'))) ?? 0;
    const list = await reader.resolve(dict.get('Widths'));
    if (Array.isArray(list)) {
      for (let k = 0; k < list.length; k++) {
        const v = num(await reader.resolve(list[k]));
        if (v !== undefined) widths.set(firstChar + k, v);
      }
    }
    defaultWidth = num(await reader.resolve(descriptor?.get('MissingWidth'))) ?? 0;
  }

  // Simple fonts: /Differences over a base encoding.
  const differences = new Map<number, string>();
  if (!type0) {
    const enc = await reader.resolve(dict?.get('Encoding'));
    const encDict = enc instanceof PdfDict ? enc : undefined;
    const diffs = await reader.resolve(encDict?.get('Differences'));
    if (Array.isArray(diffs)) {
      let at = 0;
      for (const d of diffs) {
        if (typeof d === 'number') at = d;
        else if (d instanceof PdfName) {
          const u = glyphNameToUnicode(d.name);
          if (u) differences.set(at, u);
          at++;
        }
      }
    }
  }

  const serif = liberationSerif();
  const unicode = (code: number): string => {
    const mapped = toUnicode?.map.get(code);
    if (mapped !== undefined) return mapped;
    if (type0) return '';
    return differences.get(code) ?? winAnsi(code);
  };
  // The encoding's code lengths: Identity-H/V 2 bytes; an embedded CMap's codespace; else
  // the ToUnicode CMap's, else 2 bytes.
  let codespace: { bytes: number; lo: number; hi: number }[] = [];
  if (type0) {
    const encoding = await reader.resolve(dict?.get('Encoding'));
    if (encoding instanceof PdfStream) {
      const data = await streamData(reader, encoding);
      if (data) codespace = parseToUnicode(data).codespace;
    } else if (!(encoding instanceof PdfName && /^Identity-[HV]$/.test(encoding.name))) {
      codespace = toUnicode?.codespace ?? [];
    }
  }
  return {
    italic,
    bold,
    scale,
    codeLength: (first) => {
      if (!type0) return 1;
      for (const range of codespace) {
        const shift = 8 * (range.bytes - 1);
        if (first >= range.lo >> shift && first <= range.hi >> shift) return range.bytes;
      }
      return 2;
    },
    unicode,
    width: (code) => {
      const w = widths.get(code);
      if (w !== undefined) return w;
      if (type0) return defaultWidth;
      if (defaultWidth > 0) return defaultWidth;
      // Standard 14 fonts without /Widths: Times-like metrics.
      const glyph = serif.glyphForCodePoint(unicode(code).codePointAt(0) ?? 0);
      return glyph.id === 0 ? 500 : (glyph.advanceWidth * 1000) / serif.unitsPerEm;
    },
  };
}
