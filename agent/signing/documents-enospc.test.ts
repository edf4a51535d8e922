/**
 * A disk that fills while a chunk is written (a real 2 MiB tmpfs; mounting needs root): the
 * upload is DISK_FULL, and it and its file are gone, never a half-stored document. Its own file:
 * the store's folder is made once per process, on first use, in the OS temp folder.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DocumentStore, totalStoredBytes } from './index.ts';

const MIB = 1024 * 1024;
const limits = { maxDocumentBytes: 64 * MIB, maxStoredBytes: 256 * MIB, minFreeDiskBytes: MIB };

const asRoot = process.getuid?.() === 0;
describe.skipIf(!asRoot)('a disk that fills while writing (tmpfs; needs root to mount)', () => {
  // Made only where the tests run (vitest collects a skipped block's body too).
  const mount = asRoot ? mkdtempSync(join(tmpdir(), 'kyso-full-disk-')) : '';
  const savedTmp = process.env.TMPDIR;
  afterAll(() => {
    process.env.TMPDIR = savedTmp;
    execFileSync('umount', [mount]);
    rmSync(mount, { recursive: true, force: true });
  });

  it('is DISK_FULL, and the upload and its file are gone', async () => {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mount]);
    // The store's folder is made on first use, in the OS temp folder: this tmpfs.
    process.env.TMPDIR = mount;
    // The probe says there is room, as it would if another program filled the disk meanwhile.
    const store = new DocumentStore({ ...limits, freeSpace: () => 2 ** 40 });
    const id = await store.begin(3 * MIB);
    const before = totalStoredBytes();
    let failure: unknown;
    for (let offset = 0; offset < 3 * MIB && failure === undefined; offset += MIB) {
      await store.write(id, offset, Buffer.alloc(MIB, 7)).catch((error: unknown) => {
        failure = error;
      });
    }
    expect(failure).toMatchObject({ code: 'DISK_FULL', details: { freeBytes: 2 ** 40 } });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(() => store.pathOf(id)).toThrow(expect.objectContaining({ code: 'DOCUMENT_NOT_FOUND' }));
    expect(totalStoredBytes()).toBe(before - 3 * MIB);
    const [folder] = readdirSync(mount);
    expect(readdirSync(join(mount, folder ?? ''))).toEqual([]);
    await store.close();
  });
});
