/** Documents the benchmarks generate (bench/pdf.ts, bench/verify.ts). */
import { existsSync } from 'node:fs';
import { makeBigPdf } from '../native-test/big-pdf.ts';

/** Writes (once) a valid PDF of about `mb` MiB: uncompressed grey page images, like a scan. */
export function makePdf(path: string, mb: number): void {
  if (!existsSync(path)) makeBigPdf(path, Math.max(1, mb) * 1024 * 1024);
}
