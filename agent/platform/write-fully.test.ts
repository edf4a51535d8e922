import { describe, expect, it } from 'vitest';
import { writeFully } from './index.ts';
import type { PositionalWriter } from './write-fully.ts';

/** A file on a disk with `room` bytes left, which writes at most `perCall` bytes a call. */
function fillingDisk(room: number, perCall: number): PositionalWriter & { file: Buffer } {
  const file = Buffer.alloc(64);
  let left = room;
  return {
    file,
    write(buffer, offset, length, position) {
      if (left === 0) {
        return Promise.reject(Object.assign(new Error('no space'), { code: 'ENOSPC' }));
      }
      const n = Math.min(length, perCall, left);
      buffer.copy(file, position, offset, offset + n);
      left -= n;
      return Promise.resolve({ bytesWritten: n });
    },
  };
}

describe('writeFully', () => {
  it('writes the rest after short writes, at the right offsets', async () => {
    const disk = fillingDisk(64, 3);
    await writeFully(disk, Buffer.from('0123456789'), 5);
    expect(disk.file.subarray(5, 15).toString()).toBe('0123456789');
  });

  it('a disk that fills part-way is the ENOSPC of the next write, not a short success', async () => {
    const disk = fillingDisk(4, 10);
    await expect(writeFully(disk, Buffer.from('0123456789'), 0)).rejects.toMatchObject({
      code: 'ENOSPC',
    });
    expect(disk.file.subarray(0, 4).toString()).toBe('0123');
  });

  it('stops on a write that makes no progress', async () => {
    const stuck: PositionalWriter = { write: () => Promise.resolve({ bytesWritten: 0 }) };
    await expect(writeFully(stuck, Buffer.from('x'), 0)).rejects.toThrow(/wrote 0 of 1 bytes/);
  });
});
