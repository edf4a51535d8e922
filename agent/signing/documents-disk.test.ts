/**
 * The document store and free disk space: an upload that would not fit is refused at
 * document.upload.begin, counting what uploads in progress still need (documents-enospc.test.ts:
 * a disk that fills while writing).
 */
import { describe, expect, it } from 'vitest';
import { DocumentStore } from './index.ts';

const MIB = 1024 * 1024;
const limits = { maxDocumentBytes: 64 * MIB, maxStoredBytes: 256 * MIB, minFreeDiskBytes: MIB };

describe('free disk space at upload', () => {
  it('refuses what would not leave the reserve free, counting uploads still in progress', async () => {
    const store = new DocumentStore({ ...limits, freeSpace: () => 12 * MIB });
    const first = await store.begin(6 * MIB);
    // 6 MiB promised to the first upload + 6 MiB + 1 MiB reserve > 12 MiB free.
    await expect(store.begin(6 * MIB)).rejects.toMatchObject({
      code: 'DISK_FULL',
      details: { neededBytes: 6 * MIB, freeBytes: 12 * MIB, reserveBytes: MIB },
    });
    await expect(store.begin(5 * MIB)).resolves.toMatch(/^[0-9a-f]{32}$/);
    await store.close();
    // Given up, the uploads promise nothing any more.
    const next = new DocumentStore({ ...limits, freeSpace: () => 12 * MIB });
    await expect(next.begin(11 * MIB)).resolves.toMatch(/^[0-9a-f]{32}$/);
    await next.close();
    expect(first).toMatch(/^[0-9a-f]{32}$/);
  });

  it('frees the promise chunk by chunk as the bytes reach the disk', async () => {
    const store = new DocumentStore({ ...limits, freeSpace: () => 10 * MIB });
    const id = await store.begin(4 * MIB);
    await store.write(id, 0, Buffer.alloc(2 * MIB, 1));
    // The probe says 10 MiB free regardless: only the 2 MiB not yet written count as promised.
    await expect(store.begin(7 * MIB)).resolves.toMatch(/^[0-9a-f]{32}$/);
    await store.close();
  });

  it('checks room for a batch of signed copies before the first is signed', async () => {
    const store = new DocumentStore({ ...limits, freeSpace: () => 7 * MIB });
    const id = await store.begin(5 * MIB);
    await store.write(id, 0, Buffer.alloc(5 * MIB, 1));
    expect(() => store.checkResultRoom(5 * MIB + 64 * 1024)).not.toThrow();
    expect(() => store.checkResultRoom(6.5 * MIB)).toThrow(
      expect.objectContaining({
        code: 'DISK_FULL',
        details: expect.objectContaining({ neededBytes: 6.5 * MIB }),
      }),
    );
    // The store's own limit speaks first.
    expect(() => store.checkResultRoom(300 * MIB)).toThrow(
      expect.objectContaining({ code: 'DOCUMENT_TOO_LARGE' }),
    );
    await store.close();
  });
});
