/**
 * A Signer over a private key in memory: for tests and benchmarks only. Production signing
 * goes through the token service so the key never leaves the token. Like a token, it signs a
 * digest it is given (no re-hashing): RSA PKCS#1 v1.5 and RSA-PSS only.
 */
import {
  constants,
  createHash,
  createPrivateKey,
  privateEncrypt,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { KysoError } from '../errors/index.ts';
import type { HashAlgorithm, SignatureScheme } from '../tokens/index.ts';
import { HASH_NODE, HASH_OID } from './algorithms.ts';
import type { Signer } from './build.ts';

function derOid(oid: string): Buffer {
  const parts = oid.split('.').map(Number);
  const bytes = [40 * (parts[0] ?? 0) + (parts[1] ?? 0)];
  for (const p of parts.slice(2)) {
    const stack = [p & 0x7f];
    for (let v = p >> 7; v > 0; v >>= 7) stack.unshift((v & 0x7f) | 0x80);
    bytes.push(...stack);
  }
  return Buffer.from([0x06, bytes.length, ...bytes]);
}

/** DigestInfo for PKCS#1 v1.5 over a precomputed digest (RFC 8017 §9.2). */
function digestInfo(hash: HashAlgorithm, digest: Buffer): Buffer {
  const oid = derOid(HASH_OID[hash]);
  const algId = Buffer.concat([
    Buffer.from([0x30, oid.length + 2]),
    oid,
    Buffer.from([0x05, 0x00]),
  ]);
  const body = Buffer.concat([algId, Buffer.from([0x04, digest.length]), digest]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

/** EMSA-PSS encoding (RFC 8017 §9.1.1) with MGF1 over the same hash, salt = hash length. */
function emsaPss(hash: HashAlgorithm, digest: Buffer, modBits: number): Buffer {
  const alg = HASH_NODE[hash];
  const hLen = digest.length;
  const emLen = Math.ceil((modBits - 1) / 8);
  const salt = randomBytes(hLen);
  const h = createHash(alg)
    .update(Buffer.concat([Buffer.alloc(8), digest, salt]))
    .digest();
  const db = Buffer.concat([Buffer.alloc(emLen - 2 * hLen - 2), Buffer.from([1]), salt]);
  const maskLen = emLen - hLen - 1;
  const mask: Buffer[] = [];
  for (let counter = 0, got = 0; got < maskLen; counter++, got += hLen) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    mask.push(
      createHash(alg)
        .update(Buffer.concat([h, c]))
        .digest(),
    );
  }
  const dbMask = Buffer.concat(mask).subarray(0, maskLen);
  for (let i = 0; i < db.length; i++) db[i] = (db[i] ?? 0) ^ (dbMask[i] ?? 0);
  db[0] = (db[0] ?? 0) & (0xff >> (8 * emLen - (modBits - 1)));
  const em = Buffer.concat([db, h, Buffer.from([0xbc])]);
  const k = Math.ceil(modBits / 8);
  return em.length < k ? Buffer.concat([Buffer.alloc(k - em.length), em]) : em;
}

export function softwareSigner(options: {
  privateKey: string | Buffer | KeyObject;
  certificate: Buffer;
  chain?: Buffer[];
  scheme?: SignatureScheme;
}): Signer {
  const key =
    typeof options.privateKey === 'string' || Buffer.isBuffer(options.privateKey)
      ? createPrivateKey(options.privateKey)
      : options.privateKey;
  if (key.asymmetricKeyType !== 'rsa') {
    throw new KysoError('MECHANISM_UNSUPPORTED', { reason: 'software signer supports RSA only' });
  }
  const modBits = key.asymmetricKeyDetails?.modulusLength ?? 2048;
  return {
    certificate: options.certificate,
    chain: options.chain ?? [],
    scheme: options.scheme,
    sign: (digest, hash) => {
      if (options.scheme === 'RSA-PSS') {
        return Promise.resolve(
          privateEncrypt(
            { key, padding: constants.RSA_NO_PADDING },
            emsaPss(hash, digest, modBits),
          ),
        );
      }
      return Promise.resolve(
        privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, digestInfo(hash, digest)),
      );
    },
  };
}
