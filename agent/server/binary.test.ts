/** Download data frames built in place (behind a downloadBuffer's header room) or by copy. */
import { describe, expect, it } from 'vitest';
import { readDownloadFrame } from '../client/binary.ts';
import { downloadBuffer, downloadFrame } from './binary.ts';

const documentId = '0123456789abcdef0123456789abcdef';

describe('download frames', () => {
  it('builds the same frame in place as by copy, and the SDK reads it back', () => {
    const bytes = Buffer.alloc(64 * 1024, '%PDF-1.7 signed bytes ');
    const room = downloadBuffer(bytes.length);
    bytes.copy(room);
    const inPlace = downloadFrame(7, documentId, 2 ** 40 + 5, room);
    const copied = downloadFrame(7, documentId, 2 ** 40 + 5, Buffer.from(bytes));
    expect(inPlace.equals(copied)).toBe(true);
    // In place: the frame is the buffer the bytes were read into, not a copy of them.
    expect(inPlace.buffer).toBe(room.buffer);
    expect(inPlace.byteOffset + inPlace.length).toBe(room.byteOffset + room.length);
    const read = readDownloadFrame(inPlace);
    expect(read).toMatchObject({ id: 7, documentId, offset: 2 ** 40 + 5 });
    expect(Buffer.from(read?.bytes ?? []).equals(bytes)).toBe(true);
  });

  it('copies a slice of a download buffer: the bytes in front of it are not overwritten', () => {
    const room = downloadBuffer(8).fill(0x41);
    const part = room.subarray(2, 6);
    const frame = downloadFrame(1, documentId, 2, part);
    expect(room.equals(Buffer.alloc(8, 0x41))).toBe(true);
    expect(Buffer.from(readDownloadFrame(frame)?.bytes ?? []).toString()).toBe('AAAA');
  });
});
