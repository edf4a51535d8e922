/**
 * Certificate status before signing (Decree 68/2024 Art. 29, 31): for the signer and every CA
 * on its path, OCSP first (fresh, small), then the CRL; revoked always refuses.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { KysoError } from '../../errors/index.ts';
import { serialOf } from '../der-values.ts';
import { crlUrls, ocspUrls } from '../extensions.ts';
import { fetchBytes, HttpFailure, rewriteUrl } from '../http.ts';
import { sharedRevocationCache, type CachedCrl, type RevocationCache } from './cache.ts';
import { crlStatus, parseCrl, serialKey, verifyCrl } from './crl.ts';
import { buildOcspRequest, parseOcspResponse, verifyOcspResponse } from './ocsp.ts';
import {
  RevocationProblem,
  type CertificateStatus,
  type FreshnessOptions,
  type RevocationSource,
} from './types.ts';

/**
 * What to do when no source gives a definitive answer (responder says "unknown", or nothing
 * is reachable). The default is `refuse`: the law asks for the status before signing, and a
 * signature made with a certificate revoked minutes ago cannot be taken back. `warn` is for
 * sites that knowingly sign offline; the caller must show the warnings.
 */
export type UnknownStatusPolicy = 'refuse' | 'warn';
export const DEFAULT_UNKNOWN_STATUS_POLICY: UnknownStatusPolicy = 'refuse';

export interface RevocationOptions {
  /** Per HTTP exchange (default 15 s): the user is waiting in front of a dialog. */
  timeoutMs?: number;
  /** Prefix → prefix, e.g. { 'http://ocsp.ca.ptc': 'http://ocsp.ca.gov.vn' }. */
  urlRewrites?: Readonly<Record<string, string>>;
  onUnknown?: UnknownStatusPolicy;
  clockSkewMs?: number;
  now?: () => Date;
  cache?: RevocationCache;
  /** Send an OCSP nonce (default true). */
  nonce?: boolean;
  /** Largest CRL accepted (default 20 MB). */
  maxCrlBytes?: number;
}

export const DEFAULT_REVOCATION_TIMEOUT_MS = 15_000;

function describe(cert: Buffer): string {
  try {
    return new X509Certificate(cert).subject.replace(/\n/g, ', ');
  } catch {
    return '(unreadable certificate)';
  }
}

function cacheKey(certificate: Buffer, issuer: Buffer): string {
  return createHash('sha256').update(certificate).update(issuer).digest('hex');
}

function problemText(error: unknown): string {
  if (error instanceof RevocationProblem || error instanceof HttpFailure) return error.message;
  return error instanceof Error ? error.message : String(error);
}

async function askOcsp(
  url: string,
  certificate: Buffer,
  issuer: Buffer,
  options: RevocationOptions,
  freshness: FreshnessOptions,
): Promise<Partial<CertificateStatus>> {
  const request = buildOcspRequest(
    certificate,
    issuer,
    options.nonce === false ? { nonce: false } : {},
  );
  const reply = await fetchBytes(url, {
    method: 'POST',
    body: request.der,
    contentType: 'application/ocsp-request',
    accept: 'application/ocsp-response',
    timeoutMs: options.timeoutMs ?? DEFAULT_REVOCATION_TIMEOUT_MS,
    maxBytes: 1024 * 1024,
  });
  if (reply.status !== 200)
    throw new RevocationProblem(`HTTP ${reply.status} from the OCSP responder`);
  const answer = verifyOcspResponse(
    parseOcspResponse(reply.body),
    { certificate, issuer, nonce: request.nonce },
    freshness,
  );
  return {
    status: answer.status,
    ...(answer.revokedAt ? { revokedAt: answer.revokedAt } : {}),
    ...(answer.reason ? { reason: answer.reason } : {}),
    producedAt: answer.producedAt,
    thisUpdate: answer.thisUpdate,
    ...(answer.nextUpdate ? { nextUpdate: answer.nextUpdate } : {}),
    response: reply.body,
  };
}

function pemToDer(body: Buffer): Buffer {
  const text = body.subarray(0, 64).toString('latin1');
  if (!text.includes('-----BEGIN')) return body;
  const b64 = body
    .toString('latin1')
    .replace(/-----[^-]+-----/g, '')
    .replace(/\s+/g, '');
  return Buffer.from(b64, 'base64');
}

async function downloadCrl(
  url: string,
  issuer: Buffer,
  options: RevocationOptions,
  freshness: FreshnessOptions,
): Promise<CachedCrl> {
  const reply = await fetchBytes(url, {
    timeoutMs: options.timeoutMs ?? DEFAULT_REVOCATION_TIMEOUT_MS,
    maxBytes: options.maxCrlBytes ?? 20 * 1024 * 1024,
  });
  if (reply.status !== 200) throw new RevocationProblem(`HTTP ${reply.status} from the CRL server`);
  const der = pemToDer(reply.body);
  const crl = parseCrl(der);
  verifyCrl(crl, issuer, freshness);
  return { der, crl };
}

async function askCrl(
  url: string,
  certificate: Buffer,
  issuer: Buffer,
  options: RevocationOptions,
  cache: RevocationCache,
  freshness: FreshnessOptions,
): Promise<Partial<CertificateStatus>> {
  let cached = cache.crl(url);
  if (cached) verifyCrl(cached.crl, issuer, freshness);
  else {
    let pending = cache.crlDownloads.get(url);
    if (!pending) {
      pending = downloadCrl(url, issuer, options, freshness);
      cache.crlDownloads.set(url, pending);
      void pending
        .then(
          (c) => cache.storeCrl(url, c),
          () => undefined,
        )
        .finally(() => cache.crlDownloads.delete(url));
    }
    cached = await pending;
    // A shared download may have been for another certificate of the same CA name.
    verifyCrl(cached.crl, issuer, freshness);
  }
  const found = crlStatus(cached.crl, certificate);
  return {
    ...found,
    thisUpdate: cached.crl.thisUpdate,
    ...(cached.crl.nextUpdate ? { nextUpdate: cached.crl.nextUpdate } : {}),
    response: cached.der,
  };
}

/**
 * Status of one certificate given its issuer. Never throws for network or response trouble:
 * that is `unavailable` with the reasons in `problems`.
 */
export async function checkCertificateStatus(
  certificate: Buffer,
  issuer: Buffer,
  options: RevocationOptions = {},
): Promise<CertificateStatus> {
  const cache = options.cache ?? sharedRevocationCache;
  const key = cacheKey(certificate, issuer);
  const hit = cache.status(key);
  if (hit) return hit;
  const freshness: FreshnessOptions = {
    now: (options.now ?? (() => new Date()))(),
    ...(options.clockSkewMs !== undefined ? { clockSkewMs: options.clockSkewMs } : {}),
  };
  const base = { subject: describe(certificate), serial: serialKey(serialOf(certificate)) };
  const sources: { source: RevocationSource; url: string }[] = [
    ...ocspUrls(certificate).map((url) => ({ source: 'ocsp' as const, url })),
    ...crlUrls(certificate).map((url) => ({ source: 'crl' as const, url })),
  ];
  const problems: CertificateStatus['problems'] = [];
  let unknown: CertificateStatus | undefined;
  for (const { source, url: original } of sources) {
    const url = rewriteUrl(original, options.urlRewrites);
    try {
      const answer =
        source === 'ocsp'
          ? await askOcsp(url, certificate, issuer, options, freshness)
          : await askCrl(url, certificate, issuer, options, cache, freshness);
      const status: CertificateStatus = {
        status: 'unknown',
        ...base,
        ...answer,
        source,
        url,
        problems,
      };
      if (status.status === 'unknown') {
        // "unknown" is an answer, but another source may still know the certificate.
        unknown ??= status;
        problems.push({ source, url, problem: 'the responder does not know this certificate' });
        continue;
      }
      cache.storeStatus(key, status);
      return status;
    } catch (error) {
      problems.push({ source, url, problem: problemText(error) });
    }
  }
  if (unknown) return unknown;
  if (sources.length === 0) {
    return {
      status: 'unavailable',
      ...base,
      problems: [
        { source: 'ocsp', url: '', problem: 'the certificate names no OCSP responder and no CRL' },
      ],
    };
  }
  const last = problems[problems.length - 1];
  return {
    status: 'unavailable',
    ...base,
    ...(last ? { source: last.source, url: last.url } : {}),
    problems,
  };
}

export interface PathStatus {
  /** One entry per checked certificate, signer first (the anchor is not checked). */
  certificates: CertificateStatus[];
  /** Certificates without a definitive answer, accepted because the policy is `warn`. */
  warnings: CertificateStatus[];
}

function refusal(s: CertificateStatus): KysoError {
  const common = { subject: s.subject, serial: s.serial, source: s.source, url: s.url };
  if (s.status === 'revoked') {
    return new KysoError('CERTIFICATE_REVOKED', {
      ...common,
      revokedAt: s.revokedAt?.toISOString(),
      reason: s.reason ?? 'unspecified',
    });
  }
  const problems = s.problems.map((p) => `${p.source} ${p.url}: ${p.problem}`).join('; ');
  return new KysoError(
    s.status === 'unknown' ? 'CERTIFICATE_STATUS_UNKNOWN' : 'CERTIFICATE_STATUS_UNAVAILABLE',
    {
      ...common,
      problems,
    },
  );
}

/**
 * Checks `path` (DER, signer first, each certificate issued by the next, ending with the trust
 * anchor). Throws CERTIFICATE_REVOKED for any revoked certificate; CERTIFICATE_STATUS_UNKNOWN
 * or CERTIFICATE_STATUS_UNAVAILABLE when the policy is `refuse` and an answer is missing.
 */
export async function checkPathStatus(
  path: readonly Buffer[],
  options: RevocationOptions = {},
): Promise<PathStatus> {
  const pairs = path.slice(0, -1).map((cert, i) => [cert, path[i + 1] as Buffer] as const);
  // All at once: the signer's OCSP and the CAs' CRLs are independent.
  const certificates = await Promise.all(
    pairs.map(([cert, issuer]) => checkCertificateStatus(cert, issuer, options)),
  );
  const revoked = certificates.find((s) => s.status === 'revoked');
  if (revoked) throw refusal(revoked);
  const missing = certificates.filter((s) => s.status !== 'good');
  const policy = options.onUnknown ?? DEFAULT_UNKNOWN_STATUS_POLICY;
  if (missing[0] && policy === 'refuse') throw refusal(missing[0]);
  return { certificates, warnings: missing };
}
