/**
 * Certificate path to a configured trust anchor, using the certificates carried in the CMS.
 * No revocation checking here (PAdES B-B carries none); validity is checked at the signing time.
 */
import { X509Certificate } from 'node:crypto';
import { parseCertificate } from '../pki/index.ts';

export interface ChainResult {
  trusted: boolean;
  /** Subjects from the signer to the anchor. */
  path: string[];
  /** Every certificate of the path valid at `at`. */
  validAtTime: boolean;
  /** When every certificate of the path is valid (intersection of their validity periods). */
  validFrom: string;
  validTo: string;
  /** Why the path failed, when it did. */
  reason?: 'no-trust-anchors' | 'issuer-not-found' | 'bad-certificate-signature' | 'issuer-not-ca';
}

/** Accepts DER or PEM (one or many certificates). */
export function loadCertificates(data: Buffer): Buffer[] {
  const text = data.toString('latin1');
  if (!text.includes('-----BEGIN CERTIFICATE-----')) return [data];
  const out: Buffer[] = [];
  const re = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out.push(Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64'));
  }
  return out;
}

export function buildChain(
  signer: Buffer,
  intermediates: Buffer[],
  anchors: Buffer[],
  at: Date,
): ChainResult {
  const anchorCerts = anchors.map((a) => new X509Certificate(a));
  const pool = intermediates.map((c) => new X509Certificate(c));
  let current = new X509Certificate(signer);
  const path = [current.subject.replace(/\n/g, ', ')];
  let from = new Date(current.validFrom);
  let to = new Date(current.validTo);
  const take = (c: X509Certificate): void => {
    path.push(c.subject.replace(/\n/g, ', '));
    if (new Date(c.validFrom) > from) from = new Date(c.validFrom);
    if (new Date(c.validTo) < to) to = new Date(c.validTo);
  };
  const result = (trusted: boolean, reason?: ChainResult['reason']): ChainResult => ({
    trusted,
    path,
    validAtTime: at >= from && at <= to,
    validFrom: from.toISOString(),
    validTo: to.toISOString(),
    ...(reason ? { reason } : {}),
  });
  if (anchorCerts.length === 0) return result(false, 'no-trust-anchors');
  for (let depth = 0; depth < 10; depth++) {
    if (anchorCerts.some((a) => a.fingerprint256 === current.fingerprint256)) return result(true);
    const anchor = anchorCerts.find((a) => current.checkIssued(a) && current.verify(a.publicKey));
    if (anchor) {
      take(anchor);
      return result(true);
    }
    const issuer = pool.find(
      (c) => c.fingerprint256 !== current.fingerprint256 && current.checkIssued(c),
    );
    if (!issuer) return result(false, 'issuer-not-found');
    if (!current.verify(issuer.publicKey)) return result(false, 'bad-certificate-signature');
    if (!parseCertificate(issuer.raw).isCA) return result(false, 'issuer-not-ca');
    take(issuer);
    current = issuer;
  }
  return result(false, 'issuer-not-found');
}
