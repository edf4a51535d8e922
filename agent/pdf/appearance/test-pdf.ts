/**
 * Test support only: writes small PDFs (Vietnamese text via the same font subset) and appends
 * appearances as unsigned signature widgets in an incremental update, so pdftoppm/pdftotext
 * render them exactly as a viewer renders a signed document's widgets.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { FontSubset, liberationSerifItalic } from './font.ts';
import { displayToUser, normaliseRotate } from './geometry.ts';
import { numbers, streamBody } from './syntax.ts';
import type { CertificateInfo } from '../../tokens/index.ts';
import type { AppearanceObject, PageGeometry, PlacedAppearance, Rect } from './types.ts';

export interface TestText {
  text: string;
  /** Baseline start in user space. */
  x: number;
  y: number;
  size: number;
  /** Set in Liberation Serif Italic. */
  italic?: boolean;
  /**
   * x, y are display coordinates (after the page's /Rotate) and the text is drawn upright for
   * the reader, as a rotated page's real content is.
   */
  display?: boolean;
}

export interface TestPage {
  mediaBox?: Rect;
  cropBox?: Rect;
  rotate?: number;
  texts?: TestText[];
}

export interface TestPdf {
  bytes: Buffer;
  pages: PageGeometry[];
  /** Next free object number (for allocateObjectId). */
  nextId: number;
  pageIds: number[];
  pageDicts: string[];
  catalogId: number;
  xrefOffset: number;
}

function serialise(
  objects: AppearanceObject[],
  start: number,
): { chunks: Buffer[]; offsets: Map<number, number> } {
  const chunks: Buffer[] = [];
  const offsets = new Map<number, number>();
  let pos = start;
  for (const o of objects) {
    offsets.set(o.id, pos);
    const chunk = Buffer.concat([
      Buffer.from(`${o.id} 0 obj\n`, 'latin1'),
      o.body,
      Buffer.from('\nendobj\n', 'latin1'),
    ]);
    chunks.push(chunk);
    pos += chunk.length;
  }
  return { chunks, offsets };
}

function xref(offsets: Map<number, number>, full: boolean): string {
  const ids = [...offsets.keys()].sort((a, b) => a - b);
  let out = 'xref\n';
  if (full) {
    out += `0 ${ids.length + 1}\n0000000000 65535 f \n`;
    for (const id of ids) out += `${String(offsets.get(id)).padStart(10, '0')} 00000 n \n`;
    return out;
  }
  for (const id of ids) out += `${id} 1\n${String(offsets.get(id)).padStart(10, '0')} 00000 n \n`;
  return out;
}

export function makeTestPdf(pages: TestPage[]): TestPdf {
  const font = new FontSubset();
  const italic = new FontSubset(liberationSerifItalic());
  const catalogId = 1;
  const pagesId = 2;
  let next = 3;
  const pageIds = pages.map(() => next++);
  const contentIds = pages.map(() => next++);
  const objects: AppearanceObject[] = [];
  const pageDicts: string[] = [];
  const geometry: PageGeometry[] = [];
  const fontRef = { id: 0 };
  pages.forEach((page, i) => {
    const mediaBox = page.mediaBox ?? [0, 0, 595.28, 841.89];
    const rotate = page.rotate ?? 0;
    const shape: PageGeometry = { index: i, mediaBox, rotate };
    const a = (normaliseRotate(rotate) * Math.PI) / 180;
    const content = (page.texts ?? [])
      .map((t) => {
        const [x, y] = t.display ? displayToUser(shape, t.x, t.y) : [t.x, t.y];
        const m = t.display
          ? [Math.cos(a), Math.sin(a), -Math.sin(a), Math.cos(a), x, y].map(
              (v) => Math.round(v * 1000) / 1000,
            )
          : [1, 0, 0, 1, x, y];
        return (
          `BT /F${t.italic ? 2 : 1} ${t.size} Tf 0 g ${numbers(m)} Tm ` +
          `${(t.italic ? italic : font).encode(t.text)} Tj ET`
        );
      })
      .join('\n');
    objects.push({
      id: contentIds[i] ?? 0,
      body: streamBody('', Buffer.from(content, 'latin1'), false),
    });
    pageDicts.push(
      `/Type /Page /Parent ${pagesId} 0 R /MediaBox [${numbers(mediaBox)}] /Rotate ${rotate} ` +
        (page.cropBox ? `/CropBox [${numbers(page.cropBox)}] ` : '') +
        `/Contents ${contentIds[i] ?? 0} 0 R /Resources << /Font << /F1 FONTREF 0 R /F2 ITALICREF 0 R >> >>`,
    );
    geometry.push({
      index: i,
      mediaBox,
      rotate,
      ...(page.cropBox ? { cropBox: page.cropBox } : {}),
    });
  });
  if (font.usedGlyphCount === 0) font.encode(' ');
  if (italic.usedGlyphCount === 0) italic.encode(' ');
  const fontObjects = font.objects(() => next++);
  const italicObjects = italic.objects(() => next++);
  fontRef.id = fontObjects.fontId;
  const finalDicts = pageDicts.map((d) =>
    d.replace('FONTREF', String(fontRef.id)).replace('ITALICREF', String(italicObjects.fontId)),
  );
  finalDicts.forEach((d, i) =>
    objects.push({ id: pageIds[i] ?? 0, body: Buffer.from(`<< ${d} >>`, 'latin1') }),
  );
  objects.push(...fontObjects.objects, ...italicObjects.objects);
  objects.push({
    id: catalogId,
    body: Buffer.from(`<< /Type /Catalog /Pages ${pagesId} 0 R >>`, 'latin1'),
  });
  objects.push({
    id: pagesId,
    body: Buffer.from(
      `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${pageIds.length} >>`,
      'latin1',
    ),
  });
  const header = Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1');
  const { chunks, offsets } = serialise(objects, header.length);
  const body = Buffer.concat([header, ...chunks]);
  const trailer = `${xref(offsets, true)}trailer\n<< /Size ${next} /Root ${catalogId} 0 R >>\nstartxref\n${body.length}\n%%EOF\n`;
  return {
    bytes: Buffer.concat([body, Buffer.from(trailer, 'latin1')]),
    pages: geometry,
    nextId: next,
    pageIds,
    pageDicts: finalDicts,
    catalogId,
    xrefOffset: body.length,
  };
}

/** Every widget of an appearance (main and extra). */
function widgetsOf(a: PlacedAppearance): PlacedAppearance[] {
  return [a, ...(a.extra ?? [])];
}

/**
 * Appends the appearances as signature-field widgets (one incremental update). `allocate`
 * must continue the ids handed to buildAppearance.
 */
export function appendWidgets(
  pdf: TestPdf,
  appearances: PlacedAppearance[],
  allocate: () => number,
  /**
   * Give each field a (dummy) signature value: MuPDF draws an unsigned signature field as a
   * "SIGN" button, not its appearance.
   */
  options: { signed?: boolean } = {},
): Buffer {
  const objects: AppearanceObject[] = [];
  const annots = new Map<number, number[]>();
  const fields: number[] = [];
  appearances.forEach((appearance, n) => {
    objects.push(...widgetsOf(appearance).flatMap((w) => w.objects));
    const fieldId = allocate();
    fields.push(fieldId);
    const kids: number[] = [];
    for (const w of widgetsOf(appearance)) {
      const id = allocate();
      kids.push(id);
      const list = annots.get(w.pageIndex) ?? [];
      list.push(id);
      annots.set(w.pageIndex, list);
      objects.push({
        id,
        body: Buffer.from(
          `<< /Type /Annot /Subtype /Widget /Parent ${fieldId} 0 R /Rect [${numbers(w.rect)}] /F 4 ` +
            `/P ${pdf.pageIds[w.pageIndex] ?? 0} 0 R /AP << /N ${w.normalAppearanceId} 0 R >> >>`,
          'latin1',
        ),
      });
    }
    objects.push({
      id: fieldId,
      body: Buffer.from(
        `<< /FT /Sig /T (Signature${n + 1}) /Kids [${kids.map((k) => `${k} 0 R`).join(' ')}]` +
          (options.signed
            ? ' /V << /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached' +
              ' /ByteRange [0 0 0 0] /Contents <00> >>'
            : '') +
          ' >>',
        'latin1',
      ),
    });
  });
  for (const [pageIndex, ids] of annots) {
    objects.push({
      id: pdf.pageIds[pageIndex] ?? 0,
      body: Buffer.from(
        `<< ${pdf.pageDicts[pageIndex] ?? ''} /Annots [${ids.map((id) => `${id} 0 R`).join(' ')}] >>`,
        'latin1',
      ),
    });
  }
  objects.push({
    id: pdf.catalogId,
    body: Buffer.from(
      `<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [${fields.map((f) => `${f} 0 R`).join(' ')}] /SigFlags 1 >> >>`,
      'latin1',
    ),
  });
  const size = Math.max(...objects.map((o) => o.id)) + 1;
  const { chunks, offsets } = serialise(objects, pdf.bytes.length);
  const body = Buffer.concat([pdf.bytes, ...chunks]);
  const trailer = `${xref(offsets, false)}trailer\n<< /Size ${size} /Root ${pdf.catalogId} 0 R /Prev ${pdf.xrefOffset} >>\nstartxref\n${body.length}\n%%EOF\n`;
  return Buffer.concat([body, Buffer.from(trailer, 'latin1')]);
}

export interface Rendered {
  width: number;
  height: number;
  /** RGBA pixel at (x, y) from the top-left of the rendered (displayed) page. */
  pixel(x: number, y: number): [number, number, number, number];
  path: string;
}

/** pdftoppm at 72 dpi: one pixel per point of the displayed page. */
export function renderPage(
  pdf: Buffer,
  pageIndex = 0,
  dir = mkdtempSync(join(tmpdir(), 'kyso-appearance-')),
  /** E.g. `-cropbox`: render the visible page (CropBox), as viewers show it. */
  extraArgs: string[] = [],
): Rendered {
  const input = join(dir, 'in.pdf');
  writeFileSync(input, pdf);
  const prefix = join(dir, `page${pageIndex + 1}`);
  execFileSync('pdftoppm', [
    ...extraArgs,
    '-r',
    '72',
    '-png',
    '-singlefile',
    '-f',
    String(pageIndex + 1),
    '-l',
    String(pageIndex + 1),
    input,
    prefix,
  ]);
  const path = `${prefix}.png`;
  const png = PNG.sync.read(readFileSync(path));
  return {
    width: png.width,
    height: png.height,
    path,
    pixel: (x, y) => {
      const i = (Math.floor(y) * png.width + Math.floor(x)) * 4;
      return [png.data[i] ?? 0, png.data[i + 1] ?? 0, png.data[i + 2] ?? 0, png.data[i + 3] ?? 0];
    },
  };
}

/** MuPDF (`mutool draw`) at 72 dpi: a third judge. */
export function renderPageWithMutool(
  pdf: Buffer,
  pageIndex = 0,
  dir = mkdtempSync(join(tmpdir(), 'kyso-appearance-')),
): Rendered {
  const input = join(dir, 'in-mutool.pdf');
  writeFileSync(input, pdf);
  const path = join(dir, `mutool-page${pageIndex + 1}.png`);
  execFileSync('mutool', ['draw', '-q', '-r', '72', '-o', path, input, String(pageIndex + 1)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const png = PNG.sync.read(readFileSync(path));
  return {
    width: png.width,
    height: png.height,
    path,
    pixel: (x, y) => {
      const i = (Math.floor(y) * png.width + Math.floor(x)) * 4;
      return [png.data[i] ?? 0, png.data[i + 1] ?? 0, png.data[i + 2] ?? 0, png.data[i + 3] ?? 0];
    },
  };
}

/** pdf.js (Firefox's renderer) on a canvas at 72 dpi: a second, independent judge. */
export async function renderPageWithPdfjs(
  pdf: Buffer,
  pageIndex = 0,
  dir = mkdtempSync(join(tmpdir(), 'kyso-appearance-')),
): Promise<Rendered> {
  const { getDocument } = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const { createCanvas } = await import('@napi-rs/canvas');
  const doc = await getDocument({ data: new Uint8Array(pdf), verbosity: 0 }).promise;
  try {
    const page = await doc.getPage(pageIndex + 1);
    const viewport = page.getViewport({ scale: 1 });
    const canvas = createCanvas(Math.ceil(viewport.width), Math.ceil(viewport.height));
    const context = canvas.getContext('2d');
    context.fillStyle = '#ffffff';
    context.fillRect(0, 0, canvas.width, canvas.height);
    await page.render({
      canvas: canvas as unknown as HTMLCanvasElement,
      canvasContext: context as unknown as CanvasRenderingContext2D,
      viewport,
    }).promise;
    const path = join(dir, `pdfjs-page${pageIndex + 1}.png`);
    writeFileSync(path, canvas.toBuffer('image/png'));
    const { data, width, height } = context.getImageData(0, 0, canvas.width, canvas.height);
    return {
      width,
      height,
      path,
      pixel: (x, y) => {
        const i = (Math.floor(y) * width + Math.floor(x)) * 4;
        return [data[i] ?? 0, data[i + 1] ?? 0, data[i + 2] ?? 0, data[i + 3] ?? 0];
      },
    };
  } finally {
    await doc.destroy();
  }
}

export function pdfToText(pdf: Buffer, extraArgs: string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'kyso-text-'));
  const input = join(dir, 'in.pdf');
  writeFileSync(input, pdf);
  return execFileSync('pdftotext', [...extraArgs, input, '-'], { encoding: 'utf8' });
}

/** A certificate shape good enough for appearances (they read only the subject). */
export function fakeCertificate(organisation = 'Ủy ban nhân dân tỉnh Hà Giang'): CertificateInfo {
  const subject = {
    text: `CN=Nguyễn Văn An,O=${organisation},C=VN`,
    attributes: [
      { type: 'CN', oid: '2.5.4.3', value: 'Nguyễn Văn An' },
      { type: 'O', oid: '2.5.4.10', value: organisation },
      { type: 'C', oid: '2.5.4.6', value: 'VN' },
    ],
  };
  return {
    id: '00'.repeat(32),
    tokenId: 'test',
    label: 'test',
    keyId: '01',
    hasPrivateKey: true,
    alwaysAuthenticate: false,
    subject,
    issuer: subject,
    commonName: 'Nguyễn Văn An',
    serialNumber: '01',
    notBefore: '2026-01-01T00:00:00Z',
    notAfter: '2028-01-01T00:00:00Z',
    keyUsage: ['digitalSignature', 'nonRepudiation'],
    extendedKeyUsage: [],
    keyAlgorithm: 'RSA',
    keySize: 2048,
    isCA: false,
    certificate: '',
  };
}

/** A one-page decision with the usual Decree 30 layout and placeholders. */
export function decisionPage(overrides: Partial<TestPage> = {}): TestPage {
  return {
    texts: [
      { text: 'ỦY BAN NHÂN DÂN', x: 60, y: 780, size: 13 },
      { text: 'Số: [SO_VB]', x: 60, y: 760, size: 13 },
      { text: 'Hà Giang, [NGAY_BH]', x: 330, y: 760, size: 13 },
      { text: 'QUYẾT ĐỊNH về việc thử nghiệm chữ ký số', x: 120, y: 700, size: 14 },
      { text: 'CHỦ TỊCH', x: 380, y: 300, size: 13 },
      { text: '[SIGNATURE]', x: 375, y: 250, size: 12 },
      { text: 'Nguyễn Văn An', x: 370, y: 190, size: 13 },
    ],
    ...overrides,
  };
}
