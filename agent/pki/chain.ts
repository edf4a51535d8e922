/**
 * Certificate paths, in one place: which CA certificates go into a signature (from the token and
 * the configured intermediates) and whether a signer chains to a trust anchor (verification).
 * An issuer link is Node's checkIssued (issuer name, and AKI/SKI when both are present) plus the
 * certificate signature. No revocation checking here (PAdES B-B carries none).
 */
import { X509Certificate } from 'node:crypto';

/** Longest path followed; real Vietnamese hierarchies are 2-3 deep. */
const MAX_DEPTH = 10;

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

/** True when `issuer` issued `subject`: names (and key identifiers) match and the signature verifies. */
export function issuedBy(subject: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return subject.checkIssued(issuer) && subject.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

export function isSelfSigned(certificate: X509Certificate): boolean {
  return certificate.subject === certificate.issuer && issuedBy(certificate, certificate);
}

function parseAll(ders: readonly Buffer[]): X509Certificate[] {
  const seen = new Set<string>();
  const out: X509Certificate[] = [];
  for (const der of ders) {
    let c: X509Certificate;
    try {
      c = new X509Certificate(der);
    } catch {
      continue; // A broken certificate in a pool cannot issue anything.
    }
    if (seen.has(c.fingerprint256)) continue;
    seen.add(c.fingerprint256);
    out.push(c);
  }
  return out;
}

/**
 * The CA certificates to embed with a signature by `signer`: its issuer, that one's issuer and
 * so on, taken from `candidates` and `anchors` (CA certificates only, any order, duplicates
 * allowed). Stops at a self-signed certificate or a configured anchor. Self-signed roots are
 * left out (a verifier must hold them already); an anchor that is not self-signed is kept, so
 * verifiers that trust only the root can still build the path. Never loops.
 */
export function signingChain(
  signer: Buffer,
  candidates: readonly Buffer[],
  anchors: readonly Buffer[] = [],
): Buffer[] {
  const anchorCerts = parseAll(anchors);
  const anchorPrints = new Set(anchorCerts.map((a) => a.fingerprint256));
  const pool = parseAll([...anchors, ...candidates]).filter((c) => c.ca);
  let current = new X509Certificate(signer);
  const visited = new Set([current.fingerprint256]);
  const chain: Buffer[] = [];
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    if (anchorPrints.has(current.fingerprint256) || isSelfSigned(current)) break;
    const from = current;
    const issuer = pool.find((c) => !visited.has(c.fingerprint256) && issuedBy(from, c));
    if (!issuer) break;
    visited.add(issuer.fingerprint256);
    if (!isSelfSigned(issuer)) chain.push(issuer.raw);
    current = issuer;
  }
  return chain;
}

/** Certificates from `first`, then those of `second` not already in it (by content). */
export function mergeCertificates(first: readonly Buffer[], second: readonly Buffer[]): Buffer[] {
  const out = [...first];
  for (const c of second) if (!out.some((o) => o.equals(c))) out.push(c);
  return out;
}

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

/**
 * Verification: the path from `signer` to one of `anchors` through `intermediates` (the
 * certificates carried in the CMS plus configured ones); validity is checked at `at`.
 */
export function buildChain(
  signer: Buffer,
  intermediates: Buffer[],
  anchors: Buffer[],
  at: Date,
): ChainResult {
  const anchorCerts = anchors.map((a) => new X509Certificate(a));
  const pool = intermediates.map((c) => new X509Certificate(c));
  let current = new X509Certificate(signer);
  const visited = new Set([current.fingerprint256]);
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
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    if (anchorCerts.some((a) => a.fingerprint256 === current.fingerprint256)) return result(true);
    const child = current;
    const anchor = anchorCerts.find((a) => issuedBy(child, a));
    if (anchor) {
      take(anchor);
      return result(true);
    }
    const issuer = pool.find((c) => !visited.has(c.fingerprint256) && child.checkIssued(c));
    if (!issuer) return result(false, 'issuer-not-found');
    if (!child.verify(issuer.publicKey)) return result(false, 'bad-certificate-signature');
    if (!issuer.ca) return result(false, 'issuer-not-ca');
    visited.add(issuer.fingerprint256);
    take(issuer);
    current = issuer;
  }
  return result(false, 'issuer-not-found');
}
