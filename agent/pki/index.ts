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
export { chainForCertificate, type ChainSources } from './token-chain.ts';
export * as revocation from './revocation/index.ts';
export * as timestamp from './timestamp/index.ts';
