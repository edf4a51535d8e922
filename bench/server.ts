/**
 * sign.hash over the WebSocket (JSON-RPC, origin check, scripted consent, PIN from the consent
 * provider, journal) against two baselines in the same run: bare pkcs11js in its own Node
 * process (bench/pkcs11-direct.ts: what a user's own program gets; the target) and the
 * token service called directly (the forked token host and its IPC, without the socket layer),
 * so the table shows where the cost is. SoftHSM2, RSA-2048, 1 and 16 in flight, with and
 * without the PIN cache, journal fsync'd before each reply (the default,
 * journal.syncBeforeReply = true, in which the target is judged) or only written. The cost of
 * one journal-sized append + fdatasync on the same disk is measured as a row of its own.
 * Agent and clients share this process (like the tray + a browser share one machine).
 * Run: node --import tsx bench/server.ts   (KYSO_BENCH_SERVER_N sets requests per run)
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  fdatasyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import WebSocket from 'ws';
import { OriginStore, parseConfig } from '../agent/config/index.ts';
import { ScriptedConsent } from '../agent/consent/index.ts';
import { Journal } from '../agent/journal/index.ts';
import { createAgentServer } from '../agent/app/index.ts';
import { startTokenService } from '../agent/tokens/index.ts';
import type { TokenService } from '../agent/tokens/api.ts';
import { loadTestPki } from '../native-test/pki.ts';
import { measure, ms, percentile, printTable, ratio, type RunFigures } from './stats.ts';
import { ipcRoundTrip, webSocketRoundTrip } from './transport-floor.ts';

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

/**
 * Whether ws unmasks frames natively here: it loads `bufferutil` from its own folder (unless
 * WS_NO_BUFFER_UTIL is set); a failed native build would fall back to JavaScript.
 */
function wsUnmasking(): string {
  if (process.env.WS_NO_BUFFER_UTIL) return 'JavaScript (WS_NO_BUFFER_UTIL set)';
  try {
    const fromWs = createRequire(createRequire(import.meta.url).resolve('ws'));
    const { unmask } = fromWs('bufferutil') as { unmask: () => void };
    return String(unmask).includes('[native code]')
      ? 'bufferutil (native)'
      : 'bufferutil (JS fallback)';
  } catch {
    return 'JavaScript (bufferutil not found)';
  }
}

/**
 * CPU time per signature, which on a shared machine says more than wall-clock figures: this
 * process (agent and its WebSocket clients) and the token host, from /proc (Linux only).
 */
interface CpuFigures {
  agentUs: number;
  hostUs: number | undefined;
}

/** The token host's pid: our child running the host entry (none off Linux). */
function tokenHostPid(): number | undefined {
  try {
    for (const task of readdirSync('/proc/self/task')) {
      const children = readFileSync(`/proc/self/task/${task}/children`, 'utf8').trim();
      for (const pid of children.split(' ').filter(Boolean)) {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        if (/host.main\.ts|token-host\.js/.test(cmdline)) return Number(pid);
      }
    }
  } catch {
    // not Linux: no host column
  }
  return undefined;
}

/** utime + stime of a process in microseconds (clock ticks of 10 ms). */
function processCpuUs(pid: number): number {
  const fields = (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

async function withCpu(
  count: number,
  run: () => Promise<RunFigures>,
): Promise<RunFigures & CpuFigures> {
  const host = tokenHostPid();
  const agent0 = process.cpuUsage();
  const host0 = host === undefined ? 0 : processCpuUs(host);
  const figures = await run();
  const agent = process.cpuUsage(agent0);
  return {
    ...figures,
    agentUs: (agent.user + agent.system) / count,
    hostUs: host === undefined ? undefined : (processCpuUs(host) - host0) / count,
  };
}

/** Bare pkcs11js in a separate Node process: figures per in-flight count. */
function pkcs11Direct(inFlight: number[]): Promise<Record<string, RunFigures>> {
  const script = resolve(import.meta.dirname, 'pkcs11-direct.ts');
  const env = {
    ...process.env,
    SOFTHSM2_CONF: pki.softhsm2Conf,
    KYSO_DIRECT_MODULE: pki.modulePath,
    KYSO_DIRECT_LABEL: token.label,
    KYSO_DIRECT_PIN: token.pin,
    KYSO_DIRECT_CERT: token.certificateId,
    KYSO_DIRECT_N: String(TOTAL),
    KYSO_DIRECT_IN_FLIGHT: inFlight.join(','),
  };
  return new Promise((resolvePromise, reject) =>
    execFile(process.execPath, ['--import', 'tsx', script], { env }, (error, stdout, stderr) => {
      if (error) reject(new Error(`pkcs11-direct failed: ${stderr || error.message}`));
      else resolvePromise(JSON.parse(stdout) as Record<string, RunFigures>);
    }),
  );
}

/** One journal-sized line appended and fdatasync'd, 200 times, on the journal's disk: p50. */
function fsyncCost(dir: string): RunFigures {
  const file = join(dir, 'fsync-probe.jsonl');
  const fd = openSync(file, 'a', 0o600);
  const line = Buffer.from('x'.repeat(600) + '\n');
  const latencies: number[] = [];
  const started = performance.now();
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    writeSync(fd, line);
    fdatasyncSync(fd);
    latencies.push(performance.now() - t0);
  }
  const elapsed = performance.now() - started;
  closeSync(fd);
  latencies.sort((a, b) => a - b);
  return {
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    perSecond: (200 / elapsed) * 1000,
  };
}

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
): Promise<RunFigures & CpuFigures> {
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
    return await withCpu(TOTAL, () =>
      measure(TOTAL, clients, (i, worker) =>
        (sockets[worker] as RpcClient).call('sign.hash', {
          certificateId: token.certificateId,
          hashAlgorithm: 'SHA-256',
          hash: (digests[i % 64] as Buffer).toString('base64'),
          documentName: `bench ${i}.pdf`,
        }),
      ),
    );
  } finally {
    for (const s of sockets) s.socket.close();
    await agent.close();
    await journal.close();
  }
}

async function main(): Promise<void> {
  // The journal fsyncs: keep it on the real disk, not a tmpfs, so its cost is counted.
  const bare = await pkcs11Direct([1, 16]);
  const dir = resolve('.kyso-test', `bench-server-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const service = await startTokenService({
    modules: [pki.modulePath],
    env: { SOFTHSM2_CONF: pki.softhsm2Conf },
    pollIntervalMs: 0,
  });
  const rows: string[][] = [];
  const row = (
    label: string,
    clients: number,
    path: string,
    f: RunFigures & Partial<CpuFigures>,
    compare = true,
  ) => {
    const base = compare ? bare[String(clients)] : undefined;
    rows.push([
      label,
      String(clients),
      path,
      ms(f.p50),
      ms(f.p95),
      f.perSecond.toFixed(0),
      base ? ratio(f.p50 / base.p50) : '',
      base ? ratio(f.perSecond / base.perSecond) : '',
      f.agentUs === undefined ? '' : f.agentUs.toFixed(0),
      f.hostUs === undefined ? '' : f.hostUs.toFixed(0),
    ]);
  };
  try {
    for (const clients of [1, 16]) {
      const b = bare[String(clients)];
      if (b) row('bare pkcs11js, one login', clients, 'pkcs11js', b);
    }
    row('fdatasync of one journal line', 1, 'fsync', fsyncCost(dir), false);
    // The design's floor: bare pkcs11js plus one host IPC and one WebSocket round trip.
    for (const clients of [1, 16]) {
      const ipc = await ipcRoundTrip(TOTAL, clients);
      const socket = await webSocketRoundTrip(TOTAL, clients);
      row('echo round trip to a child process (IPC)', clients, 'ipc echo', ipc, false);
      row('echo round trip over a WebSocket (JSON)', clients, 'ws echo', socket, false);
      const b = bare[String(clients)];
      if (!b) continue;
      // 1 in flight the latencies add up; 16 in flight all three saturate the same cores,
      // so the time each takes per request adds up instead.
      const floor =
        clients === 1
          ? { p50: b.p50 + ipc.p50 + socket.p50, perSecond: NaN }
          : {
              p50: NaN,
              perSecond: 1 / (1 / b.perSecond + 1 / ipc.perSecond + 1 / socket.perSecond),
            };
      rows.push([
        'floor: bare pkcs11js + IPC + WebSocket round trip',
        String(clients),
        'bound',
        Number.isNaN(floor.p50) ? '' : ms(floor.p50),
        '',
        Number.isNaN(floor.perSecond) ? '' : floor.perSecond.toFixed(0),
        Number.isNaN(floor.p50) ? '' : ratio(floor.p50 / b.p50),
        Number.isNaN(floor.perSecond) ? '' : ratio(floor.perSecond / b.perSecond),
        '',
        '',
      ]);
    }
    const runs: { pinCache: boolean; sync: boolean; clients: number }[] = [
      { pinCache: true, sync: true, clients: 1 },
      { pinCache: true, sync: false, clients: 1 },
      { pinCache: true, sync: true, clients: 16 },
      { pinCache: true, sync: false, clients: 16 },
      { pinCache: false, sync: true, clients: 1 },
      { pinCache: false, sync: true, clients: 16 },
    ];
    let lastDirect = '';
    for (const { pinCache, sync, clients } of runs) {
      const directLabel = `${pinCache ? 'PIN cache on' : 'PIN each time'}`;
      if (lastDirect !== `${directLabel}/${clients}`) {
        await direct(service, clients, pinCache); // warm-up
        row(
          directLabel,
          clients,
          'TokenService',
          await withCpu(TOTAL, () => direct(service, clients, pinCache)),
        );
        lastDirect = `${directLabel}/${clients}`;
      }
      const s = await overSocket(service, clients, pinCache, sync, dir);
      row(
        `${directLabel}, journal ${sync ? 'fsync before reply (default)' : 'write before reply'}`,
        clients,
        'socket',
        s,
      );
      await service.logout((await service.getCertificate(token.certificateId)).tokenId);
    }
  } finally {
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  }
  printTable(
    `sign.hash RSA-2048 on SoftHSM2, ${TOTAL} requests per run; ratios against bare pkcs11js ` +
      `(separate process, one login) at the same in-flight count. Target (issue 10): socket, ` +
      `PIN cache on, fsync before reply: 16 in flight sig/s >= 0.80x, 1 in flight p50 <= 1.30x. ` +
      `The 'floor' row is the least p50 of any agent that keeps the module in its own process ` +
      `and serves a WebSocket: 1 in flight bare + the two echo round trips' p50, 16 in flight ` +
      `1 / (1/bare + 1/IPC + 1/WebSocket) of their rates. ` +
      `WebSocket unmasking: ${wsUnmasking()}. CPU per signature: this process (agent + its ` +
      `WebSocket clients) and the token host. Load average at the end: ` +
      `${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} on ${availableParallelism()} CPUs`,
    [
      'mode',
      'in flight',
      'path',
      'p50 ms',
      'p95 ms',
      'sig/s',
      'p50 vs pkcs11js',
      'sig/s vs pkcs11js',
      'agent CPU us/sig',
      'host CPU us/sig',
    ],
    rows,
  );
}

await main();
