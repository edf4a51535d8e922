/**
 * Documents held for one connection while they are uploaded, signed and downloaded in chunks
 * (document.upload.*, sign.pdf {documentId}, document.download). Each document is a temp file
 * (mode 0600, in a 0700 folder of the agent's own), so agent memory does not grow with the
 * document: a chunk in, a chunk out, the PDF library reads the file through its block cache.
 * A connection's store has a byte budget and is emptied when the connection closes; all the
 * stores of the agent together have another (maxTotalStoredBytes), so many connections from
 * approved websites cannot fill the disk between them.
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { open, stat, unlink, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KysoError } from '../errors/index.ts';
import {
  asDiskFull,
  assertDiskSpace,
  isDiskFull,
  type DiskNeed,
  type FreeSpaceProbe,
  writeFully,
} from '../platform/index.ts';

export interface DocumentLimits {
  /** Largest document (bytes): DOCUMENT_TOO_LARGE above. */
  maxDocumentBytes: number;
  /** Bytes the store may hold at once (uploads and signed results). */
  maxStoredBytes: number;
  /** Bytes every store of the agent may hold together; unlimited when absent. */
  maxTotalStoredBytes?: number;
  /** Free disk space an upload must leave (bytes; default DEFAULT_DISK_RESERVE_BYTES). */
  minFreeDiskBytes?: number;
  /** Tests: how free space is read (default statfs). */
  freeSpace?: FreeSpaceProbe;
}

/** Largest chunk of one document.upload.chunk (decoded bytes). */
export const UPLOAD_CHUNK_BYTES = 1024 * 1024;
/** Most bytes one document.download reply carries (decoded, over all its items). */
export const DOWNLOAD_REPLY_BYTES = 4 * 1024 * 1024;

interface Entry {
  id: string;
  path: string;
  size: number;
  received: number;
  /** While uploading. */
  handle: FileHandle | null;
  hash: Hash | null;
  expectedSha256: string | undefined;
  /** Hex SHA-256 of the content, once complete. */
  sha256: string | undefined;
  /** The SHA-256 state after the last byte, not digested: signing continues it (no re-hash). */
  contentHash?: Hash;
  /** Chunks of one document are written one after the other. */
  writing: Promise<unknown>;
  /** Bytes of this upload still counted in agentUnwrittenBytes. */
  unwritten: number;
}

let folder: string | undefined;
/** Bytes held in the documents folder by every store of this agent (process) together. */
let agentStoredBytes = 0;
/** Bytes uploads in progress (all stores) have announced and not written yet: disk promised. */
let agentUnwrittenBytes = 0;

/** Bytes all document stores of the agent hold now. */
export function totalStoredBytes(): number {
  return agentStoredBytes;
}

/** The agent's own temp folder (0700), removed at exit. */
function documentsFolder(): string {
  if (folder === undefined) {
    const made = mkdtempSync(join(tmpdir(), 'kyso-documents-'));
    folder = made;
    process.once('exit', () => rmSync(made, { recursive: true, force: true }));
  }
  return folder;
}

function tooLarge(details: Record<string, string | number>): KysoError {
  return new KysoError('DOCUMENT_TOO_LARGE', details);
}

export class DocumentStore {
  private readonly entries = new Map<string, Entry>();
  private used = 0;
  private closed = false;

  constructor(readonly limits: DocumentLimits) {}

  /** Bytes held now (declared sizes of uploads, sizes of results). */
  get storedBytes(): number {
    return this.used;
  }

  /**
   * Refuses a document larger than the limit, or one that would overflow the store or all the
   * agent's stores together.
   */
  checkSize(size: number, extra = 0): void {
    const { maxDocumentBytes, maxStoredBytes, maxTotalStoredBytes } = this.limits;
    if (size > maxDocumentBytes) throw tooLarge({ size, maxDocumentBytes });
    if (this.used + size + extra > maxStoredBytes) {
      throw tooLarge({
        reason: 'store-full',
        limit: 'maxStoredBytes',
        size,
        storedBytes: this.used,
        maxStoredBytes,
        problem:
          'this connection holds too many documents: release some (document.release) or download them with release: true, then retry',
      });
    }
    if (
      maxTotalStoredBytes !== undefined &&
      agentStoredBytes + size + extra > maxTotalStoredBytes
    ) {
      throw tooLarge({
        reason: 'agent-store-full',
        limit: 'maxTotalStoredBytes',
        size,
        storedBytes: this.used,
        totalStoredBytes: agentStoredBytes,
        maxTotalStoredBytes,
        problem:
          'the agent holds too many documents for all websites together: release documents, or retry when other uploads are done; IT can raise limits.maxTotalStoredBytes',
      });
    }
  }

  /** `bytes` of the entry's promised disk space are written (or no longer needed). */
  private written(entry: Entry, bytes: number): void {
    const counted = Math.min(entry.unwritten, bytes);
    entry.unwritten -= counted;
    agentUnwrittenBytes -= counted;
  }

  /**
   * Room for signed results of `bytes` in all, checked before the first is signed: the store's
   * limits, and the disk (what uploads in progress still write and minFreeDiskBytes left free).
   */
  checkResultRoom(bytes: number): void {
    this.checkSize(0, bytes);
    assertDiskSpace(this.diskNeed(bytes));
  }

  /** Counts bytes in (or, negative, out of) this store and the agent-wide total. */
  private hold(bytes: number): void {
    this.used += bytes;
    agentStoredBytes += bytes;
  }

  /** What writing `bytes` into the documents folder needs of its disk. */
  private diskNeed(bytes: number): DiskNeed {
    return {
      folder: documentsFolder(),
      bytes,
      pendingBytes: agentUnwrittenBytes,
      ...(this.limits.minFreeDiskBytes === undefined
        ? {}
        : { reserveBytes: this.limits.minFreeDiskBytes }),
      ...(this.limits.freeSpace === undefined ? {} : { probe: this.limits.freeSpace }),
    };
  }

  /** Starts an upload of `size` bytes; `sha256` (hex) is checked when the last byte arrives. */
  async begin(size: number, sha256?: string): Promise<string> {
    this.assertOpen();
    this.checkSize(size);
    assertDiskSpace(this.diskNeed(size));
    const id = randomBytes(16).toString('hex');
    const path = join(documentsFolder(), id);
    // Counted before the await, so uploads begun at once cannot overshoot the limits together.
    this.hold(size);
    agentUnwrittenBytes += size;
    let handle: FileHandle;
    try {
      handle = await open(path, 'wx', 0o600);
    } catch (error) {
      this.hold(-size);
      agentUnwrittenBytes -= size;
      throw error;
    }
    this.entries.set(id, {
      id,
      path,
      size,
      received: 0,
      handle,
      hash: createHash('sha256'),
      expectedSha256: sha256?.toLowerCase(),
      sha256: undefined,
      writing: Promise.resolve(),
      unwritten: size,
    });
    return id;
  }

  /** Appends the chunk at `offset` (which must be what was received so far). */
  write(
    id: string,
    offset: number,
    data: Buffer,
  ): Promise<{ received: number; size: number; complete: boolean; sha256?: string }> {
    const entry = this.entry(id);
    const next = entry.writing.then(() => this.append(entry, offset, data));
    entry.writing = next.catch(() => undefined);
    return next;
  }

  private async append(
    entry: Entry,
    offset: number,
    data: Buffer,
  ): Promise<{ received: number; size: number; complete: boolean; sha256?: string }> {
    if (!entry.handle || !entry.hash) {
      throw new KysoError('INVALID_INPUT', {
        field: 'documentId',
        problem: 'the upload is already complete',
      });
    }
    if (offset !== entry.received) {
      throw new KysoError('INVALID_INPUT', {
        field: 'offset',
        problem: `the next chunk starts at ${entry.received}`,
        expectedOffset: entry.received,
      });
    }
    if (offset + data.length > entry.size) {
      throw new KysoError('INVALID_INPUT', {
        field: 'data',
        problem: `past the declared size ${entry.size}`,
      });
    }
    try {
      await writeFully(entry.handle, data, offset);
    } catch (error) {
      // The disk filled under us: the upload cannot complete, so it goes with its file.
      if (!isDiskFull(error)) throw error;
      void this.release(entry.id);
      throw asDiskFull(error, this.diskNeed(entry.size - entry.received));
    }
    entry.hash.update(data);
    entry.received += data.length;
    this.written(entry, data.length);
    if (entry.received < entry.size) {
      return { received: entry.received, size: entry.size, complete: false };
    }
    await entry.handle.close();
    entry.handle = null;
    entry.contentHash = entry.hash;
    entry.sha256 = entry.hash.copy().digest('hex');
    entry.hash = null;
    if (entry.expectedSha256 !== undefined && entry.expectedSha256 !== entry.sha256) {
      // Not release(): that waits for this very write.
      this.entries.delete(entry.id);
      this.hold(-entry.size);
      await unlink(entry.path).catch(() => undefined);
      throw new KysoError('DOCUMENT_INCOMPLETE', {
        reason: 'sha256 mismatch',
        expected: entry.expectedSha256,
        received: entry.sha256,
      });
    }
    return { received: entry.received, size: entry.size, complete: true, sha256: entry.sha256 };
  }

  /** The file of a complete document (for signing or verifying). */
  pathOf(id: string): { path: string; size: number } {
    const entry = this.entry(id);
    if (entry.sha256 === undefined) {
      throw new KysoError('DOCUMENT_INCOMPLETE', {
        documentId: id,
        received: entry.received,
        size: entry.size,
      });
    }
    return { path: entry.path, size: entry.size };
  }

  /** A running SHA-256 of exactly the complete upload's bytes (a copy to continue), if kept. */
  contentHashOf(id: string): Hash | undefined {
    return this.entry(id).contentHash?.copy();
  }

  /** A fresh path for a result (the PDF library writes it atomically, then `adopt`). */
  outputPath(): { id: string; path: string } {
    this.assertOpen();
    const id = randomBytes(16).toString('hex');
    return { id, path: join(documentsFolder(), id) };
  }

  /** Registers a finished result file written at `outputPath().path` (of `size` bytes, if known). */
  async adopt(
    output: { id: string; path: string },
    known?: { size: number; sha256?: string },
  ): Promise<{ size: number }> {
    const { size } = known ?? (await stat(output.path));
    if (this.closed) {
      await unlink(output.path).catch(() => undefined);
      throw new KysoError('DOCUMENT_NOT_FOUND', { reason: 'connection closed' });
    }
    this.hold(size);
    this.entries.set(output.id, {
      ...output,
      size,
      received: size,
      handle: null,
      hash: null,
      expectedSha256: undefined,
      sha256: known?.sha256 ?? '',
      writing: Promise.resolve(),
      unwritten: 0,
    });
    return { size };
  }

  /** Up to `length` bytes from `offset` (fewer at the end), read into `allocate(n)`. */
  async read(
    id: string,
    offset: number,
    length: number,
    allocate: (n: number) => Buffer = Buffer.allocUnsafe,
  ): Promise<Buffer> {
    const { path, size } = this.pathOf(id);
    const n = Math.max(0, Math.min(length, size - offset));
    const buffer = allocate(n);
    if (n === 0) return buffer;
    const handle = await open(path, 'r');
    try {
      let done = 0;
      while (done < n) {
        const { bytesRead } = await handle.read(buffer, done, n - done, offset + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return done === n ? buffer : buffer.subarray(0, done);
    } finally {
      await handle.close();
    }
  }

  size(id: string): number {
    return this.entry(id).size;
  }

  /** Forgets a document and deletes its file; unknown ids are ignored. */
  async release(id: string): Promise<boolean> {
    const entry = this.entries.get(id);
    if (!entry) return false;
    this.entries.delete(id);
    this.hold(-entry.size);
    // An upload given up half-way no longer needs the rest of its disk space.
    this.written(entry, entry.unwritten);
    await entry.writing;
    await entry.handle?.close().catch(() => undefined);
    await unlink(entry.path).catch(() => undefined);
    return true;
  }

  /** The connection closed: every document goes. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.entries.keys()].map((id) => this.release(id)));
  }

  private entry(id: string): Entry {
    const entry = this.entries.get(id);
    if (!entry) throw new KysoError('DOCUMENT_NOT_FOUND', { documentId: id });
    return entry;
  }

  private assertOpen(): void {
    if (this.closed) throw new KysoError('DOCUMENT_NOT_FOUND', { reason: 'connection closed' });
  }
}

const stores = new WeakMap<AbortSignal, DocumentStore>();

/**
 * The store of one connection, keyed by its abort signal (one per connection, aborted when it
 * closes): created on first use, emptied on close.
 */
export function documentStoreFor(signal: AbortSignal, limits: DocumentLimits): DocumentStore {
  let store = stores.get(signal);
  if (!store) {
    const created = new DocumentStore(limits);
    store = created;
    stores.set(signal, created);
    if (signal.aborted) void created.close();
    else signal.addEventListener('abort', () => void created.close(), { once: true });
  }
  return store;
}
