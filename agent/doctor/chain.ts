/**
 * Does a certificate chain to one of the trust anchors? Builds the path through the given
 * intermediates with Node's X509Certificate (issuer name match + signature check). Revocation
 * is not checked here; that needs the network.
 */
import { X509Certificate } from 'node:crypto';
import { issuedBy as issues } from '../pki/index.ts';

export function splitPem(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

export type ChainResult =
  | { trusted: true; anchor: string; length: number }
  | {
      trusted: false;
      reason: 'no-anchors' | 'issuer-not-found' | 'too-long';
      missingIssuer?: string;
    };

export function checkChain(
  leafDerBase64: string,
  anchors: readonly X509Certificate[],
  intermediates: readonly X509Certificate[] = [],
): ChainResult {
  if (anchors.length === 0) return { trusted: false, reason: 'no-anchors' };
  let current = new X509Certificate(Buffer.from(leafDerBase64, 'base64'));
  for (let depth = 1; depth <= 8; depth++) {
    const anchor = anchors.find((a) => issues(current, a));
    if (anchor)
      return { trusted: true, anchor: anchor.subject.replace(/\n/g, ', '), length: depth + 1 };
    const next = intermediates.find(
      (c) => c.fingerprint256 !== current.fingerprint256 && issues(current, c),
    );
    if (!next) {
      return {
        trusted: false,
        reason: 'issuer-not-found',
        missingIssuer: current.issuer.replace(/\n/g, ', '),
      };
    }
    current = next;
  }
  return { trusted: false, reason: 'too-long' };
}

/** Self-signed certificates in a PEM bundle are anchors; the rest are intermediates. */
export function loadTrustBundle(pem: string): {
  anchors: X509Certificate[];
  intermediates: X509Certificate[];
} {
  const anchors: X509Certificate[] = [];
  const intermediates: X509Certificate[] = [];
  for (const block of splitPem(pem)) {
    const cert = new X509Certificate(block);
    (cert.subject === cert.issuer && issues(cert, cert) ? anchors : intermediates).push(cert);
  }
  return { anchors, intermediates };
}
