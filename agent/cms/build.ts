/**
 * CMS SignedData for PAdES baseline B-B (ETSI EN 319 142-1): detached, signed attributes
 * content-type, message-digest and signing-certificate-v2, certificates = signer + chain.
 * No signingTime attribute: PAdES carries the time in the signature dictionary's /M.
 * The private key never comes here: a Signer signs the digest of the signed attributes.
 */
import { createHash, X509Certificate } from 'node:crypto';
import {
  Attribute,
  CertificateChoices,
  CertificateSet,
  ContentInfo,
  EncapsulatedContentInfo,
  IssuerAndSerialNumber,
  SignedData,
  SignerIdentifier,
  SignerInfo,
  SignerInfos,
  DigestAlgorithmIdentifiers,
  id_data,
  id_signedData,
  id_contentType,
  id_messageDigest,
} from '@peculiar/asn1-cms';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { Certificate, GeneralName, GeneralNames } from '@peculiar/asn1-x509';
import { KysoError } from '../errors/index.ts';
import type { HashAlgorithm, SignatureScheme } from '../tokens/types.ts';
import { HASH_LENGTH, HASH_NODE, digestAlgorithmId, signatureAlgorithmId } from './algorithms.ts';
import {
  EssCertIdV2,
  EssCertIdV2s,
  IssuerSerial,
  SigningCertificateV2,
  id_aa_signingCertificateV2,
} from './ess.ts';

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

const ab = (b: Buffer | Uint8Array): ArrayBuffer =>
  b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

export function keySchemeOf(certificate: Buffer, requested?: SignatureScheme): SignatureScheme {
  const type = new X509Certificate(certificate).publicKey.asymmetricKeyType;
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
  const key = new X509Certificate(certificate).publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec') {
    const curveBytes: Record<string, number> = { prime256v1: 32, secp384r1: 48, secp521r1: 66 };
    const n = curveBytes[details.namedCurve ?? ''] ?? 66;
    // SEQUENCE { INTEGER r, INTEGER s }, each possibly with a leading zero byte.
    return 3 + 2 * (3 + n);
  }
  return Math.ceil((details.modulusLength ?? 4096) / 8);
}

function signingCertificateV2(certificate: Buffer): ArrayBuffer {
  const cert = AsnConvert.parse(certificate, Certificate);
  const essId = new EssCertIdV2({
    certHash: new OctetString(ab(createHash('sha256').update(certificate).digest())),
    issuerSerial: new IssuerSerial({
      issuer: new GeneralNames([new GeneralName({ directoryName: cert.tbsCertificate.issuer })]),
      serialNumber: cert.tbsCertificate.serialNumber,
    }),
  });
  return AsnConvert.serialize(new SigningCertificateV2({ certs: new EssCertIdV2s([essId]) }));
}

/** DER of OBJECT IDENTIFIER id-data (1.2.840.113549.1.7.1), the content-type attribute value. */
const ID_DATA_OID_DER = Buffer.from('06092a864886f70d010701', 'hex');

export interface SignedAttributes {
  attributes: Attribute[];
  /** DER of SET OF Attribute: what the signature covers (RFC 5652 §5.4). */
  der: Buffer;
}

export function buildSignedAttributes(
  contentDigest: Buffer,
  certificate: Buffer,
): SignedAttributes {
  const attributes = [
    new Attribute({ attrType: id_contentType, attrValues: [ab(ID_DATA_OID_DER)] }),
    new Attribute({
      attrType: id_messageDigest,
      attrValues: [AsnConvert.serialize(new OctetString(ab(contentDigest)))],
    }),
    new Attribute({
      attrType: id_aa_signingCertificateV2,
      attrValues: [signingCertificateV2(certificate)],
    }),
  ];
  // DER SET OF: elements sorted by their encodings.
  const encoded = attributes.map((a) => ({ a, der: Buffer.from(AsnConvert.serialize(a)) }));
  encoded.sort((x, y) => Buffer.compare(x.der, y.der));
  const body = Buffer.concat(encoded.map((e) => e.der));
  return {
    attributes: encoded.map((e) => e.a),
    der: Buffer.concat([derHeader(0x31, body.length), body]),
  };
}

function derHeader(tag: number, len: number): Buffer {
  if (len < 0x80) return Buffer.from([tag, len]);
  const bytes: number[] = [];
  for (let l = len; l > 0; l >>= 8) bytes.unshift(l & 0xff);
  return Buffer.from([tag, 0x80 | bytes.length, ...bytes]);
}

export function assembleSignedData(input: {
  signedAttributes: SignedAttributes;
  signature: Buffer;
  certificate: Buffer;
  chain: Buffer[];
  hash: HashAlgorithm;
  scheme: SignatureScheme;
}): Buffer {
  const cert = AsnConvert.parse(input.certificate, Certificate);
  const signerInfo = new SignerInfo({
    version: 1,
    sid: new SignerIdentifier({
      issuerAndSerialNumber: new IssuerAndSerialNumber({
        issuer: cert.tbsCertificate.issuer,
        serialNumber: cert.tbsCertificate.serialNumber,
      }),
    }),
    digestAlgorithm: digestAlgorithmId(input.hash),
    signedAttrs: input.signedAttributes.attributes,
    signatureAlgorithm: signatureAlgorithmId(input.scheme, input.hash),
    signature: new OctetString(ab(input.signature)),
  });
  const certificates = new CertificateSet(
    [input.certificate, ...input.chain].map(
      (der) => new CertificateChoices({ certificate: AsnConvert.parse(der, Certificate) }),
    ),
  );
  const signedData = new SignedData({
    version: 1,
    digestAlgorithms: new DigestAlgorithmIdentifiers([digestAlgorithmId(input.hash)]),
    encapContentInfo: new EncapsulatedContentInfo({ eContentType: id_data }),
    certificates,
    signerInfos: new SignerInfos([signerInfo]),
  });
  const contentInfo = new ContentInfo({
    contentType: id_signedData,
    content: AsnConvert.serialize(signedData),
  });
  return Buffer.from(AsnConvert.serialize(contentInfo));
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
