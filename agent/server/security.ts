/**
 * The front door's checks: Host must be a loopback name (stops DNS rebinding: a foreign site
 * whose name resolves to 127.0.0.1 still sends its own Host), Origin must be allowed by the
 * administrator or approved once by the user, and each connection has a request budget.
 */
import type { ConsentProvider, ConsentQueue } from '../consent/index.ts';
import { normaliseOrigin, type OriginStore } from '../config/index.ts';

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

/** How long a refused origin is not asked again (a page cannot spam dialogs). */
export const REFUSAL_MEMORY_MS = 10 * 60 * 1000;

export class OriginPolicy {
  private readonly allowed: Set<string>;
  private readonly store: OriginStore | null;
  private readonly consent: ConsentProvider;
  private readonly queue: ConsentQueue;
  /** One dialog per origin, shared by its waiting connections; cancelled when all have gone. */
  private readonly pending = new Map<
    string,
    { decision: Promise<boolean>; controller: AbortController; waiters: number }
  >();
  private readonly refused = new Map<string, number>();

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
    const refusedAt = this.refused.get(origin);
    if (refusedAt === undefined || this.isAllowed(origin)) return undefined;
    const until = refusedAt + REFUSAL_MEMORY_MS;
    return until > now ? until : undefined;
  }

  /**
   * Resolves true when the origin may use the agent, asking the user once when unknown.
   * Concurrent connections from one origin share a single dialog.
   */
  ensure(rawOrigin: string | undefined, signal: AbortSignal): Promise<boolean> {
    const origin = rawOrigin === undefined ? null : normaliseOrigin(rawOrigin);
    if (origin === null) return Promise.resolve(false);
    if (this.isAllowed(origin)) return Promise.resolve(true);
    const refusedAt = this.refused.get(origin);
    if (refusedAt !== undefined && Date.now() - refusedAt < REFUSAL_MEMORY_MS)
      return Promise.resolve(false);
    let entry = this.pending.get(origin);
    if (!entry || entry.controller.signal.aborted) {
      const controller = new AbortController();
      const created = {
        controller,
        waiters: 0,
        decision: this.queue
          .run(controller.signal, async () => {
            if (this.isAllowed(origin)) return true;
            return this.consent.approveOrigin({ origin }, controller.signal);
          })
          .then(
            (approved) => {
              if (approved) this.store?.add(origin);
              else this.refused.set(origin, Date.now());
              return approved;
            },
            // Cancelled (every page of this origin went away) or failed: not a refusal.
            () => false,
          )
          .finally(() => {
            if (this.pending.get(origin) === created) this.pending.delete(origin);
          }),
      };
      entry = created;
      this.pending.set(origin, entry);
    }
    const shared = entry;
    shared.waiters++;
    // A connection that closes stops waiting; the dialog stays while another still waits, so
    // one tab closing never answers "refused" for the others.
    return new Promise<boolean>((resolve) => {
      const leave = () => {
        shared.waiters--;
        if (shared.waiters === 0) shared.controller.abort();
        resolve(false);
      };
      if (signal.aborted) return leave();
      signal.addEventListener('abort', leave, { once: true });
      void shared.decision.then((approved) => {
        signal.removeEventListener('abort', leave);
        resolve(approved);
      });
    });
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
