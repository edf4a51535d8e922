/**
 * What kind of encryption a PDF has, for a PDF_ENCRYPTED message that says what to do: a file
 * whose user password is empty opens without a password (the owner password only restricts
 * printing, copying, editing: "permissions only"), while a real user password is needed to open
 * it at all. Tells them apart by checking the empty password against /U (standard security
 * handler, revisions 2-6: ISO 32000-2 7.6.4.4, algorithms 2, 2.A, 2.B, 4, 5, 11).
 */
import { createCipheriv, createHash } from 'node:crypto';
import { asNumber, isName, PdfString, type PdfDict, type PdfValue } from './objects.ts';

export type EncryptionKind = 'permissions-only' | 'password' | 'unknown';

const PAD = Buffer.from('28bf4e5e4e758a4164004e56fffa01082e2e00b6d0683e802f0ca9fe6453697a', 'hex');

function rc4(key: Buffer, data: Buffer): Buffer {
  const s = new Uint8Array(256).map((_, i) => i);
  for (let i = 0, j = 0; i < 256; i++) {
    j = (j + (s[i] as number) + (key[i % key.length] as number)) & 255;
    [s[i], s[j]] = [s[j] as number, s[i] as number];
  }
  const out = Buffer.alloc(data.length);
  for (let k = 0, i = 0, j = 0; k < data.length; k++) {
    i = (i + 1) & 255;
    j = (j + (s[i] as number)) & 255;
    [s[i], s[j]] = [s[j] as number, s[i] as number];
    out[k] = (data[k] as number) ^ (s[((s[i] as number) + (s[j] as number)) & 255] as number);
  }
  return out;
}

const md5 = (...parts: Buffer[]): Buffer => {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return h.digest();
};

/** Algorithms 2, 4 and 5 with the empty user password (revisions 2-4). */
function emptyPasswordOpensRc4(
  r: number,
  lengthBits: number,
  o: Buffer,
  u: Buffer,
  p: number,
  id0: Buffer,
  encryptMetadata: boolean,
): boolean {
  const n = r === 2 ? 5 : Math.max(5, Math.min(16, Math.floor(lengthBits / 8)));
  const pBytes = Buffer.alloc(4);
  pBytes.writeInt32LE(p | 0);
  const parts = [PAD, o.subarray(0, 32), pBytes, id0];
  if (r >= 4 && !encryptMetadata) parts.push(Buffer.from([255, 255, 255, 255]));
  let key = md5(...parts);
  if (r >= 3) for (let i = 0; i < 50; i++) key = md5(key.subarray(0, n));
  key = key.subarray(0, n);
  if (r === 2) return rc4(key, PAD).equals(u.subarray(0, 32));
  let x = rc4(key, md5(PAD, id0));
  for (let i = 1; i <= 19; i++) {
    x = rc4(Buffer.from(key.map((b) => b ^ i)), x);
  }
  return x.equals(u.subarray(0, 16));
}

/** Algorithm 2.B (revision 6) for the empty password. */
function hash2B(salt: Buffer): Buffer {
  let k = createHash('sha256').update(salt).digest();
  for (let round = 0; ; round++) {
    const k1 = Buffer.concat(Array.from({ length: 64 }, () => k));
    const cipher = createCipheriv('aes-128-cbc', k.subarray(0, 16), k.subarray(16, 32));
    cipher.setAutoPadding(false);
    const e = Buffer.concat([cipher.update(k1), cipher.final()]);
    let sum = 0;
    for (let i = 0; i < 16; i++) sum += e[i] as number;
    const algorithm = ['sha256', 'sha384', 'sha512'][sum % 3] as string;
    k = createHash(algorithm).update(e).digest();
    if (round >= 63 && (e[e.length - 1] as number) <= round + 1 - 32) break;
  }
  return k.subarray(0, 32);
}

function bytesOf(value: PdfValue | undefined): Buffer | undefined {
  return value instanceof PdfString ? value.bytes : undefined;
}

/** Classifies a standard-security-handler /Encrypt dictionary; other handlers are unknown. */
export function encryptionKind(encrypt: PdfDict | undefined, trailer: PdfDict): EncryptionKind {
  try {
    if (!encrypt || !isName(encrypt.get('Filter'), 'Standard')) return 'unknown';
    const r = asNumber(encrypt.get('R'));
    const o = bytesOf(encrypt.get('O'));
    const u = bytesOf(encrypt.get('U'));
    const p = asNumber(encrypt.get('P'));
    if (r === undefined || !o || !u || p === undefined) return 'unknown';
    let opens: boolean;
    if (r === 5) {
      opens = createHash('sha256').update(u.subarray(32, 40)).digest().equals(u.subarray(0, 32));
    } else if (r === 6) {
      opens = hash2B(u.subarray(32, 40)).equals(u.subarray(0, 32));
    } else if (r >= 2 && r <= 4) {
      const ids = trailer.get('ID');
      const id0 = Array.isArray(ids) ? bytesOf(ids[0] as PdfValue) : undefined;
      const metadata = encrypt.get('EncryptMetadata');
      opens = emptyPasswordOpensRc4(
        r,
        asNumber(encrypt.get('Length')) ?? 40,
        o,
        u,
        p,
        id0 ?? Buffer.alloc(0),
        !(typeof metadata === 'boolean' && !metadata),
      );
    } else return 'unknown';
    return opens ? 'permissions-only' : 'password';
  } catch {
    return 'unknown';
  }
}
