/**
 * Verification edge cases on SoftHSM2-made signatures: changes after signing, certification
 * (DocMDP), untrusted and expired signers, ECDSA, batch signing, buffers in and out, and the
 * stable error codes for bad input.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenSigner } from '../agent/cms/index.ts';
import { isKysoError } from '../agent/errors/index.ts';
import { IncrementBuilder } from '../agent/pdf/increment.ts';
import { signPdf, signPdfs, verifyPdf } from '../agent/pdf/index.ts';
import { PdfRef, dict, name, ref, textString } from '../agent/pdf/objects.ts';
import { readForm } from '../agent/pdf/fields.ts';
import { demoSignaturePng } from '../agent/pdf/appearance/demo-images.ts';
import { PdfReader } from '../agent/pdf/reader.ts';
import { BufferSource } from '../agent/pdf/source.ts';
import type { TokenService } from '../agent/tokens/index.ts';
import { opensslVerifyAll, pdfsig, qpdfCheck, startTestTokens, testSigner } from './pdf-judges.ts';
import { copyTestPki, type TestPki } from './pki.ts';

const run = promisify(execFile);
const corpus = join(import.meta.dirname, 'fixtures/corpus');
const libreoffice = readFileSync(
  join(corpus, '002-trivial-libre-office-writer_002-trivial-libre-office-writer.pdf'),
);
const xrefStream = readFileSync(join(corpus, '001-trivial_minimal-document.pdf'));

let pki: TestPki;
let service: TokenService;
let leader: TokenSigner;
let dir: string;
let anchors: Buffer[];

beforeAll(async () => {
  pki = copyTestPki();
  service = await startTestTokens(pki);
  leader = await testSigner(service, pki, 'leader');
  dir = mkdtempSync(join(tmpdir(), 'kyso-pdf-verify-'));
  anchors = [readFileSync(pki.rootCaPem)];
});

afterAll(async () => {
  await service.close();
  rmSync(pki.dir, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return isKysoError(error) ? error.code : `not a KysoError: ${String(error)}`;
  }
  return 'no error';
}

/** Appends an increment that changes the first page (a new content stream). */
async function modifyPage(pdf: Buffer): Promise<Buffer> {
  const reader = await PdfReader.open(new BufferSource(pdf));
  const page = (await reader.pages())[0];
  if (!page) throw new Error('no page');
  const builder = new IncrementBuilder(reader);
  const contentId = builder.allocate();
  const text = 'BT /F1 30 Tf 100 400 Td (FORGED) Tj ET';
  builder.add(contentId, Buffer.from(`<< /Length ${text.length} >>\nstream\n${text}\nendstream`));
  builder.add(page.ref.num, page.dict.clone().set('Contents', ref(contentId)), page.ref.gen);
  return Buffer.concat([pdf, await builder.build()]);
}

/** Appends an increment with a new text annotation on page 1. */
async function addNote(pdf: Buffer): Promise<Buffer> {
  const reader = await PdfReader.open(new BufferSource(pdf));
  const page = (await reader.pages())[0];
  if (!page) throw new Error('no page');
  const builder = new IncrementBuilder(reader);
  const noteId = builder.allocate();
  builder.add(noteId, dict({ Type: name('Annot'), Subtype: name('Text'), Rect: [0, 0, 10, 10] }));
  const annots = page.dict.get('Annots');
  const list = Array.isArray(annots) ? annots : [];
  builder.add(page.ref.num, page.dict.clone().set('Annots', [...list, new PdfRef(noteId, 0)]));
  return Buffer.concat([pdf, await builder.build()]);
}

describe('what changed after signing', () => {
  it('a later page change is "other"; a later signature is "signatures-only"', async () => {
    const once = (await signPdf(xrefStream, { signer: leader })).bytes as Buffer;
    const modified = await modifyPage(once);
    const report = await verifyPdf(modified, { trustAnchors: anchors });
    expect(report.signatures[0]?.integrity.digestMatches).toBe(true);
    expect(report.signatures[0]).toMatchObject({
      changes: 'other',
      changeKinds: ['page-content'],
      status: 'valid-changed-after',
      valid: false,
    });
    expect(report.totalDocumentSigned).toBe(false);
    expect(report.status).toBe('valid-changed-after');

    const twice = (await signPdf(once, { signer: leader })).bytes as Buffer;
    const ok = await verifyPdf(twice, { trustAnchors: anchors });
    expect(ok.signatures.map((s) => s.changes)).toEqual(['signatures-only', 'none']);
    expect(ok.signatures.map((s) => s.changeKinds)).toEqual([[], []]);
    expect(ok.valid).toBe(true);
    expect(ok.status).toBe('valid');
  });

  it('a new non-signature annotation is an "annotation" change, even under a later signature', async () => {
    const once = (await signPdf(libreoffice, { signer: leader })).bytes as Buffer;
    const noted = await addNote(once);
    const again = (await signPdf(noted, { signer: leader })).bytes as Buffer;
    const report = await verifyPdf(again, { trustAnchors: anchors });
    expect(report.signatures.map((s) => [s.changes, s.changeKinds, s.status, s.valid])).toEqual([
      ['other', ['annotation'], 'valid-changed-after', false],
      ['none', [], 'valid', true],
    ]);
  });

  it('garbage appended after the last signature: not whole-file signed, "other"', async () => {
    const once = (await signPdf(libreoffice, { signer: leader })).bytes as Buffer;
    const report = await verifyPdf(Buffer.concat([once, Buffer.from('\n% trailing junk\n')]), {
      trustAnchors: anchors,
    });
    expect(report.totalDocumentSigned).toBe(false);
    expect(report.signatures[0]).toMatchObject({
      changes: 'other',
      changeKinds: ['other'],
      status: 'valid-changed-after',
    });
  });
});

describe('inputs and outputs', () => {
  it('a read-only input gives a writable output (copyFile keeps modes)', async () => {
    const input = join(dir, 'read-only.pdf');
    writeFileSync(input, libreoffice, { mode: 0o444 });
    const output = join(dir, 'from-read-only.pdf');
    await signPdf(input, { signer: leader, output });
    expect(statSync(output).mode & 0o600).toBe(0o600);
    expect((await pdfsig(output))[0]?.valid).toBe(true);
  });

  it('a path in without an output gives the whole signed file as bytes', async () => {
    const input = join(corpus, '001-trivial_minimal-document.pdf');
    const result = await signPdf(input, { signer: leader });
    const bytes = result.bytes as Buffer;
    expect(bytes.subarray(0, xrefStream.length).equals(xrefStream)).toBe(true);
    expect(bytes.length).toBe(result.size);
    expect((await verifyPdf(bytes, { trustAnchors: anchors })).valid).toBe(true);
  });
});

/** Adds an empty signature field on page 1: merged with its widget, or with one kid widget. */
async function addEmptySignatureField(
  pdf: Buffer,
  fieldName: string,
  kid: boolean,
): Promise<Buffer> {
  const reader = await PdfReader.open(new BufferSource(pdf));
  const page = (await reader.pages())[0];
  if (!page) throw new Error('no page');
  const catalog = await reader.catalog();
  const b = new IncrementBuilder(reader);
  const fieldId = b.allocate();
  const widgetId = kid ? b.allocate() : fieldId;
  const widget = dict({
    Type: name('Annot'),
    Subtype: name('Widget'),
    Rect: [300, 100, 450, 180],
    P: page.ref,
    F: 4,
  });
  const field = dict({ FT: name('Sig'), T: textString(fieldName) });
  if (kid) {
    b.add(widgetId, widget.set('Parent', ref(fieldId)));
    b.add(fieldId, field.set('Kids', [ref(widgetId)]));
  } else {
    for (const [k, v] of field.map) widget.set(k, v);
    b.add(fieldId, widget);
  }
  b.add(page.ref.num, page.dict.clone().set('Annots', [ref(widgetId)]), page.ref.gen);
  const acroId = b.allocate();
  b.add(acroId, dict({ Fields: [ref(fieldId)] }));
  b.add(catalog.ref.num, catalog.dict.clone().set('AcroForm', ref(acroId)), catalog.ref.gen);
  return Buffer.concat([pdf, await b.build()]);
}

describe('empty signature fields in a template', () => {
  for (const kid of [false, true]) {
    it(`are filled in place (${kid ? 'field with a widget kid' : 'merged field and widget'})`, async () => {
      const template = await addEmptySignatureField(libreoffice, 'Chữ ký lãnh đạo', kid);
      const file = join(dir, `empty-field-${String(kid)}.pdf`);
      await signPdf(template, {
        signer: leader,
        fieldName: 'Chữ ký lãnh đạo',
        preset: 'approval',
        appearance: { image: demoSignaturePng() },
        output: file,
      });
      const sigs = await pdfsig(file);
      expect(sigs.map((s) => s.valid)).toEqual([true]);
      expect((await qpdfCheck(file)).ok).toBe(true);
      const reader = await PdfReader.open(new BufferSource(readFileSync(file)));
      const form = await readForm(reader, (await reader.catalog()).dict);
      expect(form.signatures.map((s) => s.name)).toEqual(['Chữ ký lãnh đạo']);
      expect(await reader.resolve(form.signatures[0]?.widgets[0]?.dict.get('Rect'))).toEqual([
        300, 100, 450, 180,
      ]);
      // A second signature on top: the filled field is "signatures-only" changed.
      const again = (await signPdf(readFileSync(file), { signer: leader })).bytes as Buffer;
      const report = await verifyPdf(again, { trustAnchors: anchors });
      expect(report.signatures.map((s) => [s.fieldName, s.valid, s.changes])).toEqual([
        ['Chữ ký lãnh đạo', true, 'signatures-only'],
        ['Signature2', true, 'none'],
      ]);
      expect(await codeOf(signPdf(again, { signer: leader, fieldName: 'Chữ ký lãnh đạo' }))).toBe(
        'INVALID_INPUT',
      );
    });
  }
});

describe('certification (DocMDP)', () => {
  it('P=1 certifies and refuses any further signature with PDF_CERTIFIED_NO_CHANGES', async () => {
    const file = join(dir, 'certified-p1.pdf');
    await signPdf(libreoffice, { signer: leader, certify: 1, output: file });
    expect((await pdfsig(file))[0]?.valid).toBe(true);
    expect((await qpdfCheck(file)).ok).toBe(true);
    expect(await codeOf(signPdf(file, { signer: leader }))).toBe('PDF_CERTIFIED_NO_CHANGES');
    expect((await verifyPdf(file, { trustAnchors: anchors })).signatures[0]).toMatchObject({
      certification: 1,
      valid: true,
    });
  });

  it('P=2 allows further signatures; only the first signature may certify', async () => {
    const certified = (await signPdf(libreoffice, { signer: leader, certify: 2 })).bytes as Buffer;
    const second = (await signPdf(certified, { signer: leader })).bytes as Buffer;
    const file = join(dir, 'certified-p2.pdf');
    writeFileSync(file, second);
    const sigs = await pdfsig(file);
    expect(sigs.map((s) => s.valid)).toEqual([true, true]);
    expect(await codeOf(signPdf(second, { signer: leader, certify: 2 }))).toBe(
      'PDF_CERTIFY_NOT_FIRST',
    );
  });
});

describe('signers', () => {
  it('ECDSA P-256 on SoftHSM2: pdfsig, openssl and verifyPdf agree', async () => {
    const signer = await testSigner(service, pki, 'ecdsa');
    const file = join(dir, 'ecdsa.pdf');
    await signPdf(xrefStream, { signer, output: file, hash: 'SHA-512' });
    expect((await pdfsig(file))[0]?.valid).toBe(true);
    expect(await opensslVerifyAll(file, pki.rootCaPem)).toEqual([true]);
    const report = await verifyPdf(file, { trustAnchors: anchors });
    expect(report.valid).toBe(true);
    expect(report.signatures[0]?.hashAlgorithm).toBe('SHA-512');
  });

  it('an expired certificate signs, but verification says not valid at signing time', async () => {
    const signer = await testSigner(service, pki, 'expired');
    const bytes = (await signPdf(libreoffice, { signer })).bytes as Buffer;
    const report = await verifyPdf(bytes, { trustAnchors: anchors });
    expect(report.signatures[0]?.integrity.signatureValid).toBe(true);
    expect(report.signatures[0]?.certificateValidAtSigningTime).toBe(false);
    expect(report.valid).toBe(false);
  });

  it('an unknown root is untrusted; no anchors is untrusted, also right after a trusted verification (the process-wide path cache is keyed by the anchors)', async () => {
    const bytes = (await signPdf(libreoffice, { signer: leader })).bytes as Buffer;
    const trusted = await verifyPdf(bytes, { trustAnchors: anchors });
    expect(trusted.signatures[0]?.chain?.trusted).toBe(true);
    const other = await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      '/dev/null',
      '-subj',
      '/CN=Other Root',
      '-days',
      '1',
    ]);
    const wrong = await verifyPdf(bytes, { trustAnchors: [Buffer.from(other.stdout)] });
    expect(wrong.signatures[0]?.chain).toMatchObject({
      trusted: false,
      reason: 'issuer-not-found',
    });
    const none = await verifyPdf(bytes);
    expect(none.signatures[0]?.chain).toMatchObject({ trusted: false, reason: 'no-trust-anchors' });
    const again = await verifyPdf(bytes, { trustAnchors: anchors });
    expect(again.signatures[0]?.chain?.trusted).toBe(true);
    expect(again.valid).toBe(true);
  });
});

describe('batch signing', () => {
  it('signs several documents with one signMany call; a bad item fails alone', async () => {
    const outputs = [0, 1, 2].map((i) => join(dir, `batch-${i}.pdf`));
    const results = await signPdfs(
      [
        { input: libreoffice, options: { output: outputs[0] } },
        { input: join(corpus, '005-libreoffice-writer-password_libreoffice-writer-password.pdf') },
        { input: xrefStream, options: { output: outputs[2] } },
        { input: join(corpus, '004-pdflatex-4-pages_pdflatex-4-pages.pdf') },
      ],
      { signer: leader, preset: 'plain' },
    );
    expect(results.map((r) => r.ok)).toEqual([true, false, true, true]);
    const failed = results[1];
    expect(failed && !failed.ok ? failed.error.code : '').toBe('PDF_ENCRYPTED');
    for (const file of [outputs[0], outputs[2]]) {
      expect((await pdfsig(file as string))[0]?.valid).toBe(true);
    }
    const last = results[3];
    expect(last?.ok && last.result.bytes ? last.result.bytes.length : 0).toBeGreaterThan(0);
  });
});

describe('signatures made by other tools', () => {
  it('@signpdf and zgapdfsigner signatures verify (no signing-certificate-v2: not PAdES)', async () => {
    const o = (args: string[]): Promise<unknown> => run('openssl', args, { cwd: dir });
    await o([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'o-root.key',
      '-out',
      'o-root.pem',
      '-days',
      '30',
      '-subj',
      '/CN=Other Tools Root',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign',
    ]);
    await o([
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'o-leaf.key',
      '-out',
      'o-leaf.csr',
      '-subj',
      '/CN=Other Tools Signer',
    ]);
    await o([
      'x509',
      '-req',
      '-in',
      'o-leaf.csr',
      '-CA',
      'o-root.pem',
      '-CAkey',
      'o-root.key',
      '-CAcreateserial',
      '-out',
      'o-leaf.pem',
      '-days',
      '10',
    ]);
    await o([
      'pkcs12',
      '-export',
      '-legacy',
      '-inkey',
      'o-leaf.key',
      '-in',
      'o-leaf.pem',
      '-certfile',
      'o-root.pem',
      '-out',
      'o.p12',
      '-passout',
      'pass:x',
    ]);
    const p12 = readFileSync(join(dir, 'o.p12'));
    const otherAnchors = [readFileSync(join(dir, 'o-root.pem'))];

    const { PDFDocument } = await import('pdf-lib');
    const { pdflibAddPlaceholder } = await import('@signpdf/placeholder-pdf-lib');
    const { SignPdf } = await import('@signpdf/signpdf');
    const { P12Signer } = await import('@signpdf/signer-p12');
    const doc = await PDFDocument.load(libreoffice);
    pdflibAddPlaceholder({ pdfDoc: doc, reason: 'r', contactInfo: 'c', name: 'n', location: 'l' });
    const withPlaceholder = Buffer.from(await doc.save({ useObjectStreams: false }));
    const bySignpdf = await new SignPdf().sign(
      withPlaceholder,
      new P12Signer(p12, { passphrase: 'x' }),
    );

    const Zga = (await import('zgapdfsigner')).default as unknown as {
      PdfSigner: new (o: Record<string, unknown>) => {
        sign(pdf: ArrayBuffer): Promise<Uint8Array>;
      };
    };
    const ab = (b: Buffer): ArrayBuffer =>
      b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer;
    const byZga = Buffer.from(
      await new Zga.PdfSigner({ p12cert: ab(p12), pwd: 'x' }).sign(ab(xrefStream)),
    );

    // Another tool signing over a P=1 certification breaks the certification.
    const certified = (await signPdf(libreoffice, { signer: leader, certify: 1 })).bytes as Buffer;
    const overP1 = Buffer.from(
      await new Zga.PdfSigner({ p12cert: ab(p12), pwd: 'x' }).sign(ab(certified)),
    );
    const p1 = await verifyPdf(overP1, { trustAnchors: [...otherAnchors, ...anchors] });
    // zgapdfsigner (pdf-lib) rewrites /Info in some runs: metadata, never "other".
    expect(p1.signatures.map((s) => [s.certification, s.changes, s.status])).toEqual([
      [1, 'signatures-only', 'invalid'],
      [undefined, 'none', 'valid'],
    ]);
    expect(p1.signatures[0]?.docMdpPermitted).toBe(false);
    expect(p1.signatures[0]?.changeKinds.filter((k) => k !== 'metadata')).toEqual([]);

    for (const bytes of [bySignpdf, byZga]) {
      const report = await verifyPdf(bytes, { trustAnchors: otherAnchors });
      expect(report.valid).toBe(true);
      expect(report.signatures[0]).toMatchObject({ pades: false, signer: 'Other Tools Signer' });
      // ...and a kyso signature on top keeps theirs valid.
      const ours = (await signPdf(bytes, { signer: leader })).bytes as Buffer;
      const both = await verifyPdf(ours, { trustAnchors: [...otherAnchors, ...anchors] });
      expect(both.signatures.map((s) => [s.valid, s.changes, s.status])).toEqual([
        [true, 'signatures-only', 'valid'],
        [true, 'none', 'valid'],
      ]);
    }
  });
});

/** Appends an increment that rewrites the document information dictionary (/ModDate). */
async function touchInfo(pdf: Buffer): Promise<Buffer> {
  const reader = await PdfReader.open(new BufferSource(pdf));
  const b = new IncrementBuilder(reader);
  const info = reader.trailer.get('Info');
  const old = info instanceof PdfRef ? await reader.resolveDict(info) : undefined;
  if (!(info instanceof PdfRef) || !old) throw new Error('no /Info');
  b.add(info.num, old.clone().set('ModDate', textString('D:20260102030405Z')), info.gen);
  return Buffer.concat([pdf, await b.build()]);
}

describe('/Info updates after signing are metadata (deterministic: with and without)', () => {
  for (const certify of [undefined, 1, 2, 3] as const) {
    it(`${certify ? `certification P=${certify}` : 'approval signature'} + signature, with and without an /Info update`, async () => {
      const signed = (
        await signPdf(libreoffice, { signer: leader, ...(certify ? { certify } : {}) })
      ).bytes as Buffer;
      for (const touched of [false, true]) {
        const base = touched ? await touchInfo(signed) : signed;
        const report = await verifyPdf(base, { trustAnchors: anchors });
        const first = report.signatures[0];
        expect(first?.changes).toBe(touched ? 'signatures-only' : 'none');
        expect(first?.changeKinds).toEqual(touched ? ['metadata'] : []);
        // P=1: no change at all, not even metadata; P>=2 and approvals: metadata is fine.
        expect(first?.status).toBe(touched && certify === 1 ? 'invalid' : 'valid');
        if (certify === 1) continue; // a P=1 document refuses further signatures
        const again = (await signPdf(base, { signer: leader })).bytes as Buffer;
        const both = await verifyPdf(again, { trustAnchors: anchors });
        expect(both.signatures.map((s) => [s.changes, s.changeKinds, s.status])).toEqual([
          ['signatures-only', touched ? ['metadata'] : [], 'valid'],
          ['none', [], 'valid'],
        ]);
      }
    });
  }
});

describe('bad input has stable codes', () => {
  it('not a PDF, truncated, bad startxref, encrypted', async () => {
    expect(await codeOf(signPdf(Buffer.from('hello'), { signer: leader }))).toBe('PDF_MALFORMED');
    expect(await codeOf(signPdf(libreoffice.subarray(0, 4000), { signer: leader }))).toBe(
      'PDF_MALFORMED',
    );
    const badStart = Buffer.from(libreoffice);
    const at = badStart.lastIndexOf('startxref');
    badStart.write('startxref\n12      ', at, 'latin1');
    expect(await codeOf(signPdf(badStart, { signer: leader }))).toBe('PDF_MALFORMED');
    expect(await codeOf(verifyPdf(Buffer.from('%PDF-1.4\n')))).toBe('PDF_MALFORMED');
    expect(
      await codeOf(
        verifyPdf(join(corpus, '005-libreoffice-writer-password_libreoffice-writer-password.pdf')),
      ),
    ).toBe('PDF_ENCRYPTED');
  });

  it('a duplicate field name is INVALID_INPUT; a page out of range is refused', async () => {
    const once = (await signPdf(libreoffice, { signer: leader, fieldName: 'Ký duyệt' })).bytes;
    expect(await codeOf(signPdf(once as Buffer, { signer: leader, fieldName: 'Ký duyệt' }))).toBe(
      'INVALID_INPUT',
    );
    const code = await codeOf(
      signPdf(libreoffice, {
        signer: leader,
        preset: 'custom',
        appearance: { placement: { page: 7, rect: [0, 0, 10, 10] }, textLines: ['x'] },
      }),
    );
    expect(code).toMatch(/^(INVALID_INPUT|PDF_PLACEMENT_INVALID)$/);
  });

  it('a byte range whose gap is not this /Contents is reported invalid', async () => {
    const bytes = Buffer.from((await signPdf(libreoffice, { signer: leader })).bytes as Buffer);
    const text = bytes.toString('latin1');
    const m = /\/ByteRange \[0 (\d+) (\d+) (\d+)\]/.exec(text);
    if (!m?.[1] || !m[2] || !m[3]) throw new Error('no ByteRange');
    // Shrink the gap by two hex digits on each side: same length text, wrong gap.
    const forged = `/ByteRange [0 ${Number(m[1]) + 2} ${Number(m[2]) - 2} ${Number(m[3]) + 2}]`;
    bytes.write(forged.padEnd(m[0].length, ' '), m.index, 'latin1');
    const report = await verifyPdf(bytes, { trustAnchors: anchors });
    expect(report.signatures[0]?.integrity.byteRangeValid).toBe(false);
    expect(report.valid).toBe(false);
  });

  it('a /Contents in upper case, or with whitespace in its zero padding, still verifies', async () => {
    const signed = Buffer.from((await signPdf(libreoffice, { signer: leader })).bytes as Buffer);
    const m = /\/ByteRange \[0 (\d+) (\d+)/.exec(signed.toString('latin1'));
    const [start, end] = [Number(m?.[1]) + 1, Number(m?.[2]) - 1]; // inside "<" and ">"
    const hex = signed.toString('latin1', start, end);
    const upper = Buffer.from(signed);
    upper.write(hex.toUpperCase(), start, 'latin1');
    const spaced = Buffer.from(signed);
    spaced.write(hex.replace(/0000$/, '\n \t0'), start, 'latin1'); // same length
    for (const bytes of [upper, spaced]) {
      expect(bytes.length).toBe(signed.length);
      expect(bytes.equals(signed)).toBe(false);
      const report = await verifyPdf(bytes, { trustAnchors: anchors });
      expect(report.signatures[0]?.integrity.byteRangeValid).toBe(true);
      expect(report.valid).toBe(true);
    }
  });

  it('a corrupted signature value is reported, not thrown', async () => {
    const bytes = Buffer.from((await signPdf(libreoffice, { signer: leader })).bytes as Buffer);
    const report0 = await verifyPdf(bytes, { trustAnchors: anchors });
    const start = (report0.signatures[0]?.byteRange[1] ?? 0) + 1;
    bytes.write('00', start + 40, 'latin1'); // inside the CMS hex
    const report = await verifyPdf(bytes, { trustAnchors: anchors });
    expect(report.valid).toBe(false);
    expect(report.signatures).toHaveLength(1);
  });
});
