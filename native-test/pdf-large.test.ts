/**
 * A 200 MB PDF is signed on SoftHSM2 and verified without holding the file in memory: the
 * worker's peak RSS stays far below the file size. pdfsig and qpdf judge the result.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeBigPdf } from './big-pdf.ts';
import { pdfsig } from './pdf-judges.ts';
import { copyTestPki } from './pki.ts';

const dir = mkdtempSync(join(tmpdir(), 'kyso-pdf-large-'));
// A private copy of the tokens: SoftHSM2 rewrites the token store on every login.
const pki = copyTestPki();
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(pki.dir, { recursive: true, force: true });
});

describe('large files', () => {
  it('signs and verifies a 200 MB PDF with peak RSS far below the file size', async () => {
    const input = join(dir, 'big.pdf');
    const output = join(dir, 'big-signed.pdf');
    makeBigPdf(input, 200 * 1024 * 1024);
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'pdf-large-worker.ts'), input, output],
      // A private copy of the tokens: SoftHSM2 rewrites the token store on every login.
      {
        encoding: 'utf8',
        env: { ...process.env, KYSO_TEST_PKI: join(copyTestPki().dir, 'pki.json') },
      },
    );
    expect(run.stderr).not.toMatch(/Error/);
    const result = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as {
      signMs: number;
      verifyMs: number;
      signRssMb: number;
      maxRssMb: number;
      valid: boolean;
      total: boolean;
    };
    expect(result).toMatchObject({ valid: true, total: true });
    // The file is 200 MB; the whole worker (Node, tsx, token client) stays under 200 MB.
    expect(result.maxRssMb).toBeLessThan(200);
    const sigs = await pdfsig(output);
    expect(sigs).toEqual([expect.objectContaining({ valid: true, totalDocumentSigned: true })]);
  }, 120_000);
});
