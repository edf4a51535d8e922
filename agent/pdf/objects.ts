/** The PDF object model (ISO 32000-1 §7.3) and its serialisation for the objects we write. */

export class PdfName {
  constructor(readonly name: string) {}
}

export class PdfRef {
  constructor(
    readonly num: number,
    readonly gen: number,
  ) {}
  toString(): string {
    return `${this.num} ${this.gen} R`;
  }
}

export class PdfString {
  constructor(
    readonly bytes: Buffer,
    readonly hex = false,
  ) {}
  text(): string {
    // UTF-16BE with BOM, else PDFDocEncoding (close enough to latin1 for names and dates).
    if (this.bytes.length >= 2 && this.bytes[0] === 0xfe && this.bytes[1] === 0xff) {
      const body = Buffer.from(this.bytes.subarray(2));
      body.swap16();
      return body.toString('utf16le');
    }
    return this.bytes.toString('latin1');
  }
}

export class PdfDict {
  constructor(readonly map = new Map<string, PdfValue>()) {}
  get(key: string): PdfValue | undefined {
    return this.map.get(key);
  }
  set(key: string, value: PdfValue): this {
    this.map.set(key, value);
    return this;
  }
  has(key: string): boolean {
    return this.map.has(key);
  }
  clone(): PdfDict {
    return new PdfDict(new Map(this.map));
  }
}

export class PdfStream {
  constructor(
    readonly dict: PdfDict,
    /** Absolute file offset of the first data byte. */
    readonly dataOffset: number,
    /** Raw (still encoded) data when it was read. */
    readonly raw: Buffer,
  ) {}
}

/** Bytes written verbatim: used for placeholders whose exact width we control. */
export class PdfRaw {
  constructor(readonly text: string) {}
}

export type PdfValue =
  | null
  | boolean
  | number
  | PdfName
  | PdfString
  | PdfRef
  | PdfDict
  | PdfStream
  | PdfRaw
  | PdfValue[];

export const name = (n: string): PdfName => new PdfName(n);
export const ref = (num: number): PdfRef => new PdfRef(num, 0);

export function dict(entries: Record<string, PdfValue | undefined>): PdfDict {
  const d = new PdfDict();
  for (const [k, v] of Object.entries(entries)) if (v !== undefined) d.set(k, v);
  return d;
}

/** UTF-16BE with BOM when needed, so Vietnamese names survive in text strings. */
export function textString(text: string): PdfString {
  if (/^[\x20-\x7e]*$/.test(text)) return new PdfString(Buffer.from(text, 'latin1'));
  const body = Buffer.from(text, 'utf16le');
  body.swap16();
  return new PdfString(Buffer.concat([Buffer.from([0xfe, 0xff]), body]), true);
}

export function formatNumber(n: number): string {
  if (Number.isInteger(n)) return String(n);
  let s = n.toFixed(6);
  s = s.replace(/0+$/, '').replace(/\.$/, '');
  return s === '-0' ? '0' : s;
}

const NAME_PLAIN = /^[!-~]$/;
function formatName(n: string): string {
  let out = '/';
  for (const byte of Buffer.from(n, 'utf8')) {
    const ch = String.fromCharCode(byte);
    if (NAME_PLAIN.test(ch) && !'()<>[]{}/%#'.includes(ch)) out += ch;
    else out += '#' + byte.toString(16).padStart(2, '0');
  }
  return out;
}

function formatString(s: PdfString): string {
  if (s.hex) return '<' + s.bytes.toString('hex') + '>';
  let out = '(';
  for (const byte of s.bytes) {
    if (byte === 0x28 || byte === 0x29 || byte === 0x5c) out += '\\' + String.fromCharCode(byte);
    else if (byte < 0x20 || byte > 0x7e) out += '\\' + byte.toString(8).padStart(3, '0');
    else out += String.fromCharCode(byte);
  }
  return out + ')';
}

export function serialize(value: PdfValue): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return formatNumber(value);
  if (value instanceof PdfName) return formatName(value.name);
  if (value instanceof PdfString) return formatString(value);
  if (value instanceof PdfRef) return value.toString();
  if (value instanceof PdfRaw) return value.text;
  if (Array.isArray(value)) return '[' + value.map(serialize).join(' ') + ']';
  if (value instanceof PdfDict) {
    const parts: string[] = [];
    for (const [k, v] of value.map) parts.push(formatName(k) + ' ' + serialize(v));
    return '<<' + parts.join(' ') + '>>';
  }
  // Streams are never re-serialised from a parsed value: we only write streams we build.
  throw new Error('cannot serialise a parsed stream');
}

export function isDict(v: PdfValue | undefined): v is PdfDict {
  return v instanceof PdfDict;
}
export function isName(v: PdfValue | undefined, n?: string): v is PdfName {
  return v instanceof PdfName && (n === undefined || v.name === n);
}
export function asNumber(v: PdfValue | undefined): number | undefined {
  return typeof v === 'number' ? v : undefined;
}
