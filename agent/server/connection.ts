/**
 * One WebSocket connection and its limits: the origin's approval, abort on close, the idle
 * timer (a quiet connection with nothing in flight is closed), the rate limit and the cap on
 * requests in flight. Refusals are reply frames; nothing here knows the methods.
 */
import type { WebSocket } from 'ws';
import type { ServerLimits } from '../config/index.ts';
import { CLOSE_IDLE, CLOSE_ORIGIN_NOT_ALLOWED } from '../protocol/index.ts';
import { errorFrame, RpcError, type RpcId } from './jsonrpc.ts';
import { RateLimiter } from './security.ts';

export { CLOSE_IDLE, CLOSE_ORIGIN_NOT_ALLOWED };

export class Connection {
  readonly abort = new AbortController();
  /** Resolves false when the user refused the origin. */
  readonly approved: Promise<boolean>;
  inFlight = 0;
  private readonly limiter: RateLimiter;
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly id: number,
    readonly socket: WebSocket,
    readonly origin: string,
    /** Asks (or looks up) the origin's approval; the dialog closes with the connection. */
    approve: (signal: AbortSignal) => Promise<boolean>,
    private readonly limits: ServerLimits,
  ) {
    this.approved = approve(this.abort.signal);
    this.limiter = new RateLimiter(limits.ratePerSecond, limits.rateBurst);
    this.touch();
  }

  /** (Re)arms the idle timer. */
  touch(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.inFlight > 0) return this.touch();
      this.socket.close(CLOSE_IDLE, 'idle timeout');
    }, this.limits.idleTimeoutMs);
    this.idleTimer.unref();
  }

  send(frame: string): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(frame);
  }

  /** Null when the request may run, else the RATE_LIMITED reply (rate, or too many in flight). */
  refusal(id: RpcId): string | null {
    if (!this.limiter.take()) {
      return errorFrame(
        id,
        new RpcError(-32000, 'RATE_LIMITED', {
          details: { limit: 'rate', perSecond: this.limits.ratePerSecond },
        }),
      );
    }
    if (this.inFlight >= this.limits.maxInFlight) {
      return errorFrame(
        id,
        new RpcError(-32000, 'RATE_LIMITED', {
          details: { limit: 'inFlight', max: this.limits.maxInFlight },
        }),
      );
    }
    return null;
  }

  /** The socket closed: stop prompting and waiting for this connection's requests. */
  closed(): void {
    this.abort.abort();
    if (this.idleTimer) clearTimeout(this.idleTimer);
  }
}
