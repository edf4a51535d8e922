/**
 * Reads the WebSocket frame headers (RFC 6455 §5.2) of one connection's incoming bytes, before
 * `ws` buffers them, so the size of every message is known from its header: a frame over the
 * connection's current cap, or one the global memory budget cannot hold, is refused at the
 * header, and the bytes after it are dropped unread instead of buffered.
 *
 * Why here and not `ws`'s maxPayload: that option is per server, while the cap depends on the
 * connection (a few KiB until the origin is approved) and the budget is shared by all. This
 * meter relies only on the wire format and on `ws` reading the socket through 'data' events
 * (it is attached first, with prependListener, so it always sees a header before `ws` does);
 * `ws`'s own maxPayload stays set to the approved cap as a second line.
 */
import type { Reservation } from './budget.ts';

export type FrameRefusal = 'too-large' | 'busy' | 'slow';

export interface FrameMeterHooks {
  /** Largest message (sum of its fragments) this connection may send now, in bytes. */
  cap(): number;
  /** Memory for `payloadBytes` more bytes of the current message, or null when it does not fit. */
  reserve(payloadBytes: number): Reservation | null;
  /** Called once; from then on the meter only skips frames, reserving nothing. */
  refuse(why: FrameRefusal, messageBytes: number): void;
  /** After a refusal: the peer's close frame arrived (nothing more worth reading follows). */
  peerClosed?(): void;
}

const OPCODE_CONTINUATION = 0x0;
const OPCODE_CLOSE = 0x8;

export class FrameMeter {
  /** Complete data messages in arrival order, each with the memory it holds. */
  private readonly complete: Reservation[][] = [];
  private current: Reservation[] = [];
  private messageBytes = 0;
  private readonly header = Buffer.alloc(14);
  private headerHave = 0;
  /** Payload bytes of the current frame still to skip. */
  private remaining = 0;
  private stopped = false;
  /** Disposed: ignore everything. */
  private disposed = false;

  constructor(private readonly hooks: FrameMeterHooks) {}

  get refused(): boolean {
    return this.stopped;
  }

  /** True while a data message has begun (memory reserved) and its last byte is not in yet. */
  get receiving(): boolean {
    return !this.stopped && (this.current.length > 0 || this.remaining > 0 || this.headerHave > 0);
  }

  /** Refuses from outside (e.g. a message that takes too long); no-op once stopped. */
  refuse(why: FrameRefusal): void {
    if (!this.stopped) this.stop(why);
  }

  /** Feeds bytes read from the socket (the same chunks `ws` gets, seen first). */
  feed(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && !this.disposed) {
      if (this.remaining > 0) {
        const skip = Math.min(this.remaining, chunk.length - at);
        this.remaining -= skip;
        at += skip;
        continue;
      }
      // Collect the header: 2 bytes, then 0/2/8 bytes of length, then 4 of mask when masked.
      const needed = this.headerLength();
      const take = Math.min(needed - this.headerHave, chunk.length - at);
      chunk.copy(this.header, this.headerHave, at, at + take);
      this.headerHave += take;
      at += take;
      if (this.headerHave === this.headerLength()) this.onHeader();
    }
  }

  /** The reservations of the next message `ws` emits (null if none was counted). */
  takeMessage(): Reservation[] | null {
    return this.complete.shift() ?? null;
  }

  /** Releases everything held (the connection closed). */
  dispose(): void {
    this.stopped = true;
    this.disposed = true;
    for (const message of this.complete.splice(0)) for (const r of message) r.release();
    for (const r of this.current.splice(0)) r.release();
  }

  private headerLength(): number {
    if (this.headerHave < 2) return 2;
    const len7 = (this.header[1] ?? 0) & 0x7f;
    const masked = ((this.header[1] ?? 0) & 0x80) !== 0;
    return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (masked ? 4 : 0);
  }

  private onHeader(): void {
    const b0 = this.header[0] ?? 0;
    const len7 = (this.header[1] ?? 0) & 0x7f;
    let length: number;
    if (len7 === 126) length = this.header.readUInt16BE(2);
    else if (len7 === 127) {
      const big = this.header.readBigUInt64BE(2);
      length = big > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(big);
    } else length = len7;
    this.headerHave = 0;
    this.remaining = length;
    const fin = (b0 & 0x80) !== 0;
    const opcode = b0 & 0x0f;
    if (this.stopped) {
      // Refused: skip whatever follows, until the peer answers our close frame.
      if (opcode === OPCODE_CLOSE) this.hooks.peerClosed?.();
      return;
    }
    if (opcode >= OPCODE_CLOSE) return; // control frames: at most 125 bytes, never a message
    if (opcode !== OPCODE_CONTINUATION) {
      // A new message; `ws` rejects a new one inside a fragmented message, we just recount.
      for (const r of this.current.splice(0)) r.release();
      this.messageBytes = 0;
    }
    this.messageBytes += length;
    if (this.messageBytes > this.hooks.cap()) return this.stop('too-large');
    const reservation = this.hooks.reserve(length);
    if (reservation === null) return this.stop('busy');
    this.current.push(reservation);
    if (fin) {
      this.complete.push(this.current);
      this.current = [];
      this.messageBytes = 0;
    }
  }

  private stop(why: FrameRefusal): void {
    const bytes = this.messageBytes;
    this.stopped = true;
    // The refused frame's payload (if any is left) is still skipped, so the next header is found.
    for (const r of this.current.splice(0)) r.release();
    this.hooks.refuse(why, bytes);
  }
}
