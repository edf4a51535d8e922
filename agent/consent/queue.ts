/**
 * Serialises consent: one interaction (approve, then PIN tries) at a time, so two web apps
 * never interleave dialogs and the user always knows which request a PIN prompt belongs to.
 *
 * Fairness and floods: requests that name their website origin wait in one lane per origin,
 * FIFO within a lane, and lanes take turns (round-robin), so a website that queued many
 * requests delays another website by at most the dialog being shown. A lane holds at most
 * `maxPendingPerOrigin` waiting requests (more: CONSENT_QUEUE_FULL). When the user refuses a
 * request, `cancelWaiting` ends the rest of that origin's lane without dialogs. When a request
 * is aborted (its socket closed) while its dialog is shown, that is a dismissal: repeated
 * dismissals start the refusal memory for the origin (ORIGIN_NOT_ALLOWED with retryAfter).
 * Requests without an origin (the tray's, the command line's) share one lane and no limits.
 */
import { KysoError } from '../errors/index.ts';
import { RefusalMemory, type RefusalPolicy } from './refusal.ts';

export interface ConsentQueueOptions extends Partial<RefusalPolicy> {
  /** Requests one origin may have waiting for a dialog (the one shown not counted). */
  maxPendingPerOrigin?: number;
  /** Tests: a clock. */
  now?: () => number;
}

export const DEFAULT_MAX_PENDING_PER_ORIGIN = 4;

/** The lane of requests that name no website (tray, command line). */
const LOCAL = '\0local';

interface Task {
  origin: string;
  signal: AbortSignal;
  start: () => void;
  fail: (error: KysoError) => void;
  detach: () => void;
}

export interface ConsentRunOptions {
  /** The website asking; enables the per-origin lane, cap and dismissal counting. */
  origin?: string;
}

export class ConsentQueue {
  readonly memory: RefusalMemory;
  readonly maxPendingPerOrigin: number;
  private readonly lanes = new Map<string, Task[]>();
  /** Origins with waiting requests, in serving order. */
  private order: string[] = [];
  private active: Task | null = null;
  private lastServed: string | null = null;

  constructor(options: ConsentQueueOptions = {}) {
    this.memory = new RefusalMemory(options, options.now);
    this.maxPendingPerOrigin = options.maxPendingPerOrigin ?? DEFAULT_MAX_PENDING_PER_ORIGIN;
  }

  /** Requests waiting (not shown) for an origin. */
  waiting(origin: string): number {
    return this.lanes.get(origin)?.length ?? 0;
  }

  /**
   * Runs fn when its turn comes; a request aborted while waiting never prompts. With an
   * origin: refused origins fail at once with ORIGIN_NOT_ALLOWED, a full lane with
   * CONSENT_QUEUE_FULL.
   */
  run<T>(signal: AbortSignal, fn: () => Promise<T>, options: ConsentRunOptions = {}): Promise<T> {
    const origin = options.origin ?? LOCAL;
    const tracked = origin !== LOCAL;
    if (signal.aborted) {
      return Promise.reject(new KysoError('USER_CANCELLED', { reason: 'request went away' }));
    }
    if (tracked) {
      const refusal = this.memory.refusal(origin);
      if (refusal) return Promise.reject(refusal);
      if (this.waiting(origin) >= this.maxPendingPerOrigin) {
        return Promise.reject(
          new KysoError('CONSENT_QUEUE_FULL', { origin, max: this.maxPendingPerOrigin }),
        );
      }
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => {
        if (this.active === task) {
          // The page went away while its dialog was shown: the provider closes the dialog
          // (same signal); count it so closing sockets cannot re-raise dialogs at will.
          if (tracked && this.memory.dismissed(origin)) this.cancelWaiting(origin, 'dismissed');
          return;
        }
        if (this.remove(task)) {
          task.fail(new KysoError('USER_CANCELLED', { reason: 'request went away' }));
        }
      };
      const task: Task = {
        origin,
        signal,
        start: () => {
          let running: Promise<T>;
          try {
            running = fn();
          } catch (error) {
            running = Promise.reject(error as Error);
          }
          running.then(
            (value) => this.finish(task, () => resolve(value)),
            (error: unknown) => this.finish(task, () => reject(error)),
          );
        },
        fail: (error) => {
          task.detach();
          reject(error);
        },
        detach: () => signal.removeEventListener('abort', onAbort),
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.enqueue(task);
      this.pump();
    });
  }

  /**
   * Ends every waiting request of an origin without a dialog (the user refused one of them,
   * or the origin was dismissed too often): USER_CANCELLED, or ORIGIN_NOT_ALLOWED when the
   * refusal memory now holds the origin.
   */
  cancelWaiting(origin: string, why: 'refused' | 'dismissed' = 'refused'): number {
    const lane = this.lanes.get(origin);
    if (!lane) return 0;
    this.lanes.delete(origin);
    this.order = this.order.filter((o) => o !== origin);
    for (const task of lane) {
      const refusal = this.memory.refusal(origin);
      task.fail(
        refusal ??
          new KysoError('USER_CANCELLED', {
            reason:
              why === 'refused'
                ? 'the user refused an earlier request from this website'
                : 'this website closed its dialogs repeatedly',
          }),
      );
    }
    return lane.length;
  }

  private enqueue(task: Task): void {
    let lane = this.lanes.get(task.origin);
    if (!lane) {
      lane = [];
      this.lanes.set(task.origin, lane);
      // A new origin goes before the one just served, so it is next, not after its backlog.
      const last = this.order.at(-1);
      if (last !== undefined && last === this.lastServed) {
        this.order.splice(this.order.length - 1, 0, task.origin);
      } else this.order.push(task.origin);
    }
    lane.push(task);
  }

  private remove(task: Task): boolean {
    const lane = this.lanes.get(task.origin);
    const index = lane?.indexOf(task) ?? -1;
    if (!lane || index < 0) return false;
    lane.splice(index, 1);
    if (lane.length === 0) {
      this.lanes.delete(task.origin);
      this.order = this.order.filter((o) => o !== task.origin);
    }
    return true;
  }

  private pump(): void {
    while (this.active === null) {
      const origin = this.order.shift();
      if (origin === undefined) return;
      const lane = this.lanes.get(origin);
      const task = lane?.shift();
      if (!lane || !task) continue;
      // The origin served goes to the back of the turn order (if it still waits).
      if (lane.length > 0) this.order.push(origin);
      else this.lanes.delete(origin);
      this.lastServed = origin;
      if (task.signal.aborted) {
        task.fail(new KysoError('USER_CANCELLED', { reason: 'request went away' }));
        continue;
      }
      const refusal = origin === LOCAL ? null : this.memory.refusal(origin);
      if (refusal) {
        task.fail(refusal);
        continue;
      }
      this.active = task;
      task.start();
    }
  }

  private finish(task: Task, settle: () => void): void {
    task.detach();
    if (this.active === task) this.active = null;
    settle();
    this.pump();
  }
}
