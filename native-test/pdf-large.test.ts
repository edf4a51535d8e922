/**
 * A 200 MB PDF is signed on SoftHSM2 and verified without holding the file in memory: the
 * worker's peak RSS stays far below the file size. pdfsig and qpdf judge the result.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pdfsig } from './pdf-judges.ts';
import { copyTestPki } from './pki.ts';

const dir = mkdtempSync(join(tmpdir(), 'kyso-pdf-large-'));
// A private copy of the tokens: SoftHSM2 rewrites the token store on every login.
const pki = copyTestPki();
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(pki.dir, { recursive: true, force: true });
});

/** Writes a PDF of `pages` pages, each drawing its own 1 MiB uncompressed grey image. */
function writeBigPdf(path: string, pages: number): void {
  const fd = openSync(path, 'w');
  let offset = 0;
  const offsets: number[] = [];
  const write = (data: string | Buffer): void => {
    const b = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    writeSync(fd, b);
    offset += b.length;
  };
  const side = 1024;
  const pixels = Buffer.alloc(side * side, 0x80);
  write('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n');
  const kids: string[] = [];
  for (let p = 0; p < pages; p++) {
    const id = 3 + p * 3;
    kids.push(`${id} 0 R`);
    const content = `q 400 0 0 400 100 200 cm /Im0 Do Q`;
    offsets[id] = offset;
    write(
      `${id} 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im0 ${id + 2} 0 R >> >> /Contents ${id + 1} 0 R >>\nendobj\n`,
    );
    offsets[id + 1] = offset;
    write(
      `${id + 1} 0 obj\n<< /Length ${content.length} >>\nstream\n${content}\nendstream\nendobj\n`,
    );
    offsets[id + 2] = offset;
    pixels[p] = p & 0xff;
    write(
      `${id + 2} 0 obj\n<< /Type /XObject /Subtype /Image /Width ${side} /Height ${side} /ColorSpace /DeviceGray /BitsPerComponent 8 /Length ${pixels.length} >>\nstream\n`,
    );
    write(pixels);
    write('\nendstream\nendobj\n');
  }
  offsets[1] = offset;
  write('1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n');
  offsets[2] = offset;
  write(`2 0 obj\n<< /Type /Pages /Count ${pages} /Kids [${kids.join(' ')}] >>\nendobj\n`);
  const size = 3 + pages * 3;
  const xref = offset;
  let table = `xref\n0 ${size}\n0000000000 65535 f\r\n`;
  for (let i = 1; i < size; i++)
    table += `${String(offsets[i] ?? 0).padStart(10, '0')} 00000 n\r\n`;
  write(table + `trailer\n<< /Size ${size} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`);
  closeSync(fd);
}

describe('large files', () => {
  it('signs and verifies a 200 MB PDF with peak RSS far below the file size', async () => {
    const input = join(dir, 'big.pdf');
    const output = join(dir, 'big-signed.pdf');
    writeBigPdf(input, 200);
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
