/**
 * Long-term validation: certificate status (OCSP, CRL) and RFC 3161 timestamps. Above cms and
 * pki (it parses CMS-shaped responses and builds paths), below the signing pipeline.
 */
export * as revocation from './revocation/index.ts';
export * as timestamp from './timestamp/index.ts';
/** Where a certificate says its status services are (AIA OCSP, CRL distribution points). */
export { crlUrls, ocspUrls } from './extensions.ts';
