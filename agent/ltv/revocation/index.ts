/** Revocation status of a certificate path before signing: OCSP, CRL, cache, policy. */
export {
  checkCertificateStatus,
  checkPathStatus,
  DEFAULT_REVOCATION_TIMEOUT_MS,
  DEFAULT_UNKNOWN_STATUS_POLICY,
  type PathStatus,
  type RevocationOptions,
  type UnknownStatusPolicy,
} from './status.ts';
export { RevocationCache, sharedRevocationCache } from './cache.ts';
export {
  buildOcspRequest,
  parseOcspResponse,
  verifyOcspResponse,
  type OcspRequest,
} from './ocsp.ts';
export { parseCrl, verifyCrl, crlStatus, type ParsedCrl } from './crl.ts';
export type {
  CertificateStatus,
  RevocationReason,
  RevocationState,
  RevocationSource,
} from './types.ts';
