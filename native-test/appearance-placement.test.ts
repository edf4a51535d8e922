/**
 * Where appearances go on real page shapes (issue 12): top-right boxes inside a CropBox (also
 * with a shifted MediaBox), a second box that must not cover the national motto, the approval
 * image centred between the signer's title and name, the issue date in the italic style of its
 * line and inside the margin, text upright on /Rotate 90/180/270 pages, and hinting-free font
 * subsets. Judged by rendering with poppler (pdftoppm) and MuPDF (mutool draw), and by
 * pdftotext's word boxes. The PNGs stay in .kyso-test/appearance-placement for people to look.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { isKysoError } from '../agent/errors/index.ts';
import { DEMO_SEAL_PATH, DEMO_SIGNATURE_PATH } from '../agent/pdf/appearance/demo-images.ts';
import { userRectToDisplay, visibleBox } from '../agent/pdf/appearance/geometry.ts';
import {
  buildAppearance,
  type AppearanceRequest,
  type PageGeometry,
  type PlacedAppearance,
  type Rect,
} from '../agent/pdf/appearance/index.ts';
import {
  appendWidgets,
  fakeCertificate,
  makeTestPdf,
  pdfToText,
  renderPage,
  renderPageWithMutool,
  type Rendered,
  type TestPage,
  type TestText,
} from '../agent/pdf/appearance/test-pdf.ts';

const signature = readFileSync(DEMO_SIGNATURE_PATH);
const signingTime = new Date('2026-11-23T04:08:09Z');
const OUT = join(process.cwd(), '.kyso-test', 'appearance-placement');
const MM = 72 / 25.4;

interface Renderer {
  name: string;
  render(pdf: Buffer, pageIndex: number, dir: string): Rendered;
}
const renderers: Renderer[] = [
  { name: 'poppler', render: (pdf, i, dir) => renderPage(pdf, i, dir, ['-cropbox']) },
  { name: 'mutool', render: renderPageWithMutool },
];

type Kind = 'blue' | 'dark';
const is = (kind: Kind, [r, g, b]: [number, number, number, number]): boolean =>
  kind === 'blue' ? b > 120 && r < 110 && g < 130 && b - r > 60 : r < 110 && g < 110 && b < 110;

/**
 * Pixels of a kind inside a display-space rect. Renderers draw the visible page (CropBox):
 * `origin` is its bottom-left corner in display coordinates.
 */
function count(img: Rendered, kind: Kind, r: Rect, origin: [number, number] = [0, 0]): number {
  const [ox, oy] = origin;
  let n = 0;
  const top = img.height + oy;
  for (let y = Math.max(0, Math.ceil(top - r[3])); y < Math.min(img.height, top - r[1]); y++) {
    for (let x = Math.max(0, Math.ceil(r[0] - ox)); x < Math.min(img.width, r[2] - ox); x++) {
      if (is(kind, img.pixel(x, y))) n++;
    }
  }
  return n;
}

const intersects = (a: Rect, b: Rect): boolean =>
  a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];

interface Signed {
  placed: PlacedAppearance[];
  pdf: Buffer;
  page: PageGeometry;
  /** Widget rects on the displayed page. */
  shown: Rect[];
}

/** Successive signatures, each seeing the earlier ones (like signPdf), widgets appended. */
async function sign(
  pages: TestPage[],
  requests: Partial<AppearanceRequest>[],
  name: string,
): Promise<Signed> {
  const base = makeTestPdf(pages);
  let next = base.nextId;
  const allocate = (): number => next++;
  const placed: PlacedAppearance[] = [];
  for (const request of requests) {
    const approval = placed.find((p) => p.objects.some((o) => o.body.includes('/SMask')));
    const boxes = placed
      .filter((p) => !p.objects.some((o) => o.body.includes('/SMask')))
      .map((p) => ({ pageIndex: p.pageIndex, rect: p.rect }));
    const result = await buildAppearance(
      {
        preset: 'approval',
        signerName: 'Nguyễn Văn An',
        signerCertificate: fakeCertificate(),
        signingTime,
        ...request,
      },
      {
        pages: base.pages,
        allocateObjectId: allocate,
        pdf: { bytes: base.bytes },
        ...(boxes.length > 0 ? { earlierTextBoxes: boxes } : {}),
        ...(approval
          ? { previousApprovalRect: { pageIndex: approval.pageIndex, rect: approval.rect } }
          : {}),
      },
    );
    if (result) placed.push(result);
  }
  const pdf = appendWidgets(base, placed, allocate, { signed: true });
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, `${name}.pdf`), pdf);
  const page = base.pages[0] as PageGeometry;
  return { placed, pdf, page, shown: placed.map((p) => userRectToDisplay(page, p.rect)) };
}

function render(renderer: Renderer, signed: Signed, name: string): Rendered {
  const img = renderer.render(signed.pdf, 0, OUT);
  copyFileSync(img.path, join(OUT, `${name}-${renderer.name}.png`));
  return img;
}

/** pdftotext -bbox words on page 1: [word, display rect measured from the bottom]. */
function words(pdf: Buffer, pageHeight: number): [string, Rect][] {
  const xml = pdfToText(pdf, ['-bbox', '-f', '1', '-l', '1']);
  return [
    ...xml.matchAll(
      /<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<\/word>/g,
    ),
  ].map((m) => [
    m[5] ?? '',
    [Number(m[1]), pageHeight - Number(m[4]), Number(m[3]), pageHeight - Number(m[2])],
  ]);
}

const header: TestText[] = [
  { text: 'ỦY BAN NHÂN DÂN', x: 70, y: 775, size: 12 },
  { text: 'TỈNH HÀ GIANG', x: 80, y: 760, size: 12 },
  { text: 'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM', x: 290, y: 775, size: 12 },
  { text: 'Độc lập - Tự do - Hạnh phúc', x: 350, y: 760, size: 12 },
  { text: 'Số: [SO_VB]', x: 70, y: 730, size: 13 },
  { text: 'Hà Giang, [NGAY_BH]', x: 350, y: 730, size: 13, italic: true },
  { text: 'QUYẾT ĐỊNH', x: 250, y: 680, size: 14 },
];

describe.each(renderers)('appearance placement ($name)', (renderer) => {
  it('puts the top-right box inside a smaller CropBox (MediaBox with a non-zero origin)', async () => {
    const page: TestPage = {
      mediaBox: [-50, 30, 662, 1038],
      cropBox: [0, 100, 595.28, 941.89],
      texts: [{ text: 'Phụ lục kèm theo Quyết định', x: 60, y: 800, size: 13 }],
    };
    const signed = await sign([page], [{ preset: 'attachment', docNumber: '45/QĐ-UBND' }], 'crop');
    const vis = visibleBox(signed.page);
    const box = signed.shown[0] as Rect;
    expect(box[0]).toBeGreaterThan(vis[0]);
    expect(box[3]).toBeLessThanOrEqual(vis[3]);
    expect(vis[2] - box[2]).toBeCloseTo(15 * MM, 0);
    expect(vis[3] - box[3]).toBeCloseTo(4 * MM, 0);
    const img = render(renderer, signed, 'crop');
    expect(Math.abs(img.width - (vis[2] - vis[0]))).toBeLessThanOrEqual(1);
    expect(count(img, 'dark', box, [vis[0], vis[1]])).toBeGreaterThan(150);
    expect(pdfToText(signed.pdf)).toContain('45/QĐ-UBND');
  });

  it('stacks a second top-right box without covering the national motto', async () => {
    const signed = await sign(
      [{ texts: header }],
      [
        { preset: 'attachment', docNumber: '45/QĐ-UBND' },
        { preset: 'copy', copyForm: 'SAO Y' },
      ],
      'motto',
    );
    const [attachment, copy] = signed.shown as [Rect, Rect];
    expect(intersects(attachment, copy)).toBe(false);
    const text = words(signed.pdf, 841.89);
    // No word of the page's own content under either box.
    const own = words(makeTestPdf([{ texts: header }]).bytes, 841.89);
    for (const [word, r] of own) {
      expect(intersects(r, attachment), word).toBe(false);
      expect(intersects(r, copy), word).toBe(false);
    }
    expect(text.length).toBeGreaterThan(own.length);
    const img = render(renderer, signed, 'motto');
    expect(count(img, 'dark', attachment)).toBeGreaterThan(150);
    expect(count(img, 'dark', copy)).toBeGreaterThan(150);
    // Both in the top part of page 1, the motto still readable.
    expect(copy[1]).toBeGreaterThan(600);
    expect(pdfToText(signed.pdf)).toContain('CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM');
  });

  it('centres the approval image between the title and the name (no placeholder)', async () => {
    const texts: TestText[] = [
      ...header,
      { text: 'KT. CHỦ TỊCH', x: 390, y: 320, size: 13 },
      { text: 'PHÓ CHỦ TỊCH', x: 388, y: 304, size: 13 },
      { text: 'Nguyễn Văn An', x: 385, y: 200, size: 13 },
    ];
    const signed = await sign([{ texts }], [{ image: signature }], 'title-gap');
    const image = signed.shown[0] as Rect;
    const own = words(makeTestPdf([{ texts }]).bytes, 841.89);
    const name = own.filter(([w]) => ['Nguyễn', 'Văn', 'An'].includes(w)).map(([, r]) => r);
    const title = own.filter(([w]) => ['PHÓ', 'CHỦ', 'TỊCH'].includes(w)).map(([, r]) => r);
    const nameTop = Math.max(...name.map((r) => r[3]));
    const titleBottom = Math.min(...title.filter((r) => r[1] < 310).map((r) => r[1]));
    const below = image[1] - nameTop;
    const above = titleBottom - image[3];
    expect(below).toBeGreaterThan(2);
    expect(above).toBeGreaterThan(2);
    expect(Math.abs(below - above)).toBeLessThan(6);
    const nameCentre =
      (Math.min(...name.map((r) => r[0])) + Math.max(...name.map((r) => r[2]))) / 2;
    expect((image[0] + image[2]) / 2).toBeCloseTo(nameCentre, -1);
    const img = render(renderer, signed, 'title-gap');
    expect(count(img, 'blue', image)).toBeGreaterThan(300);
    expect(count(img, 'blue', [0, 0, img.width, img.height])).toBe(count(img, 'blue', image));
  });

  it('writes the issue date in italics like its line, inside the right margin', async () => {
    const signed = await sign(
      [
        {
          texts: [
            ...header,
            { text: 'CHỦ TỊCH', x: 400, y: 300, size: 13 },
            { text: '[SIGNATURE]', x: 395, y: 250, size: 12 },
          ],
        },
      ],
      [
        { image: signature, placement: { anchor: '[SIGNATURE]' } },
        {
          preset: 'issuance',
          signerName: 'Ủy ban nhân dân tỉnh Hà Giang',
          image: readFileSync(DEMO_SEAL_PATH),
          docNumber: '123/QĐ-UBND',
          issuedDate: '2026-11-23',
        },
      ],
      'italic-date',
    );
    const fonts = execFileSync('pdffonts', [join(OUT, 'italic-date.pdf')], { encoding: 'utf8' });
    // The page's own fonts and the signature's: an italic subset among the latter.
    expect(fonts.match(/LiberationSerif-Italic/g)?.length ?? 0).toBeGreaterThanOrEqual(2);
    const all = words(signed.pdf, 841.89);
    const year = all.find(([w]) => w === '2026');
    expect(year).toBeDefined();
    expect((year?.[1] ?? [0, 0, 999, 0])[2]).toBeLessThanOrEqual(595.28 - 15 * MM + 0.5);
    expect(pdfToText(signed.pdf)).toContain('23 tháng 11 năm 2026');
    const img = render(renderer, signed, 'italic-date');
    expect(count(img, 'dark', year?.[1] ?? [0, 0, 0, 0])).toBeGreaterThan(10);
  });

  it.each([90, 180, 270])(
    'places the approval between title and name on a /Rotate %i page drawn upright',
    async (rotate) => {
      const width = rotate === 180 ? 595.28 : 841.89;
      const texts: TestText[] = [
        { text: 'CHỦ TỊCH', x: width - 200, y: 320, size: 13, display: true },
        { text: 'Nguyễn Văn An', x: width - 210, y: 200, size: 13, display: true },
      ];
      const signed = await sign([{ rotate, texts }], [{ image: signature }], `title-${rotate}`);
      const image = signed.shown[0] as Rect;
      const img = render(renderer, signed, `title-${rotate}`);
      const found = words(signed.pdf, img.height);
      const name = found.find(([w]) => w === 'Nguyễn')?.[1] ?? [0, 0, 0, 0];
      const title = found.find(([w]) => w === 'TỊCH')?.[1] ?? [0, 0, 0, 0];
      // Page content upright for the reader, the image between the title and the name.
      expect(name[2] - name[0]).toBeGreaterThan(name[3] - name[1]);
      expect(image[1]).toBeGreaterThan(name[3]);
      expect(image[3]).toBeLessThan(title[1]);
      expect(count(img, 'blue', image)).toBeGreaterThan(300);
      expect(count(img, 'blue', [0, 0, img.width, img.height])).toBe(count(img, 'blue', image));
    },
  );

  it.each([90, 180, 270])('keeps text upright on a /Rotate %i page', async (rotate) => {
    const signed = await sign(
      [{ rotate, texts: [{ text: 'Nội dung', x: 100, y: 300, size: 12 }] }],
      [
        { preset: 'attachment', docNumber: '45/QĐ-UBND' },
        {
          preset: 'custom',
          textLines: ['Người ký: Nguyễn Văn An'],
          placement: { page: 0, rect: [60, 100, 300, 140] },
        },
      ],
      `rotate-${rotate}`,
    );
    const img = render(renderer, signed, `rotate-${rotate}`);
    const height = img.height;
    const found = words(signed.pdf, height);
    for (const wanted of ['45/QĐ-UBND', 'Nguyễn']) {
      const word = found.find(([w]) => w === wanted);
      expect(word, wanted).toBeDefined();
      const r = word?.[1] ?? [0, 0, 0, 0];
      // Upright: wider than tall on the displayed page.
      expect(r[2] - r[0], wanted).toBeGreaterThan(r[3] - r[1]);
    }
    const [box] = signed.shown as [Rect];
    expect(box[0]).toBeGreaterThan(img.width / 2);
    expect(box[1]).toBeGreaterThan(img.height - 60);
    expect(count(img, 'dark', box)).toBeGreaterThan(150);
    expect(count(img, 'dark', [60, 100, 300, 140])).toBeGreaterThan(100);
  });
});

describe('appearance objects', () => {
  it('embeds font subsets without hinting tables or instructions', async () => {
    const signed = await sign(
      [{ texts: header }],
      [{ preset: 'copy', copyForm: 'SAO Y' }],
      'font-size',
    );
    const main = signed.placed[0] as PlacedAppearance;
    const file = main.objects.find((o) => o.body.includes('/Length1'));
    expect(file).toBeDefined();
    const body = file?.body ?? Buffer.alloc(0);
    const start = body.indexOf('stream\n') + 7;
    const end = body.lastIndexOf('\nendstream');
    const ttf = inflateSync(body.subarray(start, end));
    const tags: string[] = [];
    for (let i = 0; i < ttf.readUInt16BE(4); i++)
      tags.push(ttf.toString('latin1', 12 + 16 * i, 16 + 16 * i));
    for (const hinting of ['fpgm', 'prep', 'cvt ', 'hdmx', 'VDMX', 'LTSH', 'gasp']) {
      expect(tags).not.toContain(hinting);
    }
    expect(tags).toEqual(expect.arrayContaining(['glyf', 'head', 'hhea', 'hmtx', 'loca', 'maxp']));
    // About 40 glyphs of Vietnamese text: under 5 KB uncompressed (was 13 KB with hinting).
    expect(ttf.length).toBeLessThan(5000);
  });

  it('reports a missing anchor as PDF_ANCHOR_NOT_FOUND with the anchor', async () => {
    const base = makeTestPdf([{ texts: header }]);
    let next = base.nextId;
    await expect(
      buildAppearance(
        {
          preset: 'approval',
          signerName: 'Trần Thị Bình',
          signerCertificate: fakeCertificate(),
          signingTime,
          image: signature,
          // Without a placement a missing name falls back to the default place.
          placement: { anchor: 'Trần Thị Bình' },
        },
        { pages: base.pages, allocateObjectId: () => next++, pdf: { bytes: base.bytes } },
      ),
    ).rejects.toSatisfy(
      (e: unknown) =>
        isKysoError(e, 'PDF_ANCHOR_NOT_FOUND') && e.details.anchor === 'Trần Thị Bình',
    );
  });
});
