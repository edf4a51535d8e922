/**
 * Child process for pdf-large.test.ts: signs (on SoftHSM2) and verifies one big PDF and
 * prints its own peak RSS, so the test measures this work alone.
 */
import { readFileSync } from 'node:fs';
import { signPdf, verifyPdf } from '../agent/pdf/index.ts';
import { startTestTokens, testSigner } from './pdf-judges.ts';
import { loadTestPki } from './pki.ts';

const [input = '', output = ''] = process.argv.slice(2);
const pki = loadTestPki();
const service = await startTestTokens(pki);
try {
  const signer = await testSigner(service, pki, 'leader');
  const t0 = performance.now();
  await signPdf(input, { signer, output, preset: 'plain' });
  const signMs = performance.now() - t0;
  const signRssMb = process.resourceUsage().maxRSS / 1024;
  const t1 = performance.now();
  const report = await verifyPdf(output, { trustAnchors: [readFileSync(pki.rootCaPem)] });
  const verifyMs = performance.now() - t1;
  process.stdout.write(
    JSON.stringify({
      signMs,
      verifyMs,
      signRssMb,
      maxRssMb: process.resourceUsage().maxRSS / 1024,
      valid: report.valid,
      total: report.totalDocumentSigned,
    }) + '\n',
  );
} finally {
  await service.close();
}
