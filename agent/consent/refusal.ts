/**
 * Refusal memory per website origin: after the user refuses a website, or after the page
 * closed its socket while a dialog was shown (a dismissal) too often, the website gets
 * ORIGIN_NOT_ALLOWED with a retryAfter instead of a new dialog, for a while. One memory is
 * shared by the origin approval (agent/server OriginPolicy) and the consent queue.
 */
import { KysoError } from '../errors/index.ts';

export interface RefusalPolicy {
  /** How long a refused origin gets no dialog (ms). */
  refusalMemoryMs: number;
  /** Dismissals (socket closed while a dialog was shown) that start the refusal memory... */
  dismissalsBeforeRefusal: number;
  /** ...when they happen within this window (ms). */
  dismissalWindowMs: number;
}

export const DEFAULT_REFUSAL_POLICY: RefusalPolicy = {
  refusalMemoryMs: 10 * 60 * 1000,
  dismissalsBeforeRefusal: 2,
  dismissalWindowMs: 10 * 60 * 1000,
};

/** Origins remembered at most (older entries are dropped first); bounds memory under floods. */
const MAX_ORIGINS = 4096;

export class RefusalMemory {
  readonly policy: RefusalPolicy;
  private readonly refusedAt = new Map<string, number>();
  private readonly dismissals = new Map<string, number[]>();
  private readonly now: () => number;

  constructor(policy: Partial<RefusalPolicy> = {}, now: () => number = Date.now) {
    this.policy = { ...DEFAULT_REFUSAL_POLICY, ...policy };
    this.now = now;
  }

  /** The user refused this origin (or dismissed it too often): no dialog for a while. */
  refuse(origin: string): void {
    this.refusedAt.delete(origin);
    this.refusedAt.set(origin, this.now());
    this.dismissals.delete(origin);
    trim(this.refusedAt);
  }

  /**
   * A dialog for this origin closed because the page went away. Returns true when this
   * dismissal started the refusal memory.
   */
  dismissed(origin: string): boolean {
    const now = this.now();
    const { dismissalWindowMs, dismissalsBeforeRefusal } = this.policy;
    const recent = (this.dismissals.get(origin) ?? []).filter((t) => now - t < dismissalWindowMs);
    recent.push(now);
    this.dismissals.delete(origin);
    this.dismissals.set(origin, recent);
    trim(this.dismissals);
    if (recent.length >= dismissalsBeforeRefusal) {
      this.refuse(origin);
      return true;
    }
    return false;
  }

  /** Milliseconds until the origin may be asked again; null when it may be asked now. */
  retryAfterMs(origin: string): number | null {
    const at = this.refusedAt.get(origin);
    if (at === undefined) return null;
    const left = at + this.policy.refusalMemoryMs - this.now();
    if (left > 0) return left;
    this.refusedAt.delete(origin);
    return null;
  }

  /** ORIGIN_NOT_ALLOWED with when to retry, or null when the origin is not refused now. */
  refusal(origin: string): KysoError | null {
    const left = this.retryAfterMs(origin);
    if (left === null) return null;
    return new KysoError('ORIGIN_NOT_ALLOWED', {
      origin,
      reason: 'refused recently',
      retryAfterMs: left,
      retryAfter: new Date(this.now() + left).toISOString(),
    });
  }
}

function trim<V>(map: Map<string, V>): void {
  while (map.size > MAX_ORIGINS) {
    const oldest = map.keys().next();
    if (oldest.done === true) return;
    map.delete(oldest.value);
  }
}
