/**
 * Serialises consent: one interaction (approve, then PIN tries) at a time, so two web apps
 * never interleave dialogs and the user always knows which request a PIN prompt belongs to.
 */
import { KysoError } from '../errors/index.ts';

export class ConsentQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs fn after every earlier interaction; a request aborted while waiting never prompts. */
  run<T>(signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(() => {
      if (signal.aborted) throw new KysoError('USER_CANCELLED', { reason: 'request went away' });
      return fn();
    });
    this.tail = result.catch(() => undefined);
    return result;
  }
}
