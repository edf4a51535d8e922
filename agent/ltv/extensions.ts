/** The certificate extensions revocation checking and timestamping read (RFC 5280 §4.2). */
import {
  certificateExtensions,
  children,
  contentOf,
  oidText,
  readTlv,
  type CertificateExtension,
  type Tlv,
} from '../pki/index.ts';

const id_pe_authorityInfoAccess = '1.3.6.1.5.5.7.1.1';
const id_ce_cRLDistributionPoints = '2.5.29.31';
const id_ce_extKeyUsage = '2.5.29.37';
/** GeneralName uniformResourceIdentifier: [6] IMPLICIT IA5String. */
const URI_TAG = 0x86;

export const ID_AD_OCSP = '1.3.6.1.5.5.7.48.1';
export const ID_KP_OCSP_SIGNING = '1.3.6.1.5.5.7.3.9';
export const ID_KP_TIME_STAMPING = '1.3.6.1.5.5.7.3.8';
/** id-pkix-ocsp-nocheck: the responder certificate itself is not checked (RFC 6960 §4.2.2.2.1). */
export const ID_PKIX_OCSP_NOCHECK = '1.3.6.1.5.5.7.48.1.5';

function extension(cert: Buffer, id: string): CertificateExtension | undefined {
  return certificateExtensions(cert).find((e) => e.oid === id);
}

/** The elements of the SEQUENCE (OF) that is the whole of `der`. */
function sequenceItems(der: Buffer): Tlv[] {
  const outer = readTlv(der, 0);
  if (outer.tag !== 0x30) throw new Error('extension value is not a SEQUENCE');
  return children(der, outer);
}

/** The URIs among GeneralNames (the children of `names`). */
function uris(der: Buffer, names: Tlv): string[] {
  return children(der, names)
    .filter((n) => n.tag === URI_TAG)
    .map((n) => contentOf(der, n).toString('latin1'));
}

function http(url: string | undefined): url is string {
  return url !== undefined && /^https?:\/\//i.test(url);
}

/** OCSP responder URLs from authorityInfoAccess, in certificate order. */
export function ocspUrls(cert: Buffer): string[] {
  const ext = extension(cert, id_pe_authorityInfoAccess);
  if (!ext) return [];
  // AccessDescription ::= SEQUENCE { accessMethod OID, accessLocation GeneralName }
  return sequenceItems(ext.value)
    .map((d) => children(ext.value, d))
    .filter(
      ([method]) => method?.tag === 0x06 && oidText(contentOf(ext.value, method)) === ID_AD_OCSP,
    )
    .map(([, location]) =>
      location?.tag === URI_TAG ? contentOf(ext.value, location).toString('latin1') : undefined,
    )
    .filter(http);
}

/** HTTP(S) CRL URLs from cRLDistributionPoints (full names only; LDAP is skipped). */
export function crlUrls(cert: Buffer): string[] {
  const ext = extension(cert, id_ce_cRLDistributionPoints);
  if (!ext) return [];
  // DistributionPoint ::= SEQUENCE { distributionPoint [0] DistributionPointName OPTIONAL, … };
  // DistributionPointName ::= CHOICE { fullName [0] IMPLICIT GeneralNames, … }
  return sequenceItems(ext.value)
    .flatMap((point) => {
      const name = children(ext.value, point).find((t) => t.tag === 0xa0);
      const fullName = name ? children(ext.value, name).find((t) => t.tag === 0xa0) : undefined;
      return fullName ? uris(ext.value, fullName) : [];
    })
    .filter(http);
}

/** Extended key usage OIDs; undefined when the extension is absent. */
export function extendedKeyUsage(cert: Buffer): { oids: string[]; critical: boolean } | undefined {
  const ext = extension(cert, id_ce_extKeyUsage);
  if (!ext) return undefined;
  const oids = sequenceItems(ext.value)
    .filter((t) => t.tag === 0x06)
    .map((t) => oidText(contentOf(ext.value, t)));
  return { oids, critical: ext.critical };
}

export function hasExtension(cert: Buffer, id: string): boolean {
  return extension(cert, id) !== undefined;
}
