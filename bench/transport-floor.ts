/**
 * The physical bound of sign.hash's design, measured on this machine: what a request costs
 * when the agent does nothing but pass messages. One round trip to a child process over
 * Node's IPC channel (what the token host is: vendor code outside the agent, as
 * ARCHITECTURE.md requires) and one JSON round trip over a loopback WebSocket (what the page
 * is), both with echo peers and sign.hash-sized messages. Bare pkcs11js plus both is the
 * lowest p50 any agent of this shape can reach; on a VM where waking another process or
 * thread is expensive it is well above bare pkcs11js.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import WebSocket, { WebSocketServer } from 'ws';
import { measure, type RunFigures } from './stats.ts';

/** Child that answers each IPC message with a signature-sized reply, as the host does. */
const ECHO_CHILD = `
process.on('message', (batch) => process.send(batch.map((m) => ({ id: m.id, ok: true, result: { signatures: [Buffer.alloc(256, 1)] } }))));
process.on('disconnect', () => process.exit(0));
`;

/** IPC round trips (the host's protocol shape: batched requests carrying the certificate). */
export async function ipcRoundTrip(total: number, inFlight: number): Promise<RunFigures> {
  const child = spawn(process.execPath, ['-e', ECHO_CHILD], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  const waiting = new Map<number, () => void>();
  child.on('message', (replies: { id: number }[]) => {
    for (const reply of replies) {
      waiting.get(reply.id)?.();
      waiting.delete(reply.id);
    }
  });
  let nextId = 1;
  const call = () =>
    new Promise<void>((resolve) => {
      const id = nextId++;
      waiting.set(id, resolve);
      child.send([
        {
          id,
          method: 'sign',
          params: {
            slotId: '1',
            keyId: 'ab',
            certificate: Buffer.alloc(1200),
            digests: [Buffer.alloc(32)],
          },
        },
      ]);
    });
  try {
    await measure(200, inFlight, call); // warm-up
    return await measure(total, inFlight, call);
  } finally {
    child.disconnect();
  }
}

/** JSON-RPC-sized round trips over a loopback WebSocket to an echo server in this process. */
export async function webSocketRoundTrip(total: number, inFlight: number): Promise<RunFigures> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  server.on('connection', (socket) =>
    socket.on('message', (data) => {
      const { id } = JSON.parse(String(data)) as { id: number };
      socket.send(JSON.stringify({ jsonrpc: '2.0', id, result: { signature: 'A'.repeat(344) } }));
    }),
  );
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const sockets = await Promise.all(
    Array.from({ length: inFlight }, async () => {
      const socket = new WebSocket(`ws://127.0.0.1:${port}`);
      await once(socket, 'open');
      return socket;
    }),
  );
  const waiting = new Map<number, () => void>();
  for (const socket of sockets) {
    socket.on('message', (data) => {
      const { id } = JSON.parse(String(data)) as { id: number };
      waiting.get(id)?.();
      waiting.delete(id);
    });
  }
  let nextId = 1;
  const call = (_: number, worker: number) =>
    new Promise<void>((resolve) => {
      const id = nextId++;
      waiting.set(id, resolve);
      sockets[worker]?.send(
        JSON.stringify({
          jsonrpc: '2.0',
          id,
          method: 'sign.hash',
          params: { certificateId: 'a'.repeat(64), hashAlgorithm: 'SHA-256', hash: 'A'.repeat(44) },
        }),
      );
    });
  try {
    await measure(200, inFlight, call); // warm-up
    return await measure(total, inFlight, call);
  } finally {
    for (const socket of sockets) socket.close();
    server.close();
  }
}
