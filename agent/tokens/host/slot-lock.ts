/**
 * Per-slot scheduling: exclusive operations (log in, log out, listing, anything that changes
 * the token's login state) run alone; shared ones (signatures on an already logged-in token,
 * each on its own session) run side by side up to a limit. First come, first served, so an
 * exclusive operation is never starved by a stream of shared ones.
 */
interface Waiter {
  exclusive: boolean;
  start(): void;
}

export class SlotLock {
  private active = 0;
  private exclusiveActive = false;
  private readonly waiting: Waiter[] = [];

  constructor(private readonly maxShared: number) {}

  get busy(): boolean {
    return this.active > 0 || this.waiting.length > 0;
  }

  run<T>(exclusive: boolean, operation: () => T | Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({
        exclusive,
        start: () => {
          Promise.resolve()
            .then(operation)
            .then(resolve, reject)
            .finally(() => {
              this.active--;
              this.exclusiveActive = false;
              this.pump();
            });
        },
      });
      this.pump();
    });
  }

  private canStart(waiter: Waiter): boolean {
    if (this.exclusiveActive) return false;
    return waiter.exclusive ? this.active === 0 : this.active < this.maxShared;
  }

  private pump(): void {
    for (let head = this.waiting[0]; head && this.canStart(head); head = this.waiting[0]) {
      this.waiting.shift();
      this.active++;
      this.exclusiveActive = head.exclusive;
      head.start();
    }
  }
}
