/** The free-space rule before writing a document, and a full disk met while writing. */
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { KysoError } from '../errors/index.ts';
import { asDiskFull, assertDiskSpace, DEFAULT_DISK_RESERVE_BYTES, freeBytesAt } from './index.ts';

const MIB = 1024 * 1024;
const freeOf = (bytes: number | undefined) => () => bytes;

describe('assertDiskSpace', () => {
  it('needs the bytes, what writes in progress promised and the reserve', () => {
    const need = { folder: '/docs', bytes: 10 * MIB, pendingBytes: 5 * MIB, reserveBytes: MIB };
    expect(() => assertDiskSpace({ ...need, probe: freeOf(16 * MIB) })).not.toThrow();
    let thrown: unknown;
    try {
      assertDiskSpace({ ...need, probe: freeOf(16 * MIB - 1) });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(KysoError);
    expect(thrown).toMatchObject({
      code: 'DISK_FULL',
      details: {
        folder: '/docs',
        neededBytes: 10 * MIB,
        freeBytes: 16 * MIB - 1,
        reserveBytes: MIB,
      },
    });
  });

  it('keeps the default reserve unless told, and lets the write decide when free space is unknown', () => {
    expect(() =>
      assertDiskSpace({ folder: '/d', bytes: 1, probe: freeOf(DEFAULT_DISK_RESERVE_BYTES) }),
    ).toThrow(
      expect.objectContaining({
        code: 'DISK_FULL',
        details: expect.objectContaining({ reserveBytes: DEFAULT_DISK_RESERVE_BYTES }),
      }),
    );
    expect(() =>
      assertDiskSpace({ folder: '/d', bytes: 2 ** 50, probe: freeOf(undefined) }),
    ).not.toThrow();
  });

  it('reads free space of a real folder with statfs, and none of a missing one', () => {
    expect(freeBytesAt(tmpdir())).toBeGreaterThan(0);
    expect(freeBytesAt('/nonexistent/kyso/folder')).toBeUndefined();
  });
});

describe('asDiskFull', () => {
  it('turns ENOSPC and EDQUOT into DISK_FULL with the free space now; other errors pass', () => {
    const need = { folder: '/docs', bytes: 3 * MIB, probe: freeOf(MIB) };
    for (const code of ['ENOSPC', 'EDQUOT']) {
      const error = Object.assign(new Error('no space left on device'), { code });
      expect(asDiskFull(error, need)).toMatchObject({
        code: 'DISK_FULL',
        details: { neededBytes: 3 * MIB, freeBytes: MIB },
      });
    }
    const other = Object.assign(new Error('denied'), { code: 'EACCES' });
    expect(asDiskFull(other, need)).toBe(other);
  });
});
