/**
 * The six-signature life of an issued document (approval, issuance, attachment, copy, an
 * ECDSA signature and an RSA-PSS SHA-384 one from the SIM PKI token) on a LibreOffice file
 * (classic xref table) and a pdflatex file (xref streams), each signature made on SoftHSM2.
 * Judges: pdfsig, qpdf, openssl cms, our verifier; then one flipped byte breaks them all.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoSealPng, demoSignaturePng } from '../agent/pdf/appearance/demo-images.ts';
import { signPdf, verifyPdf, type SignPdfOptions } from '../agent/pdf/index.ts';
import type { TokenService } from '../agent/tokens/index.ts';
import { opensslVerifyAll, pdfsig, qpdfCheck, startTestTokens, testSigner } from './pdf-judges.ts';
import { copyTestPki, type TestPki, type TestRole } from './pki.ts';

const run = promisify(execFile);
const corpus = join(import.meta.dirname, 'fixtures/corpus');
const documents = {
  libreoffice: '002-trivial-libre-office-writer_002-trivial-libre-office-writer.pdf',
  xrefStream: '001-trivial_minimal-document.pdf',
};

let pki: TestPki;
let service: TokenService;
let dir: string;

beforeAll(async () => {
  pki = copyTestPki();
  service = await startTestTokens(pki);
  dir = mkdtempSync(join(tmpdir(), 'kyso-pdf-seq-'));
});

afterAll(async () => {
  await service.close();
  rmSync(pki.dir, { recursive: true, force: true });
  if (!process.env.KYSO_KEEP_TEST_OUTPUT) rmSync(dir, { recursive: true, force: true });
});

interface Step {
  role: TestRole;
  options: Omit<SignPdfOptions, 'signer' | 'output'>;
  scheme?: 'RSA-PSS';
}

const approvalRect: [number, number, number, number] = [330, 120, 480, 200];
const steps: Step[] = [
  {
    role: 'leader',
    options: {
      preset: 'approval',
      appearance: { image: demoSignaturePng(), placement: { page: 0, rect: approvalRect } },
    },
  },
  {
    role: 'seal',
    options: {
      preset: 'issuance',
      appearance: { image: demoSealPng(), docNumber: '123/QĐ-UBND', issuedDate: '2026-11-23' },
    },
  },
  { role: 'seal', options: { preset: 'attachment', appearance: { docNumber: '123/QĐ-UBND' } } },
  {
    role: 'clerk',
    options: { preset: 'copy', appearance: { organisation: 'Văn phòng UBND tỉnh Kyso' } },
  },
  { role: 'ecdsa', options: { preset: 'plain', reason: 'Đã xem xét' } },
  {
    role: 'sim',
    scheme: 'RSA-PSS',
    options: {
      preset: 'custom',
      hash: 'SHA-384',
      appearance: {
        placement: { page: 0, rect: [40, 40, 260, 100] },
        textLines: ['Ý kiến: Đồng ý', 'Ký bằng SIM PKI'],
      },
    },
  },
];

/** Reads a binary PPM (P6) rendered by pdftoppm. */
function readPpm(file: string): { width: number; height: number; rgb: Buffer } {
  const data = readFileSync(file);
  const header = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(data.toString('latin1', 0, 50));
  if (!header?.[1] || !header[2]) throw new Error('not a P6 PPM');
  const width = Number(header[1]);
  const height = Number(header[2]);
  return { width, height, rgb: data.subarray(header[0].length) };
}

/** Counts pixels in a PDF-space rect (72 dpi render, origin bottom-left) matching a test. */
function countPixels(
  image: { width: number; height: number; rgb: Buffer },
  rect: [number, number, number, number],
  test: (r: number, g: number, b: number) => boolean,
): number {
  let n = 0;
  for (let y = Math.round(image.height - rect[3]); y < image.height - rect[1]; y++) {
    for (let x = Math.round(rect[0]); x < rect[2]; x++) {
      const i = (y * image.width + x) * 3;
      if (test(image.rgb[i] ?? 0, image.rgb[i + 1] ?? 0, image.rgb[i + 2] ?? 0)) n++;
    }
  }
  return n;
}

for (const [kind, file] of Object.entries(documents)) {
  describe(`six signatures on the ${kind} document`, () => {
    let current: string;
    let final: string;

    it('each step keeps every earlier signature valid (pdfsig)', async () => {
      current = join(dir, `${kind}-0.pdf`);
      copyFileSync(join(corpus, file), current);
      for (const [i, step] of steps.entries()) {
        const signer = await testSigner(service, pki, step.role, step.scheme);
        const output = join(dir, `${kind}-${i + 1}.pdf`);
        await signPdf(current, { ...step.options, signer, output });
        const sigs = await pdfsig(output);
        expect(sigs, `after step ${i + 1} (${step.options.preset ?? ''})`).toHaveLength(i + 1);
        expect(sigs.map((s) => s.validation)).toEqual(sigs.map(() => 'Signature is Valid.'));
        expect(sigs.map((s) => s.totalDocumentSigned)).toEqual(sigs.map((_, k) => k === i));
        current = output;
      }
      final = current;
    });

    it('qpdf, openssl cms and our verifier accept the result', async () => {
      expect((await qpdfCheck(final)).ok).toBe(true);
      expect(await opensslVerifyAll(final, pki.rootCaPem)).toEqual(steps.map(() => true));
      const report = await verifyPdf(final, { trustAnchors: [readFileSync(pki.rootCaPem)] });
      expect(report.totalDocumentSigned).toBe(true);
      expect(report.valid).toBe(true);
      expect(report.signatures.map((s) => s.preset)).toEqual(
        steps.map((s) => s.options.preset ?? 'plain'),
      );
      expect(report.signatures.map((s) => s.changes)).toEqual([
        ...steps.slice(1).map(() => 'signatures-only'),
        'none',
      ]);
      expect(report.signatures[5]?.hashAlgorithm).toBe('SHA-384');
      for (const s of report.signatures) {
        expect(s.integrity).toEqual({
          byteRangeValid: true,
          digestMatches: true,
          signatureValid: true,
          signingCertificateValid: true,
        });
        expect(s.chain?.trusted).toBe(true);
        expect(s.pades).toBe(true);
      }
      // Placeholders are sized to the CMS, not a fixed 16 KB block.
      for (const s of report.signatures) {
        const gap = (s.byteRange[2] ?? 0) - (s.byteRange[1] ?? 0);
        expect(gap).toBeLessThan(2 * 4096);
      }
    });

    it('renders the approval image (blue) and the seal (red) where they were placed', async () => {
      const prefix = join(dir, `${kind}-render`);
      await run('pdftoppm', ['-r', '72', '-f', '1', '-l', '1', final, prefix]);
      const ppm = readPpm(`${prefix}-1.ppm`);
      const blue = countPixels(ppm, approvalRect, (r, g, b) => b > 120 && r < 100 && g < 120);
      expect(blue).toBeGreaterThan(50);
      // The seal overlaps the left third of the approval image.
      const sealArea: [number, number, number, number] = [
        approvalRect[0] - 120,
        approvalRect[1] - 80,
        approvalRect[0] + 80,
        approvalRect[3] + 80,
      ];
      const red = countPixels(ppm, sealArea, (r, g, b) => r > 150 && g < 90 && b < 90);
      expect(red).toBeGreaterThan(50);
    });

    it('a flipped byte in the signed range is reported invalid by every judge', async () => {
      const bytes = readFileSync(final);
      bytes[10] = (bytes[10] ?? 0) ^ 0x01; // inside the header comment: still parses
      const tampered = join(dir, `${kind}-tampered.pdf`);
      writeFileSync(tampered, bytes);
      const sigs = await pdfsig(tampered);
      expect(sigs).toHaveLength(steps.length);
      expect(sigs.every((s) => !s.valid)).toBe(true);
      expect(await opensslVerifyAll(tampered, pki.rootCaPem)).toEqual(steps.map(() => false));
      const report = await verifyPdf(tampered, { trustAnchors: [readFileSync(pki.rootCaPem)] });
      expect(report.valid).toBe(false);
      expect(report.signatures.every((s) => !s.integrity.digestMatches && !s.valid)).toBe(true);
    });
  });
}
