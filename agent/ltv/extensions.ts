/** The certificate extensions revocation checking and timestamping read (RFC 5280 §4.2). */
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AuthorityInfoAccessSyntax,
  Certificate,
  CRLDistributionPoints,
  ExtendedKeyUsage,
  id_ce_cRLDistributionPoints,
  id_ce_extKeyUsage,
  id_pe_authorityInfoAccess,
  type Extension,
} from '@peculiar/asn1-x509';

export const ID_AD_OCSP = '1.3.6.1.5.5.7.48.1';
export const ID_KP_OCSP_SIGNING = '1.3.6.1.5.5.7.3.9';
export const ID_KP_TIME_STAMPING = '1.3.6.1.5.5.7.3.8';
/** id-pkix-ocsp-nocheck: the responder certificate itself is not checked (RFC 6960 §4.2.2.2.1). */
export const ID_PKIX_OCSP_NOCHECK = '1.3.6.1.5.5.7.48.1.5';

function extension(cert: Buffer, id: string): Extension | undefined {
  const parsed = AsnConvert.parse(cert, Certificate);
  return parsed.tbsCertificate.extensions?.find((e) => e.extnID === id);
}

function http(url: string | undefined): url is string {
  return url !== undefined && /^https?:\/\//i.test(url);
}

/** OCSP responder URLs from authorityInfoAccess, in certificate order. */
export function ocspUrls(cert: Buffer): string[] {
  const ext = extension(cert, id_pe_authorityInfoAccess);
  if (!ext) return [];
  const aia = AsnConvert.parse(ext.extnValue, AuthorityInfoAccessSyntax);
  return aia
    .filter((d) => d.accessMethod === ID_AD_OCSP)
    .map((d) => d.accessLocation.uniformResourceIdentifier)
    .filter(http);
}

/** HTTP(S) CRL URLs from cRLDistributionPoints (full names only; LDAP is skipped). */
export function crlUrls(cert: Buffer): string[] {
  const ext = extension(cert, id_ce_cRLDistributionPoints);
  if (!ext) return [];
  const points = AsnConvert.parse(ext.extnValue, CRLDistributionPoints);
  return points
    .flatMap((p) => p.distributionPoint?.fullName ?? [])
    .map((n) => n.uniformResourceIdentifier)
    .filter(http);
}

/** Extended key usage OIDs; undefined when the extension is absent. */
export function extendedKeyUsage(cert: Buffer): { oids: string[]; critical: boolean } | undefined {
  const ext = extension(cert, id_ce_extKeyUsage);
  if (!ext) return undefined;
  return { oids: [...AsnConvert.parse(ext.extnValue, ExtendedKeyUsage)], critical: ext.critical };
}

export function hasExtension(cert: Buffer, id: string): boolean {
  return extension(cert, id) !== undefined;
}
