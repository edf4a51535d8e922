/** Parses a detached CMS SignedData and checks its signature over the signed attributes. */
import { createHash, verify as cryptoVerify, constants, X509Certificate } from 'node:crypto';
import { ContentInfo, SignedData, id_messageDigest, id_signedData } from '@peculiar/asn1-cms';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { KysoError } from '../errors/index.ts';
import type { HashAlgorithm, SignatureScheme } from '../tokens/types.ts';
import { HASH_NODE, hashFromOid, schemeFromOid } from './algorithms.ts';
import { id_aa_signingCertificateV2 } from './ess.ts';

export interface ParsedSignedData {
  hash: HashAlgorithm;
  scheme: SignatureScheme;
  signatureHash: HashAlgorithm;
  /** DER of every certificate in the CMS. */
  certificates: Buffer[];
  /** The signer's certificate, found by issuer and serial (or SKI). */
  signerCertificate: Buffer | undefined;
  /** Value of the message-digest attribute. */
  messageDigest: Buffer | undefined;
  /** DER SET OF signed attributes, as signed. */
  signedAttributesDer: Buffer | undefined;
  hasSigningCertificateV2: boolean;
  /** Certificate hash from signing-certificate-v2 (SHA-256 by default). */
  signingCertificateHash: Buffer | undefined;
  signature: Buffer;
}

const toBuffer = (a: ArrayBuffer): Buffer => Buffer.from(a);

export function parseSignedData(der: Buffer): ParsedSignedData {
  let signedData: SignedData;
  try {
    const ci = AsnConvert.parse(der, ContentInfo);
    if (ci.contentType !== id_signedData) throw new Error('not SignedData');
    signedData = AsnConvert.parse(ci.content, SignedData);
  } catch (error) {
    throw new KysoError('PDF_MALFORMED', {
      reason: 'signature is not a CMS SignedData',
      cause: String(error),
    });
  }
  const si = signedData.signerInfos[0];
  if (!si) throw new KysoError('PDF_MALFORMED', { reason: 'CMS has no signer' });
  const hash = hashFromOid(si.digestAlgorithm.algorithm);
  const sigAlg = schemeFromOid(si.signatureAlgorithm.algorithm);
  if (!hash || !sigAlg) {
    throw new KysoError('MECHANISM_UNSUPPORTED', {
      reason: `algorithm ${si.digestAlgorithm.algorithm} / ${si.signatureAlgorithm.algorithm}`,
    });
  }
  const certificates: Buffer[] = [];
  let signerCertificate: Buffer | undefined;
  for (const choice of signedData.certificates ?? []) {
    if (!choice.certificate) continue;
    const certDer = Buffer.from(AsnConvert.serialize(choice.certificate));
    certificates.push(certDer);
    const tbs = choice.certificate.tbsCertificate;
    const ias = si.sid.issuerAndSerialNumber;
    if (ias) {
      const sameSerial = Buffer.from(tbs.serialNumber).equals(Buffer.from(ias.serialNumber));
      const sameIssuer = Buffer.from(AsnConvert.serialize(tbs.issuer)).equals(
        Buffer.from(AsnConvert.serialize(ias.issuer)),
      );
      if (sameSerial && sameIssuer) signerCertificate = certDer;
    }
  }
  // subjectKeyIdentifier signers (rare in PAdES): fall back to the first certificate.
  if (!si.sid.issuerAndSerialNumber) signerCertificate ??= certificates[0];
  let messageDigest: Buffer | undefined;
  let hasSigningCertificateV2 = false;
  let signingCertificateHash: Buffer | undefined;
  for (const attr of si.signedAttrs ?? []) {
    const value = attr.attrValues[0];
    if (!value) continue;
    if (attr.attrType === id_messageDigest) {
      messageDigest = toBuffer(AsnConvert.parse(value, OctetString).buffer);
    } else if (attr.attrType === id_aa_signingCertificateV2) {
      hasSigningCertificateV2 = true;
      signingCertificateHash = essCertHash(Buffer.from(value));
    }
  }
  const signedAttributesDer = rawSignedAttributes(der);
  return {
    hash,
    scheme: sigAlg.scheme,
    signatureHash: sigAlg.hash ?? hash,
    certificates,
    signerCertificate,
    messageDigest,
    signedAttributesDer,
    hasSigningCertificateV2,
    signingCertificateHash,
    signature: Buffer.from(si.signature.buffer),
  };
}

interface Tlv {
  tag: number;
  begin: number;
  start: number;
  end: number;
}

function readTlv(buf: Buffer, at: number): Tlv {
  const tag = buf[at];
  let len = buf[at + 1];
  if (tag === undefined || len === undefined) throw new Error('truncated DER');
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[at + 2 + i] ?? 0);
    start += n;
  }
  if (start + len > buf.length) throw new Error('truncated DER');
  return { tag, begin: at, start, end: start + len };
}

/**
 * The signed attributes exactly as encoded (the schema library re-encodes), re-tagged from
 * [0] IMPLICIT to SET as the signature covers them (RFC 5652 §5.4).
 */
function rawSignedAttributes(der: Buffer): Buffer | undefined {
  try {
    const ci = readTlv(der, 0);
    const oid = readTlv(der, ci.start);
    const explicit = readTlv(der, oid.end);
    const sd = readTlv(der, explicit.start);
    let item = readTlv(der, sd.start); // version
    item = readTlv(der, item.end); // digestAlgorithms
    item = readTlv(der, item.end); // encapContentInfo
    item = readTlv(der, item.end);
    while (item.tag === 0xa0 || item.tag === 0xa1) item = readTlv(der, item.end); // certs, crls
    const signerInfo = readTlv(der, item.start);
    let field = readTlv(der, signerInfo.start); // version
    field = readTlv(der, field.end); // sid
    field = readTlv(der, field.end); // digestAlgorithm
    field = readTlv(der, field.end);
    if (field.tag !== 0xa0) return undefined;
    const out = Buffer.from(der.subarray(field.begin, field.end));
    out[0] = 0x31;
    return out;
  } catch {
    return undefined;
  }
}

/** certHash of the first ESSCertIDv2 (walks the DER directly: SEQ { SEQ { SEQ { [alg] OCTET } } }). */
function essCertHash(der: Buffer): Buffer | undefined {
  const read = (buf: Buffer, at: number): { tag: number; start: number; end: number } => {
    const tag = buf[at] ?? 0;
    let len = buf[at + 1] ?? 0;
    let start = at + 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + (buf[at + 2 + i] ?? 0);
      start += n;
    }
    return { tag, start, end: start + len };
  };
  try {
    const outer = read(der, 0);
    const certs = read(der, outer.start);
    const first = read(der, certs.start);
    let item = read(der, first.start);
    if (item.tag === 0x30) item = read(der, item.end);
    return item.tag === 0x04 ? der.subarray(item.start, item.end) : undefined;
  } catch {
    return undefined;
  }
}

/** Verifies the signer's signature over the signed attributes. */
export function verifySignatureValue(parsed: ParsedSignedData): boolean {
  if (!parsed.signerCertificate || !parsed.signedAttributesDer) return false;
  const key = new X509Certificate(parsed.signerCertificate).publicKey;
  const algorithm = HASH_NODE[parsed.signatureHash];
  try {
    if (parsed.scheme === 'RSA-PSS') {
      return cryptoVerify(
        algorithm,
        parsed.signedAttributesDer,
        {
          key,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: constants.RSA_PSS_SALTLEN_AUTO,
        },
        parsed.signature,
      );
    }
    return cryptoVerify(algorithm, parsed.signedAttributesDer, key, parsed.signature);
  } catch {
    return false;
  }
}

/** True when signing-certificate-v2 names the signer certificate (SHA-256 hash). */
export function signingCertificateMatches(parsed: ParsedSignedData): boolean {
  if (!parsed.signerCertificate || !parsed.signingCertificateHash) return false;
  return createHash('sha256')
    .update(parsed.signerCertificate)
    .digest()
    .equals(parsed.signingCertificateHash);
}
