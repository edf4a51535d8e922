/**
 * Parent side of one token host: forks the child, sends typed requests, and turns a crash,
 * an abort() or a hang inside the vendor module into MODULE_CRASHED / MODULE_TIMEOUT for
 * the calls in flight, then restarts the child so the next call works again.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { KysoError, kysoErrorFromJSON } from '../errors/index.ts';
import type {
  HostCalls,
  HostMethod,
  HostRequest,
  HostResponse,
  ModuleInfo,
} from './host/protocol.ts';
import type { ModuleStatus } from './types.ts';

/**
 * The host's entry, found from this module's own location (never the cwd): in the built
 * bundle (scripts/build.ts) it is token-host.js beside this chunk; when this file runs as
 * TypeScript (vitest, tsx) it is host/main.ts, loaded through tsx resolved from here.
 */
const fromSources = import.meta.url.endsWith('.ts');
const hostEntry = fileURLToPath(
  new URL(fromSources ? './host/main.ts' : './token-host.js', import.meta.url),
);
const hostExecArgv = fromSources
  ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href]
  : [];
/** Least time a host gets to boot and initialise its module. */
const INIT_ALLOWANCE_MS = 15_000;

interface Pending {
  resolve(value: unknown): void;
  reject(error: KysoError): void;
  /**
   * How many callTimeoutMs this request may take (one per signature it carries, more for a
   * PIN-pad login: agent/tokens/service.ts allowance).
   */
  weight: number;
  /**
   * A login that may wait for the user at a PIN-pad reader: C_Login blocks the whole host,
   * so no lane can answer meanwhile and none is declared hung for it.
   */
  keypad: boolean;
  /** The host's queue it waits in: its slot, or the module itself (init, slot listing). */
  lane: string;
  sentAt: number;
}

/** What a call may take: `weight` callTimeoutMs (default 1), `keypad` see Pending. */
export interface CallAllowance {
  weight?: number;
  keypad?: boolean;
}

export interface TokenHostOptions {
  modulePath: string;
  env: Record<string, string>;
  callTimeoutMs: number;
  onStatus(status: ModuleStatus): void;
}

export class TokenHost {
  private child: ChildProcess | undefined;
  private ready: Promise<void> | undefined;
  private readonly pending = new Map<number, Pending>();
  private outbox: HostRequest[] = [];
  private watchdog: NodeJS.Timeout | undefined;
  /** When the watchdog timer fires (it re-checks then, so firing early is harmless). */
  private watchdogAt = Infinity;
  /** When each lane last finished a request: progress there resets its hang allowance. */
  private readonly laneProgress = new Map<string, number>();
  /** The host was killed by the hang watchdog: its exit is a MODULE_TIMEOUT, not a crash. */
  private timedOut = false;
  /**
   * Set from the watchdog's kill of a hung host until its exit is handled: calls made in
   * between wait for it and go to the restarted host, not to the dying one.
   */
  private exiting: Promise<void> | undefined;
  private nextId = 1;
  private closed = false;
  private restarts = 0;
  private lastStderr = '';
  status: ModuleStatus;

  constructor(private readonly options: TokenHostOptions) {
    this.status = { id: options.modulePath, path: options.modulePath, state: 'restarting' };
  }

  /** Starts the host (or waits for the start in progress); rejects when the module cannot load. */
  start(): Promise<void> {
    this.ready ??= this.spawn().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  private setStatus(status: Partial<ModuleStatus>): void {
    this.status = {
      id: this.options.modulePath,
      path: this.options.modulePath,
      ...status,
    } as ModuleStatus;
    this.options.onStatus(this.status);
  }

  private async spawn(): Promise<void> {
    const child = fork(hostEntry, [], {
      execArgv: hostExecArgv,
      serialization: 'advanced',
      env: { ...process.env, ...this.options.env },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    this.child = child;
    child.stderr?.on('data', (chunk: Buffer) => {
      this.lastStderr = (this.lastStderr + chunk.toString('utf8')).slice(-2000);
    });
    child.on('message', (messages: HostResponse[]) => {
      for (const message of messages) this.settle(message);
    });
    child.on('exit', (code, signal) => this.onExit(child, code, signal));
    try {
      // Starting Node in the child and C_Initialize of a slow vendor module may take longer
      // than one call: init gets at least INIT_ALLOWANCE_MS whatever callTimeoutMs is.
      const initWeight = Math.max(1, Math.ceil(INIT_ALLOWANCE_MS / this.options.callTimeoutMs));
      const info = (await this.send(
        child,
        'init',
        { modulePath: this.options.modulePath },
        { weight: initWeight },
      )) as ModuleInfo;
      this.restarts = 0;
      this.setStatus({ state: 'loaded', ...info });
    } catch (error) {
      const kysoError = error instanceof KysoError ? error : new KysoError('MODULE_LOAD_FAILED');
      this.setStatus({
        state: 'failed',
        error: {
          code: kysoError.code,
          detail: String(kysoError.details.cause ?? kysoError.details.ckr ?? ''),
        },
      });
      child.kill('SIGKILL');
      throw kysoError;
    }
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child) return;
    this.child = undefined;
    this.ready = undefined;
    const errorCode = this.timedOut ? 'MODULE_TIMEOUT' : 'MODULE_CRASHED';
    this.timedOut = false;
    const crash = new KysoError(errorCode, {
      modulePath: this.options.modulePath,
      exitCode: code ?? undefined,
      signal: signal ?? undefined,
      stderr: this.lastStderr.trim().split('\n').at(-1),
    });
    this.failAll(crash);
    // Only a host that was up is restarted; one that dies while loading is reported failed.
    if (this.closed || this.status.state !== 'loaded') return;
    this.setStatus({
      state: 'restarting',
      error: { code: errorCode, detail: signal ?? `exit ${code}` },
    });
    // Restart in the background with a growing delay, so a module that dies at once
    // does not spin; calls made meanwhile wait for the new host.
    const delay = Math.min(100 * 2 ** this.restarts++, 5000);
    setTimeout(() => {
      if (!this.closed && !this.child) this.start().catch(() => undefined);
    }, delay).unref();
  }

  private failAll(error: KysoError): void {
    this.disarmWatchdog();
    this.outbox = [];
    for (const [id, pending] of this.pending) {
      pending.reject(error);
      this.pending.delete(id);
    }
  }

  private settle(message: HostResponse): void {
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    // Progress in this lane: its next request gets a fresh allowance. After a keypad wait,
    // every lane does: the host was blocked for all of them.
    const now = Date.now();
    this.laneProgress.set(pending.lane, now);
    if (pending.keypad)
      for (const other of this.pending.values()) this.laneProgress.set(other.lane, now);
    if (this.child) this.armWatchdog(this.child);
    if (message.ok) pending.resolve(message.result);
    else pending.reject(kysoErrorFromJSON(message.error));
  }

  /**
   * Queues a request. Requests made in the same tick go to the host as one message, so many
   * signatures in flight cost one pipe round trip, not one each.
   */
  private send(
    child: ChildProcess,
    method: HostMethod,
    params: HostRequest['params'],
    { weight = 1, keypad = false }: CallAllowance = {},
  ): Promise<unknown> {
    const id = this.nextId++;
    const slotId = (params as { slotId?: unknown }).slotId;
    const lane = typeof slotId === 'string' ? `slot:${slotId}` : 'module';
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, weight, keypad, lane, sentAt: Date.now() });
      this.outbox.push({ id, method, params });
      if (this.outbox.length === 1) setImmediate(() => this.flush(child));
      this.armWatchdog(child);
    });
  }

  private flush(child: ChildProcess): void {
    const batch = this.outbox;
    this.outbox = [];
    if (batch.length === 0) return;
    child.send(batch, (error) => {
      if (!error) return;
      for (const request of batch) {
        this.settle({
          id: request.id,
          ok: false,
          error: { code: 'MODULE_CRASHED', details: { cause: error.message } },
        });
      }
    });
  }

  /**
   * Hang detection. The host answers each lane (a slot's queue, or the module's own calls) in
   * order, so the oldest request of a lane must be answered within its allowance
   * (callTimeoutMs per signature it carries) counted from when it was sent or the lane last
   * made progress. Lanes are separate so a slot stuck in C_Sign on a worker thread is caught
   * even while polling on other lanes keeps answering. A stuck host is killed.
   */
  private nextDeadline(): number {
    const heads = new Map<string, Pending>();
    for (const pending of this.pending.values()) {
      if (!heads.has(pending.lane)) heads.set(pending.lane, pending);
    }
    const deadline = (lane: string, head: Pending) =>
      Math.max(head.sentAt, this.laneProgress.get(lane) ?? 0) +
      this.options.callTimeoutMs * head.weight;
    // While a keypad login may hold the host, the other lanes wait for it too.
    let held = 0;
    for (const [lane, head] of heads) if (head.keypad) held = Math.max(held, deadline(lane, head));
    let earliest = Infinity;
    for (const [lane, head] of heads) {
      const own = deadline(lane, head);
      earliest = Math.min(earliest, head.keypad ? own : Math.max(own, held));
    }
    return earliest;
  }

  /**
   * Sets the hang timer for the earliest deadline. A timer already due no later is kept (one
   * timer per host, not one per call): when it fires it re-checks and re-arms.
   */
  private armWatchdog(child: ChildProcess): void {
    const deadline = this.nextDeadline();
    if (deadline === Infinity) return this.disarmWatchdog();
    if (this.watchdog && this.watchdogAt <= deadline) return;
    this.disarmWatchdog();
    this.watchdogAt = deadline;
    this.watchdog = setTimeout(
      () => {
        this.watchdog = undefined;
        this.watchdogAt = Infinity;
        // Progress may have moved the deadline since the timer was set.
        if (this.nextDeadline() > Date.now()) {
          this.armWatchdog(child);
          return;
        }
        this.failAll(new KysoError('MODULE_TIMEOUT', { modulePath: this.options.modulePath }));
        if (child === this.child) {
          this.timedOut = true;
          // After onExit (registered at spawn, so it runs first) has reset the host.
          const exiting = new Promise<void>((resolve) => child.once('exit', () => resolve()));
          this.exiting = exiting;
          void exiting.then(() => {
            if (this.exiting === exiting) this.exiting = undefined;
          });
        }
        child.kill('SIGKILL');
      },
      Math.max(0, deadline - Date.now()),
    );
  }

  private disarmWatchdog(): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = undefined;
    this.watchdogAt = Infinity;
  }

  async call<M extends HostMethod>(
    method: M,
    params: HostCalls[M]['params'],
    allowance: CallAllowance = {},
  ): Promise<HostCalls[M]['result']> {
    if (this.closed) throw new KysoError('MODULE_CRASHED', { reason: 'token service closed' });
    await this.exiting;
    if (this.closed) throw new KysoError('MODULE_CRASHED', { reason: 'token service closed' });
    await this.start();
    const child = this.child;
    if (!child) throw new KysoError('MODULE_CRASHED', { modulePath: this.options.modulePath });
    return (await this.send(child, method, params, allowance)) as HostCalls[M]['result'];
  }

  async close(): Promise<void> {
    this.closed = true;
    const child = this.child;
    this.failAll(new KysoError('MODULE_CRASHED', { reason: 'token service closed' }));
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      // A host that failed to load may already be dying; then there is no channel to close.
      if (child.connected) child.disconnect();
      else child.kill('SIGKILL');
      setTimeout(() => child.kill('SIGKILL'), 2000).unref();
    });
  }
}
