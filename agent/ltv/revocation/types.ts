/** What a revocation check reports per certificate, shared by OCSP, CRL and the path check. */

export type RevocationState = 'good' | 'revoked' | 'unknown' | 'unavailable';
export type RevocationSource = 'ocsp' | 'crl';

/** CRLReason (RFC 5280 §5.3.1), by name; 7 is unused. */
export const REVOCATION_REASONS = [
  'unspecified',
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'certificateHold',
  'unused',
  'removeFromCRL',
  'privilegeWithdrawn',
  'aACompromise',
] as const;
export type RevocationReason = (typeof REVOCATION_REASONS)[number];

export function reasonName(code: number | undefined): RevocationReason | undefined {
  return code === undefined ? undefined : (REVOCATION_REASONS[code] ?? 'unspecified');
}

/** One answer about one certificate. */
export interface CertificateStatus {
  status: RevocationState;
  /** Subject of the checked certificate, for messages. */
  subject: string;
  /** Serial number in upper-case hex. */
  serial: string;
  revokedAt?: Date;
  reason?: RevocationReason;
  /** Where the answer came from (the last source tried when `unavailable`). */
  source?: RevocationSource;
  url?: string;
  /** OCSP producedAt. */
  producedAt?: Date;
  thisUpdate?: Date;
  nextUpdate?: Date;
  /** The OCSPResponse or CRL DER as received, to embed in a DSS later (B-LT). */
  response?: Buffer;
  /** Every source tried that gave no definitive answer, and why. */
  problems: { source: RevocationSource; url: string; problem: string }[];
}

/** A response that must not be trusted (bad signature, stale, wrong certificate …). */
export class RevocationProblem extends Error {
  constructor(readonly problem: string) {
    super(problem);
    this.name = 'RevocationProblem';
  }
}

export interface FreshnessOptions {
  now?: Date;
  /** Tolerated clock difference with the responder (default 5 minutes). */
  clockSkewMs?: number;
}

export const DEFAULT_CLOCK_SKEW_MS = 5 * 60_000;

/** thisUpdate must not be in the future, nextUpdate (when given) not in the past. */
export function checkWindow(
  thisUpdate: Date,
  nextUpdate: Date | undefined,
  options: FreshnessOptions,
): void {
  const now = (options.now ?? new Date()).getTime();
  const skew = options.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS;
  if (thisUpdate.getTime() > now + skew) throw new RevocationProblem('thisUpdate is in the future');
  if (nextUpdate && nextUpdate.getTime() < now - skew) {
    throw new RevocationProblem('the response is stale (nextUpdate has passed)');
  }
}
