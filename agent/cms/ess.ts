/**
 * ESS signing-certificate-v2 (RFC 5035): binds the signer certificate into the signed
 * attributes, required by PAdES B-B. No npm package carries this schema, so it is declared
 * here with @peculiar/asn1-schema (decorators applied as plain calls: our tsconfig has no
 * experimentalDecorators).
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
import { issuerAndSerialOf, octets, seq, tlv } from './der.ts';

export const id_aa_signingCertificateV2 = '1.2.840.113549.1.9.16.2.47';

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

/**
 * The same value as the schema above produces (a unit test holds them equal), written with the
 * DER helpers: parsing the certificate with the schema library costs ~10 ms on a cold start.
 * certHash is SHA-256 (the DEFAULT, so hashAlgorithm is omitted); issuerSerial names the
 * issuer as a directoryName ([4], explicit because Name is a CHOICE).
 */
export function encodeSigningCertificateV2(certificate: Buffer): Buffer {
  const { issuer, serial } = issuerAndSerialOf(certificate);
  const certHash = createHash('sha256').update(certificate).digest();
  const issuerSerial = seq(seq(tlv(0xa4, issuer)), serial);
  return seq(seq(seq(octets(certHash), issuerSerial)));
}

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
