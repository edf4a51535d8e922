/**
 * How a digest computed on the host becomes PKCS#11 signing input, and how the token's
 * output becomes a standard signature. Pure functions: used by the token host and tests.
 */
import type { HashAlgorithm, SignatureScheme } from './types.ts';
import { KysoError } from '../errors/index.ts';

export const digestLengths: Record<HashAlgorithm, number> = {
  'SHA-256': 32,
  'SHA-384': 48,
  'SHA-512': 64,
};

// DER prefix of DigestInfo { AlgorithmIdentifier(hash, NULL), OCTET STRING(digest) }.
const digestInfoPrefixes: Record<HashAlgorithm, Buffer> = {
  'SHA-256': Buffer.from('3031300d060960864801650304020105000420', 'hex'),
  'SHA-384': Buffer.from('3041300d060960864801650304020205000430', 'hex'),
  'SHA-512': Buffer.from('3051300d060960864801650304020305000440', 'hex'),
};

export function isHashAlgorithm(value: unknown): value is HashAlgorithm {
  return value === 'SHA-256' || value === 'SHA-384' || value === 'SHA-512';
}

export function isSignatureScheme(value: unknown): value is SignatureScheme {
  return value === 'RSASSA-PKCS1-v1_5' || value === 'RSA-PSS' || value === 'ECDSA';
}

export function assertDigest(hashAlgorithm: HashAlgorithm, digest: Buffer): void {
  if (digest.length !== digestLengths[hashAlgorithm]) {
    throw new KysoError('HASH_LENGTH_MISMATCH', {
      hashAlgorithm,
      expected: digestLengths[hashAlgorithm],
      actual: digest.length,
    });
  }
}

export function digestInfo(hashAlgorithm: HashAlgorithm, digest: Buffer): Buffer {
  return Buffer.concat([digestInfoPrefixes[hashAlgorithm], digest]);
}

export function defaultScheme(keyAlgorithm: 'RSA' | 'EC' | 'other'): SignatureScheme {
  return keyAlgorithm === 'EC' ? 'ECDSA' : 'RSASSA-PKCS1-v1_5';
}

export function schemeFitsKey(scheme: SignatureScheme, keyAlgorithm: 'RSA' | 'EC' | 'other') {
  return scheme === 'ECDSA' ? keyAlgorithm === 'EC' : keyAlgorithm === 'RSA';
}

function derInteger(value: Buffer): Buffer {
  let start = 0;
  while (start < value.length - 1 && value[start] === 0) start++;
  let body = value.subarray(start);
  if ((body[0] ?? 0) & 0x80) body = Buffer.concat([Buffer.from([0]), body]);
  return Buffer.concat([Buffer.from([0x02]), derLength(body.length), body]);
}

function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  if (length < 0x100) return Buffer.from([0x81, length]);
  return Buffer.from([0x82, length >> 8, length & 0xff]);
}

/** PKCS#11 CKM_ECDSA returns r||s; X.509/CMS want ECDSA-Sig-Value ::= SEQUENCE { r, s }. */
export function ecdsaRawToDer(raw: Buffer): Buffer {
  if (raw.length === 0 || raw.length % 2 !== 0) {
    throw new KysoError('SIGNING_FAILED', { cause: `ECDSA signature of odd length ${raw.length}` });
  }
  const half = raw.length / 2;
  const body = Buffer.concat([derInteger(raw.subarray(0, half)), derInteger(raw.subarray(half))]);
  return Buffer.concat([Buffer.from([0x30]), derLength(body.length), body]);
}
