/**
 * Binary document frames over a real WebSocket (issue 12, item 2; docs/protocol.md "Binary
 * frames"): raw upload chunks and download data, and the misbehaving pages — a binary frame
 * before approval, oversized, at a wrong offset, for an unknown or another connection's
 * document, not a frame of ours, a flood, a connection killed mid-upload — each ending in a
 * clear error while the agent keeps serving others. Big documents through the SDK (which uses
 * binary frames by default) are in pdf-socket-documents.test.ts and pdf-large.test.ts; a batch
 * of 200 × 1 MB here (bench/batch.ts measures its speed; this test only checks the behaviour).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KysoClient, type WebSocketLike } from '../agent/client/index.ts';
import { BINARY_FRAME } from '../agent/protocol/index.ts';
import { makeBigPdf } from './big-pdf.ts';
import { pdfsig } from './pdf-judges.ts';
import { copyTestPki } from './pki.ts';
import {
  defaultScript,
  startTestAgent,
  TEST_ORIGIN,
  TestClient,
  type TestAgent,
} from './server-harness.ts';

let agent: TestAgent;
const PENDING = 'https://waiting.example';

beforeAll(async () => {
  agent = await startTestAgent({
    pki: copyTestPki(),
    script: (pki) => ({ ...defaultScript(pki), origins: { default: 'approve' }, delayMs: 20_000 }),
  });
});

afterAll(async () => {
  await agent.close();
});

/** An upload chunk frame as a page builds it. */
function chunkFrame(id: number, documentId: string, offset: number, data: Buffer): Buffer {
  const header = Buffer.alloc(BINARY_FRAME.headerBytes);
  header[0] = BINARY_FRAME.uploadChunk;
  header.writeUInt32BE(id, BINARY_FRAME.idAt);
  header.write(documentId, BINARY_FRAME.documentIdAt, 16, 'hex');
  header.writeBigUInt64BE(BigInt(offset), BINARY_FRAME.offsetAt);
  return Buffer.concat([header, data]);
}

async function begin(page: TestClient, size: number): Promise<string> {
  const begun = await page.call('document.upload.begin', { size });
  return begun.result?.documentId as string;
}

function sdk(): KysoClient {
  return new KysoClient({
    url: agent.url,
    createSocket: (u) => new WebSocket(u, { origin: TEST_ORIGIN }) as unknown as WebSocketLike,
  });
}

/** Whether the agent's temp folders hold the document's file (other users' are 0700: skipped). */
function stored(documentId: string): boolean {
  const files = (dir: string): string[] => {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  };
  return readdirSync(tmpdir())
    .filter((d) => d.startsWith('kyso-documents-'))
    .some((d) => files(join(tmpdir(), d)).includes(documentId));
}

describe('binary document frames', () => {
  it('uploads in binary chunks and downloads binary data frames', async () => {
    const page = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
    try {
      const data = Buffer.alloc(1_500_000, 0x41);
      data.write('%PDF-1.7\n');
      const id = await begin(page, data.length);
      const first = await page.sendRaw(chunkFrame(901, id, 0, data.subarray(0, 1 << 20)), 901);
      expect(first.result).toMatchObject({ documentId: id, received: 1 << 20, complete: false });
      const last = await page.sendRaw(chunkFrame(902, id, 1 << 20, data.subarray(1 << 20)), 902);
      expect(last.result).toMatchObject({
        complete: true,
        sha256: createHash('sha256').update(data).digest('hex'),
      });
      const reply = await page.call('document.download', {
        items: [{ documentId: id }],
        binary: true,
      });
      const [item] = (reply.result as { items: { length: number; data?: string }[] }).items;
      expect(item).toMatchObject({ length: data.length, done: true });
      expect(item?.data).toBeUndefined();
      const frame = page.binary.shift() as Buffer;
      expect(frame[0]).toBe(BINARY_FRAME.downloadData);
      expect(frame.subarray(BINARY_FRAME.documentIdAt, BINARY_FRAME.offsetAt).toString('hex')).toBe(
        id,
      );
      expect(frame.subarray(BINARY_FRAME.headerBytes).equals(data)).toBe(true);
      // The base64 path still works for old clients.
      const old = await page.call('document.download', { items: [{ documentId: id, length: 9 }] });
      const [text] = (old.result as { items: { data: string }[] }).items;
      expect(Buffer.from(text?.data ?? '', 'base64').toString()).toBe('%PDF-1.7\n');
    } finally {
      page.close();
    }
  });

  it('downloads several documents in one reply; an unknown one among them sends and releases nothing', async () => {
    const page = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
    try {
      const docs = [300_000, 1, 700_000].map((size, i) => Buffer.alloc(size, 0x61 + i));
      const ids: string[] = [];
      for (const [i, data] of docs.entries()) {
        const id = await begin(page, data.length);
        await page.sendRaw(chunkFrame(910 + i, id, 0, data), 910 + i);
        ids.push(id);
      }
      const refused = await page.call('document.download', {
        items: [...ids, 'cd'.repeat(16)].map((documentId) => ({ documentId })),
        binary: true,
        release: true,
      });
      expect(refused.error?.data.reason).toBe('DOCUMENT_NOT_FOUND');
      expect(page.binary).toHaveLength(0);
      expect(ids.every(stored)).toBe(true);

      const reply = await page.call('document.download', {
        items: ids.map((documentId) => ({ documentId })),
        binary: true,
        release: true,
      });
      const items = (reply.result as { items: { documentId: string; done: boolean }[] }).items;
      expect(items.map((i) => [i.documentId, i.done])).toEqual(ids.map((id) => [id, true]));
      const frames = page.binary.splice(0);
      expect(
        frames.map((f) =>
          f.subarray(BINARY_FRAME.documentIdAt, BINARY_FRAME.offsetAt).toString('hex'),
        ),
      ).toEqual(ids);
      frames.forEach((f, i) =>
        expect(f.subarray(BINARY_FRAME.headerBytes).equals(docs[i] as Buffer)).toBe(true),
      );
      expect(ids.some(stored)).toBe(false);
    } finally {
      page.close();
    }
  });

  it("refuses a wrong offset, an unknown or other connection's document, and foreign frames", async () => {
    const page = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
    const other = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
    try {
      const id = await begin(page, 100);
      const wrong = await page.sendRaw(chunkFrame(1, id, 5, Buffer.alloc(95)), 1);
      expect(wrong.error?.data).toMatchObject({ reason: 'INVALID_INPUT', field: 'offset' });
      const unknown = await page.sendRaw(chunkFrame(2, 'ab'.repeat(16), 0, Buffer.alloc(100)), 2);
      expect(unknown.error?.data.reason).toBe('DOCUMENT_NOT_FOUND');
      const stolen = await other.sendRaw(chunkFrame(3, id, 0, Buffer.alloc(100)), 3);
      expect(stolen.error?.data.reason).toBe('DOCUMENT_NOT_FOUND');
      const foreign = await page.sendRaw(Buffer.from([7, 1, 2, 3]), null);
      expect(foreign.error?.data.reason).toBe('INVALID_INPUT');
      expect(foreign.error?.data.message.vi).toBeTruthy();
      const empty = await page.sendRaw(chunkFrame(4, id, 0, Buffer.alloc(0)), 4);
      expect(empty.error?.data).toMatchObject({ reason: 'INVALID_INPUT', field: 'data' });
      // Still serving.
      expect((await page.sendRaw(chunkFrame(5, id, 0, Buffer.alloc(100)), 5)).result).toMatchObject(
        { complete: true },
      );
    } finally {
      page.close();
      other.close();
    }
  });

  it('refuses a binary frame before approval, and an oversized one at its header', async () => {
    const pending = await TestClient.connect(agent.url, { origin: PENDING });
    const small = await pending.sendRaw(chunkFrame(1, 'ab'.repeat(16), 0, Buffer.alloc(10)), 1);
    expect(small.error?.data.reason).toBe('ORIGIN_APPROVAL_PENDING');
    const big = await pending.sendRaw(chunkFrame(2, 'ab'.repeat(16), 0, Buffer.alloc(1 << 20)), 2);
    expect(big.closeCode).toBe(1009);
    const page = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
    try {
      const id = await begin(page, 3 << 20);
      const over = await page.sendRaw(chunkFrame(1, id, 0, Buffer.alloc((1 << 20) + 1)), 1);
      expect(over.error?.data).toMatchObject({ reason: 'INVALID_INPUT', field: 'data' });
    } finally {
      page.close();
    }
  });

  it('a flood of binary frames meets the in-flight cap, not a crash', async () => {
    const page = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
    try {
      const id = await begin(page, 64 * 1024);
      const replies = await Promise.all(
        Array.from({ length: 400 }, (_, i) =>
          page.sendRaw(chunkFrame(10 + i, id, i * 16, Buffer.alloc(16)), 10 + i),
        ),
      );
      const reasons = new Set(replies.map((r) => r.error?.data.reason ?? 'ok'));
      for (const reason of reasons)
        expect(['ok', 'INVALID_INPUT', 'RATE_LIMITED']).toContain(reason);
      expect((await page.call('agent.info')).result).toBeDefined();
    } finally {
      page.close();
    }
  });

  it(
    'signs 200 × 1 MB through the SDK in binary frames: one consent, progress per item',
    { timeout: 60_000 },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'kyso-binary-batch-'));
      // No consent delay here (it keeps the pending origin pending in the other tests).
      agent.consent.setScript({ ...defaultScript(agent.pki), origins: { default: 'approve' } });
      const client = sdk();
      try {
        const file = join(dir, 'one.pdf');
        makeBigPdf(file, 1_000_000, 7);
        const pdf = new Uint8Array(readFileSync(file));
        const before = agent.consent.log.filter((e) => e.kind === 'signing').length;
        const phases = new Map<string, number>();
        const result = await client.signPdfs(
          {
            certificateId: agent.pki.token('seal').certificateId,
            items: Array.from({ length: 200 }, (_, i) => ({ name: `vb-${i}.pdf`, pdf })),
          },
          {
            onProgress: (p) => phases.set(String(p.phase), (phases.get(String(p.phase)) ?? 0) + 1),
          },
        );
        expect(result.items.every((item) => item.ok)).toBe(true);
        expect(agent.consent.log.filter((e) => e.kind === 'signing').length).toBe(before + 1);
        expect(phases.get('sign')).toBeGreaterThanOrEqual(200);
        const last = result.items[199];
        expect(last?.ok && last.pdf.length).toBeGreaterThan(pdf.length);
        if (last?.ok) {
          writeFileSync(join(dir, 'last.pdf'), last.pdf);
          expect((await pdfsig(join(dir, 'last.pdf'))).map((sig) => sig.valid)).toEqual([true]);
        }
      } finally {
        client.close();
        agent.consent.setScript({
          ...defaultScript(agent.pki),
          origins: { default: 'approve' },
          delayMs: 20_000,
        });
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it(
    'a batch of PDFs from other producers, a truncated and an encrypted one: each fails alone, in order',
    { timeout: 60_000 },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'kyso-binary-corpus-'));
      agent.consent.setScript({ ...defaultScript(agent.pki), origins: { default: 'approve' } });
      const client = sdk();
      try {
        const corpus = join(import.meta.dirname, 'fixtures/corpus');
        const names = readdirSync(corpus).filter((f) => f.endsWith('.pdf'));
        const whole = readFileSync(join(corpus, names[0] as string));
        const items = [
          ...names.map((name) => ({ name, pdf: new Uint8Array(readFileSync(join(corpus, name))) })),
          { name: 'truncated.pdf', pdf: new Uint8Array(whole.subarray(0, whole.length >> 1)) },
        ];
        // Documents are prepared several at a time: results must still come back in order.
        const result = await client.signPdfs({
          certificateId: agent.pki.token('seal').certificateId,
          items,
        });
        expect(result.items.map((item) => item.name)).toEqual(items.map((item) => item.name));
        const failed = Object.fromEntries(
          result.items.flatMap((item) => (item.ok ? [] : [[item.name, item.error.code]])),
        );
        expect(failed).toEqual({
          '005-libreoffice-writer-password_libreoffice-writer-password.pdf': 'PDF_ENCRYPTED',
          '017-unreadable-meta-data_unreadablemetadata.pdf': 'PDF_MALFORMED',
          'truncated.pdf': 'PDF_MALFORMED',
        });
        for (const [i, item] of result.items.entries()) {
          if (!item.ok || i % 6 !== 0) continue; // pdfsig on every sixth: the others are alike
          const file = join(dir, `signed-${i}.pdf`);
          writeFileSync(file, item.pdf);
          const sigs = await pdfsig(file);
          expect(sigs.at(-1)?.valid, item.name).toBe(true);
        }
      } finally {
        client.close();
        agent.consent.setScript({
          ...defaultScript(agent.pki),
          origins: { default: 'approve' },
          delayMs: 20_000,
        });
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it('a connection killed mid-upload leaves no temp file; others are served', async () => {
    const page = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
    const id = await begin(page, 4 << 20);
    await page.sendRaw(chunkFrame(1, id, 0, Buffer.alloc(1 << 20)), 1);
    expect(stored(id)).toBe(true);
    page.socket.terminate();
    await page.closed;
    await expect.poll(() => stored(id), { timeout: 5000 }).toBe(false);
    const client = sdk();
    try {
      expect((await client.connect()).limits?.binaryFrames).toBe(true);
    } finally {
      client.close();
    }
  });
});
