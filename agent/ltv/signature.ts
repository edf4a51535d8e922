/**
 * Verifies a signature given its X.509 AlgorithmIdentifier (OCSP responses, CRLs, timestamp
 * tokens): the OID names both the scheme and the hash, PSS carries the hash in its parameters.
 */
import { constants, verify, type KeyObject } from 'node:crypto';
import { children, contentOf, oidText, readTlv } from '../pki/index.ts';

const HASH_BY_OID: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

const SIMPLE: Record<string, string> = {
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.1': 'sha1',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};
const RSA_PSS = '1.2.840.113549.1.1.10';
const ED25519 = '1.3.101.112';

/** Node digest name of a digest AlgorithmIdentifier's OID, if supported. */
export function nodeHashOfOid(oid: string): string | undefined {
  return HASH_BY_OID[oid];
}

/** RSASSA-PSS-params: the hash is [0]; SHA-1 when absent (RFC 4055). */
function pssHash(alg: Buffer): string | undefined {
  const [, params] = children(alg, readTlv(alg, 0));
  if (!params || params.tag !== 0x30) return 'sha1';
  const hashField = children(alg, params).find((t) => t.tag === 0xa0);
  if (!hashField) return 'sha1';
  const hashAlg = children(alg, hashField)[0];
  const hashOid = hashAlg ? children(alg, hashAlg)[0] : undefined;
  return hashOid ? HASH_BY_OID[oidText(contentOf(alg, hashOid))] : undefined;
}

/** `algorithm` is the DER of the AlgorithmIdentifier that sits beside the signature. */
export function verifyWithAlgorithm(
  algorithm: Buffer,
  data: Buffer,
  signature: Buffer,
  key: KeyObject,
): boolean {
  try {
    const oidTlv = children(algorithm, readTlv(algorithm, 0))[0];
    if (oidTlv?.tag !== 0x06) return false;
    const oid = oidText(contentOf(algorithm, oidTlv));
    const simple = SIMPLE[oid];
    if (simple) return verify(simple, data, key, signature);
    if (oid === ED25519) return verify(null, data, key, signature);
    if (oid === RSA_PSS) {
      const hash = pssHash(algorithm);
      if (!hash) return false;
      return verify(
        hash,
        data,
        {
          key,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: constants.RSA_PSS_SALTLEN_AUTO,
        },
        signature,
      );
    }
    return false;
  } catch {
    return false;
  }
}
