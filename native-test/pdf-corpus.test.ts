/**
 * Every corpus PDF is signed on a SoftHSM2 token, or refused with a specific error; every
 * signed file is judged by pdfsig, qpdf, openssl cms and our own verifier.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKysoError } from '../agent/errors/index.ts';
import { signPdf, verifyPdf } from '../agent/pdf/index.ts';
import type { TokenService } from '../agent/tokens/index.ts';
import type { TokenSigner } from '../agent/cms/index.ts';
import { opensslVerifyAll, pdfsig, qpdfCheck, startTestTokens, testSigner } from './pdf-judges.ts';
import { copyTestPki, type TestPki } from './pki.ts';

const corpus = join(import.meta.dirname, 'fixtures/corpus');
const files = readdirSync(corpus).filter((f) => f.endsWith('.pdf'));

/** Files that must be refused, with the reason. */
const refused: Record<string, { code: string; reason?: RegExp }> = {
  '005-libreoffice-writer-password_libreoffice-writer-password.pdf': { code: 'PDF_ENCRYPTED' },
  '017-unreadable-meta-data_unreadablemetadata.pdf': {
    code: 'PDF_MALFORMED',
    reason: /cross-reference/,
  },
};

let pki: TestPki;
let service: TokenService;
let signer: TokenSigner;
let out: string;

beforeAll(async () => {
  pki = copyTestPki();
  service = await startTestTokens(pki);
  signer = await testSigner(service, pki, 'leader');
  out = mkdtempSync(join(tmpdir(), 'kyso-pdf-corpus-'));
});

afterAll(async () => {
  await service.close();
  rmSync(pki.dir, { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true });
});

describe('corpus', () => {
  it('has the files the issue names', () => {
    expect(files.length).toBeGreaterThanOrEqual(30);
  });

  for (const file of files) {
    const expected = refused[file];
    if (expected) {
      it(`refuses ${file} with ${expected.code}`, async () => {
        const error = await signPdf(join(corpus, file), { signer, output: join(out, file) }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isKysoError(error) ? error.code : error).toBe(expected.code);
        if (expected.reason && isKysoError(error)) {
          expect(String(error.details.reason)).toMatch(expected.reason);
        }
      });
      continue;
    }
    it(`signs ${file}; pdfsig, qpdf, openssl and verifyPdf agree`, async () => {
      const output = join(out, file);
      const result = await signPdf(join(corpus, file), { signer, output, preset: 'plain' });
      expect(result.output).toBe(output);
      const sigs = await pdfsig(output);
      expect(sigs).toHaveLength(1);
      expect(sigs[0]).toMatchObject({
        valid: true,
        subFilter: 'ETSI.CAdES.detached',
        totalDocumentSigned: true,
      });
      expect((await qpdfCheck(output)).ok).toBe(true);
      expect(await opensslVerifyAll(output, pki.rootCaPem)).toEqual([true]);
      const report = await verifyPdf(output, { trustAnchors: [readFileSync(pki.rootCaPem)] });
      expect(report.valid).toBe(true);
      expect(report.totalDocumentSigned).toBe(true);
      expect(report.signatures[0]?.signer).toBe(
        (await service.getCertificate(pki.token('leader').certificateId)).commonName,
      );
    });
  }
});
