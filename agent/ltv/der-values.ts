/** DER values the revocation and timestamp code reads beside what agent/cms/der.ts offers. */
import { children, contentOf, elementOf, readTlv, tlv, type Tlv } from '../pki/index.ts';

/** UTCTime (0x17) or GeneralizedTime (0x18) to a Date; fractions of a second are kept. */
export function readTime(der: Buffer, t: Tlv): Date {
  const s = contentOf(der, t).toString('latin1');
  const m =
    t.tag === 0x17
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s)
      : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\.\d+)?Z$/.exec(s);
  if (!m) throw new Error(`unsupported time ${s}`);
  let year = Number(m[1]);
  // RFC 5280 §4.1.2.5.1: two-digit years 50..99 are 19xx.
  if (t.tag === 0x17) year += year >= 50 ? 1900 : 2000;
  const ms = m[7] ? Math.round(Number(m[7]) * 1000) : 0;
  return new Date(
    Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), ms),
  );
}

/** Positive INTEGER with a given big-endian magnitude (a 0x00 pad when the top bit is set). */
export function positiveInteger(magnitude: Buffer): Buffer {
  let m = magnitude;
  while (m.length > 1 && m[0] === 0 && ((m[1] ?? 0) & 0x80) === 0) m = m.subarray(1);
  return tlv(0x02, (m[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), m]) : m);
}

export const BOOLEAN_TRUE = Buffer.from([0x01, 0x01, 0xff]);

/** Root element and its children, for walking one level of a structure. */
export function open(der: Buffer, t: Tlv = readTlv(der, 0)): Tlv[] {
  return children(der, t);
}

/** The certificate's tbsCertificate fields, [0] version removed. */
export function tbsFields(cert: Buffer): Tlv[] {
  const tbs = open(cert)[0];
  if (!tbs) throw new Error('bad certificate');
  const fields = children(cert, tbs);
  return fields[0]?.tag === 0xa0 ? fields.slice(1) : fields;
}

/** Subject Name DER of a certificate. */
export function subjectOf(cert: Buffer): Buffer {
  const f = tbsFields(cert)[4];
  if (f?.tag !== 0x30) throw new Error('bad certificate');
  return elementOf(cert, f);
}

/** Issuer Name DER of a certificate. */
export function issuerOf(cert: Buffer): Buffer {
  const f = tbsFields(cert)[2];
  if (f?.tag !== 0x30) throw new Error('bad certificate');
  return elementOf(cert, f);
}

/** serialNumber INTEGER content bytes. */
export function serialOf(cert: Buffer): Buffer {
  const f = tbsFields(cert)[0];
  if (f?.tag !== 0x02) throw new Error('bad certificate');
  return contentOf(cert, f);
}

/** The subjectPublicKey BIT STRING bits (no unused-bits byte): what OCSP key hashes cover. */
export function publicKeyBitsOf(cert: Buffer): Buffer {
  const spki = tbsFields(cert)[5];
  const bits = spki ? children(cert, spki)[1] : undefined;
  if (bits?.tag !== 0x03) throw new Error('bad certificate');
  return contentOf(cert, bits).subarray(1);
}

/** Serial bytes compared as numbers: leading zero octets do not count. */
export function sameSerial(a: Buffer, b: Buffer): boolean {
  const strip = (x: Buffer): Buffer => {
    let i = 0;
    while (i < x.length - 1 && x[i] === 0) i++;
    return x.subarray(i);
  };
  return strip(a).equals(strip(b));
}
