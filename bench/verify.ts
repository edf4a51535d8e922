/**
 * Verifying 1, 6 and 20 sequential signatures as a user feels it: whole processes,
 * `kyso verify FILE` (the built CLI, text and --json) against poppler's `pdfsig FILE`, on the
 * same PDFs, runs interleaved, medians. The documents are signed here by our own signer
 * (software RSA-2048 key, test PKI made with openssl): a 12 KB LibreOffice letter and a
 * 2.2 MB image-heavy file from the corpus, and a generated 10 MB "scan" (bench/fixtures.ts). pdfsig hashes each signature's ranges separately,
 * kyso once for all (agent/pdf/digest-pass.ts), so the bigger file shows the per-signature
 * cost, the small one the fixed start-up cost.
 * The "socket" column is what a web app gets from a running agent: the built agent
 * (`kyso start`, its own process) and verify.pdf through the SDK (agent/client) on one open
 * connection, the document sent as bytes (binary upload frames), timed from the call to the
 * report; no process start, so it is the figure to hold against pdfsig for a page.
 * Run: node --import tsx bench/verify.ts [--runs 7]   (builds dist/ first when missing)
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { KysoClient, type WebSocketLike } from '../agent/client/index.ts';
import { softwareSigner } from '../agent/cms/index.ts';
import { signPdf } from '../agent/pdf/index.ts';
import { makeOpensslPki } from '../native-test/openssl-pki.ts';
import { loadTestPki } from '../native-test/pki.ts';
import { makePdf } from './fixtures.ts';
import { percentile, printTable, ratio } from './stats.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = join(root, 'bench', 'out', 'verify');
const corpus = join(root, 'native-test', 'fixtures', 'corpus');
const DOCUMENTS = [
  {
    label: '12 KB letter',
    file: '002-trivial-libre-office-writer_002-trivial-libre-office-writer.pdf',
  },
  { label: '2.2 MB images', file: '018-base64-image_base64image.pdf' },
  { label: '10 MB scan', file: '' },
];
const COUNTS = [1, 6, 20];

const runsArg = process.argv[process.argv.indexOf('--runs') + 1];
const runs = process.argv.includes('--runs') && runsArg ? Number(runsArg) : 7;

mkdirSync(outDir, { recursive: true });
if (!existsSync(join(outDir, 'signer.key'))) {
  makeOpensslPki(outDir, {
    rootSubject: '/CN=Bench Root',
    signerSubject: '/CN=Bench Signer',
    days: 3650,
  });
}
if (!existsSync(join(root, 'dist', 'kyso.js'))) {
  execFileSync(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'build.ts')]);
}
const signer = await softwareSigner({
  privateKey: readFileSync(join(outDir, 'signer.key')),
  certificate: readFileSync(join(outDir, 'signer.der')),
  chain: [readFileSync(join(outDir, 'root.der'))],
});

/** `count` sequential signatures (each an incremental update of the previous file). */
async function signedCopy(input: string, tag: string, count: number): Promise<string> {
  const target = join(outDir, `${tag}-${count}sigs.pdf`);
  if (existsSync(target)) return target;
  let current = input;
  for (let i = 1; i <= count; i++) {
    const next = join(outDir, `${tag}-step-${i}.pdf`);
    rmSync(next, { force: true });
    await signPdf(current, { signer, output: next, preset: 'plain' });
    if (current !== input) rmSync(current);
    current = next;
  }
  renameSync(current, target);
  return target;
}

interface Contender {
  name: string;
  command: string;
  args: (file: string) => string[];
  /** Signatures the output calls valid, to check every contender agrees. */
  valid: (stdout: string) => number;
}

const trust = join(outDir, 'root.pem');
const kyso = join(root, 'bin', 'kyso.js');
const contenders: Contender[] = [
  {
    name: 'pdfsig',
    command: 'pdfsig',
    args: (f) => [f],
    valid: (out) => (out.match(/Signature is Valid\./g) ?? []).length,
  },
  {
    name: 'kyso verify',
    command: process.execPath,
    args: (f) => [kyso, 'verify', f, '--trust', trust],
    valid: (out) => (out.match(/Kết luận \/ Result: HỢP LỆ/g) ?? []).length,
  },
  {
    name: 'kyso verify --json',
    command: process.execPath,
    args: (f) => [kyso, 'verify', f, '--trust', trust, '--json'],
    valid: (out) =>
      (JSON.parse(out) as { signatures: { valid: boolean }[] }).signatures.filter((s) => s.valid)
        .length,
  },
];

function timeOnce(c: Contender, file: string): { ms: number; valid: number } {
  const t0 = performance.now();
  const r = spawnSync(c.command, c.args(file), { encoding: 'utf8', maxBuffer: 1 << 24 });
  const ms = performance.now() - t0;
  return { ms, valid: c.valid(r.stdout) };
}

const ORIGIN = 'http://127.0.0.1:8080';

/** The built agent in its own process (`kyso start`), as installed, on a free loopback port. */
async function startAgentProcess(): Promise<{ url: string; child: ChildProcess; dir: string }> {
  const pki = loadTestPki();
  const dir = mkdtempSync(join(tmpdir(), 'kyso-bench-verify-'));
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ allowedOrigins: [ORIGIN], modules: [pki.modulePath] }));
  const child = spawn(
    process.execPath,
    [kyso, 'start', '--port', '0', '--json', '--config', config],
    {
      env: { ...process.env, SOFTHSM2_CONF: pki.softhsm2Conf, KYSO_CONFIG_DIR: dir },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const stdout = child.stdout;
  if (!stdout) throw new Error('kyso start: no stdout');
  const ready = await new Promise<{ port: number }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`kyso start exited (${String(code)})`)));
    createInterface({ input: stdout }).once('line', (line) => {
      resolve(JSON.parse(line) as { port: number });
    });
  });
  return { url: `ws://127.0.0.1:${ready.port}`, child, dir };
}

const agentProcess = await startAgentProcess();
const client = new KysoClient({
  url: agentProcess.url,
  createSocket: (u) => new WebSocket(u, { origin: ORIGIN }) as unknown as WebSocketLike,
});
const trustAnchorsB64 = [readFileSync(join(outDir, 'root.der')).toString('base64')];

/** verify.pdf through the SDK on the open connection: the document as bytes. */
async function timeSocket(file: string): Promise<{ ms: number; valid: number }> {
  const pdf = new Uint8Array(readFileSync(file));
  const t0 = performance.now();
  const result = await client.verifyPdf({ pdf, trustAnchors: trustAnchorsB64 });
  const ms = performance.now() - t0;
  return { ms, valid: result.signatures.filter((s) => s.valid).length };
}

const rows: string[][] = [];
for (const doc of DOCUMENTS) {
  for (const count of COUNTS) {
    const input = doc.file ? join(corpus, doc.file) : join(outDir, 'scan-10mb.pdf');
    if (!doc.file) makePdf(input, 10); // ten 1 MB uncompressed page images
    const file = await signedCopy(input, doc.file ? doc.file.slice(0, 3) : 'scan', count);
    const times = contenders.map(() => [] as number[]);
    const valid = contenders.map(() => 0);
    const socketTimes: number[] = [];
    let socketValid = 0;
    await timeSocket(file); // the agent's first verification of a document warms its code
    for (let i = 0; i < runs; i++) {
      contenders.forEach((c, k) => {
        const r = timeOnce(c, file);
        times[k]?.push(r.ms);
        valid[k] = r.valid;
      });
      const r = await timeSocket(file);
      socketTimes.push(r.ms);
      socketValid = r.valid;
    }
    const median = (t: number[]): number =>
      percentile(
        [...t].sort((a, b) => a - b),
        50,
      );
    const [pdfsig = NaN, text = NaN, json = NaN] = times.map(median);
    const socket = median(socketTimes);
    rows.push([
      doc.label,
      String(count),
      pdfsig.toFixed(0),
      text.toFixed(0),
      json.toFixed(0),
      socket.toFixed(1),
      ratio(pdfsig / text),
      ratio(pdfsig / json),
      ratio(pdfsig / socket),
      [...valid, socketValid].map((v) => `${v}/${count}`).join(' '),
    ]);
  }
}
client.close();
agentProcess.child.kill('SIGTERM');
await new Promise((resolve) => agentProcess.child.once('exit', resolve));
rmSync(agentProcess.dir, { recursive: true, force: true });
printTable(
  `Verification (median of ${runs}): pdfsig and kyso verify as whole processes; socket = ` +
    `verify.pdf to a running agent through the SDK; ratio = pdfsig / kyso, above 1 = kyso faster`,
  [
    'document',
    'signatures',
    'pdfsig ms',
    'kyso verify ms',
    'kyso --json ms',
    'socket ms',
    'ratio',
    'ratio --json',
    'ratio socket',
    'valid (pdfsig, kyso, json, socket)',
  ],
  rows,
);
