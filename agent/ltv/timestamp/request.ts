/** RFC 3161 TimeStampReq: the imprint of what is stamped, a nonce, and certReq so the TSA certificate comes with the token. */
import { randomBytes } from 'node:crypto';
import { BOOLEAN_TRUE, positiveInteger } from '../der-values.ts';
import { HASH_LENGTH, HASH_OID } from '../../cms/index.ts';
import { NULL, octets, oid, seq, smallInt } from '../../pki/index.ts';
import type { HashAlgorithm } from '../../protocol/index.ts';

export interface TimestampRequest {
  der: Buffer;
  /** Nonce magnitude (big-endian, no sign byte), to compare with TSTInfo.nonce. */
  nonce: Buffer;
  hash: HashAlgorithm;
  digest: Buffer;
}

export function buildTimestampRequest(
  digest: Buffer,
  hash: HashAlgorithm = 'SHA-256',
  options: { nonce?: Buffer; policy?: string } = {},
): TimestampRequest {
  if (digest.length !== HASH_LENGTH[hash])
    throw new Error(`a ${hash} digest has ${HASH_LENGTH[hash]} bytes`);
  // 8 random bytes with the top bit clear: positive, and no TSA truncates it (64-bit nonces).
  const nonce = options.nonce ?? randomBytes(8);
  if (!options.nonce) nonce[0] = (nonce[0] ?? 0) & 0x7f;
  const imprint = seq(seq(oid(HASH_OID[hash]), NULL), octets(digest));
  const der = seq(
    smallInt(1),
    imprint,
    ...(options.policy ? [oid(options.policy)] : []),
    positiveInteger(nonce),
    BOOLEAN_TRUE,
  );
  return { der, nonce, hash, digest };
}
