/**
 * Signatures made by other tools, in BER as Java document systems and poppler write them:
 * PDFBox 2 + BouncyCastle (a tiny signer compiled with javac at set-up against Debian's jars)
 * and poppler's `pdfsig -add-signature` (NSS). Changes after signing (a sticky note, a form
 * fill) are "valid, changed after signing" as pdfsig and mutool say, unless a certification's
 * DocMDP forbids them. Keys and certificates are made here with openssl, never committed.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSignedData, softwareSigner, type Signer } from '../agent/cms/index.ts';
import { berToDer, children, isDer, readTlv } from '../agent/pki/der.ts';
import { verifySignatureValue } from '../agent/cms/verify.ts';
import { IncrementBuilder } from '../agent/pdf/increment.ts';
import { signPdf, verifyPdf } from '../agent/pdf/index.ts';
import { PdfRef, dict, name, ref, textString } from '../agent/pdf/objects.ts';
import { PdfReader } from '../agent/pdf/reader.ts';
import { BufferSource } from '../agent/pdf/source.ts';
import { pdfsig } from './pdf-judges.ts';

const run = promisify(execFile);
const corpus = join(import.meta.dirname, 'fixtures/corpus');
const libreofficePath = join(
  corpus,
  '002-trivial-libre-office-writer_002-trivial-libre-office-writer.pdf',
);
const libreoffice = readFileSync(libreofficePath);
const javaSource = join(import.meta.dirname, 'fixtures/java/PdfboxSign.java');
const JARS = ['pdfbox2', 'fontbox2', 'commons-logging', 'bcprov', 'bcpkix', 'bcutil'].map(
  (j) => `/usr/share/java/${j}.jar`,
);

let dir: string;
let rootPem: string;
let anchors: Buffer[];
let signer: Signer;
let classpath: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kyso-other-tools-'));
  const o = (args: string[]): Promise<unknown> => run('openssl', args, { cwd: dir });
  // prettier-ignore
  await o(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'root.key', '-out',
    'root.pem', '-days', '30', '-subj', '/CN=Java Tools Root', '-addext',
    'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']);
  // prettier-ignore
  await o(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr',
    '-subj', '/CN=Java Tools Signer']);
  // prettier-ignore
  await o(['x509', '-req', '-in', 'leaf.csr', '-CA', 'root.pem', '-CAkey', 'root.key',
    '-CAcreateserial', '-out', 'leaf.pem', '-days', '10']);
  // prettier-ignore
  await o(['pkcs12', '-export', '-inkey', 'leaf.key', '-in', 'leaf.pem', '-certfile', 'root.pem',
    '-name', 'signer', '-out', 'o.p12', '-passout', 'pass:x']);
  rootPem = join(dir, 'root.pem');
  anchors = [readFileSync(rootPem)];
  const der = (pem: string): Buffer =>
    Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  signer = softwareSigner({
    privateKey: readFileSync(join(dir, 'leaf.key')),
    certificate: der(readFileSync(join(dir, 'leaf.pem'), 'utf8')),
    chain: [der(readFileSync(rootPem, 'utf8'))],
  });
  // PDFBox signer, compiled once (about 3 s), run once for all PDFBox signatures below.
  await run('javac', ['-cp', JARS.join(':'), '-d', dir, javaSource]);
  classpath = [dir, ...JARS].join(':');
  const kysoSigned = (await signPdf(libreoffice, { signer })).bytes as Buffer;
  const [adbe, etsi, overKyso] = await pdfbox([
    { bytes: libreoffice },
    { bytes: libreoffice, subFilter: 'etsi' },
    { bytes: kysoSigned },
  ]);
  if (!adbe || !etsi || !overKyso) throw new Error('PDFBox signed nothing');
  Object.assign(byPdfbox, { adbe, etsi, overKyso });
  // NSS database for pdfsig -add-signature.
  mkdirSync(join(dir, 'nss'));
  await run('certutil', ['-N', '-d', `sql:${join(dir, 'nss')}`, '--empty-password']);
}, 60_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Signs each input with PDFBox, all in one JVM (its start-up is most of the time). */
async function pdfbox(inputs: { bytes: Buffer; subFilter?: 'adbe' | 'etsi' }[]): Promise<Buffer[]> {
  const args: string[] = [];
  const outputs: string[] = [];
  for (const [i, input] of inputs.entries()) {
    const inFile = join(dir, `pdfbox-in-${Math.random().toString(36).slice(2)}-${i}.pdf`);
    writeFileSync(inFile, input.bytes);
    outputs.push(`${inFile}.signed.pdf`);
    args.push(input.subFilter ?? 'adbe', inFile, `${inFile}.signed.pdf`);
  }
  // prettier-ignore
  await run('java', ['-XX:TieredStopAtLevel=1', '-cp', classpath, 'PdfboxSign',
    join(dir, 'o.p12'), 'x', ...args]);
  return outputs.map((o) => readFileSync(o));
}

/** PDFBox signatures made once at set-up: on the LibreOffice file (both sub-filters), and over a kyso signature. */
const byPdfbox: { adbe: Buffer; etsi: Buffer; overKyso: Buffer } = {
  adbe: Buffer.alloc(0),
  etsi: Buffer.alloc(0),
  overKyso: Buffer.alloc(0),
};

let nssReady = false;
async function popplerSign(input: Buffer): Promise<Buffer> {
  const nss = `sql:${join(dir, 'nss')}`;
  if (!nssReady) {
    await run('pk12util', ['-i', join(dir, 'o.p12'), '-d', nss, '-W', 'x']);
    nssReady = true;
  }
  const inFile = join(dir, `poppler-in-${Math.random().toString(36).slice(2)}.pdf`);
  const outFile = `${inFile}.signed.pdf`;
  writeFileSync(inFile, input);
  // pdfsig prints "NSS_Shutdown failed" on stderr and still exits 0.
  await run('pdfsig', ['-nssdir', nss, '-nick', 'signer', '-add-signature', inFile, outFile]);
  return readFileSync(outFile);
}

/** The hex of every /Contents that follows a /ByteRange, decoded (padding included). */
function contentsOf(pdf: Buffer): Buffer[] {
  const text = pdf.toString('latin1');
  return [...text.matchAll(/\/Contents\s*<([0-9a-fA-F]+)>/g)].map((m) =>
    Buffer.from(m[1] ?? '', 'hex'),
  );
}

function write(file: string, bytes: Buffer): string {
  const path = join(dir, file);
  writeFileSync(path, bytes);
  return path;
}

function mutoolVerify(file: string): string {
  return spawnSync('mutool', ['sign', '-v', file], { encoding: 'utf8' }).stdout;
}

/** Appends an increment with a new text annotation (a sticky note) on page 1. */
async function addNote(pdf: Buffer): Promise<Buffer> {
  const reader = await PdfReader.open(new BufferSource(pdf));
  const page = (await reader.pages())[0];
  if (!page) throw new Error('no page');
  const b = new IncrementBuilder(reader);
  const noteId = b.allocate();
  b.add(noteId, dict({ Type: name('Annot'), Subtype: name('Text'), Rect: [0, 0, 10, 10] }));
  const annots = await reader.resolve(page.dict.get('Annots'));
  const list = Array.isArray(annots) ? annots : [];
  b.add(page.ref.num, page.dict.clone().set('Annots', [...list, new PdfRef(noteId, 0)]));
  return Buffer.concat([pdf, await b.build()]);
}

/** A template with one empty text field "name" (merged with its widget) on page 1. */
async function withTextField(pdf: Buffer): Promise<{ bytes: Buffer; fieldNum: number }> {
  const reader = await PdfReader.open(new BufferSource(pdf));
  const page = (await reader.pages())[0];
  if (!page) throw new Error('no page');
  const catalog = await reader.catalog();
  const b = new IncrementBuilder(reader);
  const fieldId = b.allocate();
  b.add(
    fieldId,
    dict({
      Type: name('Annot'),
      Subtype: name('Widget'),
      FT: name('Tx'),
      T: textString('name'),
      Rect: [50, 50, 250, 80],
      P: page.ref,
      F: 4,
      DA: textString('/Helv 12 Tf 0 g'),
    }),
  );
  b.add(page.ref.num, page.dict.clone().set('Annots', [ref(fieldId)]), page.ref.gen);
  const acroId = b.allocate();
  b.add(acroId, dict({ Fields: [ref(fieldId)] }));
  b.add(catalog.ref.num, catalog.dict.clone().set('AcroForm', ref(acroId)), catalog.ref.gen);
  return { bytes: Buffer.concat([pdf, await b.build()]), fieldNum: fieldId };
}

/** Fills the text field: /V and a new /AP on the field object, as a form filler does. */
async function fillField(pdf: Buffer, fieldNum: number): Promise<Buffer> {
  const reader = await PdfReader.open(new BufferSource(pdf));
  const field = await reader.resolveDict(ref(fieldNum));
  if (!field) throw new Error('no field');
  const b = new IncrementBuilder(reader);
  const apId = b.allocate();
  const content = 'BT /Helv 12 Tf 2 8 Td (Nguyen Van A) Tj ET';
  b.add(
    apId,
    Buffer.from(
      `<< /Type /XObject /Subtype /Form /BBox [0 0 200 30] /Length ${content.length} >>\nstream\n${content}\nendstream`,
    ),
  );
  b.add(
    fieldNum,
    field
      .clone()
      .set('V', textString('Nguyễn Văn A'))
      .set('AP', dict({ N: ref(apId) })),
  );
  return Buffer.concat([pdf, await b.build()]);
}

describe('BER CMS (indefinite lengths, constructed OCTET STRING)', () => {
  it('openssl cms -stream output parses like its DER re-encoding', async () => {
    const content = join(dir, 'content.bin');
    writeFileSync(content, 'hello BER');
    // prettier-ignore
    const common = ['cms', '-sign', '-binary', '-in', content, '-signer', join(dir, 'leaf.pem'),
      '-inkey', join(dir, 'leaf.key'), '-outform', 'DER', '-stream'];
    for (const detached of [true, false]) {
      const out = join(dir, `ber-${String(detached)}.cms`);
      await run('openssl', [...common, ...(detached ? [] : ['-nodetach']), '-out', out]);
      const ber = readFileSync(out);
      expect(ber.subarray(0, 2)).toEqual(Buffer.from([0x30, 0x80]));
      expect(isDer(ber)).toBe(false);
      const derFile = `${out}.der`;
      // prettier-ignore
      await run('openssl', ['cms', '-cmsout', '-inform', 'DER', '-in', out, '-outform', 'DER',
        '-out', derFile]);
      const der = readFileSync(derFile);
      expect(isDer(der)).toBe(true);
      // With padding after it, as in a PDF /Contents.
      const padded = Buffer.concat([ber, Buffer.alloc(64)]);
      const a = parseSignedData(padded.subarray(0, ber.length));
      const b = parseSignedData(der);
      expect(a.signedAttributesDer).toEqual(b.signedAttributesDer);
      expect(a.certificates).toEqual(b.certificates);
      expect(a.signature).toEqual(b.signature);
      expect(verifySignatureValue(a)).toBe(true);
      if (detached) expect(berToDer(ber)).toEqual(der);
      else expect(isDer(berToDer(ber))).toBe(true);
    }
  });

  it('signed attributes carried unsorted verify over their DER (sorted) SET OF', async () => {
    const der = readFileSync(join(dir, 'ber-true.cms.der'));
    const ci = readTlv(der, 0);
    const explicit = children(der, ci)[1];
    const sd = explicit ? children(der, explicit)[0] : undefined;
    const signerInfos = sd ? children(der, sd).at(-1) : undefined;
    const si = signerInfos ? children(der, signerInfos)[0] : undefined;
    const attrs = si ? children(der, si)[3] : undefined;
    if (attrs?.tag !== 0xa0) throw new Error('no signed attributes');
    const list = children(der, attrs).map((t) => der.subarray(t.begin, t.end));
    expect(list.length).toBeGreaterThan(1);
    const unsorted = Buffer.from(der);
    Buffer.concat([...list].reverse()).copy(unsorted, attrs.start);
    const parsed = parseSignedData(unsorted);
    expect(parsed.signedAttributesSorted).toBeDefined();
    expect(verifySignatureValue(parsed)).toBe(true);
    expect(verifySignatureValue({ ...parsed, signedAttributesSorted: undefined })).toBe(false);
  });
});

describe('PDFBox / BouncyCastle signatures (BER)', () => {
  for (const subFilter of ['adbe', 'etsi'] as const) {
    it(`verify (${subFilter === 'adbe' ? 'adbe.pkcs7.detached' : 'ETSI.CAdES.detached'})`, async () => {
      const signed = byPdfbox[subFilter];
      expect(contentsOf(signed)[0]?.subarray(0, 2)).toEqual(Buffer.from([0x30, 0x80]));
      expect((await pdfsig(write(`pdfbox-${subFilter}.pdf`, signed)))[0]?.valid).toBe(true);
      const report = await verifyPdf(signed, { trustAnchors: anchors });
      expect(report.signatures[0]).toMatchObject({
        signer: 'Java Tools Signer',
        integrity: { byteRangeValid: true, digestMatches: true, signatureValid: true },
        chain: { trusted: true },
        changes: 'none',
        status: 'valid',
        valid: true,
      });
      expect(report.signatures[0]?.error).toBeUndefined();
    });
  }

  it('kyso over PDFBox and PDFBox over kyso keep both valid', async () => {
    const ours = (await signPdf(byPdfbox.adbe, { signer })).bytes as Buffer;
    const a = await verifyPdf(ours, { trustAnchors: anchors });
    expect(a.signatures.map((s) => [s.changes, s.status])).toEqual([
      ['signatures-only', 'valid'],
      ['none', 'valid'],
    ]);
    const theirs = byPdfbox.overKyso;
    const b = await verifyPdf(theirs, { trustAnchors: anchors });
    expect(b.signatures.map((s) => [s.changes, s.status])).toEqual([
      ['signatures-only', 'valid'],
      ['none', 'valid'],
    ]);
    expect((await pdfsig(write('kyso-then-pdfbox.pdf', theirs))).map((s) => s.valid)).toEqual([
      true,
      true,
    ]);
  });

  it('a sticky note after signing: valid, changed after signing (kyso, pdfsig, mutool agree)', async () => {
    const noted = await addNote(byPdfbox.adbe);
    const file = write('pdfbox-note.pdf', noted);
    const report = await verifyPdf(noted, { trustAnchors: anchors });
    expect(report.signatures[0]).toMatchObject({
      changes: 'other',
      changeKinds: ['annotation'],
      status: 'valid-changed-after',
      valid: false,
    });
    expect(report.status).toBe('valid-changed-after');
    const judged = (await pdfsig(file))[0];
    expect(judged).toMatchObject({ valid: true, totalDocumentSigned: false });
    expect(mutoolVerify(file)).toContain(
      'The signature is valid but there have been edits since signing.',
    );

    const cli = spawnSync('node', ['bin/kyso.js', 'verify', file, '--trust', rootPem], {
      encoding: 'utf8',
    });
    expect(cli.stdout).toContain(
      'Hợp lệ, có thay đổi sau khi ký (chú thích) / valid, changed after signing (annotation)',
    );
    expect(cli.status).toBe(4);
    const json = spawnSync('node', ['bin/kyso.js', 'verify', file, '--trust', rootPem, '--json'], {
      encoding: 'utf8',
    });
    expect(json.status).toBe(4);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, status: 'valid-changed-after' });
  });
});

describe('poppler pdfsig -add-signature (NSS, BER)', () => {
  it('verifies, alone and with a kyso signature on top', async () => {
    const signed = await popplerSign(libreoffice);
    expect(contentsOf(signed)[0]?.subarray(0, 2)).toEqual(Buffer.from([0x30, 0x80]));
    const report = await verifyPdf(signed, { trustAnchors: anchors });
    expect(report.signatures.map((s) => [s.signer, s.status])).toEqual([
      ['Java Tools Signer', 'valid'],
    ]);
    const ours = (await signPdf(signed, { signer })).bytes as Buffer;
    const both = await verifyPdf(ours, { trustAnchors: anchors });
    expect(both.signatures.map((s) => [s.changes, s.status])).toEqual([
      ['signatures-only', 'valid'],
      ['none', 'valid'],
    ]);
  });
});

describe('DocMDP: what each P permits after a certification', () => {
  it('P=2 permits form fill, not annotations; P=3 permits both; approvals permit anything', async () => {
    const template = await withTextField(libreoffice);
    const results: Record<string, [string, string[], boolean | undefined]> = {};
    for (const certify of [undefined, 1, 2, 3] as const) {
      const signed = (await signPdf(template.bytes, { signer, ...(certify ? { certify } : {}) }))
        .bytes as Buffer;
      for (const change of ['form-fill', 'annotation'] as const) {
        const changed =
          change === 'form-fill'
            ? await fillField(signed, template.fieldNum)
            : await addNote(signed);
        const s = (await verifyPdf(changed, { trustAnchors: anchors })).signatures[0];
        results[`${certify ?? 'approval'} ${change}`] = [
          s?.status ?? '?',
          s?.changeKinds ?? [],
          s?.docMdpPermitted,
        ];
      }
    }
    expect(results).toEqual({
      'approval form-fill': ['valid-changed-after', ['form-fill'], undefined],
      'approval annotation': ['valid-changed-after', ['annotation'], undefined],
      '1 form-fill': ['invalid', ['form-fill'], false],
      '1 annotation': ['invalid', ['annotation'], false],
      '2 form-fill': ['valid-changed-after', ['form-fill'], true],
      '2 annotation': ['invalid', ['annotation'], false],
      '3 form-fill': ['valid-changed-after', ['form-fill'], true],
      '3 annotation': ['valid-changed-after', ['annotation'], true],
    });
  });
});
