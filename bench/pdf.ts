/**
 * PDF signing and verification benchmark.
 *   Signing 1, 10, 100 MB PDFs (generated here: pages with big uncompressed image streams):
 *   kyso vs @signpdf/signpdf + @signpdf/placeholder-pdf-lib vs zgapdfsigner, and the floor
 *   "read + hash + one signature". Verification of 6 and 20 signatures: kyso vs poppler pdfsig.
 * Every measurement runs in its own child process (this file re-run with --worker) so each
 * one's peak RSS is its own. The key is a software RSA-2048 key for every contender (the
 * competitors cannot use a token), so the signature itself costs the same for all.
 * Run: node --import tsx bench/pdf.ts [--sizes 1,10,100] [--runs 3] [--verify-only]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeOpensslPki } from '../native-test/openssl-pki.ts';
import { makePdf } from './fixtures.ts';
import { ms, printTable, ratio } from './stats.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const outDir = join(here, 'out', 'pdf');
const self = fileURLToPath(import.meta.url);

interface WorkerResult {
  /** First call in a fresh process (cold). */
  ms: number;
  /** Best of later calls in the same process (a running agent), when measured. */
  warmMs?: number;
  maxRssMb: number;
  ok: boolean;
  detail?: string;
}

// ---------------------------------------------------------------------------------------------
// Fixtures

function ensurePki(): void {
  if (existsSync(join(outDir, 'signer.p12'))) return;
  makeOpensslPki(outDir, {
    rootSubject: '/CN=Bench Root',
    signerSubject: '/CN=Bench Signer',
    days: 3650,
  });
  // node-forge (used by both competitors) reads only the legacy PKCS#12 algorithms.
  execFileSync(
    'openssl',
    [
      'pkcs12',
      '-export',
      '-legacy',
      '-inkey',
      'signer.key',
      '-in',
      'signer.pem',
      '-certfile',
      'root.pem',
      '-out',
      'signer.p12',
      '-passout',
      'pass:bench',
    ],
    { cwd: outDir, stdio: 'ignore' },
  );
}

// ---------------------------------------------------------------------------------------------
// Workers (child processes)

async function softwareSignerForBench() {
  const { softwareSigner } = await import('../agent/cms/index.ts');
  return softwareSigner({
    privateKey: readFileSync(join(outDir, 'signer.key')),
    certificate: readFileSync(join(outDir, 'signer.der')),
    chain: [readFileSync(join(outDir, 'root.der'))],
  });
}

async function worker(mode: string, input: string, output: string): Promise<WorkerResult> {
  rmSync(output, { force: true });
  switch (mode) {
    case 'kyso-sign': {
      const { signPdf } = await import('../agent/pdf/index.ts');
      const signer = await softwareSignerForBench();
      const t0 = performance.now();
      await signPdf(input, { signer, output, preset: 'plain' });
      const cold = finish(t0);
      let warmMs = Infinity;
      for (let i = 0; i < 3; i++) {
        rmSync(`${output}.warm`, { force: true });
        const t1 = performance.now();
        await signPdf(input, { signer, output: `${output}.warm`, preset: 'plain' });
        warmMs = Math.min(warmMs, performance.now() - t1);
      }
      rmSync(`${output}.warm`, { force: true });
      return { ...cold, warmMs, maxRssMb: process.resourceUsage().maxRSS / 1024 };
    }
    case 'floor': {
      // read + hash + one signature: the least any signer must do.
      const signer = await softwareSignerForBench();
      const { FileSource } = await import('../agent/pdf/source.ts');
      const t0 = performance.now();
      const source = await FileSource.open(input);
      const h = createHash('sha256');
      await source.forEachChunk(0, source.size, (c) => {
        h.update(c);
      });
      await source.close();
      await signer.sign(h.digest(), 'SHA-256');
      return finish(t0);
    }
    case 'signpdf': {
      const { PDFDocument } = await import('pdf-lib');
      const { pdflibAddPlaceholder } = await import('@signpdf/placeholder-pdf-lib');
      const { SignPdf } = await import('@signpdf/signpdf');
      const signpdf = new SignPdf();
      const { P12Signer } = await import('@signpdf/signer-p12');
      const { writeFile, readFile } = await import('node:fs/promises');
      const t0 = performance.now();
      const pdfDoc = await PDFDocument.load(await readFile(input));
      pdflibAddPlaceholder({
        pdfDoc,
        reason: 'bench',
        contactInfo: 'bench@example.org',
        name: 'Bench',
        location: 'Hà Nội',
        subFilter: 'ETSI.CAdES.detached',
      });
      const withPlaceholder = Buffer.from(await pdfDoc.save({ useObjectStreams: false }));
      const signed = await signpdf.sign(
        withPlaceholder,
        new P12Signer(readFileSync(join(outDir, 'signer.p12')), { passphrase: 'bench' }),
      );
      await writeFile(output, signed);
      return finish(t0);
    }
    case 'zga': {
      const Zga = (await import('zgapdfsigner')).default as unknown as {
        PdfSigner: new (o: Record<string, unknown>) => {
          sign(pdf: ArrayBuffer): Promise<Uint8Array>;
        };
      };
      const { writeFile, readFile } = await import('node:fs/promises');
      const t0 = performance.now();
      const pdf = await readFile(input);
      const p12 = readFileSync(join(outDir, 'signer.p12'));
      const signer = new Zga.PdfSigner({
        p12cert: p12.buffer.slice(p12.byteOffset, p12.byteOffset + p12.byteLength),
        pwd: 'bench',
      });
      const signed = await signer.sign(
        pdf.buffer.slice(pdf.byteOffset, pdf.byteOffset + pdf.byteLength),
      );
      await writeFile(output, signed);
      return finish(t0);
    }
    case 'kyso-verify': {
      const { verifyPdf } = await import('../agent/pdf/index.ts');
      const trustAnchors = [readFileSync(join(outDir, 'root.pem'))];
      const t0 = performance.now();
      const r = await verifyPdf(input, { trustAnchors });
      const cold = finish(t0);
      let warmMs = Infinity;
      for (let i = 0; i < 3; i++) {
        const t1 = performance.now();
        await verifyPdf(input, { trustAnchors });
        warmMs = Math.min(warmMs, performance.now() - t1);
      }
      const detail = `${r.signatures.filter((s) => s.valid).length}/${r.signatures.length} valid`;
      return { ...cold, warmMs, ok: r.valid, detail };
    }
    default:
      throw new Error(`unknown worker ${mode}`);
  }
}

function finish(t0: number): WorkerResult {
  return {
    ms: performance.now() - t0,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    ok: true,
  };
}

function runWorker(mode: string, input: string, output: string): WorkerResult {
  const r = spawnSync(
    process.execPath,
    ['--max-old-space-size=8192', '--import', 'tsx', self, '--worker', mode, input, output],
    { encoding: 'utf8', maxBuffer: 1 << 24 },
  );
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line) as WorkerResult;
  } catch {
    return { ms: NaN, maxRssMb: NaN, ok: false, detail: (r.stderr || r.stdout).slice(-300) };
  }
}

/** Best of `runs` (time) with the peak RSS of that run. */
function best(runs: number, fn: () => WorkerResult): WorkerResult {
  let bestResult: WorkerResult | undefined;
  for (let i = 0; i < runs; i++) {
    const r = fn();
    if (!r.ok) return r;
    if (!bestResult || r.ms < bestResult.ms) bestResult = r;
  }
  return bestResult ?? { ms: NaN, maxRssMb: NaN, ok: false };
}

/** `kyso verify FILE --json` as users run it: a whole process (node start-up, CLI load). */
function kysoCliVerify(file: string): { valid: number; total: number; ms: number } {
  const t0 = performance.now();
  const r = spawnSync(
    process.execPath,
    [
      join(here, '..', 'bin', 'kyso.js'),
      'verify',
      file,
      '--json',
      '--trust',
      join(outDir, 'root.pem'),
    ],
    { encoding: 'utf8', maxBuffer: 1 << 24 },
  );
  const elapsed = performance.now() - t0;
  let valid = 0;
  let total = 0;
  try {
    const out = JSON.parse(r.stdout) as { signatures?: { valid: boolean }[] };
    total = out.signatures?.length ?? 0;
    valid = out.signatures?.filter((s) => s.valid).length ?? 0;
  } catch {
    // reported as 0/0
  }
  return { valid, total, ms: elapsed };
}

function pdfsigValid(
  file: string,
  args: string[] = ['-nocert'],
): { valid: number; total: number; ms: number } {
  const t0 = performance.now();
  const r = spawnSync('pdfsig', [...args, file], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const elapsed = performance.now() - t0;
  return {
    valid: (r.stdout.match(/Signature is Valid\./g) ?? []).length,
    total: (r.stdout.match(/^Signature #\d+:/gm) ?? []).length,
    ms: elapsed,
  };
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--worker') {
    const [, mode = '', input = '', output = ''] = argv;
    try {
      process.stdout.write(JSON.stringify(await worker(mode, input, output)) + '\n');
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      process.stdout.write(
        JSON.stringify({ ms: NaN, maxRssMb: NaN, ok: false, detail: message }) + '\n',
      );
    }
    return;
  }
  const sizesArg = argv[argv.indexOf('--sizes') + 1];
  const sizes =
    argv.includes('--sizes') && sizesArg ? sizesArg.split(',').map(Number) : [1, 10, 100];
  const runsArg = argv[argv.indexOf('--runs') + 1];
  const runs = argv.includes('--runs') && runsArg ? Number(runsArg) : 3;
  mkdirSync(outDir, { recursive: true });
  ensurePki();

  // --verify-only: the verification rows alone (no signing comparison).
  const verifyOnly = argv.includes('--verify-only');
  const rows: string[][] = [];
  for (const mb of verifyOnly ? [] : sizes) {
    const input = join(outDir, `doc-${mb}mb.pdf`);
    makePdf(input, mb);
    const out = (name: string): string => join(outDir, `signed-${mb}mb-${name}.pdf`);
    const floor = best(runs, () => runWorker('floor', input, out('floor')));
    const kyso = best(runs, () => runWorker('kyso-sign', input, out('kyso')));
    // Competitors once each above 10 MB: they take seconds and gigabytes.
    const competitorRuns = mb > 10 ? 1 : runs;
    const signpdf = best(competitorRuns, () => runWorker('signpdf', input, out('signpdf')));
    const zga = best(competitorRuns, () => runWorker('zga', input, out('zga')));
    const check = (file: string, r: WorkerResult): string => {
      if (!r.ok) return `failed: ${r.detail ?? ''}`.slice(0, 60);
      const v = pdfsigValid(file);
      return v.valid === 1 && v.total === 1 ? 'pdfsig valid' : `pdfsig ${v.valid}/${v.total}`;
    };
    const fmt = (r: WorkerResult): string => (r.ok ? ms(r.ms) : 'n/a');
    const rss = (r: WorkerResult): string => (r.ok ? r.maxRssMb.toFixed(0) : 'n/a');
    const vs = (r: WorkerResult): string => (r.ok && kyso.ok ? ratio(r.ms / kyso.ms) : 'n/a');
    rows.push([
      `${mb} MB`,
      'read+hash+sign (floor)',
      fmt(floor),
      rss(floor),
      ratio(floor.ms / kyso.ms),
      '',
    ]);
    rows.push([
      `${mb} MB`,
      'kyso (cold: first call in a process)',
      fmt(kyso),
      rss(kyso),
      '1.00x',
      check(out('kyso'), kyso),
    ]);
    rows.push([
      `${mb} MB`,
      'kyso (warm: a running agent)',
      ms(kyso.warmMs ?? NaN),
      '',
      ratio((kyso.warmMs ?? NaN) / kyso.ms),
      `${ratio((kyso.warmMs ?? NaN) / floor.ms)} of the floor`,
    ]);
    rows.push([
      `${mb} MB`,
      '@signpdf + placeholder-pdf-lib',
      fmt(signpdf),
      rss(signpdf),
      vs(signpdf),
      check(out('signpdf'), signpdf),
    ]);
    rows.push([`${mb} MB`, 'zgapdfsigner', fmt(zga), rss(zga), vs(zga), check(out('zga'), zga)]);
  }
  if (!verifyOnly)
    printTable(
      'PDF signing (best of runs; ms inside the process, Node start-up excluded; ratio = contender / kyso cold)',
      ['file', 'signer', 'ms', 'peak RSS MB', 'vs kyso', 'result'],
      rows,
    );

  // Verification: documents with 6 and 20 kyso signatures on the 10 MB file.
  const vrows: string[][] = [];
  const { signPdf } = await import('../agent/pdf/index.ts');
  const signer = await softwareSignerForBench();
  const baseMb = sizes.includes(10) ? 10 : (sizes[0] ?? 1);
  makePdf(join(outDir, `doc-${baseMb}mb.pdf`), baseMb);
  for (const count of [6, 20]) {
    const file = join(outDir, `verify-${baseMb}mb-${count}sigs.pdf`);
    if (!existsSync(file)) {
      let current = join(outDir, `doc-${baseMb}mb.pdf`);
      for (let i = 1; i <= count; i++) {
        const next = join(outDir, `verify-${baseMb}mb-${count}sigs-${i}.pdf`);
        rmSync(next, { force: true });
        await signPdf(current, { signer, output: next, preset: 'plain' });
        if (i > 1) rmSync(current, { force: true });
        current = next;
      }
      execFileSync('mv', [current, file]);
    }
    const kyso = best(runs, () => runWorker('kyso-verify', file, ''));
    // Whole processes, timed the same way: `kyso verify` (built CLI) and pdfsig, interleaved.
    const wholeProcess = [
      { label: 'kyso verify FILE --json (whole process)', run: () => kysoCliVerify(file) },
      { label: 'pdfsig FILE (whole process)', run: () => pdfsigValid(file, []) },
      { label: 'pdfsig -nocert FILE (whole process)', run: () => pdfsigValid(file) },
    ].map((c) => ({ ...c, best: Infinity, result: '' }));
    for (let i = 0; i < runs; i++) {
      for (const c of wholeProcess) {
        const v = c.run();
        c.best = Math.min(c.best, v.ms);
        c.result = `${v.valid}/${v.total} valid`;
      }
    }
    const base = wholeProcess[0]?.best ?? NaN;
    const doc = `${baseMb} MB, ${count} signatures`;
    for (const c of wholeProcess) {
      vrows.push([doc, c.label, ms(c.best), 'n/a', ratio(c.best / base), c.result]);
    }
    vrows.push([
      doc,
      'kyso verifyPdf (in-process, cold: first call)',
      ms(kyso.ms),
      kyso.maxRssMb.toFixed(0),
      ratio(kyso.ms / base),
      kyso.detail ?? '',
    ]);
    vrows.push([
      doc,
      'kyso verifyPdf (in-process, warm: a running agent)',
      ms(kyso.warmMs ?? NaN),
      '',
      ratio((kyso.warmMs ?? NaN) / base),
      '',
    ]);
  }
  printTable(
    'PDF verification (best of runs; whole-process rows include start-up; ratio = row / kyso verify CLI)',
    ['document', 'verifier', 'ms', 'peak RSS MB', 'vs kyso', 'result'],
    vrows,
  );
}

await main();
