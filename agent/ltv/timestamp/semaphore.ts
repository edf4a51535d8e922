/** A counting semaphore: the government TSA is slow and integrators keep 4 requests in flight at most. */
export class Semaphore {
  private active = 0;
  private readonly queue: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (limit < 1) throw new Error('a semaphore needs a limit of at least 1');
  }

  get inFlight(): number {
    return this.active;
  }

  async run<T>(task: () => Promise<T>, onQueued?: () => void): Promise<T> {
    if (this.active >= this.limit) {
      onQueued?.();
      await new Promise<void>((resolve) => this.queue.push(resolve));
    } else this.active++;
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next waiter so `active` never dips and overshoots.
      const next = this.queue.shift();
      if (next) next();
      else this.active--;
    }
  }
}
