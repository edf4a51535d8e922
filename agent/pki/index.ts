export {
  assertUsableForSigning,
  keyUsageAllowsSigning,
  parseCertificate,
  parseName,
  type ParsedCertificate,
} from './certificate.ts';
export {
  buildChain,
  isSelfSigned,
  issuedBy,
  loadCertificates,
  mergeCertificates,
  signingChain,
  type ChainResult,
} from './chain.ts';
export { chainForCertificate, type CertificateSource, type ChainSources } from './token-chain.ts';
/** DER reading and writing (X.690) for certificates and the CMS, OCSP, CRL and RFC 3161 shapes. */
export {
  berEnd,
  berToDer,
  children,
  contentOf,
  elementOf,
  isDer,
  issuerAndSerialOf,
  NULL,
  octets,
  oid,
  oidText,
  readTlv,
  seq,
  set,
  smallInt,
  tlv,
  type Tlv,
} from './der.ts';
export { certificateExtensions, type CertificateExtension } from './x509-fields.ts';
