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
    /** False: the handle is someone else's to close. */
    private readonly owned = true,
  ) {}

  /** The first `size` bytes of a file whose handle its owner keeps (and closes). */
  static borrow(handle: FileHandle, size: number): FileSource {
    return new FileSource(handle, size, false);
  }

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
    return this.owned ? this.handle.close() : Promise.resolve();
  }
}

export async function openSource(input: string | Buffer): Promise<ByteSource> {
  return typeof input === 'string'
    ? new BlockCache(await FileSource.open(input))
    : new BufferSource(input);
}

const BLOCK = 64 * 1024;

/**
 * Caches 64 KB blocks of another source: the objects a reader fetches (signature dictionaries,
 * widgets, page revisions) sit close together at the end of the file, and one async read per
 * object costs more than the parsing.
 */
export class BlockCache implements ByteSource {
  private readonly blocks = new Map<number, Promise<Buffer>>();
  constructor(
    private readonly inner: ByteSource,
    private readonly maxBlocks = 64,
  ) {}
  get size(): number {
    return this.inner.size;
  }
  private block(index: number): Promise<Buffer> {
    let b = this.blocks.get(index);
    if (b) {
      // Refresh LRU position.
      this.blocks.delete(index);
      this.blocks.set(index, b);
      return b;
    }
    b = this.inner.read(index * BLOCK, BLOCK);
    this.blocks.set(index, b);
    if (this.blocks.size > this.maxBlocks) {
      const oldest = this.blocks.keys().next().value;
      if (oldest !== undefined) this.blocks.delete(oldest);
    }
    return b;
  }
  async read(offset: number, length: number): Promise<Buffer> {
    const start = Math.max(0, Math.min(offset, this.size));
    const end = Math.min(this.size, start + length);
    if (end - start > BLOCK * 4) return this.inner.read(start, end - start);
    const first = Math.floor(start / BLOCK);
    const last = Math.floor(Math.max(start, end - 1) / BLOCK);
    const parts: Buffer[] = [];
    for (let i = first; i <= last; i++) parts.push(await this.block(i));
    const joined = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
    return joined.subarray(start - first * BLOCK, end - first * BLOCK);
  }
  forEachChunk(
    start: number,
    end: number,
    onChunk: (chunk: Buffer) => void | Promise<void>,
  ): Promise<void> {
    return this.inner.forEachChunk(start, end, onChunk);
  }
  close(): Promise<void> {
    this.blocks.clear();
    return this.inner.close();
  }
}
