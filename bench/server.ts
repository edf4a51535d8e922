/**
 * sign.hash over the WebSocket (JSON-RPC, origin check, scripted consent, PIN from the consent
 * provider, journal fsync) against the same signature made by calling the token service
 * directly. SoftHSM2, RSA-2048, 1 and 16 concurrent clients, with and without the PIN cache.
 * Agent and clients share this process (like the tray + a browser share one machine).
 * Run: node --import tsx bench/server.ts   (KYSO_BENCH_SERVER_N sets requests per run)
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import WebSocket from 'ws';
import { OriginStore, parseConfig } from '../agent/config/index.ts';
import { ScriptedConsent } from '../agent/consent/index.ts';
import { Journal } from '../agent/journal/index.ts';
import { createAgentServer } from '../agent/app/index.ts';
import { startTokenService } from '../agent/tokens/index.ts';
import type { TokenService } from '../agent/tokens/api.ts';
import { loadTestPki } from '../native-test/pki.ts';
import { measure, ms, printTable, ratio, type RunFigures } from './stats.ts';

const TOTAL = Number(process.env.KYSO_BENCH_SERVER_N ?? 1000);
const ORIGIN = 'http://127.0.0.1:8080';
const pki = loadTestPki();
const token = pki.token('leader');

class RpcClient {
  private nextId = 1;
  private readonly waiting = new Map<number, (value: { error?: unknown }) => void>();
  constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const reply = JSON.parse(String(data)) as { id: number; error?: unknown };
      this.waiting.get(reply.id)?.(reply);
      this.waiting.delete(reply.id);
    });
  }
  static open(url: string): Promise<RpcClient> {
    const socket = new WebSocket(url, { origin: ORIGIN });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new RpcClient(socket)));
      socket.once('error', reject);
    });
  }
  async call(method: string, params: object): Promise<void> {
    const id = this.nextId++;
    const reply = await new Promise<{ error?: unknown }>((resolve) => {
      this.waiting.set(id, resolve);
      this.socket.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    });
    if (reply.error) throw new Error(JSON.stringify(reply.error));
  }
}

const digests = Array.from({ length: 64 }, () =>
  createHash('sha256').update(randomBytes(32)).digest(),
);

async function direct(
  service: TokenService,
  clients: number,
  pinCache: boolean,
): Promise<RunFigures> {
  return measure(TOTAL, clients, (i) =>
    service.sign(
      {
        certificateId: token.certificateId,
        hashAlgorithm: 'SHA-256',
        digest: digests[i % 64] as Buffer,
      },
      pinCache ? { pin: token.pin, stayLoggedIn: true } : { pin: token.pin },
    ),
  );
}

async function overSocket(
  service: TokenService,
  clients: number,
  pinCache: boolean,
  syncBeforeReply: boolean,
  dir: string,
): Promise<RunFigures> {
  const config = parseConfig({
    port: 0,
    allowedOrigins: [ORIGIN],
    pinCache: { enabled: pinCache, ttlSeconds: 600 },
    limits: { rateBurst: 100_000, ratePerSecond: 100_000 },
    // 16 requests of one website wait for consent at once (the default lets 4 wait).
    consent: { maxPendingPerOrigin: 64 },
    journal: { syncBeforeReply },
  });
  const journal = new Journal(
    join(dir, `journal-${clients}-${pinCache}-${syncBeforeReply}.jsonl`),
    config.journal,
  );
  const consent = new ScriptedConsent(
    { signing: { default: 'approve' }, pins: { [token.label]: token.pin } },
    { warn: () => undefined },
  );
  const agent = createAgentServer({
    config,
    tokens: service,
    consent,
    journal,
    originStore: new OriginStore(join(dir, 'origins.json')),
    hosts: ['127.0.0.1'],
  });
  const { server } = agent;
  const { port } = await server.listen(0);
  const sockets = await Promise.all(
    Array.from({ length: clients }, () => RpcClient.open(`ws://127.0.0.1:${port}`)),
  );
  try {
    // Warm up: connection approval, first login (PIN cache), JIT.
    await sockets[0]?.call('sign.hash', {
      certificateId: token.certificateId,
      hashAlgorithm: 'SHA-256',
      hash: (digests[0] as Buffer).toString('base64'),
    });
    return await measure(TOTAL, clients, (i, worker) =>
      (sockets[worker] as RpcClient).call('sign.hash', {
        certificateId: token.certificateId,
        hashAlgorithm: 'SHA-256',
        hash: (digests[i % 64] as Buffer).toString('base64'),
        documentName: `bench ${i}.pdf`,
      }),
    );
  } finally {
    for (const s of sockets) s.socket.close();
    await agent.close();
    await journal.close();
  }
}

async function main(): Promise<void> {
  // The journal fsyncs: keep it on the real disk, not a tmpfs, so its cost is counted.
  const dir = resolve('.kyso-test', `bench-server-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const service = await startTokenService({
    modules: [pki.modulePath],
    env: { SOFTHSM2_CONF: pki.softhsm2Conf },
    pollIntervalMs: 0,
  });
  const rows: string[][] = [];
  try {
    const runs: { pinCache: boolean; sync: boolean; clients: number }[] = [
      { pinCache: false, sync: true, clients: 1 },
      { pinCache: false, sync: false, clients: 1 },
      { pinCache: false, sync: true, clients: 16 },
      { pinCache: true, sync: true, clients: 1 },
      { pinCache: true, sync: false, clients: 1 },
      { pinCache: true, sync: true, clients: 16 },
    ];
    for (const { pinCache, sync, clients } of runs) {
      await direct(service, clients, pinCache); // warm-up
      const d = await direct(service, clients, pinCache);
      const s = await overSocket(service, clients, pinCache, sync, dir);
      const label = `${pinCache ? 'PIN cache on' : 'PIN each time'}, journal ${sync ? 'fsync before reply' : 'write before reply'}`;
      rows.push([
        label,
        String(clients),
        'direct',
        ms(d.p50),
        ms(d.p95),
        d.perSecond.toFixed(0),
        '',
      ]);
      rows.push([
        label,
        String(clients),
        'socket',
        ms(s.p50),
        ms(s.p95),
        s.perSecond.toFixed(0),
        ratio(s.p50 / d.p50),
      ]);
      await service.logout((await service.getCertificate(token.certificateId)).tokenId);
    }
  } finally {
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  }
  printTable(
    `sign.hash RSA-2048 on SoftHSM2, ${TOTAL} requests per run (socket = ws JSON-RPC + scripted consent + fsync'd journal)`,
    ['mode', 'clients', 'path', 'p50 ms', 'p95 ms', 'sig/s', 'p50 vs direct'],
    rows,
  );
}

await main();
