/** Loopback HTTP servers for the PKI test doubles: bound to 127.0.0.1, stopped by the test. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetchBytes } from '../../agent/ltv/http.ts';

export interface Loopback {
  server: Server;
  port: number;
  base: string;
  close(): Promise<void>;
}

export type Handler = (
  req: IncomingMessage,
  body: Buffer,
  res: ServerResponse,
) => void | Promise<void>;

export async function listenLoopback(handler: Handler): Promise<Loopback> {
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      Promise.resolve(handler(req, Buffer.concat(parts), res)).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500);
        res.end(String(error));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    port,
    base: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on: bound once by us, then released. */
export async function closedPort(): Promise<number> {
  const l = await listenLoopback((_req, _body, res) => void res.end());
  await l.close();
  return l.port;
}

export const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A proxy that waits `delayMs` before forwarding: the "slow responder". */
export async function startSlowProxy(target: string, delayMs: number): Promise<Loopback> {
  return listenLoopback(async (req, body, res) => {
    await delay(delayMs);
    const reply = await fetchBytes(`${target}${req.url ?? '/'}`, {
      method: req.method === 'POST' ? 'POST' : 'GET',
      ...(req.method === 'POST' ? { body } : {}),
      contentType: req.headers['content-type'] ?? 'application/octet-stream',
      timeoutMs: 10_000,
    });
    if (res.destroyed) return;
    res.writeHead(reply.status, { 'content-type': reply.contentType ?? '' });
    res.end(reply.body);
  });
}
