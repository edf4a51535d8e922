/** The structure reader and the increment writer on small hand-made PDFs of each xref kind. */
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { isKysoError } from '../errors/index.ts';
import { IncrementBuilder } from './increment.ts';
import {
  PdfDict,
  PdfName,
  PdfRef,
  PdfString,
  dict,
  name,
  serialize,
  textString,
} from './objects.ts';
import { Parser } from './parser.ts';
import { PdfReader } from './reader.ts';
import { BufferSource } from './source.ts';

/** Classic xref table PDF with one page. */
function classicPdf(): Buffer {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Count 1 /Kids [3 0 R] /MediaBox [0 0 595.28 841.89] >>',
    '<< /Type /Page /Parent 2 0 R /Rotate 90 >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f\r\n`;
  for (const o of offsets) out += `${String(o).padStart(10, '0')} 00000 n\r\n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/** Xref stream PDF (PNG Up predictor) whose page tree lives in an object stream. */
function xrefStreamPdf(): Buffer {
  const inStream = ['<< /Type /Pages /Count 1 /Kids [3 0 R] >>', '<< /Type /Page /Parent 2 0 R >>'];
  let header = '';
  let body = '';
  inStream.forEach((o, i) => {
    header += `${i + 2} ${body.length} `;
    body += o + '\n';
  });
  const objstm = Buffer.from(header + body, 'latin1');
  let out = '%PDF-1.5\n';
  const off1 = out.length;
  out += '1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n';
  const off4 = out.length;
  const packed = deflateSync(objstm);
  const parts: Buffer[] = [
    Buffer.from(out, 'latin1'),
    Buffer.from(
      `4 0 obj\n<< /Type /ObjStm /N 2 /First ${header.length} /Filter /FlateDecode /Length ${packed.length} >>\nstream\n`,
      'latin1',
    ),
    packed,
    Buffer.from('\nendstream\nendobj\n', 'latin1'),
  ];
  const xrefOffset = parts.reduce((n, b) => n + b.length, 0);
  // Rows: type(1) field2(2) field3(1), PNG Up predictor per row.
  const rows = [
    [0, 0, 0, 0],
    [1, off1 >> 8, off1 & 0xff, 0],
    [2, 0, 4, 0],
    [2, 0, 4, 1],
    [1, off4 >> 8, off4 & 0xff, 0],
    [1, xrefOffset >> 8, xrefOffset & 0xff, 0],
  ];
  const raw: number[] = [];
  let prev = [0, 0, 0, 0];
  for (const row of rows) {
    raw.push(2, ...row.map((v, i) => (v - (prev[i] ?? 0)) & 0xff));
    prev = row;
  }
  const data = deflateSync(Buffer.from(raw));
  parts.push(
    Buffer.from(
      `5 0 obj\n<< /Type /XRef /Size 6 /W [1 2 1] /Root 1 0 R /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 4 >> /Length ${data.length} >>\nstream\n`,
      'latin1',
    ),
    data,
    Buffer.from(`\nendstream\nendobj\nstartxref\n${xrefOffset}\n%%EOF\n`, 'latin1'),
  );
  return Buffer.concat(parts);
}

/**
 * Hybrid file: the table marks object 3 (the page, inside object stream 4) free; the trailer's
 * /XRefStm section says where it really is, for readers that understand xref streams.
 */
function hybridPdf(): Buffer {
  const page = '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 400] >>';
  const objstm = Buffer.from(`3 0 ${page}`, 'latin1');
  const parts: Buffer[] = [];
  let length = 0;
  const push = (b: Buffer | string): number => {
    const at = length;
    const buf = typeof b === 'string' ? Buffer.from(b, 'latin1') : b;
    parts.push(buf);
    length += buf.length;
    return at;
  };
  push('%PDF-1.5\n');
  const o1 = push('1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n');
  const o2 = push('2 0 obj\n<< /Type /Pages /Count 1 /Kids [3 0 R] >>\nendobj\n');
  const o4 = push(`4 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Length ${objstm.length} >>\nstream\n`);
  push(objstm);
  push('\nendstream\nendobj\n');
  const rows = Buffer.from([2, 0, 4, 0]); // object 3: type 2, stream 4, index 0 (W [1 2 1])
  const o5 = push(
    `5 0 obj\n<< /Type /XRef /Size 6 /W [1 2 1] /Index [3 1] /Length ${rows.length} >>\nstream\n`,
  );
  push(rows);
  push('\nendstream\nendobj\n');
  const entry = (o: number): string => `${String(o).padStart(10, '0')} 00000 n\r\n`;
  const xref = push(
    `xref\n0 6\n0000000000 65535 f\r\n${entry(o1)}${entry(o2)}0000000000 00001 f\r\n${entry(o4)}${entry(o5)}`,
  );
  push(`trailer\n<< /Size 6 /Root 1 0 R /XRefStm ${o5} >>\nstartxref\n${xref}\n%%EOF\n`);
  return Buffer.concat(parts);
}

async function open(bytes: Buffer): Promise<PdfReader> {
  return PdfReader.open(new BufferSource(bytes));
}

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    return isKysoError(error) ? error.code : String(error);
  }
}

describe('parser', () => {
  it('reads strings, names, references and nested values', () => {
    const p = new Parser(
      Buffer.from(
        '<< /A (x\\(y\\)\\101\\n) /B <48 49> /N#20x 1 /R 12 0 R /L [1 -2.5 true null] >>',
        'latin1',
      ),
      0,
      true,
    );
    const d = p.parseValue() as PdfDict;
    expect((d.get('A') as PdfString).bytes.toString('latin1')).toBe('x(y)A\n');
    expect((d.get('B') as PdfString).text()).toBe('HI');
    expect(d.has('N x')).toBe(true);
    expect(d.get('R')).toEqual(new PdfRef(12, 0));
    expect(d.get('L')).toEqual([1, -2.5, true, null]);
  });

  it('serialises Vietnamese text as UTF-16BE and round-trips it', () => {
    const s = textString('Nguyễn Văn Ánh');
    const back = new Parser(Buffer.from(serialize(s), 'latin1'), 0, true).parseValue();
    expect((back as PdfString).text()).toBe('Nguyễn Văn Ánh');
    expect(serialize(dict({ Type: name('Sig'), M: new PdfString(Buffer.from('D:1')) }))).toBe(
      '<</Type /Sig /M (D:1)>>',
    );
  });
});

describe('reader', () => {
  it('classic table: catalog, pages with inherited MediaBox and Rotate', async () => {
    const r = await open(classicPdf());
    expect(r.sections.map((s) => s.kind)).toEqual(['table']);
    const pages = await r.pages();
    expect(pages).toHaveLength(1);
    expect(pages[0]).toMatchObject({ mediaBox: [0, 0, 595.28, 841.89], rotate: 90 });
  });

  it('xref stream with PNG predictor and an object stream', async () => {
    const r = await open(xrefStreamPdf());
    expect(r.sections.map((s) => s.kind)).toEqual(['stream']);
    const pages = await r.pages();
    expect(pages[0]?.ref.num).toBe(3);
    expect((pages[0]?.dict.get('Type') as PdfName).name).toBe('Page');
  });

  it('hybrid file: the /XRefStm entries find the page the table marks free', async () => {
    const r = await open(hybridPdf());
    const pages = await r.pages();
    expect(pages[0]).toMatchObject({ mediaBox: [0, 0, 300, 400] });
    expect(r.sections[0]?.objects.sort()).toEqual([1, 2, 3, 4, 5]);
    const b = new IncrementBuilder(r);
    const page = pages[0];
    if (!page) throw new Error('no page');
    b.add(page.ref.num, page.dict.clone().set('Rotate', 90));
    const updated = Buffer.concat([hybridPdf(), await b.build()]);
    const r2 = await open(updated);
    expect(r2.sections.map((s) => s.kind)).toEqual(['table', 'table']);
    expect((await r2.pages())[0]?.rotate).toBe(90);
  });

  it('an increment keeps the xref kind and chains /Prev; the new revision reads back', async () => {
    for (const [make, kind] of [
      [classicPdf, 'table'],
      [xrefStreamPdf, 'stream'],
    ] as const) {
      const original = make();
      const r = await open(original);
      const b = new IncrementBuilder(r);
      const id = b.allocate();
      b.add(id, dict({ Type: name('Test'), V: textString('Đã ký') }));
      const page = (await r.pages())[0];
      if (!page) throw new Error('no page');
      b.add(page.ref.num, page.dict.clone().set('Annots', [new PdfRef(id, 0)]));
      const updated = Buffer.concat([original, await b.build()]);
      expect(updated.subarray(0, original.length).equals(original)).toBe(true);
      const r2 = await open(updated);
      expect(r2.sections.map((s) => s.kind)).toEqual([kind, kind]);
      expect(((await r2.resolveDict(new PdfRef(id, 0)))?.get('V') as PdfString).text()).toBe(
        'Đã ký',
      );
      expect((await r2.pages())[0]?.dict.get('Annots')).toEqual([new PdfRef(id, 0)]);
      expect((await r2.revision(1).pages())[0]?.dict.has('Annots')).toBe(false);
    }
  });

  it('tolerates xref offsets a few bytes off and junk after %%EOF', async () => {
    const text = classicPdf().toString('latin1');
    // Shift every object 3 bytes later without fixing the table.
    let shifted = text.replace(/\n(\d+) 0 obj/g, '\n   $1 0 obj');
    const xrefAt = shifted.lastIndexOf('\nxref\n') + 1;
    shifted = shifted.replace(/startxref\n\d+/, `startxref\n${xrefAt}`);
    const junk = Buffer.from(shifted + '\n'.repeat(3) + 'x'.repeat(5000), 'latin1');
    const r = await open(junk);
    expect((await r.pages())[0]?.rotate).toBe(90);
  });

  it('bad files have stable codes', async () => {
    expect(await code(open(Buffer.from('nothing')))).toBe('PDF_MALFORMED');
    const noXref = Buffer.from('%PDF-1.4\n1 0 obj\n<<>>\nendobj\n', 'latin1');
    expect(await code(open(noXref))).toBe('PDF_MALFORMED');
    const good = classicPdf();
    expect(await code(open(good.subarray(0, good.length - 30)))).toBe('PDF_MALFORMED');
    const wrongOffset = Buffer.from(
      good.toString('latin1').replace(/startxref\n\d+/, 'startxref\n9'),
      'latin1',
    );
    expect(await code(open(wrongOffset))).toBe('PDF_MALFORMED');
    const encrypted = Buffer.from(
      good.toString('latin1').replace('/Root 1 0 R', '/Root 1 0 R /Encrypt 1 0 R'),
      'latin1',
    );
    expect(await code(open(encrypted))).toBe('PDF_ENCRYPTED');
  });
});
