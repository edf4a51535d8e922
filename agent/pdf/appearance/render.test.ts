/**
 * Judges the appearances with poppler: widgets rendered by pdftoppm at 72 dpi (one pixel per
 * point of the displayed page) and text extracted by pdftotext.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_SEAL_PATH, DEMO_SIGNATURE_PATH } from './demo-images.ts';
import { userRectToDisplay } from './geometry.ts';
import { buildAppearance } from './index.ts';
import {
  appendWidgets,
  decisionPage,
  fakeCertificate,
  makeTestPdf,
  pdfToText,
  renderPage,
  renderPageWithPdfjs,
  type Rendered,
  type TestPage,
  type TestPdf,
} from './test-pdf.ts';
import type { AppearanceRequest, PageGeometry, PlacedAppearance, Rect } from './types.ts';

const signature = readFileSync(DEMO_SIGNATURE_PATH);
const seal = readFileSync(DEMO_SEAL_PATH);
const signingTime = new Date('2026-11-23T04:08:09Z');
/** Renderings stay here for people to look at. */
const OUT = join(process.cwd(), '.kyso-test', 'appearance');

type Kind = 'blue' | 'red' | 'dark';
const is = (kind: Kind, [r, g, b]: [number, number, number, number]): boolean =>
  kind === 'blue'
    ? b > 120 && r < 110 && g < 130 && b - r > 60
    : kind === 'red'
      ? r > 150 && g < 110 && b < 110 && r - g > 70
      : r < 110 && g < 110 && b < 110;

/** Pixels of a kind inside a display-space rect (v measured from the bottom). */
function count(img: Rendered, kind: Kind, r: Rect): number {
  let n = 0;
  for (
    let y = Math.max(0, Math.ceil(img.height - r[3]));
    y < Math.min(img.height, img.height - r[1]);
    y++
  ) {
    for (let x = Math.max(0, Math.ceil(r[0])); x < Math.min(img.width, r[2]); x++) {
      if (is(kind, img.pixel(x, y))) n++;
    }
  }
  return n;
}

const whole = (img: Rendered): Rect => [0, 0, img.width, img.height];

/** Builds appearances one after the other (like successive signatures) and renders page 1. */
async function signAll(
  renderer: Renderer,
  pages: TestPage[],
  requests: ((previous: PlacedAppearance[]) => Partial<AppearanceRequest>)[],
  name: string,
): Promise<{
  placed: PlacedAppearance[];
  pdf: Buffer;
  base: TestPdf;
  shown: Rect[];
  img: Rendered;
}> {
  const base = makeTestPdf(pages);
  let next = base.nextId;
  const allocate = (): number => next++;
  const placed: PlacedAppearance[] = [];
  for (const make of requests) {
    const previous = placed.find((p) => p.objects.some((o) => o.body.includes('/SMask')));
    const result = await buildAppearance(
      {
        preset: 'approval',
        signerName: 'Nguyễn Văn An',
        signerCertificate: fakeCertificate(),
        signingTime,
        ...make(placed),
      },
      {
        pages: base.pages,
        allocateObjectId: allocate,
        pdf: { bytes: base.bytes },
        ...(previous
          ? { previousApprovalRect: { pageIndex: previous.pageIndex, rect: previous.rect } }
          : {}),
      },
    );
    if (result) placed.push(result);
  }
  const pdf = appendWidgets(base, placed, allocate);
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, `${name}.pdf`), pdf);
  const img = await renderer.render(pdf, 0, OUT);
  execFileSync('cp', [img.path, join(OUT, `${name}-${renderer.name}.png`)]);
  const page = base.pages[0] as PageGeometry;
  return { placed, pdf, base, img, shown: placed.map((p) => userRectToDisplay(page, p.rect)) };
}

interface Renderer {
  name: string;
  render(pdf: Buffer, pageIndex: number, dir: string): Promise<Rendered>;
}
const renderers: Renderer[] = [
  { name: 'poppler', render: (pdf, i, dir) => Promise.resolve(renderPage(pdf, i, dir)) },
  { name: 'pdfjs', render: renderPageWithPdfjs },
];

describe.each(renderers)('rendered appearances ($name, pdftotext)', (renderer) => {
  it('approval, issuance with number and date, and copy on one decision', async () => {
    const { img, shown, pdf, placed } = await signAll(
      renderer,
      [decisionPage()],
      [
        () => ({ image: signature, placement: { anchor: '[SIGNATURE]' } }),
        () => ({
          preset: 'issuance',
          signerName: 'Ủy ban nhân dân tỉnh Hà Giang',
          image: seal,
          docNumber: '123/QĐ-UBND',
          issuedDate: '2026-11-23',
        }),
        () => ({ preset: 'copy', copyForm: 'SAO Y' }),
      ],
      'decision',
    );
    const [approval, issuance, copy] = shown as [Rect, Rect, Rect];
    expect(placed).toHaveLength(3);

    // Signature: blue ink inside its widget and nowhere else.
    const blueInside = count(img, 'blue', approval);
    expect(blueInside).toBeGreaterThan(200);
    expect(count(img, 'blue', whole(img))).toBe(blueInside);
    // Seal: red ink, and red over the left third of the signature but not its right part.
    const a3 = (approval[2] - approval[0]) / 3;
    expect(count(img, 'red', whole(img))).toBeGreaterThan(1000);
    expect(
      count(img, 'red', [approval[0], approval[1], approval[0] + a3, approval[3]]),
    ).toBeGreaterThan(100);
    expect(count(img, 'red', [approval[0] + a3 + 1, approval[1], approval[2], approval[3]])).toBe(
      0,
    );
    expect(
      count(img, 'blue', [approval[0] + a3 + 1, approval[1], approval[2], approval[3]]),
    ).toBeGreaterThan(150);
    // The seal's widget also holds the number and date fields (same page).
    expect(issuance[3]).toBeGreaterThan(760);
    // Copy box: dark text at the top right of page 1.
    expect(copy[0]).toBeGreaterThan(img.width / 2);
    expect(copy[1]).toBeGreaterThan(img.height - 60);
    expect(count(img, 'dark', copy)).toBeGreaterThan(150);
    const text = pdfToText(pdf);
    for (const expected of [
      'SAO Y',
      'Ủy ban nhân dân tỉnh Hà Giang',
      '23/11/2026; 11:08:09; +07:00',
      '123/QĐ-UBND',
      // pdftotext splits "ngày" from the rest: the hidden placeholder sits between them.
      '23 tháng 11 năm 2026',
    ]) {
      expect(text).toContain(expected);
    }
  });

  it('attachment: number and time, black 10 pt text, top right', async () => {
    const { img, shown, pdf } = await signAll(
      renderer,
      [{ texts: [{ text: 'Phụ lục kèm theo Quyết định', x: 60, y: 700, size: 13 }] }],
      [() => ({ preset: 'attachment', docNumber: '45/QĐ-UBND' })],
      'attachment',
    );
    const box = shown[0] as Rect;
    expect(count(img, 'dark', box)).toBeGreaterThan(100);
    expect(count(img, 'blue', whole(img)) + count(img, 'red', whole(img))).toBe(0);
    const lines = pdfToText(pdf, ['-layout']);
    expect(lines).toContain('45/QĐ-UBND');
    expect(lines).toContain('23/11/2026; 11:08:09; +07:00');
    // 10 pt: two lines of text and padding fit in about 31 pt of box height.
    expect(box[3] - box[1]).toBeLessThan(34);
  });

  it('rotated page with a shifted MediaBox: image where asked, text upright', async () => {
    const page: TestPage = { mediaBox: [100, 50, 941.89, 645.28], rotate: 90, texts: [] };
    const { img, shown, pdf } = await signAll(
      renderer,
      [page],
      [
        () => ({ image: signature, placement: { page: 0, rect: [300, 100, 480, 170] } }),
        () => ({
          preset: 'custom',
          textLines: ['Người ký: Nguyễn Văn An'],
          placement: { page: 0, rect: [60, 600, 300, 640] },
        }),
      ],
      'rotated',
    );
    expect(Math.abs(img.width - 595)).toBeLessThanOrEqual(1);
    expect(Math.abs(img.height - 842)).toBeLessThanOrEqual(1);
    expect(shown[0]?.map(Math.round)).toEqual([300, 100, 480, 170]); // 360×140 px fills 180×70 exactly
    expect(count(img, 'blue', shown[0] as Rect)).toBeGreaterThan(500);
    expect(count(img, 'blue', whole(img))).toBe(count(img, 'blue', shown[0] as Rect));
    expect(count(img, 'dark', [60, 600, 300, 640])).toBeGreaterThan(100);
    // Upright: pdftotext -bbox reports the words wider than tall on the displayed page.
    const bbox = pdfToText(pdf, ['-bbox']);
    const word =
      /<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">Nguyễn<\/word>/.exec(
        bbox,
      );
    expect(word).not.toBeNull();
    const [, x1, y1, x2, y2] = (word ?? []).map(Number) as [number, number, number, number, number];
    expect(x2 - x1).toBeGreaterThan(y2 - y1);
    expect(x1).toBeGreaterThan(60);
    expect(842 - y2).toBeGreaterThan(600);
  });
});
