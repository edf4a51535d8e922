/** Algorithm identifiers for CMS: digests and signature schemes (RFC 5754, RFC 4055, RFC 5758). */
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import type { HashAlgorithm, SignatureScheme } from '../tokens/index.ts';
import { NULL, oid, seq, smallInt, tlv } from './der.ts';

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

const RSA_PKCS1_OID: Record<HashAlgorithm, string> = {
  'SHA-256': '1.2.840.113549.1.1.11',
  'SHA-384': '1.2.840.113549.1.1.12',
  'SHA-512': '1.2.840.113549.1.1.13',
};
const ECDSA_OID: Record<HashAlgorithm, string> = {
  'SHA-256': '1.2.840.10045.4.3.2',
  'SHA-384': '1.2.840.10045.4.3.3',
  'SHA-512': '1.2.840.10045.4.3.4',
};
export const RSA_PSS_OID = '1.2.840.113549.1.1.10';
export const RSA_ENCRYPTION_OID = '1.2.840.113549.1.1.1';
const MGF1_OID = '1.2.840.113549.1.1.8';

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

const NULL_PARAMS = new Uint8Array([0x05, 0x00]).buffer;

function toArrayBuffer(b: Buffer): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

export function digestAlgorithmId(hash: HashAlgorithm): AlgorithmIdentifier {
  return new AlgorithmIdentifier({ algorithm: HASH_OID[hash] });
}

function pssParams(hash: HashAlgorithm): ArrayBuffer {
  const hashAlg = Buffer.from(AsnConvert.serialize(digestAlgorithmId(hash)));
  const mgf = Buffer.from(
    AsnConvert.serialize(
      new AlgorithmIdentifier({ algorithm: MGF1_OID, parameters: toArrayBuffer(hashAlg) }),
    ),
  );
  const salt = tlv(0x02, Buffer.from([HASH_LENGTH[hash]]));
  return toArrayBuffer(
    tlv(0x30, Buffer.concat([tlv(0xa0, hashAlg), tlv(0xa1, mgf), tlv(0xa2, salt)])),
  );
}

export function signatureAlgorithmId(
  scheme: SignatureScheme,
  hash: HashAlgorithm,
): AlgorithmIdentifier {
  switch (scheme) {
    case 'RSASSA-PKCS1-v1_5':
      return new AlgorithmIdentifier({ algorithm: RSA_PKCS1_OID[hash], parameters: NULL_PARAMS });
    case 'RSA-PSS':
      return new AlgorithmIdentifier({ algorithm: RSA_PSS_OID, parameters: pssParams(hash) });
    case 'ECDSA':
      return new AlgorithmIdentifier({ algorithm: ECDSA_OID[hash] });
  }
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
