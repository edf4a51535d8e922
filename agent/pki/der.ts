/**
 * Minimal DER reading and writing (X.690) for the few CMS structures we build and parse on
 * the hot path: going through the schema library costs milliseconds per signature.
 */

export interface Tlv {
  tag: number;
  /** Offset of the tag byte. */
  begin: number;
  /** Offset of the first content byte. */
  start: number;
  end: number;
}

export function readTlv(buf: Buffer, at: number): Tlv {
  const tag = buf[at];
  let len = buf[at + 1];
  if (tag === undefined || len === undefined) throw new Error('truncated DER');
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n > 4) throw new Error('DER length too large');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[at + 2 + i] ?? 0);
    start += n;
  }
  if (start + len > buf.length) throw new Error('truncated DER');
  return { tag, begin: at, start, end: start + len };
}

/** Children of a constructed element. */
export function children(der: Buffer, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.start; at < parent.end;) {
    const t = readTlv(der, at);
    out.push(t);
    at = t.end;
  }
  return out;
}

/**
 * BER (X.690 §8) as other signers write it: PDFBox/BouncyCastle and NSS emit indefinite lengths
 * (`30 80 … 00 00`) and constructed (chunked) OCTET STRINGs. `isDer` walks the tree once;
 * `berToDer` re-encodes it with definite lengths and primitive strings, which is the DER of
 * everything the signer computed over (certificates and signed attributes are DER already in
 * practice; when they are not, their DER form is what RFC 5652 §5.4 says was signed).
 */
interface BerHeader {
  /** Tag bytes (one byte unless the high-tag-number form is used). */
  tagEnd: number;
  constructed: boolean;
  /** Offset of the first content byte. */
  start: number;
  /** Content length, or -1 for the indefinite form. */
  length: number;
}

function berHeader(buf: Buffer, at: number): BerHeader {
  const first = buf[at];
  if (first === undefined) throw new Error('truncated BER');
  let p = at + 1;
  if ((first & 0x1f) === 0x1f) {
    while (((buf[p] ?? 0) & 0x80) !== 0) p++;
    p++;
  }
  const tagEnd = p;
  const len = buf[p++];
  if (len === undefined) throw new Error('truncated BER');
  let length = len;
  if (len === 0x80) {
    if ((first & 0x20) === 0) throw new Error('indefinite length on a primitive');
    length = -1;
  } else if (len & 0x80) {
    const n = len & 0x7f;
    if (n > 4) throw new Error('BER length too large');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + (buf[p++] ?? 0);
  }
  if (length >= 0 && p + length > buf.length) throw new Error('truncated BER');
  return { tagEnd, constructed: (first & 0x20) !== 0, start: p, length };
}

/** Offset just past the element at `at` (past its end-of-contents octets when indefinite). */
export function berEnd(buf: Buffer, at: number, depth = 0): number {
  if (depth > 64) throw new Error('BER nested too deeply');
  const h = berHeader(buf, at);
  if (h.length >= 0) return h.start + h.length;
  let p = h.start;
  for (;;) {
    if (p + 1 >= buf.length) throw new Error('truncated BER');
    if (buf[p] === 0 && buf[p + 1] === 0) return p + 2;
    p = berEnd(buf, p, depth + 1);
  }
}

/** Universal string types that BER may split into constructed segments. */
const STRING_TAGS = new Set([3, 4, 12, 18, 19, 20, 21, 22, 25, 26, 27, 28, 30]);

/** True when the element at 0 uses only definite lengths and primitive strings. */
export function isDer(buf: Buffer): boolean {
  const walk = (at: number, end: number, depth: number): boolean => {
    while (at < end) {
      const h = berHeader(buf, at);
      if (h.length < 0) return false;
      const first = buf[at] ?? 0;
      if (h.constructed) {
        if ((first & 0xc0) === 0 && STRING_TAGS.has(first & 0x1f)) return false;
        if (depth > 64 || !walk(h.start, h.start + h.length, depth + 1)) return false;
      }
      at = h.start + h.length;
    }
    return true;
  };
  try {
    const h = berHeader(buf, 0);
    return h.length >= 0 && walk(0, h.start + h.length, 0);
  } catch {
    return false;
  }
}

function lengthBytes(len: number): Buffer {
  if (len < 0x80) return Buffer.from([len]);
  const bytes: number[] = [];
  for (let l = len; l > 0; l = Math.floor(l / 256)) bytes.unshift(l & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** Re-encodes the BER element at the start of `buf` as DER (trailing bytes are ignored). */
export function berToDer(buf: Buffer): Buffer {
  return encodeDer(buf, 0, 0).der;
}

function encodeDer(buf: Buffer, at: number, depth: number): { der: Buffer; end: number } {
  if (depth > 64) throw new Error('BER nested too deeply');
  const h = berHeader(buf, at);
  const first = buf[at] ?? 0;
  const tag = buf.subarray(at, h.tagEnd);
  if (!h.constructed) {
    const end = h.start + h.length;
    return { der: Buffer.concat([tag, lengthBytes(h.length), buf.subarray(h.start, end)]), end };
  }
  // Children up to the end (definite) or the end-of-contents octets (indefinite).
  const inner: Buffer[] = [];
  let p = h.start;
  for (;;) {
    if (h.length >= 0 ? p >= h.start + h.length : buf[p] === 0 && buf[p + 1] === 0) break;
    if (p >= buf.length) throw new Error('truncated BER');
    const child = encodeDer(buf, p, depth + 1);
    inner.push(child.der);
    p = child.end;
  }
  if (h.length < 0) p += 2;
  let content: Buffer;
  let outTag: Buffer = tag;
  if ((first & 0xc0) === 0 && STRING_TAGS.has(first & 0x1f)) {
    // One primitive string of the same type holding the segments' contents.
    const segments = inner.map((seg) => seg.subarray(berHeader(seg, 0).start));
    if ((first & 0x1f) === 3) {
      // BIT STRING: each segment starts with its unused-bits count; only the last may be non-zero.
      content = Buffer.concat([
        Buffer.from([segments.at(-1)?.[0] ?? 0]),
        ...segments.map((seg) => seg.subarray(1)),
      ]);
    } else content = Buffer.concat(segments);
    outTag = Buffer.from([first & ~0x20]);
  } else content = Buffer.concat(inner);
  return { der: Buffer.concat([outTag, lengthBytes(content.length), content]), end: p };
}

export const contentOf = (der: Buffer, t: Tlv): Buffer => der.subarray(t.start, t.end);
export const elementOf = (der: Buffer, t: Tlv): Buffer => der.subarray(t.begin, t.end);

/** Decodes an OBJECT IDENTIFIER body to dotted text. */
export function oidText(body: Buffer): string {
  const first = body[0] ?? 0;
  const arc = Math.min(2, Math.floor(first / 40));
  const parts = [arc, first - 40 * arc];
  let v = 0;
  for (let i = 1; i < body.length; i++) {
    const b = body[i] ?? 0;
    v = v * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

export function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = content.length === 1 ? (content[0] as Buffer) : Buffer.concat(content);
  const len = body.length;
  let header: Buffer;
  if (len < 0x80) header = Buffer.from([tag, len]);
  else {
    const bytes: number[] = [];
    for (let l = len; l > 0; l = Math.floor(l / 256)) bytes.unshift(l & 0xff);
    header = Buffer.from([tag, 0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([header, body]);
}

export const seq = (...content: Buffer[]): Buffer => tlv(0x30, ...content);
export const set = (...content: Buffer[]): Buffer => tlv(0x31, ...content);
export const octets = (b: Buffer): Buffer => tlv(0x04, b);
export const smallInt = (n: number): Buffer => tlv(0x02, Buffer.from([n]));
export const NULL = Buffer.from([0x05, 0x00]);

export function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const bytes = [40 * (parts[0] ?? 0) + (parts[1] ?? 0)];
  for (const p of parts.slice(2)) {
    const stack = [p & 0x7f];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128))
      stack.unshift((v & 0x7f) | 0x80);
    bytes.push(...stack);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** Issuer Name and serial INTEGER of a certificate, both as complete DER elements. */
export function issuerAndSerialOf(cert: Buffer): { issuer: Buffer; serial: Buffer } {
  const c = readTlv(cert, 0);
  const tbs = children(cert, c)[0];
  if (!tbs) throw new Error('bad certificate');
  const fields = children(cert, tbs);
  const offset = fields[0]?.tag === 0xa0 ? 1 : 0;
  const serial = fields[offset];
  const issuer = fields[offset + 2];
  if (serial?.tag !== 0x02 || issuer?.tag !== 0x30) throw new Error('bad certificate');
  return { issuer: elementOf(cert, issuer), serial: elementOf(cert, serial) };
}
