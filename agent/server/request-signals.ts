/**
 * One abort signal per request, all aborted when their connection's signal aborts. The
 * connection's signal carries a single listener that fans out, so consent dialogs, queues and
 * waits attach their listeners to the request's own signal: they go away with the request
 * instead of piling up on a long-lived connection (MaxListenersExceededWarning at 11).
 */
export interface RequestSignal {
  readonly signal: AbortSignal;
  /** The request settled: forget its controller (its listeners go with it). */
  done(): void;
}

export class RequestSignals {
  private readonly open = new Set<AbortController>();

  constructor(private readonly connection: AbortSignal) {
    connection.addEventListener('abort', () => this.abortAll(), { once: true });
  }

  /** A signal for one request; already aborted when the connection is closed. */
  begin(): RequestSignal {
    const controller = new AbortController();
    if (this.connection.aborted) controller.abort(this.connection.reason);
    else this.open.add(controller);
    return { signal: controller.signal, done: () => this.open.delete(controller) };
  }

  /** Requests not yet settled. */
  get size(): number {
    return this.open.size;
  }

  private abortAll(): void {
    const controllers = [...this.open];
    this.open.clear();
    for (const controller of controllers) controller.abort(this.connection.reason);
  }
}
