/** Algorithm identifiers for CMS: digests and signature schemes (RFC 5754, RFC 4055, RFC 5758). */
import type { HashAlgorithm, SignatureScheme } from '../tokens/index.ts';
import { NULL, oid, seq, smallInt, tlv } from '../pki/index.ts';

export const HASH_OID: Record<HashAlgorithm, string> = {
  'SHA-256': '2.16.840.1.101.3.4.2.1',
  'SHA-384': '2.16.840.1.101.3.4.2.2',
  'SHA-512': '2.16.840.1.101.3.4.2.3',
};

export const HASH_NODE: Record<HashAlgorithm, string> = {
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};

export const HASH_LENGTH: Record<HashAlgorithm, number> = {
  'SHA-256': 32,
  'SHA-384': 48,
  'SHA-512': 64,
};

export const RSA_PKCS1_OID: Record<HashAlgorithm, string> = {
  'SHA-256': '1.2.840.113549.1.1.11',
  'SHA-384': '1.2.840.113549.1.1.12',
  'SHA-512': '1.2.840.113549.1.1.13',
};
export const ECDSA_OID: Record<HashAlgorithm, string> = {
  'SHA-256': '1.2.840.10045.4.3.2',
  'SHA-384': '1.2.840.10045.4.3.3',
  'SHA-512': '1.2.840.10045.4.3.4',
};
export const RSA_PSS_OID = '1.2.840.113549.1.1.10';
export const RSA_ENCRYPTION_OID = '1.2.840.113549.1.1.1';
export const MGF1_OID = '1.2.840.113549.1.1.8';

export function hashFromOid(oid: string): HashAlgorithm | undefined {
  return (Object.keys(HASH_OID) as HashAlgorithm[]).find((h) => HASH_OID[h] === oid);
}

/** Signature OID → scheme and hash, for verification (rsaEncryption takes the digest alg). */
export function schemeFromOid(
  oid: string,
): { scheme: SignatureScheme; hash?: HashAlgorithm } | undefined {
  for (const h of Object.keys(HASH_OID) as HashAlgorithm[]) {
    if (RSA_PKCS1_OID[h] === oid) return { scheme: 'RSASSA-PKCS1-v1_5', hash: h };
    if (ECDSA_OID[h] === oid) return { scheme: 'ECDSA', hash: h };
  }
  if (oid === RSA_ENCRYPTION_OID) return { scheme: 'RSASSA-PKCS1-v1_5' };
  if (oid === RSA_PSS_OID) return { scheme: 'RSA-PSS' };
  return undefined;
}

/** AlgorithmIdentifier DER for the digest or a signature scheme, built once per pair. */
const algorithmCache = new Map<string, Buffer>();
export function algorithmIdentifierDer(
  kind: 'digest' | SignatureScheme,
  hash: HashAlgorithm,
): Buffer {
  const key = `${kind}/${hash}`;
  let der = algorithmCache.get(key);
  if (!der) {
    const digestAlg = seq(oid(HASH_OID[hash]));
    switch (kind) {
      case 'digest':
        der = digestAlg;
        break;
      case 'RSASSA-PKCS1-v1_5':
        der = seq(oid(RSA_PKCS1_OID[hash]), NULL);
        break;
      case 'ECDSA':
        der = seq(oid(ECDSA_OID[hash]));
        break;
      case 'RSA-PSS':
        // RSASSA-PSS-params (RFC 4055): hash, MGF1 with the same hash, salt = hash length.
        der = seq(
          oid(RSA_PSS_OID),
          seq(
            tlv(0xa0, digestAlg),
            tlv(0xa1, seq(oid(MGF1_OID), digestAlg)),
            tlv(0xa2, smallInt(HASH_LENGTH[hash])),
          ),
        );
        break;
    }
    algorithmCache.set(key, der);
  }
  return der;
}
