/**
 * ESS signing-certificate-v2 (RFC 5035): binds the signer certificate into the signed
 * attributes, required by PAdES B-B. No npm package carries this schema, so it is declared
 * here with @peculiar/asn1-schema (decorators applied as plain calls: our tsconfig has no
 * experimentalDecorators).
 */
import {
  AsnArray,
  AsnIntegerArrayBufferConverter,
  AsnProp,
  AsnPropTypes,
  AsnType,
  AsnTypeTypes,
  OctetString,
} from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, GeneralNames } from '@peculiar/asn1-x509';

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
