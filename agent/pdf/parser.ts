/**
 * A small PDF syntax parser (ISO 32000-1 §7.2–7.3) over an in-memory window of the file.
 * It parses one object at a time; the reader fetches a bigger window when an object runs past
 * the end of the current one (NeedMoreData).
 */
import { PdfDict, PdfName, PdfRef, PdfStream, PdfString, type PdfValue } from './objects.ts';

export class NeedMoreData extends Error {
  constructor() {
    super('need more data');
  }
}

/**
 * Thrown whenever a window is too short, which a signature dictionary's /Contents always is
 * for the first window: one instance, so no stack trace is captured each time (~20 µs).
 */
const NEED_MORE_DATA = new NeedMoreData();

export class SyntaxError_ extends Error {}

const WS = new Set([0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20]);
const DELIM = new Set([0x28, 0x29, 0x3c, 0x3e, 0x5b, 0x5d, 0x7b, 0x7d, 0x2f, 0x25]);

export const isWhite = (b: number | undefined): boolean => b !== undefined && WS.has(b);
const isRegular = (b: number | undefined): boolean =>
  b !== undefined && !WS.has(b) && !DELIM.has(b);

export class Parser {
  pos: number;
  constructor(
    readonly buf: Buffer,
    /** Absolute file offset of buf[0]. */
    readonly base: number,
    /** True when buf reaches the end of the file (no more data to ask for). */
    readonly atEof: boolean,
    start = 0,
  ) {
    this.pos = start;
  }

  private byte(at = this.pos): number {
    const b = this.buf[at];
    if (b === undefined) {
      if (this.atEof) throw new SyntaxError_('unexpected end of file');
      throw NEED_MORE_DATA;
    }
    return b;
  }

  skipWhitespace(): void {
    for (;;) {
      if (this.pos >= this.buf.length) {
        if (this.atEof) return;
        throw NEED_MORE_DATA;
      }
      const b = this.buf[this.pos];
      if (isWhite(b)) this.pos++;
      else if (b === 0x25) {
        while (
          this.pos < this.buf.length &&
          this.buf[this.pos] !== 0x0a &&
          this.buf[this.pos] !== 0x0d
        )
          this.pos++;
      } else return;
    }
  }

  /** A bare keyword or number token. */
  private regularToken(): string {
    const start = this.pos;
    while (isRegular(this.byte())) this.pos++;
    return this.buf.toString('latin1', start, this.pos);
  }

  peekKeyword(): string {
    this.skipWhitespace();
    const save = this.pos;
    const token = this.pos < this.buf.length ? this.regularToken() : '';
    this.pos = save;
    return token;
  }

  expectKeyword(keyword: string): void {
    this.skipWhitespace();
    const token = this.regularToken();
    if (token !== keyword) throw new SyntaxError_(`expected ${keyword}, found "${token}"`);
  }

  readInt(): number {
    this.skipWhitespace();
    const token = this.regularToken();
    if (!/^\d+$/.test(token)) throw new SyntaxError_(`expected an integer, found "${token}"`);
    return Number(token);
  }

  /** Parses a value; `N G R` references are recognised by look-ahead. */
  parseValue(): PdfValue {
    this.skipWhitespace();
    const b = this.byte();
    if (b === 0x2f) return this.parseName();
    if (b === 0x28) return this.parseLiteralString();
    if (b === 0x3c) {
      if (this.byte(this.pos + 1) === 0x3c) return this.parseDict();
      return this.parseHexString();
    }
    if (b === 0x5b) {
      this.pos++;
      const items: PdfValue[] = [];
      for (;;) {
        this.skipWhitespace();
        if (this.byte() === 0x5d) {
          this.pos++;
          return items;
        }
        items.push(this.parseValue());
      }
    }
    const token = this.regularToken();
    if (token === '') throw new SyntaxError_(`unexpected byte 0x${b.toString(16)}`);
    if (token === 'true') return true;
    if (token === 'false') return false;
    if (token === 'null') return null;
    if (/^[+-]?(\d+\.?\d*|\.\d+)$/.test(token)) {
      if (/^\d+$/.test(token)) {
        // Look ahead for "gen R".
        const save = this.pos;
        try {
          this.skipWhitespace();
          const gen = this.regularToken();
          if (/^\d+$/.test(gen)) {
            this.skipWhitespace();
            if (this.byte() === 0x52 && !isRegular(this.buf[this.pos + 1])) {
              this.pos++;
              return new PdfRef(Number(token), Number(gen));
            }
          }
        } catch (error) {
          if (!(error instanceof SyntaxError_)) throw error;
        }
        this.pos = save;
      }
      return Number(token);
    }
    throw new SyntaxError_(`unexpected token "${token}"`);
  }

  private parseName(): PdfName {
    this.pos++;
    const start = this.pos;
    while (isRegular(this.buf[this.pos]) && this.pos < this.buf.length) this.pos++;
    if (this.pos >= this.buf.length && !this.atEof) throw NEED_MORE_DATA;
    const raw = this.buf.toString('latin1', start, this.pos);
    const decoded = raw.includes('#')
      ? Buffer.from(
          raw.replace(/#([0-9a-fA-F]{2})/g, (_m, hex: string) =>
            String.fromCharCode(parseInt(hex, 16)),
          ),
          'latin1',
        ).toString('utf8')
      : raw;
    return new PdfName(decoded);
  }

  private parseHexString(): PdfString {
    this.pos++;
    const start = this.pos;
    // One native scan for the end: signature /Contents are kilobytes of hex.
    const end = this.buf.indexOf(0x3e, start);
    if (end < 0) {
      if (this.atEof) throw new SyntaxError_('unexpected end of file');
      throw NEED_MORE_DATA;
    }
    this.pos = end;
    let hex = this.buf.toString('latin1', start, this.pos).replace(/[^0-9a-fA-F]/g, '');
    this.pos++;
    if (hex.length % 2) hex += '0';
    return new PdfString(Buffer.from(hex, 'hex'), true);
  }

  private parseLiteralString(): PdfString {
    this.pos++;
    const out: number[] = [];
    let depth = 1;
    for (;;) {
      const b = this.byte();
      this.pos++;
      if (b === 0x5c) {
        const e = this.byte();
        this.pos++;
        const simple: Record<number, number> = {
          0x6e: 0x0a,
          0x72: 0x0d,
          0x74: 0x09,
          0x62: 0x08,
          0x66: 0x0c,
          0x28: 0x28,
          0x29: 0x29,
          0x5c: 0x5c,
        };
        const mapped = simple[e];
        if (mapped !== undefined) out.push(mapped);
        else if (e >= 0x30 && e <= 0x37) {
          let v = e - 0x30;
          for (let i = 0; i < 2; i++) {
            const d = this.byte();
            if (d < 0x30 || d > 0x37) break;
            v = v * 8 + (d - 0x30);
            this.pos++;
          }
          out.push(v & 0xff);
        } else if (e === 0x0d) {
          if (this.byte() === 0x0a) this.pos++;
        } else if (e !== 0x0a) out.push(e);
      } else if (b === 0x28) {
        depth++;
        out.push(b);
      } else if (b === 0x29) {
        if (--depth === 0) return new PdfString(Buffer.from(out));
        out.push(b);
      } else out.push(b);
    }
  }

  private parseDict(): PdfDict {
    this.pos += 2;
    const d = new PdfDict();
    for (;;) {
      this.skipWhitespace();
      const b = this.byte();
      if (b === 0x3e) {
        if (this.byte(this.pos + 1) !== 0x3e) throw new SyntaxError_('bad dictionary end');
        this.pos += 2;
        return d;
      }
      if (b !== 0x2f) throw new SyntaxError_('dictionary key is not a name');
      const key = this.parseName();
      d.set(key.name, this.parseValue());
    }
  }

  /**
   * Parses "N G obj value [stream...] endobj" at the current position. Stream data is sliced
   * from the window using `streamLength` (resolved by the caller when /Length is indirect).
   */
  parseIndirect(streamLength: (d: PdfDict) => number | undefined): {
    num: number;
    gen: number;
    value: PdfValue;
  } {
    const num = this.readInt();
    const gen = this.readInt();
    this.expectKeyword('obj');
    const value = this.parseValue();
    this.skipWhitespace();
    if (value instanceof PdfDict && this.peekKeyword() === 'stream') {
      this.expectKeyword('stream');
      if (this.byte() === 0x0d) this.pos++;
      if (this.byte() === 0x0a) this.pos++;
      const start = this.pos;
      let length = streamLength(value);
      if (length === undefined || !this.lengthFits(start, length))
        length = this.findEndstream(start);
      if (start + length > this.buf.length) {
        if (this.atEof) throw new SyntaxError_('stream runs past the end of the file');
        throw NEED_MORE_DATA;
      }
      const raw = this.buf.subarray(start, start + length);
      this.pos = start + length;
      return { num, gen, value: new PdfStream(value, this.base + start, raw) };
    }
    return { num, gen, value };
  }

  /** True when "endstream" follows `length` bytes of data (allowing an EOL). */
  private lengthFits(start: number, length: number): boolean {
    const end = start + length;
    if (end + 9 > this.buf.length) {
      if (this.atEof) return false;
      throw NEED_MORE_DATA;
    }
    let p = end;
    while (p < end + 3 && isWhite(this.buf[p])) p++;
    return this.buf.toString('latin1', p, p + 9) === 'endstream';
  }

  private findEndstream(start: number): number {
    const idx = this.buf.indexOf('endstream', start, 'latin1');
    if (idx < 0) {
      if (this.atEof) throw new SyntaxError_('endstream not found');
      throw NEED_MORE_DATA;
    }
    let end = idx;
    if (this.buf[end - 1] === 0x0a) end--;
    if (this.buf[end - 1] === 0x0d) end--;
    return end - start;
  }
}
