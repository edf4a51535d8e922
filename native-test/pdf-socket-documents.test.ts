/**
 * Big PDFs over a real WebSocket (issue 12): the SDK uploads 5, 20 and 50 MB documents in
 * chunks (document.upload.*, binary frames), signs them by id, downloads the signed copy
 * (binary data frames); pdfsig judges it
 * and verify.pdf agrees. Past limits.maxDocumentBytes the page gets DOCUMENT_TOO_LARGE (from
 * the SDK before sending, and from the agent), never a lost connection.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KysoClient, KysoClientError, type WebSocketLike } from '../agent/client/index.ts';
import { makeBigPdf } from './big-pdf.ts';
import { pdfsig } from './pdf-judges.ts';
import { copyTestPki } from './pki.ts';
import { startTestAgent, TEST_ORIGIN, TestClient, type TestAgent } from './server-harness.ts';

const MB = 1_000_000;
let agent: TestAgent;
let small: TestAgent;
let dir: string;
const clients: KysoClient[] = [];

/** Binary frames the SDK sent (upload chunks) and received (download data), all clients. */
const frames = { sent: 0, received: 0 };

function sdk(url: string): KysoClient {
  const client = new KysoClient({
    url,
    createSocket: (u) => {
      const socket = new WebSocket(u, { origin: TEST_ORIGIN });
      socket.on('message', (_data, isBinary) => void (isBinary && frames.received++));
      const plainSend = socket.send.bind(socket) as (data: string | Uint8Array) => void;
      const send = (data: string | Uint8Array): void => {
        if (typeof data !== 'string') frames.sent++;
        plainSend(data);
      };
      return Object.assign(socket, { send }) as unknown as WebSocketLike;
    },
  });
  clients.push(client);
  return client;
}

beforeAll(async () => {
  agent = await startTestAgent({ pki: copyTestPki() });
  small = await startTestAgent({
    pki: copyTestPki(),
    config: { limits: { maxDocumentBytes: 8 * 1024 * 1024 } },
  });
  dir = mkdtempSync(join(tmpdir(), 'kyso-pdf-socket-'));
});

afterAll(async () => {
  for (const c of clients) c.close();
  await agent.close();
  await small.close();
  rmSync(agent.pki.dir, { recursive: true, force: true });
  rmSync(small.pki.dir, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

async function judge(bytes: Uint8Array, name: string): Promise<boolean[]> {
  const file = join(dir, name);
  writeFileSync(file, bytes);
  return (await pdfsig(file)).map((s) => s.valid);
}

async function failure(promise: Promise<unknown>): Promise<KysoClientError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof KysoClientError) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

describe('big documents in chunks', () => {
  for (const size of [5, 20, 50]) {
    it(`signs and verifies a ${size} MB PDF over the socket`, { timeout: 120_000 }, async () => {
      const file = join(dir, `in-${size}.pdf`);
      makeBigPdf(file, size * MB, size);
      const input = new Uint8Array(readFileSync(file));
      const client = sdk(agent.url);
      const before = { ...frames };
      const phases = new Set<string>();
      const signed = await client.signPdf(
        {
          certificateId: agent.pki.token('leader').certificateId,
          pdf: input,
          documentName: `Hồ sơ quét ${size} MB.pdf`,
          chain: [readFileSync(agent.pki.issuingCaPem).toString('base64')],
        },
        { onProgress: (p) => phases.add(p.phase) },
      );
      expect([...phases]).toEqual(['upload', 'sign', 'download']);
      // The SDK moved the bytes in binary frames (1 MiB chunks up, reply-sized data down).
      expect(frames.sent - before.sent).toBe(Math.ceil(input.length / (1 << 20)));
      expect(frames.received - before.received).toBeGreaterThanOrEqual(
        Math.ceil(signed.pdf.length / (4 << 20)),
      );
      expect(signed.pdf.length).toBeGreaterThan(input.length);
      // An incremental update: the original bytes come first, unchanged.
      const digest = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
      expect(digest(signed.pdf.subarray(0, input.length))).toBe(digest(input));
      expect(await judge(signed.pdf, `signed-${size}.pdf`)).toEqual([true]);

      const verified = await client.verifyPdf({
        pdf: signed.pdf,
        trustAnchors: [readFileSync(agent.pki.rootCaPem).toString('base64')],
      });
      expect(verified).toMatchObject({ valid: true, totalDocumentSigned: true });
      expect(verified.fileSize).toBe(signed.pdf.length);
    });
  }

  it('signs a batch of uploaded documents with one approval; a bad one fails alone', async () => {
    const files = [1, 2, 3].map((i) => {
      const file = join(dir, `batch-${i}.pdf`);
      makeBigPdf(file, 1 * MB, 100 + i);
      return new Uint8Array(readFileSync(file));
    });
    const before = agent.consent.log.filter((e) => e.kind === 'signing').length;
    const client = sdk(agent.url);
    const result = await client.signPdfs({
      certificateId: agent.pki.token('seal').certificateId,
      items: [
        { name: 'a.pdf', pdf: files[0] as Uint8Array },
        { name: 'broken.pdf', pdf: new TextEncoder().encode('%PDF-1.7\nnot a pdf') },
        { name: 'c.pdf', pdf: files[2] as Uint8Array },
      ],
    });
    expect(result.items.map((i) => i.ok)).toEqual([true, false, true]);
    expect(agent.consent.log.filter((e) => e.kind === 'signing').length).toBe(before + 1);
    const first = result.items[0];
    expect(first?.ok && (await judge(first.pdf, 'batch-a.pdf'))).toEqual([true]);
    const failed = result.items[1];
    expect(failed && !failed.ok && failed.error.code).toBe('PDF_MALFORMED');
  });
});

describe('limits', () => {
  it('refuses a document over limits.maxDocumentBytes with DOCUMENT_TOO_LARGE', async () => {
    const info = await sdk(small.url).connect();
    expect(info.limits.maxDocumentBytes).toBe(8 * 1024 * 1024);
    const big = new Uint8Array(9 * 1024 * 1024);
    const client = sdk(small.url);
    const sdkRefusal = await failure(
      client.signPdf({ certificateId: small.pki.token('leader').certificateId, pdf: big }),
    );
    expect(sdkRefusal.code).toBe('DOCUMENT_TOO_LARGE');
    expect(sdkRefusal.details).toMatchObject({
      size: big.length,
      maxDocumentBytes: 8 * 1024 * 1024,
    });
    expect(sdkRefusal.messages.vi).toContain('quá lớn');

    const raw = await TestClient.connect(small.url, { origin: TEST_ORIGIN });
    try {
      const begin = await raw.call('document.upload.begin', { size: big.length });
      expect(begin.error?.data).toMatchObject({
        reason: 'DOCUMENT_TOO_LARGE',
        details: { size: big.length, maxDocumentBytes: 8 * 1024 * 1024 },
      });
      const inline = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(9 * 1024 * 1024)]);
      const sign = await raw.call('sign.pdf', {
        certificateId: small.pki.token('leader').certificateId,
        pdf: inline.toString('base64'),
      });
      expect(sign.error?.data).toMatchObject({ reason: 'DOCUMENT_TOO_LARGE', field: 'pdf' });
    } finally {
      raw.socket.close();
    }
  });

  it('checks chunks: order, checksum, unknown and incomplete documents', async () => {
    const raw = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
    try {
      const data = Buffer.from('%PDF-1.7\n' + 'x'.repeat(100));
      const b64 = (b: Buffer) => b.toString('base64');
      const begun = await raw.call('document.upload.begin', { size: data.length });
      const id = begun.result?.documentId as string;
      expect(begun.result).toMatchObject({ received: 0, complete: false, chunkBytes: 1048576 });
      const wrongOffset = await raw.call('document.upload.chunk', {
        documentId: id,
        offset: 5,
        data: b64(data.subarray(5)),
      });
      expect(wrongOffset.error?.data).toMatchObject({ field: 'offset', reason: 'INVALID_INPUT' });
      const early = await raw.call('verify.pdf', { documentId: id });
      expect(early.error?.data.reason).toBe('DOCUMENT_INCOMPLETE');
      const ok = await raw.call('document.upload.chunk', {
        documentId: id,
        offset: 0,
        data: b64(data),
      });
      expect(ok.result).toMatchObject({
        complete: true,
        sha256: createHash('sha256').update(data).digest('hex'),
      });
      const back = await raw.call('document.download', { items: [{ documentId: id }] });
      const [item] = (back.result as { items: { data: string; done: boolean }[] }).items;
      expect(Buffer.from(item?.data ?? '', 'base64').equals(data)).toBe(true);
      expect(item?.done).toBe(true);

      const mismatch = await raw.call('document.upload.begin', {
        size: data.length,
        sha256: '0'.repeat(64),
        data: b64(data),
      });
      expect(mismatch.error?.data).toMatchObject({
        reason: 'DOCUMENT_INCOMPLETE',
        details: { reason: 'sha256 mismatch' },
      });
      const badBase64 = await raw.call('document.upload.chunk', {
        documentId: id,
        offset: 0,
        data: 'AB-_',
      });
      expect(badBase64.error?.data).toMatchObject({ reason: 'INVALID_INPUT', field: 'data' });
      expect((await raw.call('document.release', { documentIds: [id] })).result).toEqual({
        released: 1,
      });
      const gone = await raw.call('document.download', { items: [{ documentId: id }] });
      expect(gone.error?.data.reason).toBe('DOCUMENT_NOT_FOUND');
      const both = await raw.call('verify.pdf', { documentId: id, pdf: b64(data) });
      expect(both.error?.data.reason).toBe('INVALID_INPUT');
    } finally {
      raw.socket.close();
    }
  });

  it('decodes a multi-MiB inline base64 PDF without a regular expression', async () => {
    const file = join(dir, 'inline-6.pdf');
    makeBigPdf(file, 6 * MB, 6);
    const raw = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
    try {
      const reply = await raw.call('verify.pdf', { pdf: readFileSync(file).toString('base64') });
      expect(reply.error).toBeUndefined();
      expect(reply.result).toMatchObject({ fileSize: readFileSync(file).length, valid: false });
    } finally {
      raw.socket.close();
    }
  });
});
