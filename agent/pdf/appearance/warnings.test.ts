/**
 * What the appearance builder says when it did not do quite what was asked (issue 13): the
 * number or date without its placeholder, a scaled-down image, the approval in its default
 * place, a top-right box moved off the page's text; and the two refusals that say what to
 * pass (issuance without an approval to overlap, approval with no room on the last page).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isKysoError } from '../../errors/index.ts';
import {
  WARNING_CODES,
  placementHints,
  signWarning,
  warningCatalog,
  type SignWarning,
} from '../../protocol/index.ts';
import { DEMO_SEAL_PATH, DEMO_SIGNATURE_PATH } from './demo-images.ts';
import { buildAppearance } from './index.ts';
import { decisionPage, fakeCertificate, makeTestPdf, type TestPage } from './test-pdf.ts';
import type { AppearanceRequest, PlacedAppearance } from './types.ts';

const signature = readFileSync(DEMO_SIGNATURE_PATH);
const seal = readFileSync(DEMO_SEAL_PATH);
const signingTime = new Date('2026-11-23T04:08:09Z');
const MM = 72 / 25.4;

async function build(
  r: Partial<AppearanceRequest>,
  pages: TestPage[] = [decisionPage()],
  extra: {
    previousApprovalRect?: { pageIndex: number; rect: [number, number, number, number] };
  } = {},
): Promise<PlacedAppearance> {
  const pdf = makeTestPdf(pages);
  let next = pdf.nextId;
  const placed = await buildAppearance(
    {
      preset: 'approval',
      signerName: 'Nguyễn Văn An',
      signerCertificate: fakeCertificate(),
      signingTime,
      ...r,
    },
    { pages: pdf.pages, pdf: { bytes: pdf.bytes }, allocateObjectId: () => next++, ...extra },
  );
  if (!placed) throw new Error('no appearance');
  return placed;
}

async function failure(promise: Promise<unknown>): Promise<[string, Record<string, unknown>]> {
  try {
    await promise;
  } catch (error) {
    if (isKysoError(error)) return [error.code, error.details];
    throw error;
  }
  throw new Error('did not throw');
}

const codes = (p: PlacedAppearance): string[] => (p.warnings ?? []).map((w) => w.code);
const find = (p: PlacedAppearance, code: string): SignWarning | undefined =>
  p.warnings?.find((w) => w.code === code);

/** An ordinary letter: a heading and a paragraph at the top, no name, no placeholder. */
const letter: TestPage = {
  texts: [
    { text: 'Kính gửi: Sở Thông tin và Truyền thông', x: 72, y: 770, size: 12 },
    { text: 'Đề nghị quý Sở xem xét và trả lời trước ngày 30.', x: 72, y: 740, size: 12 },
    { text: 'Trân trọng.', x: 72, y: 720, size: 12 },
  ],
};
const approvalOverSeal = {
  previousApprovalRect: {
    pageIndex: 0,
    rect: [350, 200, 470, 250] as [number, number, number, number],
  },
};

describe('warning catalog', () => {
  it('every code has Vietnamese and English words, filled from the details', () => {
    expect(WARNING_CODES).toEqual(
      expect.arrayContaining([
        'DOC_NUMBER_NOT_PLACED',
        'ISSUED_DATE_NOT_PLACED',
        'IMAGE_SCALED',
        'APPROVAL_DEFAULT_PLACEMENT',
        'BOX_MOVED',
      ]),
    );
    for (const code of WARNING_CODES) {
      const { vi, en } = warningCatalog[code];
      expect(vi.length, code).toBeGreaterThan(40);
      expect(en.length, code).toBeGreaterThan(40);
      // Vietnamese text really is Vietnamese.
      expect(vi, code).toMatch(/[ăâđêôơưạảấầẩậắằẳặẹẻẽếềểệỉịọỏốồổộớờởợụủứừửựỳỷỹ]/u);
    }
    const w = signWarning('DOC_NUMBER_NOT_PLACED', { docNumber: '12/QĐ-UBND' });
    expect(w.message.vi).toContain('"12/QĐ-UBND"');
    expect(w.message.en).toContain('"12/QĐ-UBND"');
    expect(w.details).toEqual({ docNumber: '12/QĐ-UBND' });
    for (const hint of Object.values(placementHints)) {
      expect(hint.vi).toMatch(/placement/);
      expect(hint.en).toMatch(/placement/);
    }
  });
});

describe('sign warnings from the appearance', () => {
  it('nothing to say: the usual decision signed above its name carries no warnings', async () => {
    const placed = await build({ image: signature });
    expect(placed.warnings).toBeUndefined();
  });

  it('issuance: number and date without [SO_VB]/[NGAY_BH] are warnings, not silence', async () => {
    const placed = await build(
      { preset: 'issuance', image: seal, docNumber: '12/QĐ-UBND', issuedDate: '2026-11-23' },
      [letter],
      approvalOverSeal,
    );
    expect(codes(placed)).toEqual(['DOC_NUMBER_NOT_PLACED', 'ISSUED_DATE_NOT_PLACED']);
    const number = find(placed, 'DOC_NUMBER_NOT_PLACED');
    expect(number?.details).toMatchObject({ docNumber: '12/QĐ-UBND', anchor: '[SO_VB]' });
    expect(number?.message.en).toMatch(/docNumberPlacement/);
    expect(number?.message.vi).toMatch(/\[SO_VB\]/);
    const date = find(placed, 'ISSUED_DATE_NOT_PLACED');
    expect(date?.details).toMatchObject({ issuedDate: '2026-11-23', anchor: '[NGAY_BH]' });
    expect(date?.message.en).toMatch(/issuedDatePlacement/);

    // With the placeholders (the usual decision) both are written: no warning.
    const written = await build(
      { preset: 'issuance', image: seal, docNumber: '12/QĐ-UBND', issuedDate: '2026-11-23' },
      [decisionPage()],
      approvalOverSeal,
    );
    expect(written.warnings).toBeUndefined();
  });

  it('issuance without an approval signature to overlap and no placement: a clear error', async () => {
    const [code, details] = await failure(build({ preset: 'issuance', image: seal }, [letter]));
    expect(code).toBe('PDF_PLACEMENT_INVALID');
    expect(details).toMatchObject({
      reason: 'no approval signature to overlap; sign the approval first or give a placement',
      hint: 'ISSUANCE_WITHOUT_APPROVAL',
    });
    expect(details.hintVi).toMatch(/chưa có chữ ký số phê duyệt/);
    expect(details.hintEn).toMatch(/no approval signature to overlap/);
    // A placement is enough.
    const placed = await build(
      { preset: 'issuance', image: seal, placement: { page: 0, rect: [300, 500, 420, 620] } },
      [letter],
    );
    expect(placed.warnings).toBeUndefined();
  });

  it('approval: a signature placeholder is used when the name is not on the page', async () => {
    const page = decisionPage();
    page.texts = (page.texts ?? []).filter((t) => !t.text.startsWith('Nguyễn'));
    const placed = await build({ image: signature }, [page]);
    expect(placed.warnings).toBeUndefined();
    const shown = placed.rect; // an upright page: display space is user space
    // Centred on [SIGNATURE] (x 375, baseline 250).
    expect((shown[1] + shown[3]) / 2).toBeGreaterThan(235);
    expect((shown[1] + shown[3]) / 2).toBeLessThan(270);
  });

  it('approval with neither name nor placeholder: bottom right of the last page text, with a warning', async () => {
    const placed = await build({ image: signature }, [letter, letter]);
    expect(placed.pageIndex).toBe(1);
    expect(codes(placed)).toEqual(['APPROVAL_DEFAULT_PLACEMENT']);
    const w = find(placed, 'APPROVAL_DEFAULT_PLACEMENT');
    expect(w?.details).toMatchObject({ signerName: 'Nguyễn Văn An', pageNumber: 2 });
    expect(w?.message.vi).toMatch(/Nguyễn Văn An/);
    expect(w?.message.en).toMatch(/pass a placement/);
    const [x1, y1, x2, y2] = placed.rect;
    // Right half of the text block (72 .. right margin), below "Trân trọng." (baseline 720)
    // by 14 mm, at the real size (40 mm wide).
    expect(x1).toBeGreaterThan(297);
    expect(x2).toBeLessThanOrEqual(595 - 10 * MM + 0.01);
    expect(y2).toBeCloseTo(720 - 0.22 * 12 - 14 * MM, 0);
    // The demo PNG: 360 px at 9055 px/m.
    expect(x2 - x1).toBeCloseTo((360 / 9055) * 1000 * MM, 1);
    expect(y1).toBeGreaterThan(20 * MM);
  });

  it('approval default place, short of room: smaller (IMAGE_SCALED), and none at all: what to pass', async () => {
    // A last line at 135 pt: 135 - 14 mm - 20 mm leaves about 36 pt of the signature's 44.
    const low: TestPage = {
      texts: [...(letter.texts ?? []), { text: 'Nơi nhận: như trên.', x: 72, y: 135, size: 12 }],
    };
    const scaled = await build({ image: signature }, [low]);
    expect(codes(scaled)).toEqual(['IMAGE_SCALED', 'APPROVAL_DEFAULT_PLACEMENT']);
    const s = find(scaled, 'IMAGE_SCALED');
    expect(s?.details).toMatchObject({ image: 'signature', fromWidthMm: 39.8, pageNumber: 1 });
    expect(Number(s?.details?.toWidthMm)).toBeLessThan(40);
    expect(Number(s?.details?.toWidthMm)).toBeGreaterThanOrEqual(20);
    expect(s?.message.en).toMatch(/from 39\.8 × 15\.5 mm to \d+\.\d × \d+\.\d mm/);
    expect(scaled.rect[1]).toBeGreaterThanOrEqual(20 * MM - 0.01);

    const full: TestPage = {
      texts: [...(letter.texts ?? []), { text: 'Nơi nhận: như trên.', x: 72, y: 110, size: 12 }],
    };
    const [code, details] = await failure(build({ image: signature }, [full]));
    expect(code).toBe('PDF_ANCHOR_NOT_FOUND');
    expect(details).toMatchObject({ anchor: 'Nguyễn Văn An', hint: 'APPROVAL_NO_ROOM' });
    expect(details.anchors).toBe('Nguyễn Văn An, [CHU_KY], [SIGNATURE]');
    expect(details.hintEn).toMatch(/\{page, rect\}.*\{anchor\}/);

    // A last page with no text (scanned, blank): nothing to go by, the same refusal.
    const [blank] = await failure(build({ image: signature }, [letter, { texts: [] }]));
    expect(blank).toBe('PDF_ANCHOR_NOT_FOUND');
  });

  it('IMAGE_SCALED: the signature made smaller to fit between a close title and name', async () => {
    const tight = decisionPage({
      texts: [
        { text: 'CHỦ TỊCH', x: 380, y: 232, size: 13 },
        { text: 'Nguyễn Văn An', x: 370, y: 190, size: 13 },
      ],
    });
    const placed = await build({ image: signature }, [tight]);
    expect(codes(placed)).toEqual(['IMAGE_SCALED']);
    const w = find(placed, 'IMAGE_SCALED');
    expect(w?.details).toMatchObject({ image: 'signature', imageVi: 'chữ ký', fromWidthMm: 39.8 });
    expect(w?.message.vi).toMatch(/^Ảnh chữ ký đã được thu nhỏ từ 39\.8 × 15\.5 mm xuống /);
    expect(Number(w?.details?.toWidthMm)).toBeCloseTo((placed.rect[2] - placed.rect[0]) / MM, 0);
    // A rectangle the caller chose is not "scaled down": no warning.
    const fitted = await build({
      image: signature,
      placement: { page: 0, rect: [350, 200, 380, 210] },
    });
    expect(fitted.warnings).toBeUndefined();
  });

  it('BOX_MOVED: a copy box that cannot go at the top right says where it went', async () => {
    // Text right where the box goes (15 mm / 4 mm from the top right corner).
    const busy: TestPage = {
      texts: [
        { text: 'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM', x: 300, y: 820, size: 11 },
        { text: 'Độc lập - Tự do - Hạnh phúc', x: 340, y: 806, size: 11 },
      ],
    };
    const placed = await build({ preset: 'copy' }, [busy]);
    expect(codes(placed)).toEqual(['BOX_MOVED']);
    const w = find(placed, 'BOX_MOVED');
    expect(w?.details).toMatchObject({
      preset: 'copy',
      direction: expect.stringMatching(/left|down/),
    });
    expect(w?.message.vi).toMatch(/^Khung chữ ký bản sao không đặt được/);
    // At the free top right, no warning.
    const free = await build({ preset: 'copy' }, [letter]);
    expect(free.warnings).toBeUndefined();
  });
});
