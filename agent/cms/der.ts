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
