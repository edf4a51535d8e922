/**
 * One WebSocket connection and its limits: the origin's approval, abort on close, the idle
 * timer (a quiet connection with nothing in flight is closed), the rate limit, the cap on
 * requests in flight, and the frame meter that sizes each message at its header (a small cap
 * until the origin is approved, the global memory budget always). Refusals are reply frames
 * or close codes; nothing here knows the methods.
 */
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { FRAME_MEMORY_FACTOR, type ServerLimits } from '../config/index.ts';
import {
  CLOSE_IDLE,
  CLOSE_MESSAGE_TOO_LARGE,
  CLOSE_ORIGIN_NOT_ALLOWED,
  CLOSE_POLICY_VIOLATION,
  CLOSE_TRY_AGAIN_LATER,
} from '../protocol/index.ts';
import type { MemoryBudget, Reservation } from './budget.ts';
import { FrameMeter, type FrameRefusal } from './frames.ts';
import { errorFrame, RpcError, type RpcId } from './jsonrpc.ts';
import { RequestSignals } from './request-signals.ts';
import { RateLimiter } from './security.ts';

export {
  CLOSE_IDLE,
  CLOSE_MESSAGE_TOO_LARGE,
  CLOSE_ORIGIN_NOT_ALLOWED,
  CLOSE_POLICY_VIOLATION,
  CLOSE_TRY_AGAIN_LATER,
};

export type ApprovalState = 'pending' | 'approved' | 'refused';

export class Connection {
  readonly abort = new AbortController();
  /** Each request's own signal, aborted with the connection's through one listener. */
  readonly requests = new RequestSignals(this.abort.signal);
  /** Resolves false when the user refused the origin. */
  readonly approved: Promise<boolean>;
  /** 'pending' until the approval resolves; only agent.info may run meanwhile. */
  state: ApprovalState = 'pending';
  /** The approval promise has resolved (state is final until the connection ends). */
  approvalSettled = false;
  inFlight = 0;
  readonly meter: FrameMeter;
  private readonly limiter: RateLimiter;
  private idleTimer: NodeJS.Timeout | null = null;
  /** Last activity (ms): touch() only notes it; the idle timer re-checks when it fires. */
  private lastActive = 0;
  private slowTimer: NodeJS.Timeout | null = null;
  private readonly feed = (chunk: Buffer): void => {
    this.meter.feed(chunk);
    // A message must arrive within messageTimeoutMs of its first byte, so a page cannot hold
    // the memory budget by announcing a big frame and trickling it.
    if (this.meter.receiving) {
      this.slowTimer ??= setTimeout(() => this.meter.refuse('slow'), this.limits.messageTimeoutMs);
      this.slowTimer.unref();
    } else if (this.slowTimer) {
      clearTimeout(this.slowTimer);
      this.slowTimer = null;
    }
  };

  constructor(
    readonly id: number,
    readonly socket: WebSocket,
    /** The TCP socket under `socket`: the meter reads it before `ws` does. */
    private readonly raw: Duplex,
    readonly origin: string,
    /** Asks (or looks up) the origin's approval; the dialog closes with the connection. */
    approve: (signal: AbortSignal) => Promise<boolean>,
    /** Allowed already (config or remembered): approved from the first byte. */
    allowedNow: boolean,
    private readonly limits: ServerLimits,
    budget: MemoryBudget,
    private readonly log: (line: string) => void,
  ) {
    if (allowedNow) this.state = 'approved';
    this.approved = approve(this.abort.signal).then((ok) => {
      this.state = ok ? 'approved' : 'refused';
      this.approvalSettled = true;
      return ok;
    });
    this.limiter = new RateLimiter(limits.ratePerSecond, limits.rateBurst);
    this.meter = new FrameMeter({
      cap: () =>
        this.state === 'approved' ? limits.maxPayloadBytes : limits.maxPendingPayloadBytes,
      reserve: (bytes) => budget.tryReserve(bytes * FRAME_MEMORY_FACTOR),
      refuse: (why, bytes) => this.refuseMessage(why, bytes),
      peerClosed: () => this.socket.terminate(),
    });
    // First in line: the meter sees each header before ws buffers the frame behind it. The
    // bytes ws got with the upgrade (`head`) are re-emitted later, so they pass here too.
    raw.prependListener('data', this.feed);
    this.touch();
  }

  /** Notes activity: the connection is idle idleTimeoutMs after the last one. */
  touch(): void {
    this.lastActive = Date.now();
    this.idleTimer ??= this.armIdle(this.limits.idleTimeoutMs);
  }

  /** One timer per connection, not one per request: early wake-ups wait for the rest. */
  private armIdle(delay: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.idleTimer = null;
      const quiet = Date.now() - this.lastActive;
      if (this.inFlight > 0) return this.touch();
      if (quiet < this.limits.idleTimeoutMs) {
        this.idleTimer = this.armIdle(this.limits.idleTimeoutMs - quiet);
        return;
      }
      this.socket.close(CLOSE_IDLE, 'idle timeout');
    }, delay);
    timer.unref();
    return timer;
  }

  send(frame: string | Buffer): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(frame);
  }

  /** The memory the next message ws emits holds; release it when the request is done. */
  takeMessage(): Reservation[] {
    return this.meter.takeMessage() ?? [];
  }

  /**
   * Null when the request may run, else the RATE_LIMITED reply (rate, or too many in flight).
   * `counted` false: the request takes no rate token (binary chunks, bounded by bytes instead).
   */
  refusal(id: RpcId, counted = true): string | null {
    if (counted && !this.limiter.take()) {
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
    this.meter.dispose();
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (this.slowTimer) clearTimeout(this.slowTimer);
  }

  /**
   * A message refused at its header: ws stops getting bytes (the rest is read and dropped,
   * never buffered), the page gets a close code that says why, and the socket ends soon.
   */
  private refuseMessage(why: FrameRefusal, bytes: number): void {
    this.log(
      `connection ${this.id} (${this.origin}, ${this.state}): message of ${bytes} bytes refused: ${
        why === 'too-large' ? 'over the cap' : why === 'busy' ? 'memory budget full' : 'too slow'
      }`,
    );
    // ws reads the socket through its 'data' listener (ws 8: socketOnData); ours stays and
    // keeps the socket flowing, dropping what arrives. Tested with a real 60 MiB frame.
    for (const listener of this.raw.listeners('data')) {
      if (listener !== this.feed) this.raw.removeListener('data', listener as (c: Buffer) => void);
    }
    this.raw.resume();
    if (this.slowTimer) clearTimeout(this.slowTimer);
    if (why === 'too-large') this.socket.close(CLOSE_MESSAGE_TOO_LARGE, 'MESSAGE_TOO_LARGE');
    else if (why === 'busy') this.socket.close(CLOSE_TRY_AGAIN_LATER, 'AGENT_BUSY');
    else this.socket.close(CLOSE_POLICY_VIOLATION, 'MESSAGE_TIMEOUT');
    // ws would wait 30 s for the peer's close frame, which it no longer sees: the meter spots
    // it (then we hang up), else we hang up after 5 s. Not at once: a reset could discard our
    // close frame before the page reads it.
    setTimeout(() => this.socket.terminate(), 5000).unref();
  }
}
