/**
 * Results say what happened (issue 13): an approval with no placement on an ordinary
 * LibreOffice letter (no signer name, no placeholder) goes to the documented default place
 * with APPROVAL_DEFAULT_PLACEMENT; the issuance on top of it has no [SO_VB]/[NGAY_BH], so the
 * number and date come back as warnings; an issuance with no approval to overlap is refused
 * with what to pass; `kyso sign --json` carries the warnings and the terminal output prints
 * them; the signing dialog's request carries them before the user agrees (the tray shows it). Signed on SoftHSM2, rendered with pdftoppm (the PNGs stay in
 * .kyso-test/sign-warnings for people to look at), checked with pdfsig.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_SIGNATURE_PATH,
  demoSealPng,
  demoSignaturePng,
} from '../agent/pdf/appearance/demo-images.ts';
import { renderPage } from '../agent/pdf/appearance/test-pdf.ts';
import { defaultConfig } from '../agent/config/index.ts';
import type { SigningApprovalRequest } from '../agent/consent/index.ts';
import { isKysoError } from '../agent/errors/index.ts';
import { Journal } from '../agent/journal/index.ts';
import { SigningPipeline } from '../agent/signing/index.ts';
import { signPdf, signPdfs } from '../agent/pdf/index.ts';
import type { TokenService } from '../agent/tokens/index.ts';
import { pdfsig, startTestTokens, testSigner } from './pdf-judges.ts';
import { copyTestPki, type TestPki } from './pki.ts';

const letter = join(
  import.meta.dirname,
  'fixtures/corpus/002-trivial-libre-office-writer_002-trivial-libre-office-writer.pdf',
);
const OUT = join(process.cwd(), '.kyso-test', 'sign-warnings');
const MM = 72 / 25.4;

let pki: TestPki;
let service: TokenService;
let dir: string;

beforeAll(async () => {
  pki = copyTestPki();
  service = await startTestTokens(pki);
  dir = mkdtempSync(join(tmpdir(), 'kyso-sign-warnings-'));
  mkdirSync(OUT, { recursive: true });
});

afterAll(async () => {
  await service.close();
  rmSync(pki.dir, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

/** Blue signature pixels in a display rect (72 dpi render: one pixel per point). */
function bluePixels(pdf: Buffer, rect: number[], name: string): number {
  const img = renderPage(pdf, 0, mkdtempSync(join(dir, 'render-')));
  copyFileSync(img.path, join(OUT, `${name}.png`));
  let n = 0;
  for (let y = Math.floor(img.height - (rect[3] ?? 0)); y < img.height - (rect[1] ?? 0); y++) {
    for (let x = Math.floor(rect[0] ?? 0); x < (rect[2] ?? 0); x++) {
      const [r, g, b] = img.pixel(x, y);
      if (b > 120 && r < 110 && g < 130 && b - r > 60) n++;
    }
  }
  return n;
}

describe('sign results carry warnings', () => {
  it('approval on an ordinary letter: default place, APPROVAL_DEFAULT_PLACEMENT; issuance: number and date not placed', async () => {
    const leader = await testSigner(service, pki, 'leader');
    const approved = await signPdf(letter, {
      signer: leader,
      preset: 'approval',
      appearance: { image: demoSignaturePng() },
    });
    expect(approved.warnings.map((w) => w.code)).toEqual(['APPROVAL_DEFAULT_PLACEMENT']);
    const w = approved.warnings[0];
    expect(w?.details).toMatchObject({ pageNumber: 1 });
    const rect = JSON.parse(String(w?.details?.rect)) as number[];
    // Right half of the text block, below its last line (pdftotext: the paragraph ends at
    // about y = 841.9 - 150 from the bottom), clear of the bottom 20 mm.
    expect(rect[0]).toBeGreaterThan(595.3 / 2);
    expect(rect[3]).toBeLessThan(841.9 - 150);
    expect(rect[1]).toBeGreaterThan(20 * MM);
    const bytes = approved.bytes ?? Buffer.alloc(0);
    expect(bluePixels(bytes, rect, 'approval-default')).toBeGreaterThan(300);
    // Nothing blue above the rect: the letter's text is not covered.
    expect(bluePixels(bytes, [0, rect[3] ?? 0, 595, 842], 'approval-default')).toBe(0);
    const approvedPath = join(dir, 'approved.pdf');
    writeFileSync(approvedPath, bytes);
    expect((await pdfsig(approvedPath))[0]?.valid).toBe(true);

    // The clerk's issuance: the seal over the approval's left third; the letter has no
    // [SO_VB] / [NGAY_BH], so both values come back as warnings instead of vanishing.
    const clerk = await testSigner(service, pki, 'seal');
    const issued = await signPdf(approvedPath, {
      signer: clerk,
      preset: 'issuance',
      appearance: { image: demoSealPng(), docNumber: '15/QĐ-UBND', issuedDate: '2026-11-23' },
    });
    expect(issued.warnings.map((x) => x.code)).toEqual([
      'DOC_NUMBER_NOT_PLACED',
      'ISSUED_DATE_NOT_PLACED',
    ]);
    expect(issued.warnings[0]?.message.vi).toContain('15/QĐ-UBND');
    const issuedPath = join(dir, 'issued.pdf');
    writeFileSync(issuedPath, issued.bytes ?? Buffer.alloc(0));
    copyFileSync(
      renderPage(issued.bytes ?? Buffer.alloc(0), 0, mkdtempSync(join(dir, 'r-'))).path,
      join(OUT, 'issued.png'),
    );
    const sigs = await pdfsig(issuedPath);
    expect(sigs.map((s) => s.valid)).toEqual([true, true]);
  });

  it('issuance with no approval to overlap and no placement: refused with what to pass', async () => {
    const clerk = await testSigner(service, pki, 'seal');
    const error = await signPdf(letter, {
      signer: clerk,
      preset: 'issuance',
      appearance: { image: demoSealPng() },
    }).catch((e: unknown) => e);
    expect(isKysoError(error, 'PDF_PLACEMENT_INVALID')).toBe(true);
    if (!isKysoError(error)) return;
    expect(error.details).toMatchObject({ hint: 'ISSUANCE_WITHOUT_APPROVAL' });
    expect(String(error.details.hintEn)).toMatch(/sign the approval first, or give a placement/i);
  });

  it('a plain signature and a batch item: warnings always there, empty when nothing to say', async () => {
    const leader = await testSigner(service, pki, 'leader');
    const plain = await signPdf(letter, { signer: leader });
    expect(plain.warnings).toEqual([]);
    // A number or date the preset does not show is not dropped in silence either.
    const ignored = await signPdf(letter, {
      signer: leader,
      appearance: { docNumber: '15/QĐ-UBND', issuedDate: '2026-11-23' },
    });
    expect(ignored.warnings.map((x) => [x.code, x.details?.field])).toEqual([
      ['VALUE_NOT_SHOWN', 'docNumber'],
      ['VALUE_NOT_SHOWN', 'issuedDate'],
    ]);
    expect(ignored.warnings[0]?.message.en).toMatch(
      /^The docNumber value was not written .* the plain preset/,
    );
    const [item] = await signPdfs(
      [
        {
          input: letter,
          options: { preset: 'approval', appearance: { image: demoSignaturePng() } },
        },
      ],
      { signer: leader },
    );
    expect(item?.ok).toBe(true);
    if (item?.ok)
      expect(item.result.warnings.map((x) => x.code)).toEqual(['APPROVAL_DEFAULT_PLACEMENT']);
  });

  it('the signing dialog is told the warnings before the user agrees', async () => {
    const leader = pki.token('leader');
    const asked: SigningApprovalRequest[] = [];
    const pipeline = new SigningPipeline({
      tokens: service,
      consent: {
        approveOrigin: () => Promise.resolve(true),
        approveSigning: (request) => {
          asked.push(request);
          return Promise.resolve(true);
        },
        askPin: () => Promise.resolve(leader.pin),
      },
      journal: new Journal(join(dir, 'journal.jsonl'), defaultConfig.journal),
      pinCache: { enabled: false, ttlSeconds: 60 },
      trust: { anchors: [pki.rootCaPem], intermediates: [pki.issuingCaPem] },
      revocation: { ...defaultConfig.revocation, policy: 'warn' },
    });
    try {
      const { result } = await pipeline.pdf.signOne(
        { origin: 'cli:tester', requestId: 'cli:1', signal: new AbortController().signal },
        {
          method: 'sign.pdf',
          certificateId: leader.certificateId,
          scheme: undefined,
          hash: 'SHA-256',
          item: {
            name: 'letter.pdf',
            input: readFileSync(letter),
            options: { preset: 'approval', appearance: { image: demoSignaturePng() } },
          },
        },
      );
      const [document] = asked[0]?.documents ?? [];
      expect(document?.warnings?.map((w) => w.code)).toEqual(['APPROVAL_DEFAULT_PLACEMENT']);
      expect(document?.warnings).toEqual(result.warnings);
    } finally {
      await pipeline.close();
    }
  });

  it('kyso sign prints the warnings, and --json carries them', () => {
    const kyso = (args: string[]) =>
      spawnSync('node', ['bin/kyso.js', ...args], {
        input: `${pki.token('leader').pin}\n`,
        encoding: 'utf8',
        env: { ...process.env, SOFTHSM2_CONF: pki.softhsm2Conf, KYSO_CONFIG_DIR: pki.dir },
      });
    const common = (out: string) => [
      'sign',
      letter,
      '--cert',
      pki.token('leader').certificateId,
      '--out',
      out,
      '--chain',
      pki.issuingCaPem,
      '--pin-stdin',
      '--module',
      pki.modulePath,
      '--preset',
      'approval',
      '--image',
      DEMO_SIGNATURE_PATH,
    ];
    const json = kyso([...common(join(dir, 'cli.pdf')), '--json']);
    expect(json.status).toBe(0);
    const out = JSON.parse(json.stdout) as { warnings: { code: string; message: unknown }[] };
    expect(out.warnings.map((w) => w.code)).toEqual(['APPROVAL_DEFAULT_PLACEMENT']);
    expect(out.warnings[0]?.message).toMatchObject({
      vi: expect.any(String),
      en: expect.any(String),
    });

    const text = kyso(common(join(dir, 'cli-text.pdf')));
    expect(text.status).toBe(0);
    expect(text.stderr).toMatch(
      /Chú ý \[APPROVAL_DEFAULT_PLACEMENT\]: Không tìm thấy tên người ký/,
    );
    expect(text.stderr).toMatch(/Note: Neither the signer's name/);
    expect(readFileSync(join(dir, 'cli-text.pdf')).length).toBeGreaterThan(0);
  });
});
