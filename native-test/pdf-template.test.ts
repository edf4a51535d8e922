/**
 * A two-page document template as a document system produces it: number and date
 * placeholders on page 1, the signer's name on page 2. Approval is placed by anchor; the
 * issuance seal overlaps it and writes the number and date on page 1, so one signature field
 * gets widgets on two pages. Judged by pdfsig, qpdf, openssl, pdftotext and our verifier.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoSealPng, demoSignaturePng } from '../agent/pdf/appearance/demo-images.ts';
import { makeTestPdf } from '../agent/pdf/appearance/test-pdf.ts';
import { signPdf, verifyPdf } from '../agent/pdf/index.ts';
import { PdfReader } from '../agent/pdf/reader.ts';
import { readForm } from '../agent/pdf/fields.ts';
import { BufferSource } from '../agent/pdf/source.ts';
import type { TokenService } from '../agent/tokens/index.ts';
import { opensslVerifyAll, pdfsig, qpdfCheck, startTestTokens, testSigner } from './pdf-judges.ts';
import { copyTestPki, type TestPki } from './pki.ts';

const run = promisify(execFile);

let pki: TestPki;
let service: TokenService;
let dir: string;

beforeAll(async () => {
  pki = copyTestPki();
  service = await startTestTokens(pki);
  dir = mkdtempSync(join(tmpdir(), 'kyso-pdf-template-'));
});

afterAll(async () => {
  await service.close();
  rmSync(pki.dir, { recursive: true, force: true });
  if (!process.env.KYSO_KEEP_TEST_OUTPUT) rmSync(dir, { recursive: true, force: true });
});

describe('document template with anchors', () => {
  it('approval by anchor, then issuance with number and date on another page', async () => {
    const template = makeTestPdf([
      {
        texts: [
          { text: 'ỦY BAN NHÂN DÂN TỈNH KYSO', x: 60, y: 780, size: 12 },
          { text: 'Số: [SO_VB]', x: 60, y: 750, size: 12 },
          { text: 'Kyso, [NGAY_BH]', x: 330, y: 750, size: 12 },
          { text: 'QUYẾT ĐỊNH về việc thử nghiệm ký số', x: 150, y: 700, size: 14 },
        ],
      },
      {
        texts: [
          { text: 'KT. GIÁM ĐỐC', x: 380, y: 400, size: 12 },
          { text: 'PHÓ GIÁM ĐỐC', x: 380, y: 385, size: 12 },
          { text: 'Nguyễn Văn Ánh', x: 380, y: 280, size: 12 },
        ],
      },
    ]).bytes;
    const leader = await testSigner(service, pki, 'leader');
    const approved = (
      await signPdf(template, {
        signer: leader,
        preset: 'approval',
        appearance: { image: demoSignaturePng(), placement: { anchor: 'Nguyễn Văn Ánh' } },
      })
    ).bytes as Buffer;
    const seal = await testSigner(service, pki, 'seal');
    const issued = join(dir, 'issued.pdf');
    await signPdf(approved, {
      signer: seal,
      preset: 'issuance',
      output: issued,
      appearance: { image: demoSealPng(), docNumber: '15/QĐ-UBND', issuedDate: '2026-11-23' },
    });

    // pdfsig lists every signature widget: the issuance has two (pages 1 and 2).
    const sigs = await pdfsig(issued);
    expect(sigs.map((s) => s.valid)).toEqual([true, true, true]);
    expect(sigs.at(-1)?.totalDocumentSigned).toBe(true);
    expect((await qpdfCheck(issued)).ok).toBe(true);
    expect(await opensslVerifyAll(issued, pki.rootCaPem)).toEqual([true, true]);
    const report = await verifyPdf(issued, { trustAnchors: [readFileSync(pki.rootCaPem)] });
    expect(report.valid).toBe(true);
    expect(report.signatures.map((s) => s.preset)).toEqual(['approval', 'issuance']);

    // The issuance field has its widgets on both pages when the fields are on page 1.
    const reader = await PdfReader.open(new BufferSource(readFileSync(issued)));
    const form = await readForm(reader, (await reader.catalog()).dict);
    const pages = await reader.pages();
    const issuance = form.signatures[1];
    const pageOf = (w: { dict: { get(k: string): unknown } }): number => {
      const p = w.dict.get('P') as { num: number } | undefined;
      return pages.findIndex((pg) => pg.ref.num === p?.num);
    };
    expect(new Set(issuance?.widgets.map(pageOf))).toEqual(new Set([0, 1]));

    // pdftotext reads page content only: flatten the widgets into the page with qpdf first.
    const flat = join(dir, 'flat.pdf');
    await run('qpdf', ['--flatten-annotations=all', issued, flat]);
    const { stdout } = await run('pdftotext', ['-f', '1', '-l', '1', flat, '-']);
    expect(stdout).toContain('15/QĐ-UBND');
    expect(stdout).toContain('23 tháng 11 năm 2026');
  });
});
