/**
 * A global bound on memory held for incoming data (WebSocket frames here; documents being
 * uploaded can share the same budget). Callers reserve before they hold bytes and release
 * when they let go; a reservation that does not fit is refused at once with AGENT_BUSY, so
 * the caller drops the data instead of buffering it. No config import: a plain counter that
 * any module can take by injection.
 */
import { KysoError } from '../errors/index.ts';

export interface Reservation {
  readonly bytes: number;
  /** Gives the bytes back; a second call does nothing. */
  release(): void;
}

export class MemoryBudget {
  private used = 0;
  private peakUsed = 0;

  /**
   * @param limit bytes that may be reserved at once, in total
   * @param headroom bytes kept for small reservations (at most `smallBytes` each): a few big
   *   ones can never fill the budget so completely that a 200-byte signing request is refused
   * @param smallBytes the largest reservation that may use the headroom
   */
  constructor(
    readonly limit: number,
    private readonly options: { headroom?: number; smallBytes?: number } = {},
  ) {
    if (!Number.isSafeInteger(limit) || limit <= 0) throw new RangeError('limit must be > 0');
  }

  get inUse(): number {
    return this.used;
  }

  /** The most ever reserved at once (for tests and diagnostics). */
  get peak(): number {
    return this.peakUsed;
  }

  /** Reserves `bytes`, or returns null when they do not fit. */
  tryReserve(bytes: number): Reservation | null {
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError('bytes must be >= 0');
    const small = bytes <= (this.options.smallBytes ?? 0);
    const ceiling = small ? this.limit : this.limit - (this.options.headroom ?? 0);
    if (this.used + bytes > ceiling) return null;
    this.used += bytes;
    this.peakUsed = Math.max(this.peakUsed, this.used);
    let released = false;
    return {
      bytes,
      release: () => {
        if (released) return;
        released = true;
        this.used -= bytes;
      },
    };
  }

  /** Reserves `bytes` or throws KysoError AGENT_BUSY (details: requested, limit). */
  reserve(bytes: number): Reservation {
    const reservation = this.tryReserve(bytes);
    if (reservation === null) {
      throw new KysoError('AGENT_BUSY', { limit: 'memory', requested: bytes, max: this.limit });
    }
    return reservation;
  }
}
