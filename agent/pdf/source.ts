/**
 * Random-access byte sources. Signing and verification read PDFs through this so a 200 MB
 * file is never held in memory: only the tail, the xref sections and the few objects we
 * need are read, and hashing streams the file in chunks.
 */
import { open, type FileHandle } from 'node:fs/promises';

export interface ByteSource {
  readonly size: number;
  read(offset: number, length: number): Promise<Buffer>;
  /** Calls `onChunk` with consecutive slices of [start, end) in order. */
  forEachChunk(
    start: number,
    end: number,
    onChunk: (chunk: Buffer) => void | Promise<void>,
  ): Promise<void>;
  close(): Promise<void>;
}

const CHUNK = 1 << 20;

export class BufferSource implements ByteSource {
  readonly size: number;
  constructor(private readonly bytes: Buffer) {
    this.size = bytes.length;
  }
  read(offset: number, length: number): Promise<Buffer> {
    const start = Math.max(0, Math.min(offset, this.size));
    return Promise.resolve(this.bytes.subarray(start, Math.min(this.size, start + length)));
  }
  async forEachChunk(
    start: number,
    end: number,
    onChunk: (chunk: Buffer) => void | Promise<void>,
  ): Promise<void> {
    for (let at = start; at < end; at += CHUNK) {
      await onChunk(this.bytes.subarray(at, Math.min(end, at + CHUNK)));
    }
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

export class FileSource implements ByteSource {
  private constructor(
    private readonly handle: FileHandle,
    readonly size: number,
  ) {}

  static async open(path: string): Promise<FileSource> {
    const handle = await open(path, 'r');
    try {
      const stat = await handle.stat();
      return new FileSource(handle, stat.size);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const start = Math.max(0, Math.min(offset, this.size));
    const wanted = Math.max(0, Math.min(length, this.size - start));
    const buffer = Buffer.allocUnsafe(wanted);
    let done = 0;
    while (done < wanted) {
      const { bytesRead } = await this.handle.read(buffer, done, wanted - done, start + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return buffer.subarray(0, done);
  }

  async forEachChunk(
    start: number,
    end: number,
    onChunk: (chunk: Buffer) => void | Promise<void>,
  ): Promise<void> {
    // One reusable buffer: the callback must consume the chunk before returning (hash/write).
    const buffer = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(1, end - start)));
    for (let at = start; at < end;) {
      const want = Math.min(buffer.length, end - at);
      const { bytesRead } = await this.handle.read(buffer, 0, want, at);
      if (bytesRead === 0) break;
      await onChunk(buffer.subarray(0, bytesRead));
      at += bytesRead;
    }
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

export async function openSource(input: string | Buffer): Promise<ByteSource> {
  return typeof input === 'string' ? FileSource.open(input) : new BufferSource(input);
}
