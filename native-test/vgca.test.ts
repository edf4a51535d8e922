/**
 * The VGCA compatibility script in Debian's Chromium: a document-system page written only
 * against the VGCA plugin's API (native-test/fixtures/vgca/index.html) runs unchanged with
 * Kyso's vgca.js in place of the plugin's script, against a real agent (SoftHSM2 test tokens,
 * scripted consent). PDFs are downloaded with the page's cookie, signed, uploaded to the page's
 * FileUploadHandler, and the uploads verify with pdfsig.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { launchChromium } from './chromium.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalog } from '../agent/protocol/index.ts';
import { buildVgcaScript } from '../agent/vgca/build.ts';
import { demoSealPng, demoSignaturePng } from '../agent/pdf/appearance/demo-images.ts';
import { decisionPage, makeTestPdf } from '../agent/pdf/appearance/test-pdf.ts';
import { JWT, SESSION_COOKIE, startDocServer, type DocServer } from './fixtures/vgca/server.ts';
import { makeBigPdf } from './big-pdf.ts';
import { pdfsig } from './pdf-judges.ts';
import { defaultScript, startTestAgent, type TestAgent } from './server-harness.ts';
import { verifies } from './server-verify.ts';

interface VgcaResult {
  raw: string;
  typeOfResult: string;
  msg: Record<string, unknown> & { Status: number; Message: string };
}

let agent: TestAgent;
let docs: DocServer;
let browser: Browser;
let page: Page;
let dir: string;

const LEADER_NAME = 'Nguyễn Văn Ánh';

function decisionPdf(): Buffer {
  const base = decisionPage();
  const texts = (base.texts ?? []).map((t) =>
    t.text === 'Nguyễn Văn An' ? { ...t, text: LEADER_NAME } : t,
  );
  return makeTestPdf([{ ...base, texts }]).bytes;
}

function plainPdf(title: string): Buffer {
  return makeTestPdf([{ texts: [{ text: title, x: 60, y: 700, size: 14 }] }]).bytes;
}

beforeAll(async () => {
  agent = await startTestAgent();
  dir = mkdtempSync(join(tmpdir(), 'kyso-vgca-'));
  docs = await startDocServer({
    script: await buildVgcaScript({ minify: true }), // as the agent serves it (dist/vgca.js)
    kysoOptions: {
      agentUrl: agent.url,
      signatureImage: '/images/signature.png',
      sealImage: '/images/seal.png',
      // The leader signs approvals; every other choice is the script's default rule.
      certificateId: { approved: agent.pki.token('leader').certificateId },
      trustAnchors: [readFileSync(agent.pki.rootCaPem, 'utf8')],
    },
    images: { signature: demoSignaturePng(), seal: demoSealPng() },
  });
  docs.files.set('quyet-dinh-12.pdf', decisionPdf());
  docs.files.set('cong-van-den.pdf', plainPdf('Công văn đến số 45/STTTT'));
  docs.files.set('phu-luc.pdf', plainPdf('Phụ lục kèm theo Quyết định 12'));
  docs.files.set('ban-sao.pdf', plainPdf('Bản sao Quyết định 12'));
  docs.files.set('to-trinh.pdf', plainPdf('Tờ trình số 7'));
  docs.files.set('unsigned.pdf', plainPdf('Chưa ký'));
  docs.files.set('bi-hong.pdf', Buffer.from('%PDF-1.7\nđây không phải là PDF\n'));
  agent.server.allowOrigin(docs.origin);
  browser = await launchChromium();
  page = await browser.newPage();
  await page.goto(docs.url);
});

afterAll(async () => {
  await browser?.close();
  await docs?.close();
  await agent?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs one of the page's functions (a string: the test runner must not rewrite it). */
async function call(label: string, expression: string, timeout = 45_000): Promise<VgcaResult> {
  await page.evaluate(expression);
  await page.waitForFunction(`window.results[${JSON.stringify(label)}] !== undefined`, null, {
    timeout,
  });
  return (await page.evaluate(`window.results[${JSON.stringify(label)}]`)) as VgcaResult;
}

function uploadOf(fileServer: unknown): (typeof docs.uploads)[number] {
  const id = Number(String(fileServer).split('/').at(-1));
  const upload = docs.uploads[id - 1];
  if (!upload) throw new Error(`no upload for ${String(fileServer)}`);
  return upload;
}

async function pdfsigOf(bytes: Buffer, name: string): Promise<boolean[]> {
  const file = join(dir, name);
  writeFileSync(file, bytes);
  return (await pdfsig(file)).map((s) => s.valid);
}

function lastSigning() {
  const entry = agent.consent.log.filter((e) => e.kind === 'signing').at(-1);
  return entry?.kind === 'signing' ? entry.request : undefined;
}

describe('document calls (URL mode)', () => {
  it('vgca_sign_approved: the button downloads with the cookie, signs, uploads; callback gets a string', async () => {
    await page.click('#btn-approved');
    await page.waitForFunction(`window.results.approved !== undefined`, null, { timeout: 45_000 });
    const r = (await page.evaluate(`window.results.approved`)) as VgcaResult;
    expect(r.typeOfResult).toBe('string');
    expect(r.msg).toMatchObject({
      Status: 0,
      FileName: 'quyet-dinh-12.pdf',
      Message: 'Đã lưu văn bản đã ký',
    });
    const upload = uploadOf(r.msg.FileServer);
    expect(upload.field).toBe('uploadfile');
    expect(upload.fileName).toBe('quyet-dinh-12.pdf');
    expect(upload.fields).toMatchObject({ docId: '12', loaiKy: '1' });
    expect(upload.cookie).toContain(SESSION_COOKIE);
    expect(await pdfsigOf(upload.bytes, 'approved.pdf')).toEqual([true]);
    expect(lastSigning()).toMatchObject({
      origin: docs.origin,
      kind: 'pdf',
      documents: [{ name: 'quyet-dinh-12.pdf' }],
    });
    expect(lastSigning()?.certificate.id).toBe(agent.pki.token('leader').certificateId);
    expect(docs.requests).toContain('GET /files/quyet-dinh-12.pdf');
  });

  it('vgca_sign_issued on the approved file: seal certificate, number and date; both signatures valid', async () => {
    await page.click('#btn-issued');
    await page.waitForFunction(`window.results.issued !== undefined`, null, { timeout: 45_000 });
    const r = (await page.evaluate(`window.results.issued`)) as VgcaResult;
    expect(r.msg).toMatchObject({
      Status: 0,
      DocumentNumber: '12/QĐ-UBND',
      DocumentDate: '2019-03-20',
    });
    const upload = uploadOf(r.msg.FileServer);
    expect(await pdfsigOf(upload.bytes, 'issued.pdf')).toEqual([true, true]);
    // Not configured: the default rule picks the organisation's (MST:) certificate.
    expect(lastSigning()?.certificate.id).toBe(agent.pki.token('seal').certificateId);
  });

  it('vgca_sign_issued with a JS Date: the date is taken in Vietnam time', async () => {
    const r = await call(
      'issued-date',
      `exc_sign_issued('issued-date', '/files/to-trinh.pdf', '13/QĐ-UBND', new Date('2026-11-30T20:30:00Z'))`,
    );
    // The seal has no approval to overlap on this file: the agent says what is missing.
    expect(r.msg.Status).not.toBe(0);
    expect(r.msg.ErrorCode).toBe('PDF_PLACEMENT_INVALID');
    const ok = await call(
      'issued-date-ok',
      `exc_sign_issued('issued-date-ok', results.approved.msg.FileServer, '13/QĐ-UBND', new Date('2026-11-30T20:30:00Z'))`,
    );
    expect(ok.msg).toMatchObject({ Status: 0, DocumentDate: '2026-12-01' });
  });

  it('vgca_sign_copy, vgca_sign_appendix, vgca_comment, vgca_sign_income, vgca_sign_pdf', async () => {
    const calls: [string, string, string][] = [
      ['copy', `exc_sign_copy('copy', '/files/ban-sao.pdf')`, 'copy'],
      ['appendix', `exc_sign_appendix('appendix', '/files/phu-luc.pdf')`, 'attachment'],
      ['comment', `exc_comment('comment', '/files/to-trinh.pdf')`, 'plain'],
      ['income', `exc_sign_income('income', '/files/cong-van-den.pdf')`, 'plain'],
      ['pdf', `exc_sign_pdf('pdf', '/files/to-trinh.pdf')`, 'plain'],
    ];
    for (const [label, expression] of calls) {
      const r = await call(label, expression);
      expect(r.msg, label).toMatchObject({ Status: 0 });
      const upload = uploadOf(r.msg.FileServer);
      expect(await pdfsigOf(upload.bytes, `${label}.pdf`), label).toEqual([true]);
    }
    const verified = await call(
      'verify-copy',
      `exc_verify_pdf('verify-copy', results.copy.msg.FileServer)`,
    );
    expect(verified.msg).toMatchObject({ Status: 0, Valid: true });
  });

  it('JWTToken: the download carries Authorization: Bearer; a plain-text handler reply becomes FileServer', async () => {
    docs.files.set('mat.pdf', plainPdf('Văn bản cần token'));
    const r = await call(
      'jwt',
      `exc_sign_pdf('jwt', '/protected/mat.pdf', ${JSON.stringify(JWT)}, '/PlainTextHandler')`,
    );
    expect(r.msg).toMatchObject({ Status: 0, FileName: 'mat.pdf' });
    expect(String(r.msg.FileServer)).toMatch(/^\/signed\/\d+$/);
    expect(uploadOf(r.msg.FileServer).authorization).toBe(`Bearer ${JWT}`);
  });
});

describe('local file (FileName "")', () => {
  it('opens the file picker in the click, signs the chosen file and uploads it', async () => {
    const chooser = page.waitForEvent('filechooser', { timeout: 20_000 });
    await page.click('#btn-browse');
    await (
      await chooser
    ).setFiles({
      name: 'Tờ trình chọn từ máy.pdf',
      mimeType: 'application/pdf',
      buffer: plainPdf('Tệp trên máy'),
    });
    await page.waitForFunction(`window.results.browse !== undefined`, null, { timeout: 45_000 });
    const r = (await page.evaluate(`window.results.browse`)) as VgcaResult;
    expect(r.msg).toMatchObject({ Status: 0, FileName: 'Tờ trình chọn từ máy.pdf' });
    expect(await pdfsigOf(uploadOf(r.msg.FileServer).bytes, 'browse.pdf')).toEqual([true]);
  });
});

describe('batch, hash, authentication, certificate, verification, version', () => {
  it('vgca_sign_files: one consent for the batch, a status per file', async () => {
    const before = agent.consent.log.filter((e) => e.kind === 'signing').length;
    const r = await call(
      'files',
      `exc_sign_files('files', ['/files/to-trinh.pdf', '/files/bi-hong.pdf', '/files/khong-co.pdf', '/files/phu-luc.pdf'])`,
    );
    expect(agent.consent.log.filter((e) => e.kind === 'signing').length).toBe(before + 1);
    const files = r.msg.Files as Record<string, unknown>[];
    expect(files.map((f) => [f.FileID, f.Status === 0])).toEqual([
      ['VB-0', true],
      ['VB-1', false],
      ['VB-2', false],
      ['VB-3', true],
    ]);
    expect(files[1]).toMatchObject({ ErrorCode: 'PDF_MALFORMED' });
    expect(files[2]).toMatchObject({ ErrorCode: 'VGCA_DOWNLOAD_FAILED' });
    expect(String(files[2]?.Message)).toMatch(/Không tải được văn bản/);
    expect(r.msg).toMatchObject({ ErrorCode: 'VGCA_PARTIAL' });
    expect(r.msg.Status).not.toBe(0);
    for (const f of files.filter((f) => f.Status === 0)) {
      expect(f.FileName).toMatch(/^Văn bản \d\.pdf$/);
      const upload = uploadOf(f.FileServer);
      expect(upload.fields.FileID).toBe(f.FileID);
      expect(await pdfsigOf(upload.bytes, `batch-${String(f.FileID)}.pdf`)).toEqual([true]);
    }
  });

  it('vgca_sign_msg signs the hash: Signature and CertBase64 verify; the sender comes back', async () => {
    const content = Buffer.from('Học bạ số 2026-001', 'utf8');
    const hash = createHash('sha256').update(content).digest('base64');
    const r = await call('msg', `exc_sign_msg('msg', ${JSON.stringify(hash)})`);
    expect(r.msg).toMatchObject({ Status: 0 });
    const cert = String(r.msg.CertBase64);
    const ec =
      new X509Certificate(Buffer.from(cert, 'base64')).publicKey.asymmetricKeyType === 'ec';
    expect(
      verifies(cert, content, String(r.msg.Signature), 'sha256', ec ? 'ECDSA' : undefined),
    ).toBe(true);
    expect(await page.evaluate(`window.results['msg:sender']`)).toBe('btn-approved');
  });

  it('vgca_auth signs the AuthCode (SHA-256 of its UTF-8) with a personal certificate', async () => {
    const code = 'AUTH-7f3a9c-đăng-nhập';
    const r = await call('auth', `exc_auth('auth', ${JSON.stringify(code)})`);
    expect(r.msg).toMatchObject({ Status: 0 });
    const cert = String(r.msg.CertBase64);
    const x509 = new X509Certificate(Buffer.from(cert, 'base64'));
    expect(x509.subject).not.toMatch(/MST:/);
    const ec = x509.publicKey.asymmetricKeyType === 'ec';
    expect(
      verifies(
        cert,
        Buffer.from(code, 'utf8'),
        String(r.msg.Signature),
        'sha256',
        ec ? 'ECDSA' : undefined,
      ),
    ).toBe(true);
    expect(await page.evaluate(`window.results['auth:sender']`)).toBe('btn-login');
  });

  it('vgca_get_certinfo returns a valid signing certificate without asking', async () => {
    const before = agent.consent.log.length;
    const r = await call('certinfo', `exc_get_certinfo('certinfo')`);
    expect(r.msg).toMatchObject({ Status: 0 });
    const info = r.msg.CertInfo as Record<string, string>;
    const usable = agent.pki.tokens.filter((t) => !t.expired).map((t) => t.certificateId);
    expect(usable).toContain(info.Thumbprint);
    expect(info.SerialNumber).toMatch(/^[0-9A-F]+$/);
    expect(info.CertBase64).toBe(r.msg.CertBase64);
    expect(agent.consent.log.length).toBe(before);
  });

  it('vgca_verify_pdf: signed → Status 0 with the signers; unsigned → non-zero', async () => {
    const r = await call('verify', `exc_verify_pdf('verify', results.issued.msg.FileServer)`);
    expect(r.msg).toMatchObject({ Status: 0, Valid: true });
    const signers = (r.msg.Signatures as { SignerName: string; Valid: boolean }[]).map((s) => [
      s.SignerName,
      s.Valid,
    ]);
    expect(signers).toEqual([
      [LEADER_NAME, true],
      ['Ủy ban nhân dân tỉnh Thử Nghiệm (TEST)', true],
    ]);
    const none = await call('verify-none', `exc_verify_pdf('verify-none', '/files/unsigned.pdf')`);
    expect(none.msg).toMatchObject({
      ErrorCode: 'VGCA_NO_SIGNATURE',
      Message: 'Văn bản không có chữ ký số.',
    });
  });

  it('vgca_get_version answers with the agent version', async () => {
    const r = await call('version', `exc_get_version('version')`);
    expect(r.msg).toMatchObject({ Status: 0, Agent: 'Kyso Agent', ProtocolVersion: '1.0' });
    expect(String(r.msg.Version)).toMatch(/^\d+\.\d+\.\d+/);
  });
});

const MiB = 1024 * 1024;

/** A scan-like PDF of about `bytes`, served at /files/<name>; returns its bytes. */
function serveBigPdf(name: string, bytes: number, seed: number): Buffer {
  const path = join(dir, name);
  makeBigPdf(path, bytes, seed);
  const pdf = readFileSync(path);
  docs.files.set(name, pdf);
  return pdf;
}

interface SocketSends {
  textFrames: number;
  largestText: number;
  binaryFrames: number;
  binaryBytes: number;
}

/** Counts what the page sends on its WebSockets from now on (existing sockets included). */
async function recordSocketSends(): Promise<() => Promise<SocketSends>> {
  await page.evaluate(`(() => {
    const sends = { textFrames: 0, largestText: 0, binaryFrames: 0, binaryBytes: 0 };
    window.socketSends = sends;
    const original = window.originalSocketSend || WebSocket.prototype.send;
    window.originalSocketSend = original;
    WebSocket.prototype.send = function (data) {
      if (typeof data === 'string') {
        sends.textFrames++;
        sends.largestText = Math.max(sends.largestText, data.length);
      } else {
        sends.binaryFrames++;
        sends.binaryBytes += data.byteLength ?? data.size;
      }
      return original.call(this, data);
    };
  })()`);
  return async () => (await page.evaluate(`window.socketSends`)) as SocketSends;
}

describe('large documents go to the agent as bytes', () => {
  it('vgca_sign_approved of a 20 MB scan: binary frames, the upload holds the original and verifies', async () => {
    const original = serveBigPdf('ho-so-quet-20mb.pdf', 20 * MiB, 7);
    const sends = await recordSocketSends();
    const r = await call(
      'big-approved',
      `exc_sign_approved('big-approved', '/files/ho-so-quet-20mb.pdf')`,
      90_000,
    );
    expect(r.msg).toMatchObject({ Status: 0, FileName: 'ho-so-quet-20mb.pdf' });
    const upload = uploadOf(r.msg.FileServer);
    // An incremental update: every byte of the original, then the signature.
    expect(upload.bytes.length).toBeGreaterThan(original.length);
    expect(upload.bytes.subarray(0, original.length).equals(original)).toBe(true);
    expect(await pdfsigOf(upload.bytes, 'big-approved.pdf')).toEqual([true]);
    const verified = await call(
      'big-verify',
      `exc_verify_pdf('big-verify', results['big-approved'].msg.FileServer)`,
      90_000,
    );
    expect(verified.msg).toMatchObject({ Status: 0, Valid: true });
    const sent = await sends();
    // Both documents went up as binary chunks; no JSON message carried a document.
    expect(sent.binaryBytes).toBeGreaterThanOrEqual(original.length + upload.bytes.length);
    expect(sent.largestText).toBeLessThan(64 * 1024);
  });

  it('vgca_sign_files with three 4 MB files: one consent, each upload verifies', async () => {
    const names = ['tap-1.pdf', 'tap-2.pdf', 'tap-3.pdf'];
    names.forEach((name, i) => serveBigPdf(name, 4 * MiB, 20 + i));
    const before = agent.consent.log.filter((e) => e.kind === 'signing').length;
    const r = await call(
      'big-files',
      `exc_sign_files('big-files', ${JSON.stringify(names.map((n) => `/files/${n}`))})`,
      90_000,
    );
    expect(r.msg).toMatchObject({ Status: 0 });
    expect(agent.consent.log.filter((e) => e.kind === 'signing').length).toBe(before + 1);
    const files = r.msg.Files as Record<string, unknown>[];
    expect(files.map((f) => f.Status)).toEqual([0, 0, 0]);
    for (const f of files) {
      const upload = uploadOf(f.FileServer);
      expect(upload.bytes.length).toBeGreaterThan(4 * MiB - 1024);
      expect(await pdfsigOf(upload.bytes, `big-${String(f.FileID)}.pdf`)).toEqual([true]);
    }
  });

  it('no FileUploadHandler: a 4 MB signed file comes back whole in FileBase64', async () => {
    const raw = (await page.evaluate(
      `vgca_sign_pdf(JSON.stringify({ FileUploadHandler: '', FileName: '/files/tap-1.pdf' }))`,
    )) as string;
    const msg = JSON.parse(raw) as { Status: number; FileBase64: string };
    expect(msg.Status).toBe(0);
    const signed = Buffer.from(msg.FileBase64, 'base64');
    expect(signed.subarray(0, 8).toString('latin1')).toBe('%PDF-1.7');
    expect(await pdfsigOf(signed, 'big-base64.pdf')).toEqual([true]);
  });

  describe('an agent with limits.maxDocumentBytes = 2 MiB', () => {
    let small: TestAgent;

    beforeAll(async () => {
      small = await startTestAgent({ config: { limits: { maxDocumentBytes: 2 * MiB } } });
      small.server.allowOrigin(docs.origin);
      serveBigPdf('qua-lon-3mb.pdf', 3 * MiB, 30);
      await page.evaluate(`kysoVgca.configure({ agentUrl: ${JSON.stringify(small.url)} })`);
    });

    afterAll(async () => {
      await page.evaluate(`kysoVgca.configure({ agentUrl: ${JSON.stringify(agent.url)} })`);
      await small?.close();
    });

    it('a 3 MB file: Status 6, DOCUMENT_TOO_LARGE with both sizes, nothing asked or uploaded', async () => {
      const uploads = docs.uploads.length;
      const r = await call('too-large', `exc_sign_pdf('too-large', '/files/qua-lon-3mb.pdf')`);
      expect(r.msg).toMatchObject({
        Status: 6,
        ErrorCode: 'DOCUMENT_TOO_LARGE',
        Details: { maxDocumentBytes: 2 * MiB },
      });
      expect(r.msg.Message).toMatch(
        /^Văn bản quá lớn để ký số: tệp 3 MB, Kyso Agent nhận tối đa 2 MB\. Giảm dung lượng tệp/,
      );
      expect(r.msg.MessageEn).toMatch(/too large to sign: the file is 3 MB.* at most 2 MB/);
      expect(small.consent.log).toEqual([]);
      expect(docs.uploads.length).toBe(uploads);
      const verify = await call(
        'too-large-verify',
        `exc_verify_pdf('too-large-verify', '/files/qua-lon-3mb.pdf')`,
      );
      expect(verify.msg).toMatchObject({ Status: 6, ErrorCode: 'DOCUMENT_TOO_LARGE' });
    });

    it('a 1 GiB download stops at the agent limit: at Content-Length, or while a chunked body streams', async () => {
      const GiB = 1024 * MiB;
      docs.streams.set('khong-lo.pdf', { size: GiB, chunked: false, sent: 0 });
      docs.streams.set('khong-lo-chunked.pdf', { size: GiB, chunked: true, sent: 0 });
      const uploads = docs.uploads.length;
      const declared = await call('huge', `exc_sign_pdf('huge', '/streams/khong-lo.pdf')`);
      expect(declared.msg).toMatchObject({
        Status: 6,
        ErrorCode: 'DOCUMENT_TOO_LARGE',
        Details: { size: GiB, maxDocumentBytes: 2 * MiB },
      });
      const chunked = await call(
        'huge-chunked',
        `exc_sign_files('huge-chunked', ['/streams/khong-lo-chunked.pdf', '/files/to-trinh.pdf'])`,
      );
      const files = chunked.msg.Files as Record<string, unknown>[];
      expect(files[0]).toMatchObject({
        Status: 6,
        ErrorCode: 'DOCUMENT_TOO_LARGE',
        Details: { sizeAtLeast: true, maxDocumentBytes: 2 * MiB },
      });
      expect(String(files[0]?.Message)).toMatch(/tệp lớn hơn 2 MB, Kyso Agent nhận tối đa 2 MB/);
      expect(String(files[0]?.MessageEn)).toMatch(/the file is over 2 MB, Kyso Agent takes/);
      expect(files[1]).toMatchObject({ Status: 0 });
      // The page stopped reading: what left the server is the limit plus what was in flight
      // in the socket buffers, nowhere near the gigabyte.
      for (const name of ['khong-lo.pdf', 'khong-lo-chunked.pdf']) {
        expect(docs.streams.get(name)?.sent).toBeLessThan(64 * MiB);
      }
      expect(small.consent.log.filter((e) => /huge/.test(JSON.stringify(e)))).toEqual([]);
      expect(docs.uploads.length).toBe(uploads + 1);
    });

    it('a 3 MB local file (FileName ""): Status 6 by its size, the page never reads it', async () => {
      // Counts reads of file contents in the page: a refused file must not be read at all.
      await page.evaluate(`(() => {
        delete window.results.browse;
        window.blobReads = 0;
        const read = Blob.prototype.arrayBuffer;
        Blob.prototype.arrayBuffer = function () { window.blobReads++; return read.call(this); };
      })()`);
      const uploads = docs.uploads.length;
      const asked = small.consent.log.length;
      const chooser = page.waitForEvent('filechooser', { timeout: 20_000 });
      await page.click('#btn-browse');
      const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(3 * MiB)]);
      await (
        await chooser
      ).setFiles({ name: 'Hồ sơ quét.pdf', mimeType: 'application/pdf', buffer: pdf });
      await page.waitForFunction(`window.results.browse !== undefined`, null, { timeout: 45_000 });
      const r = (await page.evaluate(`window.results.browse`)) as VgcaResult;
      expect(r.msg).toMatchObject({
        Status: 6,
        ErrorCode: 'DOCUMENT_TOO_LARGE',
        Details: { size: pdf.length, maxDocumentBytes: 2 * MiB },
      });
      expect(r.msg.Message).toMatch(/tệp 3 MB, Kyso Agent nhận tối đa 2 MB/);
      expect(await page.evaluate(`window.blobReads`)).toBe(0);
      expect(small.consent.log.length).toBe(asked);
      expect(docs.uploads.length).toBe(uploads);
    });

    it('in a batch the big file fails alone; the agent still serves the page', async () => {
      const r = await call(
        'too-large-files',
        `exc_sign_files('too-large-files', ['/files/qua-lon-3mb.pdf', '/files/to-trinh.pdf'])`,
      );
      const files = r.msg.Files as Record<string, unknown>[];
      expect(files[0]).toMatchObject({ Status: 6, ErrorCode: 'DOCUMENT_TOO_LARGE' });
      expect(String(files[0]?.Message)).toMatch(/tệp 3 MB, Kyso Agent nhận tối đa 2 MB/);
      expect(files[1]).toMatchObject({ Status: 0 });
      expect(await pdfsigOf(uploadOf(files[1]?.FileServer).bytes, 'small-ok.pdf')).toEqual([true]);
      expect(r.msg).toMatchObject({ ErrorCode: 'VGCA_PARTIAL' });
      const version = await call('small-version', `exc_get_version('small-version')`);
      expect(version.msg).toMatchObject({ Status: 0 });
    });
  });
});

describe('failures reach the callback in the plugin shape', () => {
  it('a refused consent: Status 1, USER_CANCELLED, the catalog text; nothing uploaded', async () => {
    const uploads = docs.uploads.length;
    agent.consent.setScript({ ...defaultScript(agent.pki), signing: { default: 'refuse' } });
    try {
      const r = await call('refused', `exc_sign_pdf('refused', '/files/to-trinh.pdf')`);
      expect(r.msg).toMatchObject({
        Status: 1,
        ErrorCode: 'USER_CANCELLED',
        Message: catalog.USER_CANCELLED.vi,
      });
    } finally {
      agent.consent.setScript(defaultScript(agent.pki));
    }
    expect(docs.uploads.length).toBe(uploads);
  });

  it('the upload handler fails (HTTP 500): Status 4 with the HTTP status', async () => {
    const r = await call(
      'upload-500',
      `exc_sign_approved('upload-500', '/files/quyet-dinh-12.pdf', '/FileUploadHandlerFail')`,
    );
    expect(r.msg).toMatchObject({ Status: 4, ErrorCode: 'VGCA_UPLOAD_FAILED' });
    expect(r.msg.Message).toMatch(/không gửi được văn bản đã ký.*HTTP 500/);
  });

  it('the download fails (no such file): Status 3', async () => {
    const r = await call('missing', `exc_sign_pdf('missing', '/files/khong-co.pdf')`);
    expect(r.msg).toMatchObject({ Status: 3, ErrorCode: 'VGCA_DOWNLOAD_FAILED' });
  });

  it('a timeout: Status 7, and the late signature is not uploaded', async () => {
    const uploads = docs.uploads.length;
    agent.consent.setScript({ ...defaultScript(agent.pki), delayMs: 1500 });
    await page.evaluate(`kysoVgca.configure({ timeoutMs: 500 })`);
    try {
      const r = await call('timeout', `exc_sign_pdf('timeout', '/files/to-trinh.pdf')`);
      expect(r.msg).toMatchObject({ Status: 7, ErrorCode: 'TIMEOUT' });
      await new Promise((resolve) => setTimeout(resolve, 3000));
      expect(docs.uploads.length).toBe(uploads);
    } finally {
      await page.evaluate(`kysoVgca.configure({ timeoutMs: 600000 })`);
      agent.consent.setScript(defaultScript(agent.pki));
    }
  });

  it('Kyso not running: Status 8, AGENT_NOT_RUNNING, a message that says so', async () => {
    await page.evaluate(`kysoVgca.configure({ agentUrl: 'ws://127.0.0.1:9' })`);
    try {
      const r = await call('not-running', `exc_sign_pdf('not-running', '/files/to-trinh.pdf')`);
      expect(r.msg).toMatchObject({ Status: 8, ErrorCode: 'AGENT_NOT_RUNNING' });
      expect(r.msg.Message).toMatch(/Kyso Agent chưa chạy trên máy này/);
      const token = await call('not-running-certinfo', `exc_get_certinfo('not-running-certinfo')`);
      expect(token.msg).toMatchObject({ Status: 8, ErrorCode: 'AGENT_NOT_RUNNING' });
    } finally {
      await page.evaluate(`kysoVgca.configure({ agentUrl: ${JSON.stringify(agent.url)} })`);
    }
  });

  it('functions Kyso does not offer fail at once, explicitly', async () => {
    const r = (await page.evaluate(`vgca_verify_msg('{}')`)) as string;
    expect(JSON.parse(r)).toMatchObject({ ErrorCode: 'VGCA_UNSUPPORTED', Status: 11 });
  });
});
