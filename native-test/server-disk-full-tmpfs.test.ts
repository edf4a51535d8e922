/**
 * A full disk over a real socket, on a real 8 MiB tmpfs holding the agent's documents folder
 * (mounting needs root; server-disk-full.test.ts runs as any user). A signed copy that would
 * not fit is DISK_FULL before the signing is asked; a disk that fills part-way through an
 * upload's last chunk (a short write) is DISK_FULL, not a document stored cut short. Each time
 * nothing is left half-written and the agent goes on signing. Its own file: the store's folder
 * is made once per process, on first use, in the OS temp folder.
 */
import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statfsSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totalStoredBytes } from '../agent/signing/index.ts';
import { makeBigPdf } from './big-pdf.ts';
import { startTestAgent, TEST_ORIGIN, TestClient, type TestAgent } from './server-harness.ts';

const MIB = 1024 * 1024;
const asRoot = process.getuid?.() === 0;

describe.skipIf(!asRoot)('a full disk over the socket (8 MiB tmpfs; needs root to mount)', () => {
  // Made only where the tests run (vitest collects a skipped block's body too).
  const work = asRoot ? mkdtempSync(join(tmpdir(), 'kyso-disk-full-')) : '';
  const mount = join(work, 'disk');
  const savedTmp = process.env.TMPDIR;
  let agent: TestAgent;
  let noReserve: TestAgent;

  beforeAll(async () => {
    mkdirSync(mount);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mount]);
    agent = await startTestAgent({ config: { limits: { minFreeDiskBytes: MIB } } });
    noReserve = await startTestAgent({ config: { limits: { minFreeDiskBytes: 0 } } });
    // After the agents' own temp folders: only the documents folder, made on first use, lands here.
    process.env.TMPDIR = mount;
  });
  afterAll(async () => {
    process.env.TMPDIR = savedTmp;
    await agent?.close();
    await noReserve?.close();
    execFileSync('umount', [mount]);
    rmSync(work, { recursive: true, force: true });
  });

  const freeBytes = () => {
    const { bavail, bsize } = statfsSync(mount);
    return bavail * bsize;
  };
  /** Files in the documents folder (the one folder on the tmpfs besides fillers). */
  const stored = () => {
    const folder = readdirSync(mount).find((name) => name.startsWith('kyso-documents-'));
    return folder === undefined ? [] : readdirSync(join(mount, folder));
  };
  async function upload(client: TestClient, pdf: Buffer) {
    const begun = await client.call('document.upload.begin', { size: pdf.length });
    expect(begun.error).toBeUndefined();
    const documentId = begun.result?.documentId as string;
    let last = begun;
    for (let offset = 0; offset < pdf.length; offset += MIB) {
      const data = pdf.subarray(offset, offset + MIB).toString('base64');
      last = await client.call('document.upload.chunk', { documentId, offset, data });
      if (last.error) break;
    }
    return { documentId, last };
  }
  const pdfOf = (bytes: number, seed: number) => {
    const file = join(work, `in-${seed}.pdf`);
    makeBigPdf(file, bytes, seed);
    return readFileSync(file);
  };
  const signingsAsked = () => agent.consent.log.filter((e) => e.kind === 'signing').length;

  it('a signed copy that would not fit is DISK_FULL before the signing is asked', async () => {
    const client = await TestClient.connect(agent.url, { origin: TEST_ORIGIN });
    try {
      // 3.6 MiB + 1 MiB reserve fit on 8 MiB; its copy (+ 64 KiB) + the reserve do not on 4.4.
      const big = pdfOf(Math.round(3.6 * MIB), 1);
      const { documentId, last } = await upload(client, big);
      expect(last.result?.complete).toBe(true);
      const asked = signingsAsked();
      const certificateId = agent.pki.token('leader').certificateId;

      const refused = await client.call('sign.pdf', { certificateId, documentId });
      expect(refused.error?.data).toMatchObject({
        reason: 'DISK_FULL',
        details: { neededBytes: big.length + 64 * 1024, reserveBytes: MIB },
      });
      const free = refused.error?.data.details?.freeBytes as number;
      expect(free).toBeLessThan(big.length + 64 * 1024 + MIB);
      expect(free).toBeGreaterThan(4 * MIB);
      expect(refused.error?.data.details).not.toHaveProperty('folder');
      expect(refused.error?.data.message.en).toMatch(/not have enough free space/);
      // Nothing asked, nothing written: the upload alone is on the disk, and still whole.
      expect(signingsAsked()).toBe(asked);
      expect(stored()).toEqual([documentId]);
      const head = await client.call('document.download', { items: [{ documentId, length: 9 }] });
      const [item] = (head.result as { items: { data: string }[] }).items;
      expect(Buffer.from(item?.data ?? '', 'base64').toString('latin1')).toBe('%PDF-1.7\n');

      // The agent signs what fits, on the same connection.
      const small = await upload(client, pdfOf(256 * 1024, 2));
      const signed = await client.call('sign.pdf', {
        certificateId,
        documentId: small.documentId,
      });
      expect(signed.error).toBeUndefined();
      expect(signed.result?.size).toBeGreaterThan(256 * 1024);
      expect(signingsAsked()).toBe(asked + 1);
    } finally {
      client.close();
    }
  });

  it('a disk that fills part-way through the last chunk is DISK_FULL, nothing stored', async () => {
    // The first test's connection has closed: its documents go.
    await expect.poll(stored).toEqual([]);
    const client = await TestClient.connect(noReserve.url, { origin: TEST_ORIGIN });
    const filler = join(mount, 'another-program.bin');
    try {
      const pdf = pdfOf(2 * MIB, 3);
      const begun = await client.call('document.upload.begin', { size: pdf.length });
      const documentId = begun.result?.documentId as string;
      const first = await client.call('document.upload.chunk', {
        documentId,
        offset: 0,
        data: pdf.subarray(0, MIB).toString('base64'),
      });
      expect(first.result?.complete).toBe(false);
      const before = totalStoredBytes();
      // Another program leaves room for half the last chunk: the write comes back short.
      writeFileSync(filler, Buffer.alloc(freeBytes() - MIB / 2));
      const last = await client.call('document.upload.chunk', {
        documentId,
        offset: MIB,
        data: pdf.subarray(MIB).toString('base64'),
      });
      expect(last.result).toBeUndefined();
      expect(last.error?.data).toMatchObject({ reason: 'DISK_FULL', details: { freeBytes: 0 } });
      expect(last.error?.data.message.vi).toMatch(/^Ổ đĩa không còn đủ chỗ trống/);
      await expect.poll(stored).toEqual([]);
      expect(totalStoredBytes()).toBe(before - pdf.length);
      const gone = await client.call('document.download', { items: [{ documentId }] });
      expect(gone.error?.data.reason).toBe('DOCUMENT_NOT_FOUND');

      // Space freed, the same connection uploads again.
      rmSync(filler);
      const again = await upload(client, pdf);
      expect(again.last.result?.complete).toBe(true);
    } finally {
      client.close();
      rmSync(filler, { force: true });
    }
  });
});
