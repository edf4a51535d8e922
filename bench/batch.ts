/**
 * A leader's day over the socket (issue 12): a batch of N × 1 MB PDFs signed with one consent
 * and one PIN through the browser SDK (chunked upload, sign.pdfs by documentId, chunked
 * download), against the floor "read + hash + one signMany" of the same files, in the same
 * run. Also one 50 MB document. The agent runs in its own process (this file with --agent) so
 * its peak RSS (VmHWM) is its own; SoftHSM2 token from the test PKI, default limits.
 * Run: node --import tsx bench/batch.ts [--items 200] [--runs 3] [--big 50] [--random-mask]
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { KysoClient, type WebSocketLike } from '../agent/client/index.ts';
import { makeBigPdf } from '../native-test/big-pdf.ts';
import { loadTestPki } from '../native-test/pki.ts';
import { ms, printTable, ratio } from './stats.ts';

const ORIGIN = 'http://127.0.0.1:8080';
const self = fileURLToPath(import.meta.url);
const outDir = join(fileURLToPath(new URL('.', import.meta.url)), 'out', 'batch');
const arg = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};

// ---------------------------------------------------------------------------------------------
// The agent process

async function agentProcess(): Promise<void> {
  const { parseConfig, OriginStore } = await import('../agent/config/index.ts');
  const { ScriptedConsent } = await import('../agent/consent/index.ts');
  const { Journal } = await import('../agent/journal/index.ts');
  const { createAgentServer } = await import('../agent/app/index.ts');
  const { startTokenService } = await import('../agent/tokens/index.ts');
  const pki = loadTestPki();
  const token = pki.token('leader');
  const dir = resolve('.kyso-test', `bench-batch-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const config = parseConfig({ port: 0, allowedOrigins: [ORIGIN] });
  const service = await startTokenService({
    modules: [pki.modulePath],
    env: { SOFTHSM2_CONF: pki.softhsm2Conf },
    pollIntervalMs: 0,
  });
  const journal = new Journal(join(dir, 'journal.jsonl'), config.journal);
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
  const { port } = await agent.server.listen(0);
  process.stdout.write(`port ${port}\n`);
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'rss') process.stdout.write(`rss ${memory()}\n`);
  }
  await agent.close();
  await journal.close();
  await service.close();
  rmSync(dir, { recursive: true, force: true });
}

/** Current and peak RSS of this process (MB), from /proc. */
function memory(): string {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  const cpu = process.cpuUsage();
  return `${(kb('VmRSS') / 1024).toFixed(0)} ${(kb('VmHWM') / 1024).toFixed(0)} ${((cpu.user + cpu.system) / 1000).toFixed(0)}`;
}

class AgentChild {
  private readonly lines: string[] = [];
  /** Callers waiting for a line, first come first served (several may ask at once). */
  private readonly waiting: ((line: string) => void)[] = [];
  private constructor(private readonly child: ReturnType<typeof spawn>) {
    const rl = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    rl.on('line', (line) => {
      const w = this.waiting.shift();
      if (w) w(line);
      else this.lines.push(line);
    });
  }
  static async start(): Promise<{ agent: AgentChild; port: number }> {
    const prof = process.env.KYSO_BENCH_AGENT_PROF
      ? ['--cpu-prof', `--cpu-prof-dir=${process.env.KYSO_BENCH_AGENT_PROF}`]
      : [];
    const child = spawn(process.execPath, [...prof, '--import', 'tsx', self, '--agent'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const agent = new AgentChild(child);
    const port = Number((await agent.next()).split(' ')[1]);
    return { agent, port };
  }
  private next(): Promise<string> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    return new Promise((resolve) => this.waiting.push(resolve));
  }
  /** [rss, peak] in MB, and CPU time used so far (ms). */
  async rss(): Promise<[number, number, number]> {
    this.child.stdin?.write('rss\n');
    const [, rss, peak, cpu] = (await this.next()).split(' ');
    return [Number(rss), Number(peak), Number(cpu)];
  }
  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin?.end();
    await exited;
  }
}

// ---------------------------------------------------------------------------------------------
// The measurements

/** Wall time (ms) and this process's CPU time (ms) of read + hash + one signMany. */
async function floor(files: string[]): Promise<[number, number]> {
  const { startTokenService } = await import('../agent/tokens/index.ts');
  const pki = loadTestPki();
  const token = pki.token('leader');
  const service = await startTokenService({
    modules: [pki.modulePath],
    env: { SOFTHSM2_CONF: pki.softhsm2Conf },
    pollIntervalMs: 0,
  });
  try {
    await service.listTokens();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const digests: Buffer[] = [];
    for (const file of files) {
      digests.push(
        createHash('sha256')
          .update(await readFile(file))
          .digest(),
      );
    }
    await service.signMany(
      token.certificateId,
      digests.map((digest) => ({ hashAlgorithm: 'SHA-256' as const, digest })),
      { pin: token.pin },
    );
    const cpu = process.cpuUsage(cpu0);
    return [performance.now() - t0, (cpu.user + cpu.system) / 1000];
  } finally {
    await service.close();
  }
}

/**
 * A browser masks client frames natively; the `ws` package without its optional native addon
 * masks in a JS loop that would dominate this bench (and the agent unmasks the same way). By
 * default the bench client sends a zero mask (both loops skipped, as with a native masker on
 * the client and `bufferutil` on the agent); --random-mask measures the JS loops too.
 */
const randomMask = process.argv.includes('--random-mask');

function sdk(port: number): KysoClient {
  return new KysoClient({
    url: `ws://127.0.0.1:${port}`,
    createSocket: (u) =>
      new WebSocket(u, {
        origin: ORIGIN,
        ...(randomMask ? {} : { generateMask: (mask: Buffer) => void mask.fill(0) }),
      }) as unknown as WebSocketLike,
  });
}

/**
 * The agent's CPU time (ms) in each phase of a batch, by the SDK's progress: upload; prepare
 * (from the last upload byte to the first signed document: consent, PIN, parse, hash, the
 * token's signatures); finish (embedding and writing the signatures); download.
 */
const PHASES = ['upload', 'prepare', 'finish', 'download'] as const;
type PhaseCpu = Record<(typeof PHASES)[number], number>;

async function overSocket(
  port: number,
  files: string[],
  agent: AgentChild,
): Promise<{ ms: number; signed: number; bytesOut: number; progress: number; cpu: PhaseCpu }> {
  const pki = loadTestPki();
  const client = sdk(port);
  await client.connect();
  try {
    const t0 = performance.now();
    const items = await Promise.all(
      files.map(async (file, i) => ({
        name: `Văn bản ${i + 1}.pdf`,
        pdf: new Uint8Array(await readFile(file)),
      })),
    );
    let progress = 0;
    const phases: string[] = [];
    let phase = '';
    // Agent CPU as each phase begins (asked at once, answered in order).
    const cpuAt: Promise<number>[] = [];
    const mark = (): void => void cpuAt.push(agent.rss().then(([, , cpu]) => cpu));
    mark();
    const result = await client.signPdfs(
      { certificateId: pki.token('leader').certificateId, items },
      {
        onProgress: (p) => {
          if (p.phase === 'sign') progress++;
          if (p.phase === 'upload' && p.done === p.total) {
            mark();
            phases.push(`upload done ${(performance.now() - t0).toFixed(0)} ms`);
          }
          if (p.phase !== phase) {
            if (phase !== '') mark();
            phase = p.phase ?? phase;
            phases.push(`${phase} from ${(performance.now() - t0).toFixed(0)} ms`);
          }
        },
      },
    );
    if (process.env.KYSO_BENCH_PHASES) process.stderr.write(`phases: ${phases.join(', ')}\n`);
    const elapsed = performance.now() - t0;
    mark();
    const at = await Promise.all(cpuAt);
    const cpu = Object.fromEntries(
      PHASES.map((name, i) => [name, (at[i + 1] ?? 0) - (at[i] ?? 0)]),
    ) as PhaseCpu;
    const ok = result.items.filter((i) => i.ok);
    const bytesOut = ok.reduce((sum, i) => sum + (i.ok ? i.pdf.length : 0), 0);
    return { ms: elapsed, signed: ok.length, bytesOut, progress, cpu };
  } finally {
    client.close();
  }
}

async function bigOverSocket(port: number, file: string): Promise<number> {
  const pki = loadTestPki();
  const client = sdk(port);
  await client.connect();
  try {
    const t0 = performance.now();
    const pdf = new Uint8Array(await readFile(file));
    const signed = await client.signPdf({ certificateId: pki.token('leader').certificateId, pdf });
    if (signed.pdf.length <= pdf.length) throw new Error('not signed');
    return performance.now() - t0;
  } finally {
    client.close();
  }
}

async function main(): Promise<void> {
  const items = arg('items', 200);
  const runs = arg('runs', 3);
  const bigMb = arg('big', 50);
  mkdirSync(outDir, { recursive: true });
  const files = Array.from({ length: items }, (_, i) => {
    const file = join(outDir, `doc-${i}.pdf`);
    if (!existsSync(file)) makeBigPdf(file, 1_000_000, i + 1);
    return file;
  });
  const big = join(outDir, `big-${bigMb}.pdf`);
  if (!existsSync(big)) makeBigPdf(big, bigMb * 1_000_000, 7);

  const rows: string[][] = [];
  const { agent, port } = await AgentChild.start();
  try {
    const [idle] = await agent.rss();
    await bigOverSocket(port, files[0] as string); // warm-up: origin, login, JIT
    const [, warmPeak, warmCpu] = await agent.rss();
    // The big document first: VmHWM only grows, so its peak is its own.
    const [fb, fbCpu] = await floor([big]);
    const b = await bigOverSocket(port, big);
    const [bigRss, bigPeak, bigCpu] = await agent.rss();
    rows.push([
      '1',
      `1 × ${bigMb} MB`,
      `${ms(fb)} (${fbCpu.toFixed(0)})`,
      `${ms(b)} (${bigCpu - warmCpu})`,
      ratio(b / fb),
      `${bigRss} / ${bigPeak} (+${bigPeak - warmPeak})`,
      `${bigMb} MB`,
    ]);
    let cpuBefore = bigCpu;
    for (let run = 1; run <= runs; run++) {
      const [f, fCpu] = await floor(files);
      const s = await overSocket(port, files, agent);
      const [rss, peak, cpu] = await agent.rss();
      if (s.signed !== items) throw new Error(`only ${s.signed} of ${items} signed`);
      rows.push([
        `${run}`,
        `${items} × 1 MB`,
        `${ms(f)} (${fCpu.toFixed(0)})`,
        `${ms(s.ms)} (${cpu - cpuBefore}: ${PHASES.map((name) => s.cpu[name]).join(' / ')})`,
        ratio(s.ms / f),
        `${rss} / ${peak} (+${peak - warmPeak})`,
        `${(s.bytesOut / 1e6).toFixed(0)} MB`,
      ]);
      cpuBefore = cpu;
    }
    printTable(
      `sign.pdfs over the socket (SDK: chunked upload, one consent + PIN, chunked download) vs read + SHA-256 + one signMany; SoftHSM2 RSA-2048, default limits, ${randomMask ? 'random' : 'zero'} frame mask; agent idle RSS ${idle} MB`,
      [
        'run',
        'batch',
        'floor ms (CPU ms)',
        `socket ms (agent CPU ms: ${PHASES.join(' / ')})`,
        'socket vs floor',
        'agent RSS / peak MB (+ over warm peak)',
        'signed out',
      ],
      rows,
    );
  } finally {
    await agent.stop();
  }
}

if (process.argv.includes('--agent')) await agentProcess();
else await main();
