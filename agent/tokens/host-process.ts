/**
 * Parent side of one token host: forks the child, sends typed requests, and turns a crash,
 * an abort() or a hang inside the vendor module into MODULE_CRASHED / MODULE_TIMEOUT for
 * the calls in flight, then restarts the child so the next call works again.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { KysoError, kysoErrorFromJSON } from '../errors/index.ts';
import type { HostCalls, HostMethod, HostResponse, ModuleInfo } from './host/protocol.ts';
import type { ModuleStatus } from './types.ts';

const hostEntry = fileURLToPath(new URL('./host/main.ts', import.meta.url));

interface Pending {
  resolve(value: unknown): void;
  reject(error: KysoError): void;
  timer: NodeJS.Timeout;
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
      execArgv: ['--import', 'tsx'],
      serialization: 'advanced',
      env: { ...process.env, ...this.options.env },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    this.child = child;
    child.stderr?.on('data', (chunk: Buffer) => {
      this.lastStderr = (this.lastStderr + chunk.toString('utf8')).slice(-2000);
    });
    child.on('message', (message: HostResponse) => this.settle(message));
    child.on('exit', (code, signal) => this.onExit(child, code, signal));
    try {
      const info = (await this.send(child, 'init', {
        modulePath: this.options.modulePath,
      })) as ModuleInfo;
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
    const crash = new KysoError('MODULE_CRASHED', {
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
      error: { code: 'MODULE_CRASHED', detail: signal ?? `exit ${code}` },
    });
    // Restart in the background with a growing delay, so a module that dies at once
    // does not spin; calls made meanwhile wait for the new host.
    const delay = Math.min(100 * 2 ** this.restarts++, 5000);
    setTimeout(() => {
      if (!this.closed && !this.child) this.start().catch(() => undefined);
    }, delay).unref();
  }

  private failAll(error: KysoError): void {
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(error);
      this.pending.delete(id);
    }
  }

  private settle(message: HostResponse): void {
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    clearTimeout(pending.timer);
    if (message.ok) pending.resolve(message.result);
    else pending.reject(kysoErrorFromJSON(message.error));
  }

  private send(child: ChildProcess, method: HostMethod, params: unknown): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // A hung module never answers: kill the host; onExit restarts it.
        this.pending.delete(id);
        reject(new KysoError('MODULE_TIMEOUT', { modulePath: this.options.modulePath, method }));
        this.failAll(new KysoError('MODULE_TIMEOUT', { modulePath: this.options.modulePath }));
        child.kill('SIGKILL');
      }, this.options.callTimeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      child.send({ id, method, params }, (error) => {
        if (error)
          this.settle({
            id,
            ok: false,
            error: { code: 'MODULE_CRASHED', details: { cause: error.message } },
          });
      });
    });
  }

  async call<M extends HostMethod>(
    method: M,
    params: HostCalls[M]['params'],
  ): Promise<HostCalls[M]['result']> {
    if (this.closed) throw new KysoError('MODULE_CRASHED', { reason: 'token service closed' });
    await this.start();
    const child = this.child;
    if (!child) throw new KysoError('MODULE_CRASHED', { modulePath: this.options.modulePath });
    return (await this.send(child, method, params)) as HostCalls[M]['result'];
  }

  async close(): Promise<void> {
    this.closed = true;
    const child = this.child;
    this.failAll(new KysoError('MODULE_CRASHED', { reason: 'token service closed' }));
    if (!child) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.disconnect();
      setTimeout(() => child.kill('SIGKILL'), 2000).unref();
    });
  }
}
