/**
 * PAdES B-T / CAdES-T: the signature-time-stamp unsigned attribute (RFC 3161 Appendix A,
 * id-aa-signatureTimeStampToken) over the SignerInfo's signature value, added to an existing
 * SignedData without touching what was signed.
 */
import { createHash } from 'node:crypto';
import type { HashAlgorithm } from '../protocol/index.ts';
import { HASH_NODE } from './algorithms.ts';
import {
  children,
  contentOf,
  oid,
  oidText,
  readTlv,
  seq,
  set,
  tlv,
  type Tlv,
} from '../pki/index.ts';

export const ID_AA_SIGNATURE_TIME_STAMP_TOKEN = '1.2.840.113549.1.9.16.2.14';

interface SignerInfoPath {
  /** ContentInfo, [0] EXPLICIT, SignedData, signerInfos SET, SignerInfo: outermost first. */
  levels: Tlv[];
  fields: Tlv[];
  signature: Tlv;
}

function locate(der: Buffer, index: number): SignerInfoPath {
  const ci = readTlv(der, 0);
  if (ci.end !== der.length) throw new Error('trailing bytes after the ContentInfo');
  const explicit = children(der, ci)[1];
  const sd = explicit ? children(der, explicit)[0] : undefined;
  const sis = sd
    ? children(der, sd)
        .filter((f) => f.tag === 0x31)
        .pop()
    : undefined;
  const si = sis ? children(der, sis)[index] : undefined;
  if (!explicit || !sd || !sis || !si) throw new Error('not a CMS SignedData with a SignerInfo');
  const fields = children(der, si);
  const signature = fields.find((f, i) => i > 2 && f.tag === 0x04);
  if (!signature) throw new Error('SignerInfo without a signature');
  return { levels: [ci, explicit, sd, sis, si], fields, signature };
}

/** The signature value the timestamp's message imprint covers. */
export function signatureValueOf(signedData: Buffer, signerIndex = 0): Buffer {
  const { signature } = locate(signedData, signerIndex);
  return contentOf(signedData, signature);
}

/** Digest to send to the TSA for this SignedData's signature. */
export function signatureImprint(
  signedData: Buffer,
  hash: HashAlgorithm = 'SHA-256',
  signerIndex = 0,
): Buffer {
  return createHash(HASH_NODE[hash]).update(signatureValueOf(signedData, signerIndex)).digest();
}

/**
 * Returns `signedData` with `token` (a TimeStampToken ContentInfo) added as an unsigned
 * attribute of SignerInfo `signerIndex`. Existing unsigned attributes are kept.
 */
export function addSignatureTimestamp(signedData: Buffer, token: Buffer, signerIndex = 0): Buffer {
  const der = signedData;
  const { levels, fields } = locate(der, signerIndex);
  const attribute = seq(oid(ID_AA_SIGNATURE_TIME_STAMP_TOKEN), set(token));
  const unsigned = fields.find((f) => f.tag === 0xa1);
  const kept = fields.filter((f) => f !== unsigned).map((f) => der.subarray(f.begin, f.end));
  const unsignedAttrs = tlv(0xa1, ...(unsigned ? [contentOf(der, unsigned)] : []), attribute);
  // Rebuild each enclosing element with its new length, innermost first.
  let replacement = tlv(0x30, ...kept, unsignedAttrs);
  for (let i = levels.length - 1; i > 0; i--) {
    const child = levels[i] as Tlv;
    const parent = levels[i - 1] as Tlv;
    replacement = tlv(
      parent.tag,
      der.subarray(parent.start, child.begin),
      replacement,
      der.subarray(child.end, parent.end),
    );
  }
  return replacement;
}

/** Stamps the signature with any RFC 3161 client (see agent/pki/timestamp). */
export async function timestampSignedData(
  signedData: Buffer,
  client: { timestamp(digest: Buffer, hash?: HashAlgorithm): Promise<{ token: Buffer }> },
  hash: HashAlgorithm = 'SHA-256',
): Promise<Buffer> {
  const { token } = await client.timestamp(signatureImprint(signedData, hash), hash);
  return addSignatureTimestamp(signedData, token);
}

/** The signature-time-stamp tokens among the unsigned attributes of SignerInfo `signerIndex`. */
export function signatureTimestampTokens(signedData: Buffer, signerIndex = 0): Buffer[] {
  const der = signedData;
  let fields: Tlv[];
  try {
    fields = locate(der, signerIndex).fields;
  } catch {
    return [];
  }
  const unsigned = fields.find((f) => f.tag === 0xa1);
  if (!unsigned) return [];
  const tokens: Buffer[] = [];
  for (const attribute of children(der, unsigned)) {
    const [type, values] = children(der, attribute);
    if (type?.tag !== 0x06 || values?.tag !== 0x31) continue;
    if (oidText(contentOf(der, type)) !== ID_AA_SIGNATURE_TIME_STAMP_TOKEN) continue;
    for (const v of children(der, values)) tokens.push(der.subarray(v.begin, v.end));
  }
  return tokens;
}
