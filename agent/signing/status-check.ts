/**
 * Before signing (Decree 68/2024 Art. 29, 31, 32; issue 14): the signer's certificate must
 * chain to a configured anchor (config trust.anchors) and no certificate of that path may be
 * revoked. Runs in SigningService after the certificate usability check and before approval,
 * so no PIN is asked for a certificate that must not sign. The outcome goes to the journal.
 *
 * Behaviour without the means to check (documented in docs/it-admin.md):
 * - no trust.anchors configured: nothing is checked; recorded as "not-checked" with a warning;
 * - a certificate of the path names no OCSP responder and no CRL (no AIA/CDP): that
 *   certificate is "not-checked" with a warning (there is no status service to ask);
 * - otherwise a missing answer follows revocation.policy (refuse by default, or warn).
 * A revoked certificate always refuses (CERTIFICATE_REVOKED with revokedAt and reason).
 */
import { X509Certificate } from 'node:crypto';
import { KysoError, isKysoError } from '../errors/index.ts';
import type { JournalStatus } from '../journal/index.ts';
import { crlUrls, ocspUrls, revocation as ltv } from '../ltv/index.ts';
import type { RevocationSettings, TrustMaterial } from '../config/index.ts';
import { buildChain, chainForCertificate, issuedBy, type CertificateSource } from '../pki/index.ts';
import type { CertificateInfo } from '../tokens/index.ts';

type CertificateStatus = ltv.CertificateStatus;

export const DEFAULT_REVOCATION_SETTINGS: RevocationSettings = {
  policy: 'refuse',
  timeoutMs: 15_000,
  urlRewrites: {},
};

export interface StatusCheckOutcome {
  /** What the journal records. */
  record: JournalStatus;
  /** DER, signer first, ending with the anchor; empty when not checked. */
  path: Buffer[];
  /** One per checked certificate (with the raw OCSP response or CRL, for a DSS). */
  statuses: CertificateStatus[];
  /** Set when signing must not go on. */
  error?: KysoError;
}

export interface StatusCheckDeps {
  tokens: CertificateSource;
  trust: () => TrustMaterial;
  revocation?: RevocationSettings;
  cache?: ltv.RevocationCache;
}

function sourcesOf(statuses: CertificateStatus[]): JournalStatus['checked'] {
  const kinds = new Set(statuses.flatMap((s) => (s.source ? [s.source] : [])));
  if (kinds.has('ocsp') && kinds.has('crl')) return 'ocsp+crl';
  if (kinds.has('ocsp')) return 'ocsp';
  if (kinds.has('crl')) return 'crl';
  return 'none';
}

function hasStatusService(certificate: Buffer): boolean {
  return ocspUrls(certificate).length > 0 || crlUrls(certificate).length > 0;
}

function warningOf(s: CertificateStatus): string {
  const problems = s.problems.map((p) => `${p.source} ${p.url}: ${p.problem}`).join('; ');
  return `${s.subject}: ${s.status}${problems ? ` (${problems})` : ''}`;
}

/** `[certificate, ...chain, anchor]` when `chain` leads to one of `anchors`, else undefined. */
export function anchoredPath(
  certificate: Buffer,
  chain: readonly Buffer[],
  anchors: readonly Buffer[],
  at = new Date(),
): Buffer[] | undefined {
  const path = [certificate, ...chain];
  const last = new X509Certificate(path[path.length - 1] as Buffer);
  const anchor = anchors.find((a) => {
    const x = new X509Certificate(a);
    return x.fingerprint256 === last.fingerprint256 || issuedBy(last, x);
  });
  if (!anchor) return undefined;
  if (!path.some((p) => p.equals(anchor))) path.push(anchor);
  if (!buildChain(certificate, [...chain], [...anchors], at).trusted) return undefined;
  return path;
}

export class CertificateStatusCheck {
  constructor(private readonly deps: StatusCheckDeps) {}

  revocationOptions(): ltv.RevocationOptions {
    const settings = this.deps.revocation ?? DEFAULT_REVOCATION_SETTINGS;
    return {
      timeoutMs: settings.timeoutMs,
      urlRewrites: settings.urlRewrites,
      onUnknown: settings.policy,
      ...(this.deps.cache ? { cache: this.deps.cache } : {}),
    };
  }

  /** The DER path signer → anchor, or undefined when it does not reach a configured anchor. */
  async pathFor(certificate: CertificateInfo): Promise<Buffer[] | undefined> {
    const trust = this.deps.trust();
    const signer = Buffer.from(certificate.certificate, 'base64');
    const chain = await chainForCertificate(this.deps.tokens, certificate, trust);
    return anchoredPath(signer, chain, trust.anchors);
  }

  /** Never throws: the outcome says whether signing may go on. */
  async run(certificate: CertificateInfo): Promise<StatusCheckOutcome> {
    const trust = this.deps.trust();
    if (trust.anchors.length === 0) {
      return {
        record: {
          checked: 'none',
          status: 'not-checked',
          warnings: ['no trust anchors configured (trust.anchors): path and status not checked'],
        },
        path: [],
        statuses: [],
      };
    }
    const path = await this.pathFor(certificate).catch(() => undefined);
    if (!path) {
      return {
        record: { checked: 'none', status: 'untrusted', warnings: [] },
        path: [],
        statuses: [],
        error: new KysoError('CERTIFICATE_UNTRUSTED', {
          subject: certificate.subject.text,
          reason: 'the certificate does not chain to a configured trust anchor',
        }),
      };
    }
    const options = this.revocationOptions();
    try {
      // "warn" here: the policy is applied below, after setting aside certificates without
      // any status service (those cannot be asked, whatever the policy).
      const result = await ltv.checkPathStatus(path, { ...options, onUnknown: 'warn' });
      const warnings: string[] = [];
      let missing: CertificateStatus | undefined;
      for (const [i, s] of result.certificates.entries()) {
        if (s.status === 'good') continue;
        if (!hasStatusService(path[i] as Buffer)) {
          warnings.push(`${s.subject}: not checked (the certificate names no OCSP and no CRL)`);
          continue;
        }
        missing ??= s;
        warnings.push(warningOf(s));
      }
      const checked = sourcesOf(result.certificates);
      const status: JournalStatus['status'] = missing
        ? missing.status === 'unknown'
          ? 'unknown'
          : 'unavailable'
        : checked === 'none'
          ? 'not-checked'
          : 'good';
      const record: JournalStatus = { checked, status, warnings };
      if (missing && options.onUnknown === 'refuse') {
        const code =
          missing.status === 'unknown'
            ? 'CERTIFICATE_STATUS_UNKNOWN'
            : 'CERTIFICATE_STATUS_UNAVAILABLE';
        return {
          record,
          path,
          statuses: result.certificates,
          error: new KysoError(code, {
            subject: missing.subject,
            serial: missing.serial,
            source: missing.source,
            url: missing.url,
            problems: missing.problems.map((p) => `${p.source} ${p.url}: ${p.problem}`).join('; '),
          }),
        };
      }
      return { record, path, statuses: result.certificates };
    } catch (error) {
      if (isKysoError(error, 'CERTIFICATE_REVOKED')) {
        const d = error.details;
        return {
          record: {
            checked: d.source === 'crl' ? 'crl' : 'ocsp',
            status: 'revoked',
            warnings: [],
            ...(typeof d.revokedAt === 'string' ? { revokedAt: d.revokedAt } : {}),
            ...(typeof d.reason === 'string' ? { reason: d.reason } : {}),
          },
          path,
          statuses: [],
          error,
        };
      }
      const kyso = isKysoError(error)
        ? error
        : new KysoError('CERTIFICATE_STATUS_UNAVAILABLE', { reason: String(error) });
      return {
        record: { checked: 'none', status: 'unavailable', warnings: [kyso.message] },
        path,
        statuses: [],
        error: kyso,
      };
    }
  }
}
