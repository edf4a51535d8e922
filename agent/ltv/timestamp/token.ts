/**
 * TimeStampResp parsing and token verification (RFC 3161 §2.4.2, RFC 5816): status granted,
 * our imprint and nonce, the TSA's CMS signature, id-kp-timeStamping, and optionally the path.
 */
import { createHash, X509Certificate } from 'node:crypto';
import {
  HASH_NODE,
  HASH_OID,
  parseSignedData,
  signingCertificateMatches,
  verifySignatureValue,
} from '../../cms/index.ts';
import { KysoError } from '../../errors/index.ts';
import type { HashAlgorithm } from '../../protocol/index.ts';
import {
  buildChain,
  children,
  contentOf,
  elementOf,
  oidText,
  readTlv,
  type Tlv,
} from '../../pki/index.ts';
import { readTime, sameSerial } from '../der-values.ts';
import { extendedKeyUsage, ID_KP_TIME_STAMPING } from '../extensions.ts';

const ID_CT_TST_INFO = '1.2.840.113549.1.9.16.1.4';

export interface TimestampResponse {
  /** PKIStatus: 0 granted, 1 grantedWithMods, 2 rejection, 3 waiting, 4/5 revocation. */
  status: number;
  statusText?: string;
  /** PKIFailureInfo bits as a number (badAlg = 1 << 0 … systemFailure = 1 << 25). */
  failInfo?: number;
  /** The TimeStampToken (a CMS ContentInfo), when granted. */
  token?: Buffer;
}

export interface TstInfo {
  policy: string;
  hashOid: string;
  hashedMessage: Buffer;
  /** serialNumber in upper-case hex. */
  serial: string;
  genTime: Date;
  nonce?: Buffer;
}

export interface VerifiedTimestamp extends TstInfo {
  token: Buffer;
  tsaCertificate: Buffer;
}

export interface TimestampExpectation {
  digest: Buffer;
  hash: HashAlgorithm;
  /** Nonce magnitude sent; the token must carry it. */
  nonce?: Buffer;
  /** When given, the TSA certificate must chain to one of them. */
  trustAnchors?: Buffer[];
  intermediates?: Buffer[];
}

function invalid(reason: string): KysoError {
  return new KysoError('TIMESTAMP_INVALID', { reason });
}

export function parseTimestampResponse(der: Buffer): TimestampResponse {
  try {
    const [statusInfo, token] = children(der, readTlv(der, 0));
    if (statusInfo?.tag !== 0x30) throw new Error('no PKIStatusInfo');
    const [status, ...rest] = children(der, statusInfo);
    if (status?.tag !== 0x02) throw new Error('no PKIStatus');
    const out: TimestampResponse = {
      status: contentOf(der, status).readUIntBE(0, contentOf(der, status).length),
    };
    for (const r of rest) {
      if (r.tag === 0x30) {
        out.statusText = children(der, r)
          .map((s) => contentOf(der, s).toString('utf8'))
          .join(' ');
      } else if (r.tag === 0x03) {
        const bits = contentOf(der, r).subarray(1);
        let v = 0;
        // Bit 0 is the most significant bit of the first byte (X.690 named bits).
        for (let i = 0; i < bits.length * 8; i++)
          if (((bits[i >> 3] ?? 0) >> (7 - (i & 7))) & 1) v |= 1 << i;
        out.failInfo = v;
      }
    }
    if (token?.tag === 0x30) out.token = elementOf(der, token);
    return out;
  } catch (error) {
    throw invalid(
      `unreadable TimeStampResp: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** The encapsulated content of a SignedData ContentInfo: type and bytes. */
function encapsulated(token: Buffer): { type: string; content: Buffer } {
  const [, explicit] = children(token, readTlv(token, 0));
  const sd = explicit ? children(token, explicit)[0] : undefined;
  const eci = sd ? children(token, sd)[2] : undefined;
  const [type, wrapped] = eci ? children(token, eci) : [];
  const octet = wrapped ? children(token, wrapped)[0] : undefined;
  if (type?.tag !== 0x06 || octet?.tag !== 0x04) throw new Error('no encapsulated content');
  return { type: oidText(contentOf(token, type)), content: contentOf(token, octet) };
}

function parseTstInfoDer(tst: Buffer): TstInfo {
  const fields = children(tst, readTlv(tst, 0));
  const [, policy, imprint, serial, genTime, ...rest] = fields;
  if (
    policy?.tag !== 0x06 ||
    imprint?.tag !== 0x30 ||
    serial?.tag !== 0x02 ||
    genTime?.tag !== 0x18
  ) {
    throw new Error('malformed TSTInfo');
  }
  const [alg, hashed] = children(tst, imprint);
  const algOid = alg ? children(tst, alg)[0] : undefined;
  if (!algOid || hashed?.tag !== 0x04) throw new Error('malformed MessageImprint');
  // After genTime: accuracy SEQ?, ordering BOOLEAN?, nonce INTEGER?, tsa [0]?, extensions [1]?
  const nonce: Tlv | undefined = rest.find((r) => r.tag === 0x02);
  return {
    policy: oidText(contentOf(tst, policy)),
    hashOid: oidText(contentOf(tst, algOid)),
    hashedMessage: contentOf(tst, hashed),
    serial: contentOf(tst, serial).toString('hex').toUpperCase(),
    genTime: readTime(tst, genTime),
    ...(nonce ? { nonce: contentOf(tst, nonce) } : {}),
  };
}

/** TSTInfo of a token, unverified (for display and for the verification report). */
export function parseTstInfo(token: Buffer): TstInfo {
  try {
    const { type, content } = encapsulated(token);
    if (type !== ID_CT_TST_INFO) throw new Error('not a TSTInfo token');
    return parseTstInfoDer(content);
  } catch (error) {
    throw invalid(
      `unreadable timestamp token: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** Throws TIMESTAMP_INVALID (details.reason) unless the token is sound and is about `expect.digest`. */
export function verifyTimestampToken(
  token: Buffer,
  expect: TimestampExpectation,
): VerifiedTimestamp {
  const info = parseTstInfo(token);
  if (info.hashOid !== HASH_OID[expect.hash] || !info.hashedMessage.equals(expect.digest)) {
    throw invalid('the timestamp is about other data (message imprint mismatch)');
  }
  if (expect.nonce && (!info.nonce || !sameSerial(info.nonce, expect.nonce))) {
    throw invalid('the timestamp nonce does not match the request');
  }
  const parsed = (() => {
    try {
      return parseSignedData(token);
    } catch {
      throw invalid('the timestamp token is not a readable CMS');
    }
  })();
  const tsa = parsed.signerCertificate;
  if (!tsa) throw invalid('the timestamp token does not carry the TSA certificate');
  const tstDigest = createHash(HASH_NODE[parsed.hash]).update(encapsulated(token).content).digest();
  if (!parsed.messageDigest?.equals(tstDigest) || !verifySignatureValue(parsed)) {
    throw invalid('the TSA signature is invalid');
  }
  if (parsed.hasSigningCertificateV2 && !signingCertificateMatches(parsed)) {
    throw invalid('signing-certificate-v2 does not name the TSA certificate');
  }
  // RFC 3161 §2.3: the TSA certificate carries id-kp-timeStamping (and only it, critical).
  if (!extendedKeyUsage(tsa)?.oids.includes(ID_KP_TIME_STAMPING)) {
    throw invalid('the TSA certificate is not meant for timestamping (no id-kp-timeStamping)');
  }
  const x = new X509Certificate(tsa);
  if (info.genTime < new Date(x.validFrom) || info.genTime > new Date(x.validTo)) {
    throw invalid('the TSA certificate was not valid at the time it stamped');
  }
  if (expect.trustAnchors) {
    const chain = buildChain(
      tsa,
      [...parsed.certificates, ...(expect.intermediates ?? [])],
      expect.trustAnchors,
      info.genTime,
    );
    if (!chain.trusted)
      throw invalid(`the TSA certificate is not trusted (${chain.reason ?? 'unknown'})`);
  }
  return { ...info, token, tsaCertificate: tsa };
}
