import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isKysoError } from '../../errors/index.ts';
import { AnchorFinder } from './anchor.ts';
import { FontSubset } from './font.ts';
import { decisionPage, makeTestPdf } from './test-pdf.ts';

const pdf = makeTestPdf([
  decisionPage(),
  { texts: [{ text: 'Phụ lục [PHU_LUC]', x: 100, y: 400, size: 10 }], rotate: 90 },
]);
const finder = new AnchorFinder({ bytes: pdf.bytes });
const font = new FontSubset();
afterAll(() => finder.close());

describe('AnchorFinder', () => {
  it('finds a placeholder with its box in user space', async () => {
    const hit = await finder.find('[SIGNATURE]', [0]);
    expect(hit?.pageIndex).toBe(0);
    expect(hit?.fontSize).toBeCloseTo(12, 1);
    const [x1, y1, x2, y2] = hit?.rect ?? [];
    expect(x1).toBeCloseTo(375, 0);
    expect(x2).toBeCloseTo(375 + font.width('[SIGNATURE]', 12), 0);
    expect(y1).toBeCloseTo(250 - 0.22 * 12, 0);
    expect(y2).toBeCloseTo(250 + 0.9 * 12, 0);
  });

  it('finds text inside a longer run, measuring the characters before it', async () => {
    const hit = await finder.find('[SO_VB]', [0]);
    expect(hit?.rect[0]).toBeCloseTo(60 + font.width('Số: ', 13), 0);
    expect(hit?.rect[2]).toBeCloseTo(60 + font.width('Số: [SO_VB]', 13), 0);
  });

  it('ignores case, spacing and Unicode normalisation', async () => {
    for (const anchor of ['NGUYỄN VĂN AN', 'Nguyễn  Văn\nAn', 'Nguyễn Văn An'.normalize('NFD')]) {
      const hit = await finder.find(anchor, [0]);
      expect(hit?.rect[0], anchor).toBeCloseTo(370, 0);
    }
  });

  it('searches only the pages asked, in the order given', async () => {
    expect(await finder.find('[PHU_LUC]', [0])).toBeNull();
    const hit = await finder.find('[PHU_LUC]', [0, 1]);
    expect(hit?.pageIndex).toBe(1);
    // Text positions stay in user space on a rotated page.
    expect(hit?.rect[0]).toBeCloseTo(100 + font.width('Phụ lục ', 10), 0);
    expect(await finder.find('không có trong văn bản', [0, 1])).toBeNull();
  });

  it('reads a file by path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kyso-anchor-'));
    const path = join(dir, 'doc.pdf');
    writeFileSync(path, pdf.bytes);
    const byPath = new AnchorFinder({ path });
    try {
      expect((await byPath.find('CHỦ TỊCH', [0]))?.rect[0]).toBeCloseTo(380, 0);
    } finally {
      await byPath.close();
    }
  });

  it('does not detach the caller’s buffer', async () => {
    const bytes = Buffer.from(pdf.bytes);
    const own = new AnchorFinder({ bytes });
    await own.find('CHỦ TỊCH', [0]);
    await own.close();
    expect(bytes.equals(pdf.bytes)).toBe(true);
  });

  it('reports a password-protected PDF as PDF_ENCRYPTED', async () => {
    const encrypted = new AnchorFinder({
      path: join(
        import.meta.dirname,
        '../../../native-test/fixtures/corpus/005-libreoffice-writer-password_libreoffice-writer-password.pdf',
      ),
    });
    await expect(encrypted.find('x', [0])).rejects.toSatisfy((e: unknown) =>
      isKysoError(e, 'PDF_ENCRYPTED'),
    );
    await encrypted.close();
  });

  it('finds a placeholder drawn in two pieces', async () => {
    const split = makeTestPdf([
      {
        texts: [
          { text: '[SIG', x: 100, y: 300, size: 12 },
          { text: 'NATURE]', x: 100 + font.width('[SIG', 12), y: 300, size: 12 },
        ],
      },
    ]);
    const own = new AnchorFinder({ bytes: split.bytes });
    try {
      const hit = await own.find('[SIGNATURE]', [0]);
      expect(hit?.rect[0]).toBeCloseTo(100, 0);
      expect(hit?.rect[2]).toBeCloseTo(100 + font.width('[SIGNATURE]', 12), 0);
    } finally {
      await own.close();
    }
  });

  it('reports an unreadable PDF as PDF_MALFORMED and an empty anchor as INVALID_INPUT', async () => {
    const broken = new AnchorFinder({ bytes: Buffer.from('%PDF-1.7\nthis is not a pdf') });
    await expect(broken.find('x', [0])).rejects.toSatisfy((e: unknown) =>
      isKysoError(e, 'PDF_MALFORMED'),
    );
    await broken.close();
    await expect(finder.find('  ', [0])).rejects.toSatisfy((e: unknown) =>
      isKysoError(e, 'INVALID_INPUT'),
    );
  });
});
