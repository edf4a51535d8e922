/**
 * Issue 14: what B-T, B-LT and B-LTA cost over B-B, with the loopback OCSP/CRL/TSA doubles
 * (openssl per request, so the TSA and OCSP figures are local, not the 2–131 s of a real TSA).
 * One signature at a time through the real SigningPipeline (status check included at every
 * level, answered from the revocation cache after the first), software keys.
 * Run: npm run bench -- ltv
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PadesLevel } from '../agent/pdf/index.ts';
import { startPkiServices } from '../native-test/pki-services/services.ts';
import { certificateInfo, harness } from '../native-test/pki-services/soft-pipeline.ts';
import { percentile } from './stats.ts';

const RUNS = Number(process.env.KYSO_BENCH_RUNS ?? 5);
const here = fileURLToPath(new URL('.', import.meta.url));
const input = readFileSync(
  join(
    here,
    '../native-test/fixtures/corpus/002-trivial-libre-office-writer_002-trivial-libre-office-writer.pdf',
  ),
);

const pki = await startPkiServices();
try {
  const h = harness(pki);
  const id = certificateInfo(pki, 'good').id;
  const once = async (level: PadesLevel, n: number): Promise<{ ms: number; size: number }> => {
    const t0 = performance.now();
    const { result } = await h.pipeline.pdf.signOne(
      { origin: 'cli:bench', requestId: `b:${level}:${n}`, signal: new AbortController().signal },
      {
        method: 'sign.pdf',
        certificateId: id,
        scheme: undefined,
        hash: 'SHA-256',
        item: {
          name: 'bench.pdf',
          input,
          options: { preset: 'plain', appearance: {}, reason: `run ${n}`, level },
        },
      },
    );
    if (result.level !== level) throw new Error(`reached ${result.level ?? '?'}, not ${level}`);
    return { ms: performance.now() - t0, size: result.size };
  };
  const levels: PadesLevel[] = ['B-B', 'B-T', 'B-LT', 'B-LTA'];
  for (const level of levels) await once(level, -1); // warm-up (caches, JIT)
  const figures = new Map<PadesLevel, { p50: number; size: number }>();
  for (const level of levels) {
    const times: number[] = [];
    let size = 0;
    for (let n = 0; n < RUNS; n++) {
      const r = await once(level, n);
      times.push(r.ms);
      size = r.size;
    }
    times.sort((a, b) => a - b);
    figures.set(level, { p50: percentile(times, 50), size });
  }
  const base = figures.get('B-B')?.p50 ?? NaN;
  const baseSize = figures.get('B-B')?.size ?? NaN;
  process.stdout.write(`PAdES levels, ${RUNS} runs each (p50), input ${input.length} bytes\n`);
  process.stdout.write('level   p50 ms   × B-B   output bytes   + bytes over B-B\n');
  for (const level of levels) {
    const f = figures.get(level);
    if (!f) continue;
    process.stdout.write(
      `${level.padEnd(6)} ${f.p50.toFixed(1).padStart(8)} ${(f.p50 / base).toFixed(2).padStart(7)} ` +
        `${String(f.size).padStart(14)} ${String(f.size - baseSize).padStart(18)}\n`,
    );
  }
} finally {
  await pki.stop();
}
