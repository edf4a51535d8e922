/**
 * The HTTP side of the endpoint: `GET /health` (with CORS for allowed origins only) and the
 * refusals of upgrades that fail the Host / Origin / capacity checks, each with a stable code.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Duplex } from 'node:stream';
import { normaliseOrigin } from '../config/index.ts';
import { catalog, type ErrorCode } from '../errors/index.ts';
import { isLoopbackHost } from './security.ts';
import { AGENT_VERSION, PROTOCOL_VERSION } from './version.ts';

/**
 * Body of an HTTP refusal: the stable code, what to tell the user, and extra members such as
 * the limit reached (`limit`, `max`) or `details` (e.g. when a refused origin may retry).
 */
export function refusalBody(reason: ErrorCode, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ reason, message: catalog[reason], ...extra });
}

export type RefusalDetails = Record<string, number | string>;

/** Seconds until a remembered refusal ends (the SDK tells the user when to retry). */
export function retryAfterSeconds(until: number): number {
  return Math.max(1, Math.ceil((until - Date.now()) / 1000));
}

const STATUS_TEXT: Record<number, string> = {
  403: 'Forbidden',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
};

export function refuseHttp(
  res: ServerResponse,
  status: number,
  reason: ErrorCode,
  details?: RefusalDetails,
): void {
  const body = refusalBody(reason, details ? { details } : {});
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    Connection: 'close',
  });
  res.end(body);
}

/**
 * Ends a WebSocket upgrade with an HTTP refusal. A browser page only sees a failed WebSocket;
 * the SDK tells the cases apart with GET /health or from Node clients reading the body.
 */
export function refuseUpgrade(
  socket: Duplex,
  status: number,
  reason: ErrorCode,
  extra: Record<string, unknown> = {},
): void {
  const body = refusalBody(reason, extra);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

export interface HealthState {
  ready: boolean;
  isAllowed(origin: string): boolean;
  /** When a remembered refusal of this origin ends (ms since epoch), if it is refused. */
  refusedUntil(origin: string): number | undefined;
  modules(): { state: string }[];
}

export function handleHttp(req: IncomingMessage, res: ServerResponse, state: HealthState): void {
  if (!isLoopbackHost(req.headers.host)) {
    refuseHttp(res, 403, 'HOST_NOT_ALLOWED');
    return;
  }
  const url = req.url ?? '/';
  const path = url.split('?')[0];
  const origin = req.headers.origin === undefined ? undefined : normaliseOrigin(req.headers.origin);
  // CORS only for allowed origins; others can still learn "running" with a no-cors fetch.
  if (origin && state.isAllowed(origin)) {
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Vary', 'Origin');
    if (req.headers['access-control-request-private-network'] === 'true') {
      res.setHeader('Access-Control-Allow-Private-Network', 'true');
    }
  }
  if (path === '/vgca.js' && (req.method === 'GET' || req.method === 'HEAD')) {
    serveVgcaScript(req, res);
    return;
  }
  if (path !== '/health') {
    refuseHttp(res, 404, 'INVALID_INPUT');
    return;
  }
  // A refused origin may read why (as its WebSocket's 4003 says), so the SDK can tell "not
  // approved, retry in N s" from "blocked by the browser" or "another program".
  const refusedUntil = origin ? state.refusedUntil(origin) : undefined;
  if (origin && refusedUntil !== undefined && req.method === 'GET') {
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Vary', 'Origin');
    const seconds = retryAfterSeconds(refusedUntil);
    res.setHeader('Retry-After', String(seconds));
    refuseHttp(res, 403, 'ORIGIN_NOT_ALLOWED', { origin, retryAfterSeconds: seconds });
    return;
  }
  if (req.method === 'OPTIONS') {
    res.setHeader('Access-Control-Allow-Methods', 'GET');
    res.writeHead(204).end();
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    refuseHttp(res, 405, 'INVALID_INPUT');
    return;
  }
  const body = JSON.stringify({
    agent: 'Kyso Agent',
    version: AGENT_VERSION,
    protocolVersion: PROTOCOL_VERSION,
    ready: state.ready,
    modules: state.modules().map((m) => ({ state: m.state })),
  });
  res.writeHead(200, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

let vgcaScript: string | null | undefined;

/** The VGCA drop-in built by `npm run build`: beside the built agent, or in dist/ from sources. */
function loadVgcaScript(): string | null {
  if (vgcaScript !== undefined) return vgcaScript;
  const here = dirname(fileURLToPath(import.meta.url));
  const file = [join(here, 'vgca.js'), join(here, '..', '..', 'dist', 'vgca.js')].find((f) =>
    existsSync(f),
  );
  vgcaScript = file ? readFileSync(file, 'utf8') : null;
  return vgcaScript;
}

/**
 * GET /vgca.js: the vgca_* globals for document systems written against the government CA's
 * plugin (docs/migration-vgca.md). A classic script, so no CORS; it defaults to this agent.
 */
function serveVgcaScript(req: IncomingMessage, res: ServerResponse): void {
  const script = loadVgcaScript();
  if (script === null) {
    refuseHttp(res, 404, 'INVALID_INPUT');
    return;
  }
  const body =
    `self.KysoVgcaAgentDefault = "ws://127.0.0.1:${req.socket.localPort ?? 51987}";\n` + script;
  res.writeHead(200, {
    'Content-Type': 'text/javascript; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-cache',
    'X-Content-Type-Options': 'nosniff',
    'Cross-Origin-Resource-Policy': 'cross-origin',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}
