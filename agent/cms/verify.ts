/** Parses a detached CMS SignedData and checks its signature over the signed attributes. */
import {
  createHash,
  verify as cryptoVerify,
  constants,
  publicDecrypt,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import { KysoError } from '../errors/index.ts';
import type { HashAlgorithm, SignatureScheme } from '../tokens/index.ts';
import { HASH_NODE, hashFromOid, schemeFromOid } from './algorithms.ts';
import {
  berEnd,
  berToDer,
  children,
  contentOf,
  elementOf,
  isDer,
  issuerAndSerialOf,
  oidText,
  readTlv,
  set,
  type Tlv,
} from '../pki/index.ts';
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
  /** DER SET OF signed attributes, as signed (re-encoded as DER when the CMS was BER). */
  signedAttributesDer: Buffer | undefined;
  /**
   * The same attributes in DER SET OF order (sorted encodings, X.690 §11.6) when the CMS
   * carried them unsorted: tried when the signature does not verify over them as carried.
   */
  signedAttributesSorted?: Buffer;
  hasSigningCertificateV2: boolean;
  /** Certificate hash from signing-certificate-v2 (SHA-256 by default). */
  signingCertificateHash: Buffer | undefined;
  signature: Buffer;
}

const ID_SIGNED_DATA = '1.2.840.113549.1.7.2';
const ID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';

const body = contentOf;
const whole = elementOf;

/** AlgorithmIdentifier → dotted OID of its algorithm. */
function algorithmOid(der: Buffer, t: Tlv): string {
  const oid = children(der, t)[0];
  if (oid?.tag !== 0x06) throw new Error('bad AlgorithmIdentifier');
  return oidText(body(der, oid));
}

/**
 * Walks the DER directly (RFC 5652 §5): the schema library re-encodes and is far slower,
 * which shows when a document carries 20 signatures. BER input (indefinite lengths,
 * constructed OCTET STRINGs: BouncyCastle/PDFBox, NSS/poppler) is first re-encoded as DER,
 * so the signed attributes are checked in their DER form as RFC 5652 §5.4 requires.
 */
export function parseSignedData(input: Buffer): ParsedSignedData {
  try {
    return walkSignedData(isDer(input) ? input : berToDer(input));
  } catch (error) {
    if (error instanceof KysoError) throw error;
    throw new KysoError('PDF_MALFORMED', {
      reason: 'signature is not a CMS SignedData',
      cause: error instanceof Error ? error.message : String(error),
    });
  }
}

function walkSignedData(der: Buffer): ParsedSignedData {
  const ci = readTlv(der, 0);
  const [contentType, explicit] = children(der, ci);
  if (
    contentType?.tag !== 0x06 ||
    oidText(body(der, contentType)) !== ID_SIGNED_DATA ||
    !explicit
  ) {
    throw new Error('not SignedData');
  }
  const sd = children(der, explicit)[0];
  if (!sd) throw new Error('empty SignedData');
  const sdFields = children(der, sd);
  const certificates: Buffer[] = [];
  let signerInfos: Tlv | undefined;
  for (const f of sdFields.slice(3)) {
    if (f.tag === 0xa0) {
      for (const c of children(der, f)) if (c.tag === 0x30) certificates.push(whole(der, c));
    } else if (f.tag === 0x31) signerInfos = f;
  }
  const si = signerInfos ? children(der, signerInfos)[0] : undefined;
  if (!si) throw new KysoError('PDF_MALFORMED', { reason: 'CMS has no signer' });
  const siFields = children(der, si);
  const sid = siFields[1];
  const digestAlg = siFields[2];
  let k = 3;
  const signedAttrs = siFields[k]?.tag === 0xa0 ? siFields[k++] : undefined;
  const sigAlg = siFields[k++];
  const signatureValue = siFields[k];
  if (!sid || !digestAlg || !sigAlg || signatureValue?.tag !== 0x04) {
    throw new Error('bad SignerInfo');
  }
  const digestOid = algorithmOid(der, digestAlg);
  const signatureOid = algorithmOid(der, sigAlg);
  const hash = hashFromOid(digestOid);
  const scheme = schemeFromOid(signatureOid);
  if (!hash || !scheme) {
    throw new KysoError('MECHANISM_UNSUPPORTED', {
      reason: `algorithm ${digestOid} / ${signatureOid}`,
    });
  }

  let signerCertificate: Buffer | undefined;
  if (sid.tag === 0x30) {
    const [issuer, serial] = children(der, sid);
    if (issuer && serial) {
      const wantIssuer = whole(der, issuer);
      const wantSerial = whole(der, serial);
      signerCertificate = certificates.find((c) => {
        try {
          const got = issuerAndSerialOf(c);
          return got.serial.equals(wantSerial) && got.issuer.equals(wantIssuer);
        } catch {
          return false;
        }
      });
    }
  } else {
    // subjectKeyIdentifier signers (rare in PAdES): fall back to the first certificate.
    signerCertificate = certificates[0];
  }

  let messageDigest: Buffer | undefined;
  let hasSigningCertificateV2 = false;
  let signingCertificateHash: Buffer | undefined;
  let signedAttributesDer: Buffer | undefined;
  let signedAttributesSorted: Buffer | undefined;
  if (signedAttrs) {
    // The signature covers the attributes re-tagged from [0] IMPLICIT to SET (RFC 5652 §5.4).
    signedAttributesDer = Buffer.from(whole(der, signedAttrs));
    signedAttributesDer[0] = 0x31;
    const attrs = children(der, signedAttrs).map((a) => whole(der, a));
    const sorted = [...attrs].sort(Buffer.compare);
    if (sorted.some((a, i) => a !== attrs[i])) signedAttributesSorted = set(...sorted);
    for (const attr of children(der, signedAttrs)) {
      const [type, values] = children(der, attr);
      if (type?.tag !== 0x06 || !values) continue;
      const first = children(der, values)[0];
      if (!first) continue;
      const oid = oidText(body(der, type));
      if (oid === ID_MESSAGE_DIGEST && first.tag === 0x04) messageDigest = body(der, first);
      else if (oid === id_aa_signingCertificateV2) {
        hasSigningCertificateV2 = true;
        signingCertificateHash = essCertHash(whole(der, first));
      }
    }
  }
  return {
    hash,
    scheme: scheme.scheme,
    signatureHash: scheme.hash ?? hash,
    certificates,
    signerCertificate,
    messageDigest,
    signedAttributesDer,
    ...(signedAttributesSorted ? { signedAttributesSorted } : {}),
    hasSigningCertificateV2,
    signingCertificateHash,
    signature: body(der, signatureValue),
  };
}

/**
 * Length of the CMS at the start of a zero-padded /Contents: the DER length, or for BER's
 * indefinite form the offset past its end-of-contents octets. The whole input when unreadable.
 */
export function signedDataLength(bytes: Buffer): number {
  if (bytes[0] !== 0x30) return bytes.length;
  try {
    return Math.min(bytes.length, berEnd(bytes, 0));
  } catch {
    return bytes.length;
  }
}

/** certHash of the first ESSCertIDv2: SEQ { SEQ OF { SEQ { [AlgorithmIdentifier] OCTET STRING ... } } }. */
function essCertHash(der: Buffer): Buffer | undefined {
  try {
    const outer = readTlv(der, 0);
    const certs = children(der, outer)[0];
    const first = certs ? children(der, certs)[0] : undefined;
    const fields = first ? children(der, first) : [];
    const hash = fields[0]?.tag === 0x30 ? fields[1] : fields[0];
    return hash?.tag === 0x04 ? contentOf(der, hash) : undefined;
  } catch {
    return undefined;
  }
}

/** Verifies the signer's signature over the signed attributes (as carried, then DER-sorted). */
export function verifySignatureValue(parsed: ParsedSignedData): boolean {
  if (!parsed.signerCertificate || !parsed.signedAttributesDer) return false;
  let key: KeyObject;
  try {
    key = publicKeyOf(parsed.signerCertificate);
  } catch {
    return false;
  }
  if (verifyOver(parsed, key, parsed.signedAttributesDer)) return true;
  return parsed.signedAttributesSorted
    ? verifyOver(parsed, key, parsed.signedAttributesSorted)
    : false;
}

/** Public keys by certificate, so 20 signatures by the same signer parse it once. */
const publicKeys = new Map<string, KeyObject>();
function publicKeyOf(certificate: Buffer): KeyObject {
  const id = createHash('sha256').update(certificate).digest('base64');
  let key = publicKeys.get(id);
  if (!key) {
    key = new X509Certificate(certificate).publicKey;
    if (publicKeys.size > 256) publicKeys.clear();
    publicKeys.set(id, key);
  }
  return key;
}

function verifyOver(parsed: ParsedSignedData, key: KeyObject, data: Buffer): boolean {
  const algorithm = HASH_NODE[parsed.signatureHash];
  try {
    if (parsed.scheme === 'RSA-PSS') {
      return cryptoVerify(
        algorithm,
        data,
        {
          key,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: constants.RSA_PSS_SALTLEN_AUTO,
        },
        parsed.signature,
      );
    }
    return cryptoVerify(algorithm, data, key, parsed.signature);
  } catch {
    return false;
  }
}

/**
 * CMS without signed attributes (older adbe.pkcs7.detached producers): the RSA PKCS#1 v1.5
 * signature is over the content digest itself. Other schemes are not accepted this way.
 */
export function verifyDigestSignature(parsed: ParsedSignedData, contentDigest: Buffer): boolean {
  if (!parsed.signerCertificate || parsed.scheme !== 'RSASSA-PKCS1-v1_5') return false;
  try {
    const key = new X509Certificate(parsed.signerCertificate).publicKey;
    const digestInfo = publicDecrypt(
      { key, padding: constants.RSA_PKCS1_PADDING },
      parsed.signature,
    );
    const [alg, digest] = children(digestInfo, readTlv(digestInfo, 0));
    if (!alg || digest?.tag !== 0x04) return false;
    return (
      hashFromOid(algorithmOid(digestInfo, alg)) === parsed.hash &&
      contentOf(digestInfo, digest).equals(contentDigest)
    );
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
