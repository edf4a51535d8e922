/**
 * Appearances through the real signer: a LibreOffice corpus file signed on SoftHSM2 with an
 * approval placed by a text anchor, the organisation's issuance (seal over the approval's left
 * third, found by signPdf from the approval widget), and a copy signature; a /Rotate 90 file
 * with an approval placed by rectangle. Judged by pdfsig, pdftoppm and pdftotext; widget
 * rectangles read back with pdf.js, not our own reader.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoSealPng, demoSignaturePng } from '../agent/pdf/appearance/demo-images.ts';
import { userRectToDisplay } from '../agent/pdf/appearance/geometry.ts';
import type { PageGeometry, Rect } from '../agent/pdf/appearance/index.ts';
import { signPdf } from '../agent/pdf/index.ts';
import type { TokenService } from '../agent/tokens/index.ts';
import { pdfsig, startTestTokens, testSigner } from './pdf-judges.ts';
import { loadTestPki, type TestPki } from './pki.ts';

const run = promisify(execFile);
const corpus = join(import.meta.dirname, 'fixtures/corpus');
const libreoffice = join(
  corpus,
  '002-trivial-libre-office-writer_002-trivial-libre-office-writer.pdf',
);
const rotated = join(corpus, '015-arabic_habibi-rotated.pdf');

let pki: TestPki;
let service: TokenService;
let dir: string;

beforeAll(async () => {
  pki = loadTestPki();
  service = await startTestTokens(pki);
  dir = mkdtempSync(join(tmpdir(), 'kyso-appearance-native-'));
});

afterAll(async () => {
  await service.close();
  if (!process.env.KYSO_KEEP_TEST_OUTPUT) rmSync(dir, { recursive: true, force: true });
});

interface Widget {
  fieldName: string;
  rect: Rect;
}

/** Widgets and page geometry of page 1, as pdf.js reads them. */
async function widgets(file: string): Promise<{ widgets: Widget[]; page: PageGeometry }> {
  const { getDocument } = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const doc = await getDocument({ data: new Uint8Array(readFileSync(file)), verbosity: 0 }).promise;
  try {
    const page = await doc.getPage(1);
    const annotations = (await page.getAnnotations()) as {
      fieldName?: string;
      rect: Rect;
      subtype: string;
    }[];
    return {
      widgets: annotations
        .filter((a) => a.subtype === 'Widget')
        .map((a) => ({ fieldName: a.fieldName ?? '', rect: a.rect })),
      page: { index: 0, mediaBox: page.view as Rect, rotate: page.rotate },
    };
  } finally {
    await doc.destroy();
  }
}

async function render(file: string, name: string): Promise<PNG> {
  const prefix = join(dir, name);
  await run('pdftoppm', ['-r', '72', '-png', '-singlefile', '-f', '1', '-l', '1', file, prefix]);
  return PNG.sync.read(readFileSync(`${prefix}.png`));
}

type Test = (r: number, g: number, b: number) => boolean;
const blue: Test = (r, g, b) => b > 120 && r < 110 && g < 130 && b - r > 60;
const red: Test = (r, g, b) => r > 150 && g < 110 && b < 110 && r - g > 70;
const dark: Test = (r, g, b) => r < 110 && g < 110 && b < 110;

/** Pixels matching test inside a displayed-page rect (origin bottom-left). */
function count(png: PNG, r: Rect, test: Test): number {
  let n = 0;
  for (
    let y = Math.max(0, Math.ceil(png.height - r[3]));
    y < Math.min(png.height, png.height - r[1]);
    y++
  ) {
    for (let x = Math.max(0, Math.ceil(r[0])); x < Math.min(png.width, r[2]); x++) {
      const i = (y * png.width + x) * 4;
      if (test(png.data[i] ?? 0, png.data[i + 1] ?? 0, png.data[i + 2] ?? 0)) n++;
    }
  }
  return n;
}

describe('appearances signed with signPdf on SoftHSM2', () => {
  it('approval by anchor, issuance over its left third, copy box: valid and rendered', async () => {
    const approved = join(dir, 'approved.pdf');
    const issued = join(dir, 'issued.pdf');
    const copied = join(dir, 'copied.pdf');
    await signPdf(libreoffice, {
      signer: await testSigner(service, pki, 'leader'),
      preset: 'approval',
      signerName: 'Nguyễn Văn An',
      appearance: { image: demoSignaturePng(), placement: { anchor: 'sadipscing', page: 0 } },
      output: approved,
    });
    await signPdf(approved, {
      signer: await testSigner(service, pki, 'seal'),
      preset: 'issuance',
      appearance: { image: demoSealPng(), docNumber: '123/QĐ-UBND', issuedDate: '2026-11-23' },
      output: issued,
    });
    await signPdf(issued, {
      signer: await testSigner(service, pki, 'clerk'),
      preset: 'copy',
      signingTime: new Date('2026-11-23T04:08:09Z'),
      appearance: { copyForm: 'SAO LỤC', organisation: 'Văn phòng Ủy ban nhân dân tỉnh' },
      output: copied,
    });

    const sigs = await pdfsig(copied);
    expect(sigs.map((s) => s.validation)).toEqual([
      'Signature is Valid.',
      'Signature is Valid.',
      'Signature is Valid.',
    ]);

    const { widgets: found, page } = await widgets(copied);
    expect(found).toHaveLength(3);
    const [approval, issuance, copy] = found.map((w) => userRectToDisplay(page, w.rect)) as [
      Rect,
      Rect,
      Rect,
    ];
    // The anchor word sits on the first line (baseline ~774): the signature is just above it.
    expect(approval[1]).toBeGreaterThan(774);
    expect(approval[1]).toBeLessThan(790);
    const third = (approval[2] - approval[0]) / 3;
    expect(issuance[2]).toBeCloseTo(approval[0] + third, 1);

    const png = await render(copied, 'copied');
    expect(count(png, approval, blue)).toBeGreaterThan(200);
    expect(
      count(png, [approval[0], approval[1], approval[0] + third, approval[3]], red),
    ).toBeGreaterThan(100);
    expect(count(png, [approval[0] + third + 1, approval[1], approval[2], approval[3]], red)).toBe(
      0,
    );
    expect(count(png, issuance, red)).toBeGreaterThan(1000);
    expect(copy[0]).toBeGreaterThan(png.width / 2);
    expect(copy[3]).toBeGreaterThan(png.height - 20);
    expect(count(png, copy, dark)).toBeGreaterThan(200);

    const { stdout } = await run('pdftotext', [copied, '-']);
    expect(stdout).toContain('SAO LỤC');
    expect(stdout).toContain('Văn phòng Ủy ban nhân dân tỉnh');
    expect(stdout).toContain('23/11/2026; 11:08:09; +07:00');
  });

  it('an attachment that is later copied shows both boxes at the top right, off the text', async () => {
    const attached = join(dir, 'attached.pdf');
    const copied = join(dir, 'attached-copied.pdf');
    await signPdf(libreoffice, {
      signer: await testSigner(service, pki, 'seal'),
      preset: 'attachment',
      appearance: { docNumber: '45/QĐ-UBND' },
      output: attached,
    });
    await signPdf(attached, {
      signer: await testSigner(service, pki, 'clerk'),
      preset: 'copy',
      appearance: { copyForm: 'SAO Y', organisation: 'Văn phòng Ủy ban nhân dân tỉnh' },
      output: copied,
    });
    expect((await pdfsig(copied)).map((s) => s.valid)).toEqual([true, true]);
    const { widgets: found, page } = await widgets(copied);
    const [attachment, copy] = found.map((w) => userRectToDisplay(page, w.rect)) as [Rect, Rect];
    // The text starts just below the attachment box: the copy box goes to its left, in the
    // same band, rather than down over the first lines.
    expect(copy[2]).toBeLessThan(attachment[0]);
    expect(copy[3]).toBeCloseTo(attachment[3], 1);
    const { stdout: bbox } = await run('pdftotext', [
      '-bbox',
      '-f',
      '1',
      '-l',
      '1',
      libreoffice,
      '-',
    ]);
    for (const m of bbox.matchAll(
      /<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">/g,
    )) {
      const word: Rect = [
        Number(m[1]),
        page.mediaBox[3] - Number(m[4]),
        Number(m[3]),
        page.mediaBox[3] - Number(m[2]),
      ];
      for (const box of [attachment, copy]) {
        const overlaps =
          word[0] < box[2] && box[0] < word[2] && word[1] < box[3] && box[1] < word[3];
        expect(overlaps).toBe(false);
      }
    }
    const png = await render(copied, 'attached-copied');
    expect(count(png, attachment, dark)).toBeGreaterThan(100);
    expect(count(png, copy, dark)).toBeGreaterThan(100);
    const { stdout } = await run('pdftotext', [copied, '-']);
    expect(stdout).toContain('45/QĐ-UBND');
    expect(stdout).toContain('SAO Y');
  });

  it('approval on a /Rotate 90 page lands where asked on the displayed page', async () => {
    const out = join(dir, 'rotated.pdf');
    const rect: Rect = [300, 100, 480, 170];
    await signPdf(rotated, {
      signer: await testSigner(service, pki, 'leader'),
      preset: 'approval',
      appearance: { image: demoSignaturePng(), placement: { page: 0, rect } },
      output: out,
    });
    expect((await pdfsig(out)).map((s) => s.valid)).toEqual([true]);
    const { widgets: found, page } = await widgets(out);
    expect(page.rotate).toBe(90);
    const shown = userRectToDisplay(page, found[0]?.rect ?? [0, 0, 0, 0]);
    expect(shown.map(Math.round)).toEqual(rect);
    const png = await render(out, 'rotated');
    expect(png.width).toBeGreaterThan(png.height); // the portrait MediaBox is shown landscape
    const inside = count(png, rect, blue);
    expect(inside).toBeGreaterThan(200);
    expect(count(png, [0, 0, png.width, png.height], blue)).toBe(inside);
  });
});
