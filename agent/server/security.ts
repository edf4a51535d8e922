/**
 * The front door's checks: Host must be a loopback name (stops DNS rebinding: a foreign site
 * whose name resolves to 127.0.0.1 still sends its own Host), Origin must be allowed by the
 * administrator or approved once by the user, and each connection has a request budget.
 */
import type { ConsentProvider, ConsentQueue } from '../consent/index.ts';
import { normaliseOrigin, type OriginStore } from '../config/index.ts';
import { KysoError } from '../errors/index.ts';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** True when the Host header names this machine's loopback (any port). */
export function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  let hostname: string;
  try {
    hostname = new URL(`http://${host}`).hostname.toLowerCase();
  } catch {
    return false;
  }
  // Userinfo or fragments cannot smuggle a loopback name: URL puts the real host in hostname.
  return LOOPBACK_HOSTS.has(hostname) || hostname.endsWith('.localhost');
}

/** How long a refused origin is not asked again by default (a page cannot spam dialogs). */
export const REFUSAL_MEMORY_MS = 10 * 60 * 1000;

/** One origin dialog shared by every connection of that origin waiting for it. */
interface PendingApproval {
  decision: Promise<boolean>;
  controller: AbortController;
  waiters: number;
}

export class OriginPolicy {
  private readonly allowed: Set<string>;
  private readonly store: OriginStore | null;
  private readonly consent: ConsentProvider;
  private readonly queue: ConsentQueue;
  private readonly pending = new Map<string, PendingApproval>();

  constructor(options: {
    allowedOrigins: string[];
    store: OriginStore | null;
    consent: ConsentProvider;
    queue: ConsentQueue;
  }) {
    this.allowed = new Set(options.allowedOrigins);
    this.store = options.store;
    this.consent = options.consent;
    this.queue = options.queue;
  }

  /** Adds an origin allowed for this run only (the demo page). */
  allowForRun(origin: string): void {
    this.allowed.add(origin);
  }

  /** Allowed now, without asking (admin list or remembered approval). */
  isAllowed(origin: string): boolean {
    if (this.allowed.has(origin)) return true;
    try {
      return this.store?.has(origin) ?? false;
    } catch {
      return false; // a corrupt store approves nothing
    }
  }

  /** While a refused origin is not asked again: when it may retry (ms since epoch). */
  refusedUntil(origin: string, now = Date.now()): number | undefined {
    // One refusal memory (explicit refusals and repeated dismissals), kept by the queue.
    const left = this.queue.memory.retryAfterMs(origin);
    return left === null ? undefined : now + left;
  }

  /**
   * The error a request from a not-approved origin gets: ORIGIN_NOT_ALLOWED, with
   * retryAfterMs / retryAfter while the refusal memory holds the origin.
   */
  notAllowed(origin: string): KysoError {
    return this.queue.memory.refusal(origin) ?? new KysoError('ORIGIN_NOT_ALLOWED', { origin });
  }

  /**
   * Resolves true when the origin may use the agent, asking the user once when unknown.
   * Concurrent connections from one origin share a single dialog, which closes when every
   * connection waiting for it went away; that counts as a dismissal, and repeated
   * dismissals start the same refusal memory as a "no" (no dialog for a while).
   */
  ensure(rawOrigin: string | undefined, signal: AbortSignal): Promise<boolean> {
    const origin = rawOrigin === undefined ? null : normaliseOrigin(rawOrigin);
    if (origin === null) return Promise.resolve(false);
    if (this.isAllowed(origin)) return Promise.resolve(true);
    if (this.queue.memory.retryAfterMs(origin) !== null) return Promise.resolve(false);
    if (signal.aborted) return Promise.resolve(false);
    let pending = this.pending.get(origin);
    if (!pending) {
      const controller = new AbortController();
      const decision = this.queue
        .run(
          controller.signal,
          async () => {
            if (this.isAllowed(origin)) return true;
            return this.consent.approveOrigin({ origin }, controller.signal);
          },
          { origin },
        )
        .then(
          (approved) => {
            if (approved) this.store?.add(origin);
            else if (!controller.signal.aborted) {
              this.queue.memory.refuse(origin);
              this.queue.cancelWaiting(origin);
            }
            return approved;
          },
          () => false,
        )
        .finally(() => this.pending.delete(origin));
      pending = { decision, controller, waiters: 0 };
      this.pending.set(origin, pending);
    }
    const shared = pending;
    shared.waiters++;
    const leave = (): void => {
      shared.waiters--;
      if (shared.waiters === 0) shared.controller.abort();
    };
    signal.addEventListener('abort', leave, { once: true });
    return shared.decision.finally(() => signal.removeEventListener('abort', leave));
  }
}

/** Token bucket: `burst` requests at once, refilled at `perSecond`. */
export class RateLimiter {
  private tokens: number;
  private last: number;
  private readonly perSecond: number;
  private readonly burst: number;

  constructor(perSecond: number, burst: number) {
    this.perSecond = perSecond;
    this.burst = burst;
    this.tokens = burst;
    this.last = Date.now();
  }

  take(now = Date.now()): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
