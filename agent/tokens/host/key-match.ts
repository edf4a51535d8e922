/**
 * Which key object belongs to a certificate, the way real tokens need it: by CKA_ID; failing
 * that by public key (RSA modulus and exponent, EC point, or CKA_PUBLIC_KEY_INFO); then by a
 * label only one key carries. Vendor tools and imports often leave a certificate whose CKA_ID
 * differs from its key's, and no public-key object at all. Pure: tested without a token.
 */
import { X509Certificate } from 'node:crypto';

/** What we read of a key object (hex strings; absent when the token does not say). */
export interface KeyFacts {
  id: string;
  label: string;
  modulus?: string;
  exponent?: string;
  /** Uncompressed EC point 04||x||y, unwrapped from its DER OCTET STRING. */
  ecPoint?: string;
  /** CKA_PUBLIC_KEY_INFO: SubjectPublicKeyInfo DER. */
  spki?: string;
}

/** The same facts, taken from a certificate. */
export interface CertificateKey {
  id: string;
  label: string;
  modulus?: string;
  exponent?: string;
  ecPoint?: string;
  spki?: string;
  isCA: boolean;
}

/** Big-endian integers compare without their leading zero bytes. */
export function unsignedHex(value: Buffer): string {
  let start = 0;
  while (start < value.length - 1 && value[start] === 0) start++;
  return value.subarray(start).toString('hex');
}

/** CKA_EC_POINT is a DER OCTET STRING around the point; a few modules store it bare. */
export function unwrapEcPoint(value: Buffer): Buffer {
  if (value[0] !== 0x04 || value.length < 3) return value;
  const first = value[1] ?? 0;
  const [header, length] =
    first < 0x80 ? [2, first] : first === 0x81 ? [3, value[2] ?? 0] : [0, -1];
  const inner = value.subarray(header);
  return header + length === value.length && inner[0] === 0x04 ? inner : value;
}

export function certificateKey(der: Buffer, id: string, label: string): CertificateKey {
  try {
    const x509 = new X509Certificate(der);
    const key = x509.publicKey;
    const jwk = key.export({ format: 'jwk' });
    const spki = key.export({ type: 'spki', format: 'der' }).toString('hex');
    const b64 = (text: string | undefined) =>
      text === undefined ? undefined : Buffer.from(text, 'base64url');
    const n = b64(jwk.n);
    const e = b64(jwk.e);
    const x = b64(jwk.x);
    const y = b64(jwk.y);
    return {
      id,
      label,
      spki,
      isCA: x509.ca,
      ...(n && e ? { modulus: unsignedHex(n), exponent: unsignedHex(e) } : {}),
      ...(x && y ? { ecPoint: Buffer.concat([Buffer.from([4]), x, y]).toString('hex') } : {}),
    };
  } catch {
    return { id, label, isCA: false };
  }
}

/** true: the same public key; false: a different one; undefined: the key does not say. */
function samePublicKey(certificate: CertificateKey, key: KeyFacts): boolean | undefined {
  if (key.spki && certificate.spki) return key.spki === certificate.spki;
  if (key.modulus && certificate.modulus) {
    return (
      key.modulus === certificate.modulus &&
      (key.exponent ?? certificate.exponent) === certificate.exponent
    );
  }
  if (key.ecPoint && certificate.ecPoint) return key.ecPoint === certificate.ecPoint;
  if (key.modulus || key.ecPoint) return false; // an RSA key for an EC certificate, or so
  return undefined;
}

export function matchKey<K extends KeyFacts>(
  certificate: CertificateKey,
  keys: readonly K[],
): K | undefined {
  // Same CKA_ID, unless the key's public part shows it belongs to another certificate.
  const byId = keys.find(
    (key) =>
      certificate.id !== '' &&
      key.id === certificate.id &&
      samePublicKey(certificate, key) !== false,
  );
  if (byId) return byId;
  const byPublicKey = keys.find((key) => samePublicKey(certificate, key) === true);
  if (byPublicKey) return byPublicKey;
  const byLabel = keys.filter(
    (key) =>
      certificate.label !== '' &&
      key.label === certificate.label &&
      samePublicKey(certificate, key) !== false,
  );
  return byLabel.length === 1 ? byLabel[0] : undefined;
}
