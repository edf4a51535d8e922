/**
 * Verifying 1, 6 and 20 sequential signatures as a user feels it: whole processes,
 * `kyso verify FILE` (the built CLI, text and --json) against poppler's `pdfsig FILE`, on the
 * same PDFs, runs interleaved, medians. The documents are signed here by our own signer
 * (software RSA-2048 key, test PKI made with openssl): a 12 KB LibreOffice letter and a
 * 2.2 MB image-heavy file from the corpus, and a generated 10 MB "scan" (bench/fixtures.ts). pdfsig hashes each signature's ranges separately,
 * kyso once for all (agent/pdf/digest-pass.ts), so the bigger file shows the per-signature
 * cost, the small one the fixed start-up cost.
 * Run: node --import tsx bench/verify.ts [--runs 7]   (builds dist/ first when missing)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { softwareSigner } from '../agent/cms/index.ts';
import { signPdf } from '../agent/pdf/index.ts';
import { makeOpensslPki } from '../native-test/openssl-pki.ts';
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

const rows: string[][] = [];
for (const doc of DOCUMENTS) {
  for (const count of COUNTS) {
    const input = doc.file ? join(corpus, doc.file) : join(outDir, 'scan-10mb.pdf');
    if (!doc.file) makePdf(input, 10); // ten 1 MB uncompressed page images
    const file = await signedCopy(input, doc.file ? doc.file.slice(0, 3) : 'scan', count);
    const times = contenders.map(() => [] as number[]);
    const valid = contenders.map(() => 0);
    for (let i = 0; i < runs; i++) {
      contenders.forEach((c, k) => {
        const r = timeOnce(c, file);
        times[k]?.push(r.ms);
        valid[k] = r.valid;
      });
    }
    const medians = times.map((t) =>
      percentile(
        [...t].sort((a, b) => a - b),
        50,
      ),
    );
    const [pdfsig = NaN, text = NaN, json = NaN] = medians;
    rows.push([
      doc.label,
      String(count),
      pdfsig.toFixed(0),
      text.toFixed(0),
      json.toFixed(0),
      ratio(pdfsig / text),
      ratio(pdfsig / json),
      valid.map((v) => `${v}/${count}`).join(' '),
    ]);
  }
}
printTable(
  `Verification, whole processes (median of ${runs}; ratio = pdfsig / kyso, above 1 = kyso faster)`,
  [
    'document',
    'signatures',
    'pdfsig ms',
    'kyso verify ms',
    'kyso --json ms',
    'ratio',
    'ratio --json',
    'valid (pdfsig, kyso, json)',
  ],
  rows,
);
