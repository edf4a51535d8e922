import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isKysoError } from '../../errors/index.ts';
import { DEMO_SEAL_PATH, DEMO_SIGNATURE_PATH } from './demo-images.ts';
import { userRectToDisplay } from './geometry.ts';
import { buildAppearance } from './index.ts';
import { decisionPage, fakeCertificate, makeTestPdf } from './test-pdf.ts';
import type { AppearanceContext, AppearanceRequest, PlacedAppearance } from './types.ts';

const signature = readFileSync(DEMO_SIGNATURE_PATH);
const seal = readFileSync(DEMO_SEAL_PATH);
const base = makeTestPdf([decisionPage()]);
const signingTime = new Date('2026-11-23T04:08:09Z');

function context(
  extra: Partial<AppearanceContext> = {},
  pdf = base,
): AppearanceContext & { ids: number[] } {
  const ids: number[] = [];
  let next = pdf.nextId;
  return {
    pages: pdf.pages,
    pdf: { bytes: pdf.bytes },
    allocateObjectId: () => {
      ids.push(next);
      return next++;
    },
    ids,
    ...extra,
  };
}

const request = (r: Partial<AppearanceRequest>): AppearanceRequest => ({
  preset: 'approval',
  signerName: 'Nguyễn Văn An',
  signerCertificate: fakeCertificate(),
  signingTime,
  ...r,
});

async function build(r: Partial<AppearanceRequest>, ctx = context()): Promise<PlacedAppearance> {
  const placed = await buildAppearance(request(r), ctx);
  if (!placed) throw new Error('no appearance');
  return placed;
}

async function codeOf(promise: Promise<unknown>): Promise<[string, Record<string, unknown>]> {
  try {
    await promise;
  } catch (error) {
    if (isKysoError(error)) return [error.code, error.details];
    throw error;
  }
  throw new Error('did not throw');
}

const formOf = (p: PlacedAppearance): string =>
  p.objects.find((o) => o.id === p.normalAppearanceId)?.body.toString('latin1') ?? '';

describe('buildAppearance', () => {
  it('returns null for an invisible (plain) signature', async () => {
    expect(await buildAppearance(request({ preset: 'plain' }), context())).toBeNull();
  });

  it('approval by rectangle: the image fits the rectangle, all ids come from the allocator', async () => {
    const ctx = context();
    const placed = await build(
      { image: signature, placement: { page: 0, rect: [350, 200, 480, 280] } },
      ctx,
    );
    expect(placed.pageIndex).toBe(0);
    // 360×140 px fitted into 130×80: 130 wide, 50.6 high, centred vertically.
    expect(placed.rect[0]).toBeCloseTo(350, 3);
    expect(placed.rect[2]).toBeCloseTo(480, 3);
    expect(placed.rect[3] - placed.rect[1]).toBeCloseTo((130 * 140) / 360, 3);
    expect(placed.objects.map((o) => o.id).sort()).toEqual([...ctx.ids].sort());
    expect(new Set(ctx.ids).size).toBe(ctx.ids.length);
    const form = formOf(placed);
    expect(form).toMatch(
      /^<< \/Type \/XObject \/Subtype \/Form \/FormType 1 \/BBox \[0 0 130 50\.556\] \/Matrix \[1 0 0 1 0 0\]/,
    );
    expect(form).toContain('/XObject << /Im1 ');
    expect(form).not.toContain('/Font');
    expect(form.endsWith('\nendstream')).toBe(true);
  });

  it('approval by placeholder: image centred on it, placeholder painted over', async () => {
    const placed = await build({ image: signature, placement: { anchor: '[SIGNATURE]' } });
    const cx = (placed.rect[0] + placed.rect[2]) / 2;
    const cy = (placed.rect[1] + placed.rect[3]) / 2;
    expect(cx).toBeCloseTo(375 + 33, -1); // "[SIGNATURE]" at 12 pt is about 66 pt wide
    expect(cy).toBeCloseTo(254, -1);
    // Real size from the PNG's 230 dpi: 360 px = 112.7 pt.
    expect(placed.rect[2] - placed.rect[0]).toBeCloseTo((360 * 72) / 230, 0);
    expect(formOf(placed)).toContain(' re f Q');
  });

  it('approval without placement goes above the signer’s name', async () => {
    const placed = await build({ image: signature });
    expect(placed.rect[1]).toBeGreaterThan(190 + 0.9 * 13);
    expect(placed.rect[1]).toBeLessThan(190 + 0.9 * 13 + 5);
  });

  it('issuance: the seal overlaps the left third of the approval image', async () => {
    const approval = await build({
      image: signature,
      placement: { page: 0, rect: [350, 200, 480, 280] },
    });
    const a = approval.rect;
    const issuance = await build(
      { preset: 'issuance', signerName: 'Ủy ban nhân dân', image: seal },
      context({ previousApprovalRect: { pageIndex: 0, rect: a } }),
    );
    // Without number or date, the widget is the seal itself.
    const s = issuance.rect;
    const third = (a[2] - a[0]) / 3;
    expect(s[2]).toBeCloseTo(a[0] + third, 3);
    expect(s[0]).toBeLessThan(a[0]);
    const overlap = Math.min(s[2], a[2]) - Math.max(s[0], a[0]);
    expect(overlap).toBeCloseTo(third, 3);
    expect((s[1] + s[3]) / 2).toBeCloseTo((a[1] + a[3]) / 2, 3);
    // 36 mm real size.
    expect(((s[2] - s[0]) / 72) * 25.4).toBeCloseTo(36, 0);
  });

  it('issuance writes the number and date into their placeholders', async () => {
    const placed = await build({
      preset: 'issuance',
      image: seal,
      placement: { anchor: '[SIGNATURE]' },
      docNumber: '123/QĐ-UBND',
      issuedDate: '2026-11-23',
    });
    // One widget covering seal and fields on the same page; text drawn with the font.
    expect(placed.extra).toBeUndefined();
    expect(placed.rect[3]).toBeGreaterThan(760);
    const form = formOf(placed);
    expect(form).toContain('/Font << /F1 ');
    expect(form.match(/ Tj ET/g)).toHaveLength(2);
  });

  it('issuance puts fields found on another page into extra widgets', async () => {
    const twoPages = makeTestPdf([
      decisionPage({ texts: [{ text: 'Số: [SO_VB]', x: 60, y: 760, size: 13 }] }),
      decisionPage({ texts: [{ text: '[SIGNATURE]', x: 375, y: 250, size: 12 }] }),
    ]);
    const placed = await build(
      {
        preset: 'issuance',
        image: seal,
        placement: { anchor: '[SIGNATURE]' },
        docNumber: '7/UBND',
      },
      context({}, twoPages),
    );
    expect(placed.pageIndex).toBe(1);
    expect(placed.extra?.map((e) => e.pageIndex)).toEqual([0]);
    const extra = placed.extra?.[0];
    expect(extra && formOf(extra)).toContain(' Tj ET');
  });

  it('issuance skips absent default placeholders but not an explicit anchor', async () => {
    const plain = makeTestPdf([
      { texts: [{ text: 'Không có chỗ ghi số', x: 60, y: 700, size: 12 }] },
    ]);
    const placed = await build(
      {
        preset: 'issuance',
        image: seal,
        placement: { page: 0, rect: [100, 100, 200, 200] },
        docNumber: '1/UBND',
      },
      context({}, plain),
    );
    expect(formOf(placed)).not.toContain('Tj');
    const [code, details] = await codeOf(
      build(
        {
          preset: 'issuance',
          image: seal,
          placement: { page: 0, rect: [100, 100, 200, 200] },
          docNumber: '1/UBND',
          docNumberPlacement: { anchor: '<<SO>>' },
        },
        context({}, plain),
      ),
    );
    expect(code).toBe('PDF_ANCHOR_NOT_FOUND');
    expect(details.anchor).toBe('<<SO>>');
  });

  it('attachment: number and Vietnam time in a 10 pt box at the top right of page 1', async () => {
    const placed = await build({ preset: 'attachment', docNumber: '123/QĐ-UBND' });
    expect(placed.pageIndex).toBe(0);
    const [x1, y1, x2, y2] = placed.rect;
    expect(x2).toBeCloseTo(595.28 - 42.52, 1);
    expect(y2).toBeCloseTo(841.89 - 11.34, 1);
    expect(x1).toBeGreaterThan(595.28 / 2);
    expect(y1).toBeGreaterThan(841.89 - 57); // within the 20 mm top margin
    const form = formOf(placed);
    expect(form.match(/BT \/F1 10 Tf 0 0 0 rg/g)).toHaveLength(2);
  });

  it('copy: form, organisation (from the certificate by default) and time', async () => {
    const placed = await build({ preset: 'copy', copyForm: 'trích sao' });
    expect(formOf(placed).match(/ Tj ET/g)).toHaveLength(3);
    const [code, details] = await codeOf(build({ preset: 'copy', copyForm: 'SAO CHÉP' }));
    expect(code).toBe('INVALID_INPUT');
    expect(details.field).toBe('copyForm');
  });

  it('custom: image and text lines in the given rectangle', async () => {
    const placed = await build({
      preset: 'custom',
      image: signature,
      textLines: ['Người ký: Nguyễn Văn An', 'Chức vụ: Chủ tịch'],
      placement: { page: 0, rect: [300, 100, 500, 200] },
    });
    expect(placed.rect).toEqual([300, 100, 500, 200]);
    expect(formOf(placed).match(/ Tj ET/g)).toHaveLength(2);
  });

  it('box presets shrink the text into a given rectangle and follow an anchor', async () => {
    const small = await build({
      preset: 'copy',
      placement: { page: 0, rect: [400, 700, 480, 730] },
    });
    expect(small.rect).toEqual([400, 700, 480, 730]);
    const sizes = [...formOf(small).matchAll(/\/F1 ([\d.]+) Tf/g)].map((m) => Number(m[1]));
    expect(sizes).toHaveLength(3);
    for (const size of sizes) expect(size).toBeLessThan(10);

    const anchored = await build({
      preset: 'attachment',
      docNumber: '9/UBND',
      placement: { anchor: '[SO_VB]' },
    });
    expect(anchored.rect[0]).toBeLessThan(130); // starts where "[SO_VB]" starts, painted over
    expect(formOf(anchored)).toContain(' re f Q');
  });

  it('custom by anchor: a box centred on a placeholder', async () => {
    const placed = await build({
      preset: 'custom',
      image: signature,
      textLines: ['Đã ký'],
      placement: { anchor: '[SIGNATURE]' },
    });
    const cx = (placed.rect[0] + placed.rect[2]) / 2;
    expect(cx).toBeCloseTo(375 + 33, -1);
    expect(formOf(placed)).toContain('/Im1 Do');
  });

  it('handles a rotated page with a non-zero MediaBox origin', async () => {
    const rotated = makeTestPdf([{ mediaBox: [100, 50, 941.89, 645.28], rotate: 90, texts: [] }]);
    const page = rotated.pages[0];
    const placed = await build(
      { image: signature, placement: { page: 0, rect: [300, 100, 480, 170] } },
      context({}, rotated),
    );
    // The widget rect, seen on the displayed page, is where the caller asked.
    const shown = page ? userRectToDisplay(page, placed.rect) : [];
    expect(shown[0]).toBeCloseTo(300, 3);
    expect(shown[2]).toBeCloseTo(480, 3);
    expect(placed.rect[0]).toBeGreaterThanOrEqual(100);
    expect(formOf(placed)).toContain('/Matrix [0 1 -1 0 0 0]');
  });

  it('refuses bad input with stable codes', async () => {
    const cases: [Partial<AppearanceRequest>, string][] = [
      [{ preset: 'approval' }, 'PDF_IMAGE_REQUIRED'],
      [{ preset: 'issuance', placement: { page: 0, rect: [1, 1, 50, 50] } }, 'PDF_IMAGE_REQUIRED'],
      [
        { image: Buffer.from('not a png'), placement: { page: 0, rect: [1, 1, 50, 50] } },
        'PDF_IMAGE_INVALID',
      ],
      [{ image: signature, placement: { page: 3, rect: [1, 1, 50, 50] } }, 'PDF_PLACEMENT_INVALID'],
      [
        { image: signature, placement: { page: 0, rect: [500, 1, 700, 50] } },
        'PDF_PLACEMENT_INVALID',
      ],
      [
        { image: signature, placement: { page: 0, rect: [50, 50, 50, 90] } },
        'PDF_PLACEMENT_INVALID',
      ],
      [
        { image: signature, placement: { page: 0, rect: [Number.NaN, 1, 50, 50] } },
        'PDF_PLACEMENT_INVALID',
      ],
      [{ image: signature, placement: { anchor: '[KHONG_CO]' } }, 'PDF_ANCHOR_NOT_FOUND'],
      [
        { image: signature, placement: { anchor: '[SIGNATURE]', page: 9 } },
        'PDF_PLACEMENT_INVALID',
      ],
      // A name given as the anchor must be found (without a placement: default place).
      [
        { image: signature, signerName: 'Trần Thị Bình', placement: { anchor: 'Trần Thị Bình' } },
        'PDF_ANCHOR_NOT_FOUND',
      ],
      [{ preset: 'issuance', image: seal }, 'PDF_PLACEMENT_INVALID'],
      [{ preset: 'attachment' }, 'INVALID_INPUT'],
      [{ preset: 'custom', textLines: ['x'] }, 'PDF_PLACEMENT_INVALID'],
      [{ preset: 'custom', placement: { page: 0, rect: [1, 1, 50, 50] } }, 'INVALID_INPUT'],
      [{ preset: 'copy', organisation: 'Sở 😀' }, 'INVALID_INPUT'],
      [{ preset: 'bogus' as never }, 'INVALID_INPUT'],
    ];
    for (const [r, expected] of cases) {
      const [code] = await codeOf(build(r));
      expect(code, JSON.stringify({ ...r, image: r.image ? 'png' : undefined })).toBe(expected);
    }
    const [, details] = await codeOf(
      build({ image: signature, placement: { anchor: '[KHONG_CO]' } }),
    );
    expect(details.anchor).toBe('[KHONG_CO]');
  });
});
