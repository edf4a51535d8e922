/**
 * CMS SignedData for PAdES baseline B-B (ETSI EN 319 142-1): detached, signed attributes
 * content-type, message-digest and signing-certificate-v2, certificates = signer + chain.
 * No signingTime attribute: PAdES carries the time in the signature dictionary's /M.
 * The private key never comes here: a Signer signs the digest of the signed attributes.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { KysoError } from '../errors/index.ts';
import type { HashAlgorithm, SignatureScheme } from '../tokens/index.ts';
import { HASH_LENGTH, HASH_NODE, algorithmIdentifierDer } from './algorithms.ts';
import { issuerAndSerialOf, octets, oid, seq, set, smallInt, tlv } from '../pki/index.ts';
import { encodeSigningCertificateV2, id_aa_signingCertificateV2 } from './ess.ts';

/** Signs with a key that stays on the token. */
export interface Signer {
  /** DER of the signer certificate. */
  certificate: Buffer;
  /** DER of the issuing CAs, nearest first (root optional). */
  chain: Buffer[];
  /** Defaults: RSASSA-PKCS1-v1_5 for RSA keys, ECDSA for EC keys. */
  scheme?: SignatureScheme;
  /** Signs a digest computed here; ECDSA signatures come back DER-encoded. */
  sign(digest: Buffer, hash: HashAlgorithm): Promise<Buffer>;
}

export function keySchemeOf(certificate: Buffer, requested?: SignatureScheme): SignatureScheme {
  const type = partsOf(certificate).keyType;
  if (type === 'ec') {
    if (requested && requested !== 'ECDSA') {
      throw new KysoError('MECHANISM_UNSUPPORTED', { reason: `${requested} with an EC key` });
    }
    return 'ECDSA';
  }
  if (type === 'rsa' || type === 'rsa-pss') {
    if (requested === 'ECDSA')
      throw new KysoError('MECHANISM_UNSUPPORTED', { reason: 'ECDSA with an RSA key' });
    return requested ?? 'RSASSA-PKCS1-v1_5';
  }
  throw new KysoError('MECHANISM_UNSUPPORTED', { reason: `key type ${String(type)}` });
}

/** Largest signature value the key can produce, in bytes. */
export function maxSignatureLength(certificate: Buffer): number {
  return partsOf(certificate).maxSignatureLength;
}

function signatureLengthOf(certificate: Buffer): { keyType: string; maxSignatureLength: number } {
  const key = new X509Certificate(certificate).publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  const keyType = key.asymmetricKeyType ?? 'unknown';
  if (keyType === 'ec') {
    const curveBytes: Record<string, number> = { prime256v1: 32, secp384r1: 48, secp521r1: 66 };
    const n = curveBytes[details.namedCurve ?? ''] ?? 66;
    // SEQUENCE { INTEGER r, INTEGER s }, each possibly with a leading zero byte.
    return { keyType, maxSignatureLength: 3 + 2 * (3 + n) };
  }
  return { keyType, maxSignatureLength: Math.ceil((details.modulusLength ?? 4096) / 8) };
}

/**
 * Per-certificate values reused for every signature a signer makes: parsing the certificate
 * (X509Certificate) three times per document was a tenth of a 200-PDF batch.
 */
interface CertificateParts {
  issuerAndSerial: Buffer;
  signingCertificateV2: Buffer;
  keyType: string;
  maxSignatureLength: number;
}
const certificateParts = new Map<string, CertificateParts>();

function partsOf(certificate: Buffer): CertificateParts {
  const key = createHash('sha256').update(certificate).digest('hex');
  let parts = certificateParts.get(key);
  if (!parts) {
    const { issuer, serial } = issuerAndSerialOf(certificate);
    parts = {
      issuerAndSerial: seq(issuer, serial),
      signingCertificateV2: encodeSigningCertificateV2(certificate),
      ...signatureLengthOf(certificate),
    };
    if (certificateParts.size > 256) certificateParts.clear();
    certificateParts.set(key, parts);
  }
  return parts;
}

const ID_DATA = '1.2.840.113549.1.7.1';
const ID_SIGNED_DATA = '1.2.840.113549.1.7.2';
const ID_CONTENT_TYPE = '1.2.840.113549.1.9.3';
const ID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';

export interface SignedAttributes {
  /** DER of SET OF Attribute: what the signature covers (RFC 5652 §5.4). */
  der: Buffer;
}

export function buildSignedAttributes(
  contentDigest: Buffer,
  certificate: Buffer,
): SignedAttributes {
  const attributes = [
    seq(oid(ID_CONTENT_TYPE), set(oid(ID_DATA))),
    seq(oid(ID_MESSAGE_DIGEST), set(octets(contentDigest))),
    seq(oid(id_aa_signingCertificateV2), set(partsOf(certificate).signingCertificateV2)),
  ];
  // DER SET OF: elements sorted by their encodings.
  attributes.sort(Buffer.compare);
  return { der: set(...attributes) };
}

const algorithm = algorithmIdentifierDer;

export function assembleSignedData(input: {
  signedAttributes: SignedAttributes;
  signature: Buffer;
  certificate: Buffer;
  chain: Buffer[];
  hash: HashAlgorithm;
  scheme: SignatureScheme;
}): Buffer {
  const digestAlg = algorithm('digest', input.hash);
  // [0] IMPLICIT: the SET tag of the signed attributes becomes context tag 0 (constructed).
  const signedAttrs = Buffer.from(input.signedAttributes.der);
  signedAttrs[0] = 0xa0;
  const signerInfo = seq(
    smallInt(1),
    partsOf(input.certificate).issuerAndSerial,
    digestAlg,
    signedAttrs,
    algorithm(input.scheme, input.hash),
    octets(input.signature),
  );
  const signedData = seq(
    smallInt(1),
    set(digestAlg),
    seq(oid(ID_DATA)),
    tlv(0xa0, input.certificate, ...input.chain),
    set(signerInfo),
  );
  return seq(oid(ID_SIGNED_DATA), tlv(0xa0, signedData));
}

/** Exact upper bound of the CMS size for this signer: used to size the PDF placeholder. */
export function estimateSignedDataSize(signer: Signer, hash: HashAlgorithm): number {
  const scheme = keySchemeOf(signer.certificate, signer.scheme);
  const attrs = buildSignedAttributes(Buffer.alloc(HASH_LENGTH[hash]), signer.certificate);
  const der = assembleSignedData({
    signedAttributes: attrs,
    signature: Buffer.alloc(maxSignatureLength(signer.certificate), 0xff),
    certificate: signer.certificate,
    chain: signer.chain,
    hash,
    scheme,
  });
  return der.length;
}

/** Two steps so a batch can collect every digest first and sign them with one login. */
export interface PreparedSignedData {
  hash: HashAlgorithm;
  scheme: SignatureScheme;
  /** Digest of the signed attributes: the one value that goes to the token. */
  toSign: Buffer;
  finish(signature: Buffer): Buffer;
}

export function prepareSignedData(
  signer: Pick<Signer, 'certificate' | 'chain' | 'scheme'>,
  contentDigest: Buffer,
  hash: HashAlgorithm,
): PreparedSignedData {
  const scheme = keySchemeOf(signer.certificate, signer.scheme);
  const signedAttributes = buildSignedAttributes(contentDigest, signer.certificate);
  const toSign = createHash(HASH_NODE[hash]).update(signedAttributes.der).digest();
  return {
    hash,
    scheme,
    toSign,
    finish: (signature) =>
      assembleSignedData({
        signedAttributes,
        signature,
        certificate: signer.certificate,
        chain: signer.chain,
        hash,
        scheme,
      }),
  };
}

export async function createSignedData(
  signer: Signer,
  contentDigest: Buffer,
  hash: HashAlgorithm,
): Promise<Buffer> {
  const prepared = prepareSignedData(signer, contentDigest, hash);
  return prepared.finish(await signer.sign(prepared.toSign, hash));
}
