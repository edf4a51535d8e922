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
  const validAt = (c: X509Certificate): boolean =>
    at >= new Date(c.validFrom) && at <= new Date(c.validTo);
  let validAtTime = validAt(current);
  if (anchorCerts.length === 0)
    return { trusted: false, path, validAtTime, reason: 'no-trust-anchors' };
  for (let depth = 0; depth < 10; depth++) {
    if (anchorCerts.some((a) => a.fingerprint256 === current.fingerprint256)) {
      return { trusted: true, path, validAtTime };
    }
    const anchor = anchorCerts.find((a) => current.checkIssued(a) && current.verify(a.publicKey));
    if (anchor) {
      path.push(anchor.subject.replace(/\n/g, ', '));
      return { trusted: true, path, validAtTime: validAtTime && validAt(anchor) };
    }
    const issuer = pool.find(
      (c) => c.fingerprint256 !== current.fingerprint256 && current.checkIssued(c),
    );
    if (!issuer) return { trusted: false, path, validAtTime, reason: 'issuer-not-found' };
    if (!current.verify(issuer.publicKey)) {
      return { trusted: false, path, validAtTime, reason: 'bad-certificate-signature' };
    }
    if (!parseCertificate(issuer.raw).isCA) {
      return { trusted: false, path, validAtTime, reason: 'issuer-not-ca' };
    }
    path.push(issuer.subject.replace(/\n/g, ', '));
    validAtTime = validAtTime && validAt(issuer);
    current = issuer;
  }
  return { trusted: false, path, validAtTime, reason: 'issuer-not-found' };
}
