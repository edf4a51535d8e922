/**
 * The signing endpoint: HTTP + WebSocket on 127.0.0.1 and ::1 only. `GET /health` tells a
 * page whether the agent runs; the WebSocket speaks JSON-RPC 2.0 (see docs/protocol.md).
 *
 * Order of checks on a connection: Host is a loopback name (else HTTP 403), Origin is present
 * and an http(s) origin (else 403), then the upgrade completes and the origin is approved
 * (config, remembered, or asked once); until approved, requests wait; if refused, each gets
 * ORIGIN_NOT_ALLOWED and the socket closes with 4003 so the SDK can say "not approved"
 * instead of "not running". Services come in by injection (agent/app wires them). HTTP lives in
 * http.ts, per-connection limits in connection.ts, method dispatch in dispatch.ts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { AgentConfig, OriginStore } from '../config/index.ts';
import { bufferHeadroom, FRAME_MEMORY_FACTOR, normaliseOrigin } from '../config/index.ts';
import { KysoError, type ErrorCode } from '../errors/index.ts';
import type { SigningPipeline } from '../signing/index.ts';
import type { TokenEvent, TokenService } from '../tokens/index.ts';
import { MemoryBudget } from './budget.ts';
import { binarySender, parseBinaryRequest } from './binary.ts';
import { Dispatcher } from './dispatch.ts';
import { handleHttp, refuseUpgrade } from './http.ts';
import {
  AGENT_ERROR,
  errorFrame,
  notificationFrame,
  parseRequest,
  RpcError,
  type RpcId,
} from './jsonrpc.ts';
import type { MethodTable } from './methods/registry.ts';
import { isLoopbackHost, OriginPolicy } from './security.ts';
import { CLOSE_ORIGIN_NOT_ALLOWED, Connection } from './connection.ts';

export {
  CLOSE_IDLE,
  CLOSE_MESSAGE_TOO_LARGE,
  CLOSE_ORIGIN_NOT_ALLOWED,
  CLOSE_POLICY_VIOLATION,
  CLOSE_TRY_AGAIN_LATER,
} from './connection.ts';

const APPROVED = Promise.resolve(true);
/** The one method a connection may call before its origin is approved (it waits for it). */
const BEFORE_APPROVAL = new Set(['agent.info']);
/** Methods that take no rate token once the origin is approved (bounded by bytes instead). */
const BYTE_BOUNDED = new Set(['document.upload.chunk', 'document.download']);

export interface AgentServerOptions {
  config: AgentConfig;
  tokens: TokenService;
  /** The use cases; its consent provider and queue also approve origins. */
  signing: SigningPipeline;
  /** Remembered origin approvals; null keeps approvals in memory for this run only. */
  originStore: OriginStore | null;
  /** Extra method groups (tests, future helpers); the default registry is always included. */
  extraMethods?: MethodTable[];
  /** Memory for incoming messages, shared by all connections; default from limits.maxBufferedBytes. */
  budget?: MemoryBudget;
  /** Hosts to bind; default 127.0.0.1 and ::1. */
  hosts?: string[];
  log?: (line: string) => void;
}

export interface ListenInfo {
  port: number;
  addresses: string[];
}

export class AgentServer {
  private readonly options: AgentServerOptions;
  private readonly dispatcher: Dispatcher;
  private readonly wss: WebSocketServer;
  private readonly http: Server[] = [];
  private readonly connections = new Set<Connection>();
  private readonly policy: OriginPolicy;
  /** Memory held for incoming messages, all connections together. */
  readonly budget: MemoryBudget;
  private readonly unsubscribe: () => void;
  private readonly log: (line: string) => void;
  /** Requests being handled, so close() lets them journal their outcome first. */
  private readonly running = new Set<Promise<void>>();
  private nextConnectionId = 1;
  private ready = false;
  private closing = false;

  constructor(options: AgentServerOptions) {
    this.options = options;
    this.log = options.log ?? (() => undefined);
    this.dispatcher = new Dispatcher(
      {
        tokens: options.tokens,
        signing: options.signing,
        config: options.config,
        log: this.log,
      },
      options.extraMethods,
    );
    this.policy = new OriginPolicy({
      allowedOrigins: options.config.allowedOrigins,
      store: options.originStore,
      consent: options.signing.consent,
      queue: options.signing.queue,
    });
    const limits = options.config.limits;
    this.budget =
      options.budget ??
      new MemoryBudget(limits.maxBufferedBytes, {
        headroom: bufferHeadroom(limits.maxBufferedBytes),
        smallBytes: limits.maxPendingPayloadBytes * FRAME_MEMORY_FACTOR,
      });
    // The per-connection caps and the budget are checked at each frame header by the
    // connection's FrameMeter; ws's own maxPayload (per server) is the approved cap, a second line.
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.config.limits.maxPayloadBytes,
      perMessageDeflate: false,
    });
    this.unsubscribe = options.tokens.onEvent((event) => this.onTokenEvent(event));
  }

  /** Allows an origin for this run only (e.g. the demo page's). */
  allowOrigin(origin: string): void {
    const normal = normaliseOrigin(origin);
    if (normal) this.policy.allowForRun(normal);
  }

  async listen(port = this.options.config.port): Promise<ListenInfo> {
    const hosts = this.options.hosts ?? ['127.0.0.1', '::1'];
    const addresses: string[] = [];
    let boundPort = port;
    for (const [index, host] of hosts.entries()) {
      const server = createServer((req, res) => this.onHttp(req, res));
      server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
        this.onUpgrade(req, socket, head),
      );
      server.on('clientError', (_error, socket) => socket.destroy());
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ host, port: boundPort, exclusive: true }, () => {
            server.off('error', reject);
            resolve();
          });
        });
      } catch (error) {
        // The first address must work; ::1 may be missing on hosts without IPv6.
        if (index === 0) {
          await this.close();
          const inUse = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
          throw new KysoError(inUse ? 'PORT_IN_USE' : 'INTERNAL_ERROR', {
            host,
            port: boundPort,
            cause: String(error),
          });
        }
        this.log(`not listening on ${host}: ${String(error)}`);
        continue;
      }
      const address = server.address();
      if (address && typeof address === 'object') boundPort = address.port;
      addresses.push(host.includes(':') ? `[${host}]:${boundPort}` : `${host}:${boundPort}`);
      this.http.push(server);
    }
    this.ready = true;
    return { port: boundPort, addresses };
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.ready = false;
    this.unsubscribe();
    for (const connection of this.connections) {
      connection.abort.abort();
      connection.socket.close(1001, 'agent stopping');
    }
    await Promise.all(
      this.http.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    );
    for (const connection of this.connections) connection.socket.terminate();
    // Aborted requests finish quickly (dialogs cancelled); wait so their journal records are
    // written before the caller closes the journal. A token call stuck in a vendor module is
    // bounded by the token service's own timeout; we stop waiting after 5 s.
    await Promise.race([
      Promise.allSettled([...this.running]),
      new Promise((resolve) => setTimeout(resolve, 5000).unref()),
    ]);
  }

  // ---- HTTP: /health and CORS -------------------------------------------------------------

  private onHttp(req: IncomingMessage, res: ServerResponse): void {
    handleHttp(req, res, {
      ready: this.ready && !this.closing,
      isAllowed: (origin) => this.policy.isAllowed(origin),
      refusedUntil: (origin) => this.policy.refusedUntil(origin),
      modules: () => this.options.tokens.modules(),
    });
  }

  // ---- WebSocket ----------------------------------------------------------------------------

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const reject = (status: number, reason: ErrorCode, extra: Record<string, unknown> = {}) =>
      refuseUpgrade(socket, status, reason, extra);
    if (this.closing) return reject(503, 'INTERNAL_ERROR');
    if (!isLoopbackHost(req.headers.host)) {
      this.log(`refused connection: Host ${JSON.stringify(req.headers.host)} is not loopback`);
      return reject(403, 'HOST_NOT_ALLOWED');
    }
    const origin = req.headers.origin === undefined ? null : normaliseOrigin(req.headers.origin);
    if (origin === null) {
      this.log(
        `refused connection: Origin ${JSON.stringify(req.headers.origin)} is not a web origin`,
      );
      return reject(403, 'ORIGIN_NOT_ALLOWED');
    }
    const full = this.capacityRefusal(origin);
    if (full !== null) {
      this.log(`refused connection from ${origin}: ${full.limit} connection limit (${full.max})`);
      return reject(full.status, 'TOO_MANY_CONNECTIONS', { limit: full.limit, max: full.max });
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, socket, origin));
  }

  /**
   * Connection caps, so one origin cannot take every slot: a total, one per approved origin,
   * a smaller one per origin still waiting for approval, and one for all waiting connections.
   * Per-origin refusals are HTTP 429 (this origin should close some), global ones 503.
   */
  private capacityRefusal(origin: string): {
    status: number;
    limit: 'total' | 'origin' | 'pending' | 'pendingOrigin';
    max: number;
  } | null {
    const limits = this.options.config.limits;
    if (this.connections.size >= limits.maxConnections) {
      return { status: 503, limit: 'total', max: limits.maxConnections };
    }
    let sameOrigin = 0;
    let pending = 0;
    for (const connection of this.connections) {
      if (connection.state === 'pending') pending++;
      if (connection.origin === origin) sameOrigin++;
    }
    const approved = this.policy.isAllowed(origin);
    if (approved) {
      if (sameOrigin >= limits.maxConnectionsPerOrigin)
        return { status: 429, limit: 'origin', max: limits.maxConnectionsPerOrigin };
      return null;
    }
    if (sameOrigin >= limits.maxPendingPerOrigin)
      return { status: 429, limit: 'pendingOrigin', max: limits.maxPendingPerOrigin };
    if (pending >= limits.maxPendingConnections)
      return { status: 503, limit: 'pending', max: limits.maxPendingConnections };
    return null;
  }

  private onConnection(socket: WebSocket, raw: Duplex, origin: string): void {
    const connection = new Connection(
      this.nextConnectionId++,
      socket,
      raw,
      origin,
      (signal) => this.policy.ensure(origin, signal),
      this.policy.isAllowed(origin),
      this.options.config.limits,
      this.budget,
      this.log,
    );
    this.connections.add(connection);
    void connection.approved.then((ok) => {
      if (!ok && socket.readyState === socket.OPEN) {
        this.log(`origin ${origin} not allowed`);
        // Let queued replies go first, then tell the SDK why.
        setImmediate(() => socket.close(CLOSE_ORIGIN_NOT_ALLOWED, 'ORIGIN_NOT_ALLOWED'));
      }
    });
    socket.on('message', (data: RawData, isBinary: boolean) =>
      this.onMessage(connection, data, isBinary),
    );
    socket.on('error', (error) => this.log(`connection ${connection.id}: ${error.message}`));
    socket.on('close', () => {
      connection.closed();
      this.connections.delete(connection);
    });
  }

  private onMessage(connection: Connection, data: RawData, isBinary: boolean): void {
    // The memory the meter reserved for this message, held until its reply is sent.
    const held = connection.takeMessage();
    const release = () => held.forEach((r) => r.release());
    connection.touch();
    const bytes = Array.isArray(data)
      ? Buffer.concat(data)
      : Buffer.isBuffer(data)
        ? data
        : Buffer.from(data);
    const parsed = isBinary ? parseBinaryRequest(bytes) : parseRequest(bytes.toString('utf8'));
    if (!parsed.ok) {
      release();
      connection.send(errorFrame(parsed.id, parsed.error));
      return;
    }
    const { request } = parsed;
    // Moving bytes of documents already begun is bounded by bytes (frame cap, memory budget,
    // store limits, requests in flight), not by the request rate: a batch of 200 documents
    // sends 200 chunks and ~50 downloads in a second. Begin (opens a file) stays counted.
    const counted = !(connection.state === 'approved' && BYTE_BOUNDED.has(request.method));
    const refusal =
      this.preApprovalRefusal(connection, request.id, request.method) ??
      connection.refusal(request.id, counted);
    if (refusal !== null) {
      release();
      if (request.hasId) connection.send(refusal);
      return;
    }
    connection.inFlight++;
    const requestSignal = connection.requests.begin();
    const done = this.dispatcher
      .handle(
        {
          origin: connection.origin,
          approved: this.approvalOf(connection),
          refusedUntil: () => this.policy.refusedUntil(connection.origin),
          requestId: `${connection.id}:${String(request.id)}`,
          signal: requestSignal.signal,
          connectionSignal: connection.abort.signal,
          notify: (method, params) => connection.send(notificationFrame(method, params)),
          ...(typeof request.id === 'number' && Number.isInteger(request.id) && request.id >= 0
            ? { sendBytes: binarySender(connection, request.id) }
            : {}),
        },
        request.id,
        request.method,
        request.params,
      )
      .then((frame) => {
        connection.inFlight--;
        connection.touch();
        if (request.hasId) connection.send(frame);
      })
      .finally(() => {
        requestSignal.done();
        release();
      });
    this.running.add(done);
    void done.finally(() => this.running.delete(done));
  }

  /**
   * The connection's approval for a request: true, or ORIGIN_NOT_ALLOWED with retryAfter while
   * the refusal memory holds it. Once approved, one settled promise serves every request.
   */
  private approvalOf(connection: Connection): Promise<boolean> {
    if (connection.approvalSettled && connection.state === 'approved') return APPROVED;
    return connection.approved.then(
      (ok) => ok || Promise.reject(this.policy.notAllowed(connection.origin)),
    );
  }

  /** Until the origin is approved only agent.info runs (and waits); others are told to wait. */
  private preApprovalRefusal(connection: Connection, id: RpcId, method: string): string | null {
    if (connection.state !== 'pending' || BEFORE_APPROVAL.has(method)) return null;
    return errorFrame(
      id,
      new RpcError(AGENT_ERROR, 'ORIGIN_APPROVAL_PENDING', { details: { method } }),
    );
  }

  private onTokenEvent(event: TokenEvent): void {
    if (event.type !== 'tokens.changed') return;
    const frame = notificationFrame('tokens.changed', {
      added: event.added.map((t) => t.id),
      removed: event.removed.map((t) => t.id),
      tokens: event.tokens.filter((t) => t.present),
    });
    for (const connection of this.connections) {
      void connection.approved.then((approved) => {
        if (approved) connection.send(frame);
      });
    }
  }
}
