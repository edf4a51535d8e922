/**
 * Generates the demo's sample decision (assets/demo/quyet-dinh-mau.pdf): an A4 "QUYẾT ĐỊNH" of
 * a TEST provincial People's Committee laid out as Decree 30/2020 Appendix I asks, with the
 * placeholders the issuance preset fills ([SO_VB] for the number, [NGAY_BH] for the date) and
 * the signer's title and name (the approval preset's anchor). Written with pdf-lib and the
 * Liberation Serif font the agent ships (a subset is embedded).
 *
 *   node --import tsx demo/sample-pdf.ts            # rewrites assets/demo/quyet-dinh-mau.pdf
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as fontkit from 'fontkit';
import { PDFDocument, rgb, type PDFFont, type PDFPage } from 'pdf-lib';

export const SAMPLE_PDF = fileURLToPath(
  new URL('../assets/demo/quyet-dinh-mau.pdf', import.meta.url),
);
const FONT = new URL('../assets/fonts/LiberationSerif-Regular.ttf', import.meta.url);

/** The signer named in the sample (the TEST leader certificate's CN), the approval anchor. */
export const SAMPLE_SIGNER = 'Nguyễn Văn Ánh';
export const SAMPLE_TITLE = 'CHỦ TỊCH';

const MM = 72 / 25.4;
const PAGE: [number, number] = [595.28, 841.89];
const LEFT = 30 * MM;
const RIGHT = PAGE[0] - 15 * MM;

/**
 * pdf-lib's subsetter was written for @pdf-lib/fontkit (fontkit 1), whose subsets stream their
 * bytes; fontkit 2 (the agent's) returns them at once. This adapter gives subsets the old shape.
 */
interface StreamLike {
  on(event: string, listener: (value?: Uint8Array) => void): StreamLike;
}
const fontkitForPdfLib = {
  create(data: Uint8Array) {
    const font = fontkit.create(Buffer.from(data)) as fontkit.Font;
    const createSubset = font.createSubset.bind(font);
    return Object.assign(font, {
      createSubset() {
        const subset = createSubset();
        return Object.assign(subset, {
          encodeStream(): StreamLike {
            const bytes = subset.encode();
            const stream: StreamLike = {
              on(event, listener) {
                if (event === 'data') queueMicrotask(() => listener(bytes));
                if (event === 'end') queueMicrotask(() => queueMicrotask(() => listener()));
                return stream;
              },
            };
            return stream;
          },
        });
      },
    });
  },
};

interface Writer {
  page: PDFPage;
  font: PDFFont;
}

function centred(w: Writer, text: string, centre: number, y: number, size: number): void {
  const width = w.font.widthOfTextAtSize(text, size);
  w.page.drawText(text, { x: centre - width / 2, y, size, font: w.font, color: rgb(0, 0, 0) });
}

/** Greedy line breaking of a paragraph to the text width, first line indented. */
function paragraph(w: Writer, text: string, y: number, size: number): number {
  const width = RIGHT - LEFT;
  const indent = 10 * MM;
  let line = '';
  let first = true;
  const flush = () => {
    const x = LEFT + (first ? indent : 0);
    w.page.drawText(line, { x, y, size, font: w.font });
    y -= size * 1.4;
    first = false;
    line = '';
  };
  for (const word of text.split(' ')) {
    const candidate = line ? `${line} ${word}` : word;
    const room = width - (first ? indent : 0);
    if (line && w.font.widthOfTextAtSize(candidate, size) > room) {
      flush();
      line = word;
    } else line = candidate;
  }
  if (line) flush();
  return y - size * 0.3;
}

export async function makeSampleDecision(): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.registerFontkit(fontkitForPdfLib as unknown as Parameters<PDFDocument['registerFontkit']>[0]);
  doc.setTitle('Quyết định ban hành Quy chế ký số (mẫu thử nghiệm)');
  doc.setAuthor('Ủy ban nhân dân tỉnh Thử Nghiệm (TEST)');
  doc.setProducer('Kyso Agent demo (pdf-lib)');
  doc.setCreationDate(new Date('2026-01-05T08:00:00Z'));
  doc.setModificationDate(new Date('2026-01-05T08:00:00Z'));
  const font = await doc.embedFont(await readFile(FONT), { subset: true });
  const page = doc.addPage(PAGE);
  const w: Writer = { page, font };
  const leftCentre = LEFT + 40 * MM;
  const rightCentre = RIGHT - 50 * MM;
  let y = PAGE[1] - 30 * MM;

  centred(w, 'ỦY BAN NHÂN DÂN', leftCentre, y, 13);
  centred(w, 'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM', rightCentre, y, 12);
  y -= 16;
  centred(w, 'TỈNH THỬ NGHIỆM', leftCentre, y, 13);
  centred(w, 'Độc lập - Tự do - Hạnh phúc', rightCentre, y, 13);
  y -= 30;
  // The number and date placeholders, as the document system leaves them for the clerk.
  centred(w, 'Số: [SO_VB]', leftCentre, y, 13);
  centred(w, 'Thử Nghiệm, [NGAY_BH]', rightCentre, y, 13);
  y -= 44;
  centred(w, 'QUYẾT ĐỊNH', PAGE[0] / 2 + 7 * MM, y, 14);
  y -= 18;
  centred(w, 'Về việc ban hành Quy chế sử dụng chữ ký số', PAGE[0] / 2 + 7 * MM, y, 14);
  y -= 16;
  centred(w, 'trong cơ quan nhà nước tỉnh Thử Nghiệm', PAGE[0] / 2 + 7 * MM, y, 14);
  y -= 34;
  centred(w, 'ỦY BAN NHÂN DÂN TỈNH THỬ NGHIỆM', PAGE[0] / 2 + 7 * MM, y, 14);
  y -= 28;
  for (const text of [
    'Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;',
    'Căn cứ Luật Giao dịch điện tử ngày 22 tháng 6 năm 2023;',
    'Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về công tác văn thư;',
    'Theo đề nghị của Giám đốc Sở Thông tin và Truyền thông (văn bản thử nghiệm, không có giá trị pháp lý).',
  ])
    y = paragraph(w, text, y, 13);
  y -= 6;
  centred(w, 'QUYẾT ĐỊNH:', PAGE[0] / 2 + 7 * MM, y, 14);
  y -= 24;
  for (const text of [
    'Điều 1. Ban hành kèm theo Quyết định này Quy chế sử dụng chữ ký số trong các cơ quan nhà nước tỉnh Thử Nghiệm.',
    'Điều 2. Quyết định này có hiệu lực kể từ ngày ký ban hành.',
    'Điều 3. Chánh Văn phòng Ủy ban nhân dân tỉnh, Thủ trưởng các sở, ban, ngành và các cơ quan, đơn vị có liên quan chịu trách nhiệm thi hành Quyết định này.',
  ])
    y = paragraph(w, text, y, 13);
  y -= 16;
  const signY = y;
  page.drawText('Nơi nhận:', { x: LEFT, y: signY, size: 12, font });
  const recipients = ['- Như Điều 3;', '- Văn phòng Chính phủ (để b/c);', '- Lưu: VT.'];
  recipients.forEach((r, i) =>
    page.drawText(r, { x: LEFT, y: signY - 14 - i * 13, size: 11, font }),
  );
  centred(w, 'TM. ỦY BAN NHÂN DÂN', rightCentre, signY, 13);
  centred(w, SAMPLE_TITLE, rightCentre, signY - 16, 13);
  // Room for the signature image and the seal between the title and the name.
  centred(w, SAMPLE_SIGNER, rightCentre, signY - 110, 14);
  return doc.save({ useObjectStreams: false });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const bytes = await makeSampleDecision();
  await writeFile(SAMPLE_PDF, bytes);
  process.stdout.write(`${SAMPLE_PDF}: ${bytes.length} bytes\n`);
}
