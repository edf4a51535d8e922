/**
 * A signed copy whose disk fills while its increment is written (a real 2 MiB tmpfs; mounting
 * needs root): the write comes back short, and that is DISK_FULL with nothing linked into
 * place, never a copy committed cut short.
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statfsSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TempOutput } from './index.ts';

const KIB = 1024;
const asRoot = process.getuid?.() === 0;

describe.skipIf(!asRoot)('a disk that fills under a signed copy (tmpfs; needs root)', () => {
  // Made only where the tests run (vitest collects a skipped block's body too).
  const work = asRoot ? mkdtempSync(join(tmpdir(), 'kyso-output-disk-')) : '';
  const mount = join(work, 'disk');
  afterAll(() => {
    execFileSync('umount', [mount]);
    rmSync(work, { recursive: true, force: true });
  });

  it('is DISK_FULL at the increment, and no output appears', async () => {
    mkdirSync(mount);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mount]);
    const input = join(work, 'input.pdf');
    writeFileSync(input, Buffer.alloc(64 * KIB, 1));
    // In place, as the document store's copies are (the store checked the disk beforehand).
    const output = join(mount, 'signed.pdf');
    const temp = await TempOutput.copyOf(input, output, true);
    // Another program leaves room for half the increment.
    const { bavail, bsize } = statfsSync(mount);
    writeFileSync(join(mount, 'filler'), Buffer.alloc(bavail * bsize - 64 * KIB));
    const failure = await temp
      .commit(Buffer.alloc(128 * KIB, 2), 64 * KIB, output, false)
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'DISK_FULL', details: { neededBytes: 128 * KIB } });
    await temp.discard();
    expect(existsSync(output)).toBe(false);
    expect(readdirSync(mount)).toEqual(['filler']);
  });
});
