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
