/**
 * Revocation answers and CRLs kept until their nextUpdate, so a batch of signatures (or a
 * second signature a minute later) asks the responder once. Only definitive answers are kept.
 */
import type { ParsedCrl } from './crl.ts';
import type { CertificateStatus } from './types.ts';

/** Without nextUpdate the responder promises nothing; keep the answer only briefly. */
const DEFAULT_TTL_MS = 5 * 60_000;
const MAX_ENTRIES = 2000;

interface Entry<T> {
  value: T;
  until: number;
}

export interface CachedCrl {
  der: Buffer;
  crl: ParsedCrl;
}

export class RevocationCache {
  private readonly statuses = new Map<string, Entry<CertificateStatus>>();
  private readonly crls = new Map<string, Entry<CachedCrl>>();
  /** CRL downloads in flight, shared by every certificate that names the same URL. */
  readonly crlDownloads = new Map<string, Promise<CachedCrl>>();

  private readonly now: () => Date;
  private readonly defaultTtlMs: number;
  private readonly maxTtlMs: number;

  /**
   * `maxTtlMs` caps how long an answer is reused even when nextUpdate is later (a CA may
   * publish OCSP answers valid for days; a site may want fresher ones before signing).
   */
  constructor(options: { now?: () => Date; defaultTtlMs?: number; maxTtlMs?: number } = {}) {
    this.now = options.now ?? (() => new Date());
    this.defaultTtlMs = options.defaultTtlMs ?? DEFAULT_TTL_MS;
    this.maxTtlMs = options.maxTtlMs ?? Number.POSITIVE_INFINITY;
  }

  private expiry(thisUpdate: Date | undefined, nextUpdate: Date | undefined): number {
    const until = nextUpdate
      ? nextUpdate.getTime()
      : (thisUpdate ?? this.now()).getTime() + this.defaultTtlMs;
    return Math.min(until, this.now().getTime() + this.maxTtlMs);
  }

  private read<T>(map: Map<string, Entry<T>>, key: string): T | undefined {
    const e = map.get(key);
    if (!e) return undefined;
    if (e.until <= this.now().getTime()) {
      map.delete(key);
      return undefined;
    }
    return e.value;
  }

  private write<T>(map: Map<string, Entry<T>>, key: string, value: T, until: number): void {
    if (until <= this.now().getTime()) return;
    // Insertion order is age order: drop the oldest when full.
    if (map.size >= MAX_ENTRIES) map.delete(map.keys().next().value as string);
    map.set(key, { value, until });
  }

  /** `key` identifies certificate and issuer (see status.ts). */
  status(key: string): CertificateStatus | undefined {
    return this.read(this.statuses, key);
  }

  storeStatus(key: string, status: CertificateStatus): void {
    if (status.status !== 'good' && status.status !== 'revoked') return;
    this.write(this.statuses, key, status, this.expiry(status.thisUpdate, status.nextUpdate));
  }

  crl(url: string): CachedCrl | undefined {
    return this.read(this.crls, url);
  }

  storeCrl(url: string, value: CachedCrl): void {
    this.write(this.crls, url, value, this.expiry(value.crl.thisUpdate, value.crl.nextUpdate));
  }

  clear(): void {
    this.statuses.clear();
    this.crls.clear();
  }
}

/** One cache per process: answers are about public CA data, not about the user. */
export const sharedRevocationCache = new RevocationCache();
