/**
 * The schema-library (@peculiar/asn1-*) forms of values the agent writes with its DER helpers:
 * the references cms.test.ts holds the fast encoders equal to. For tests only: no agent code
 * imports this file, so the library stays out of the bundle (and out of `kyso verify`'s start-up).
 * The ESS classes apply their decorators as plain calls: our tsconfig has no
 * experimentalDecorators.
 */
import {
  AsnArray,
  AsnConvert,
  AsnIntegerArrayBufferConverter,
  AsnProp,
  AsnPropTypes,
  AsnType,
  AsnTypeTypes,
  OctetString,
} from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Certificate, GeneralName, GeneralNames } from '@peculiar/asn1-x509';
import { createHash } from 'node:crypto';
import { tlv } from '../pki/index.ts';
import type { HashAlgorithm, SignatureScheme } from '../tokens/index.ts';
import {
  ECDSA_OID,
  HASH_LENGTH,
  HASH_OID,
  MGF1_OID,
  RSA_PKCS1_OID,
  RSA_PSS_OID,
} from './algorithms.ts';

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

export class IssuerSerial {
  issuer = new GeneralNames();
  serialNumber = new ArrayBuffer(0);
  constructor(params: Partial<IssuerSerial> = {}) {
    Object.assign(this, params);
  }
}
AsnProp({ type: GeneralNames })(IssuerSerial.prototype, 'issuer');
AsnProp({ type: AsnPropTypes.Integer, converter: AsnIntegerArrayBufferConverter })(
  IssuerSerial.prototype,
  'serialNumber',
);
AsnType({ type: AsnTypeTypes.Sequence })(IssuerSerial);

export class EssCertIdV2 {
  /** Omitted when SHA-256 (the DEFAULT, which DER requires us to leave out). */
  hashAlgorithm?: AlgorithmIdentifier;
  certHash = new OctetString();
  issuerSerial?: IssuerSerial;
  constructor(params: Partial<EssCertIdV2> = {}) {
    Object.assign(this, params);
  }
}
AsnProp({ type: AlgorithmIdentifier, optional: true })(EssCertIdV2.prototype, 'hashAlgorithm');
AsnProp({ type: OctetString })(EssCertIdV2.prototype, 'certHash');
AsnProp({ type: IssuerSerial, optional: true })(EssCertIdV2.prototype, 'issuerSerial');
AsnType({ type: AsnTypeTypes.Sequence })(EssCertIdV2);

export class EssCertIdV2s extends AsnArray<EssCertIdV2> {}
AsnType({ type: AsnTypeTypes.Sequence, itemType: EssCertIdV2 })(EssCertIdV2s);

export class SigningCertificateV2 {
  certs = new EssCertIdV2s();
  constructor(params: Partial<SigningCertificateV2> = {}) {
    Object.assign(this, params);
  }
}
AsnProp({ type: EssCertIdV2s })(SigningCertificateV2.prototype, 'certs');
AsnType({ type: AsnTypeTypes.Sequence })(SigningCertificateV2);

/** The schema-built value, the reference the fast encoder is tested against. */
export function signingCertificateV2BySchema(certificate: Buffer): Buffer {
  const cert = AsnConvert.parse(certificate, Certificate);
  const hash = createHash('sha256').update(certificate).digest();
  const essId = new EssCertIdV2({
    certHash: new OctetString(hash.buffer.slice(hash.byteOffset, hash.byteOffset + hash.length)),
    issuerSerial: new IssuerSerial({
      issuer: new GeneralNames([new GeneralName({ directoryName: cert.tbsCertificate.issuer })]),
      serialNumber: cert.tbsCertificate.serialNumber,
    }),
  });
  return Buffer.from(
    AsnConvert.serialize(new SigningCertificateV2({ certs: new EssCertIdV2s([essId]) })),
  );
}
