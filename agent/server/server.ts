/**
 * The signing endpoint: HTTP + WebSocket on 127.0.0.1 and ::1 only. `GET /health` tells a
 * page whether the agent runs; the WebSocket speaks JSON-RPC 2.0 (see docs/protocol.md).
 *
 * Order of checks on a connection: Host is a loopback name (else HTTP 403), Origin is present
 * and an http(s) origin (else 403), then the upgrade completes and the origin is approved
 * (config, remembered, or asked once); until approved, requests wait; if refused, each gets
 * ORIGIN_NOT_ALLOWED and the socket closes with 4003 so the SDK can say "not approved"
 * instead of "not running". Services come in by injection so tests and the tray wire them.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { AgentConfig, OriginStore } from '../config/index.ts';
import { normaliseOrigin } from '../config/index.ts';
import { ConsentQueue } from '../consent/queue.ts';
import type { ConsentProvider } from '../consent/types.ts';
import { catalog, KysoError, type ErrorCode } from '../errors/index.ts';
import type { Journal } from '../journal/index.ts';
import { CLOSE_IDLE, CLOSE_ORIGIN_NOT_ALLOWED, PROTOCOL_VERSION } from '../protocol/index.ts';
import type { TokenService } from '../tokens/api.ts';
import type { TokenEvent } from '../tokens/types.ts';
import {
  errorFrame,
  INVALID_REQUEST,
  METHOD_NOT_FOUND,
  notificationFrame,
  parseRequest,
  resultFrame,
  RpcError,
  toRpcError,
  type RpcId,
} from './jsonrpc.ts';
import {
  buildRegistry,
  methodGroups,
  type MethodHandler,
  type MethodTable,
} from './methods/registry.ts';
import { PinCache } from './pin-cache.ts';
import { isLoopbackHost, OriginPolicy, RateLimiter } from './security.ts';
import { SigningService } from './signing.ts';
import { AGENT_VERSION } from './version.ts';

/** Body of an HTTP refusal: the stable code and what to tell the user. */
function refusalBody(reason: ErrorCode, details?: Record<string, number | string>): string {
  return JSON.stringify({ reason, message: catalog[reason], ...(details ? { details } : {}) });
}

/** Seconds until a remembered refusal ends (the SDK tells the user when to retry). */
function retryAfterSeconds(until: number): number {
  return Math.max(1, Math.ceil((until - Date.now()) / 1000));
}

/** WebSocket close codes the SDK understands. */
export { CLOSE_IDLE, CLOSE_ORIGIN_NOT_ALLOWED };

export interface AgentServerOptions {
  config: AgentConfig;
  tokens: TokenService;
  consent: ConsentProvider;
  journal: Journal;
  /** Remembered origin approvals; null keeps approvals in memory for this run only. */
  originStore: OriginStore | null;
  /** Extra method groups (tests, future helpers); the default registry is always included. */
  extraMethods?: MethodTable[];
  /** Hosts to bind; default 127.0.0.1 and ::1. */
  hosts?: string[];
  log?: (line: string) => void;
}

export interface ListenInfo {
  port: number;
  addresses: string[];
}

interface Connection {
  id: number;
  socket: WebSocket;
  origin: string;
  approved: Promise<boolean>;
  abort: AbortController;
  inFlight: number;
  limiter: RateLimiter;
  idleTimer: NodeJS.Timeout | null;
}

export class AgentServer {
  private readonly options: AgentServerOptions;
  private readonly registry: Map<string, MethodHandler>;
  private readonly methodNames: string[];
  private readonly wss: WebSocketServer;
  private readonly http: Server[] = [];
  private readonly connections = new Set<Connection>();
  private readonly policy: OriginPolicy;
  private readonly signing: SigningService;
  private readonly pinCache: PinCache;
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
    this.registry = buildRegistry([...methodGroups, ...(options.extraMethods ?? [])]);
    this.methodNames = [...this.registry.keys()].sort();
    const queue = new ConsentQueue();
    this.policy = new OriginPolicy({
      allowedOrigins: options.config.allowedOrigins,
      store: options.originStore,
      consent: options.consent,
      queue,
    });
    this.pinCache = new PinCache(options.config.pinCache, options.tokens);
    this.signing = new SigningService({
      tokens: options.tokens,
      consent: options.consent,
      queue,
      journal: options.journal,
      pinCache: this.pinCache,
      syncJournal: options.config.journal.syncBeforeReply,
    });
    // ws refuses frames above maxPayload from the header alone (close 1009), before buffering.
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
    await this.pinCache.clear();
  }

  // ---- HTTP: /health and CORS -------------------------------------------------------------

  private onHttp(req: IncomingMessage, res: ServerResponse): void {
    if (!isLoopbackHost(req.headers.host)) {
      this.refuseHttp(res, 403, 'HOST_NOT_ALLOWED');
      return;
    }
    const url = req.url ?? '/';
    const path = url.split('?')[0];
    const origin =
      req.headers.origin === undefined ? undefined : normaliseOrigin(req.headers.origin);
    // CORS only for allowed origins; others can still learn "running" with a no-cors fetch.
    if (origin && this.policy.isAllowed(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Vary', 'Origin');
      if (req.headers['access-control-request-private-network'] === 'true') {
        res.setHeader('Access-Control-Allow-Private-Network', 'true');
      }
    }
    if (path !== '/health') {
      this.refuseHttp(res, 404, 'INVALID_INPUT');
      return;
    }
    // A refused origin may read why (as its WebSocket's 4003 says), so the SDK can tell "not
    // approved, retry in N s" from "blocked by the browser" or "another program".
    const refusedUntil = origin ? this.policy.refusedUntil(origin) : undefined;
    if (origin && refusedUntil !== undefined && req.method === 'GET') {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Vary', 'Origin');
      const seconds = retryAfterSeconds(refusedUntil);
      res.setHeader('Retry-After', String(seconds));
      this.refuseHttp(res, 403, 'ORIGIN_NOT_ALLOWED', { origin, retryAfterSeconds: seconds });
      return;
    }
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'GET');
      res.writeHead(204).end();
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      this.refuseHttp(res, 405, 'INVALID_INPUT');
      return;
    }
    const body = JSON.stringify({
      agent: 'Kyso Agent',
      version: AGENT_VERSION,
      protocolVersion: PROTOCOL_VERSION,
      ready: this.ready && !this.closing,
      modules: this.options.tokens.modules().map((m) => ({ state: m.state })),
    });
    res.writeHead(200, {
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  private refuseHttp(
    res: ServerResponse,
    status: number,
    reason: ErrorCode,
    details?: Record<string, number | string>,
  ): void {
    const body = refusalBody(reason, details);
    res.writeHead(status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
      Connection: 'close',
    });
    res.end(body);
  }

  // ---- WebSocket ----------------------------------------------------------------------------

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const reject = (status: number, reason: ErrorCode) => {
      const body = refusalBody(reason);
      socket.end(
        `HTTP/1.1 ${status} ${status === 503 ? 'Service Unavailable' : 'Forbidden'}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    };
    if (this.closing) return reject(503, 'INTERNAL_ERROR');
    if (this.connections.size >= this.options.config.limits.maxConnections) {
      this.log('refused connection: too many open connections');
      return reject(503, 'RATE_LIMITED');
    }
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
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, origin));
  }

  private onConnection(socket: WebSocket, origin: string): void {
    const { limits } = this.options.config;
    const abort = new AbortController();
    const connection: Connection = {
      id: this.nextConnectionId++,
      socket,
      origin,
      approved: this.policy.ensure(origin, abort.signal),
      abort,
      inFlight: 0,
      limiter: new RateLimiter(limits.ratePerSecond, limits.rateBurst),
      idleTimer: null,
    };
    this.connections.add(connection);
    this.touch(connection);
    void connection.approved.then((approved) => {
      if (!approved && socket.readyState === socket.OPEN) {
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
      abort.abort();
      if (connection.idleTimer) clearTimeout(connection.idleTimer);
      this.connections.delete(connection);
    });
  }

  /** (Re)arms the idle timer: a quiet connection with nothing in flight is closed. */
  private touch(connection: Connection): void {
    if (connection.idleTimer) clearTimeout(connection.idleTimer);
    connection.idleTimer = setTimeout(() => {
      if (connection.inFlight > 0) return this.touch(connection);
      connection.socket.close(CLOSE_IDLE, 'idle timeout');
    }, this.options.config.limits.idleTimeoutMs);
    connection.idleTimer.unref();
  }

  private send(connection: Connection, frame: string): void {
    if (connection.socket.readyState === connection.socket.OPEN) connection.socket.send(frame);
  }

  private onMessage(connection: Connection, data: RawData, isBinary: boolean): void {
    this.touch(connection);
    if (isBinary) {
      this.send(
        connection,
        errorFrame(
          null,
          new RpcError(INVALID_REQUEST, 'INVALID_INPUT', {
            message: 'Invalid request: send JSON in text frames',
          }),
        ),
      );
      return;
    }
    const text = Array.isArray(data)
      ? Buffer.concat(data).toString('utf8')
      : Buffer.from(data as ArrayBuffer).toString('utf8');
    const parsed = parseRequest(text);
    if (!parsed.ok) {
      this.send(connection, errorFrame(parsed.id, parsed.error));
      return;
    }
    const { request } = parsed;
    if (!connection.limiter.take()) {
      if (request.hasId) {
        this.send(
          connection,
          errorFrame(
            request.id,
            new RpcError(-32000, 'RATE_LIMITED', {
              details: { limit: 'rate', perSecond: this.options.config.limits.ratePerSecond },
            }),
          ),
        );
      }
      return;
    }
    const { maxInFlight } = this.options.config.limits;
    if (connection.inFlight >= maxInFlight) {
      if (request.hasId) {
        this.send(
          connection,
          errorFrame(
            request.id,
            new RpcError(-32000, 'RATE_LIMITED', {
              details: { limit: 'inFlight', max: maxInFlight },
            }),
          ),
        );
      }
      return;
    }
    connection.inFlight++;
    const done = this.handle(connection, request.id, request.method, request.params).then(
      (frame) => {
        connection.inFlight--;
        this.touch(connection);
        if (request.hasId) this.send(connection, frame);
      },
    );
    this.running.add(done);
    void done.finally(() => this.running.delete(done));
  }

  /** Runs one request; always resolves to the reply frame. */
  private async handle(
    connection: Connection,
    id: RpcId,
    method: string,
    params: unknown,
  ): Promise<string> {
    try {
      if (!(await connection.approved)) {
        const until = this.policy.refusedUntil(connection.origin);
        throw new KysoError('ORIGIN_NOT_ALLOWED', {
          origin: connection.origin,
          ...(until !== undefined ? { retryAfterSeconds: retryAfterSeconds(until) } : {}),
        });
      }
      const handler = this.registry.get(method);
      if (!handler) {
        throw new RpcError(METHOD_NOT_FOUND, 'INVALID_INPUT', {
          message: `Method not found: ${method}`,
          details: { method },
        });
      }
      const result = await handler(params, {
        origin: connection.origin,
        requestId: `${connection.id}:${String(id)}`,
        signal: connection.abort.signal,
        tokens: this.options.tokens,
        signing: this.signing,
        config: this.options.config,
        agentVersion: AGENT_VERSION,
        methodNames: this.methodNames,
      });
      return resultFrame(id, result);
    } catch (error) {
      const rpc = toRpcError(error);
      if (rpc.reason === 'INTERNAL_ERROR')
        this.log(`internal error in ${method}: ${String(error)}`);
      return errorFrame(id, rpc);
    }
  }

  private onTokenEvent(event: TokenEvent): void {
    if (event.type !== 'tokens.changed') return;
    for (const token of event.removed) this.pinCache.forget(token.id);
    const frame = notificationFrame('tokens.changed', {
      added: event.added.map((t) => t.id),
      removed: event.removed.map((t) => t.id),
      tokens: event.tokens.filter((t) => t.present),
    });
    for (const connection of this.connections) {
      void connection.approved.then((approved) => {
        if (approved) this.send(connection, frame);
      });
    }
  }
}
