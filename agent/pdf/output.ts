/**
 * Atomic output: the signed file is built in a temp file beside the output, fsynced, then
 * linked into place, so a crash or a race never leaves a half-written or overwritten file.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import {
  chmod,
  copyFile,
  link,
  open,
  realpath,
  rename,
  stat,
  unlink,
  type FileHandle,
} from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { KysoError } from '../errors/index.ts';
import {
  asDiskFull,
  assertDiskSpace,
  isDiskFull,
  type DiskNeed,
  writeFully,
} from '../platform/index.ts';
import { BlockCache, FileSource, type ByteSource } from './source.ts';

async function realOrSelf(path: string): Promise<string> {
  return realpath(path).catch(() => path);
}

/** FILE_EXISTS when the output exists or is the input: checked before asking for a PIN. */
export async function assertOutputFree(input: string | Buffer, output: string): Promise<void> {
  if (typeof input === 'string' && (await realOrSelf(input)) === (await realOrSelf(output))) {
    throw new KysoError('FILE_EXISTS', { path: output, reason: 'output is the input' });
  }
  const exists = await stat(output).then(
    () => true,
    () => false,
  );
  if (exists) throw new KysoError('FILE_EXISTS', { path: output });
}

/** The temp file holding a copy of the input, waiting for the increment. */
export class TempOutput {
  private done = false;

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    /** Bytes in the file when it was made (the copy's size, checked against the input). */
    readonly initialSize: number,
    /** Its disk's share: what a full disk while writing the increment is reported with. */
    private readonly need: DiskNeed,
  ) {}

  /** Writes the bytes to a new temp file beside `output`. */
  static async fromBytes(bytes: Buffer, output: string): Promise<TempOutput> {
    const need = outputNeed(output, bytes.length);
    assertDiskSpace(need);
    const path = tempPathFor(output);
    const temp = new TempOutput(path, await open(path, 'wx'), bytes.length, need);
    try {
      await writeFully(temp.handle, bytes, 0);
    } catch (error) {
      await temp.discard();
      throw asDiskFull(error, need);
    }
    return temp;
  }

  /**
   * Copies the input file with copyFile (in-kernel copy_file_range, or a reflink), so the caller
   * can hash the input at the same time.
   * `inPlace`: the copy is made at `output` itself (a fresh name of the caller's own, where a
   * half-written file harms no one), which saves the link and unlink of `commit`.
   */
  static copyOf(input: string, output: string, inPlace = false): Promise<TempOutput> {
    const path = inPlace ? output : tempPathFor(output);
    return (async () => {
      const inputNeed = async () => outputNeed(output, (await stat(input)).size);
      // The store that owns an in-place output checked its disk for the whole batch already
      // (no stat per document there).
      if (!inPlace) assertDiskSpace(await inputNeed());
      try {
        // EXCL: a file already there is not ours, and stays.
        await copyFile(input, path, fsConstants.COPYFILE_EXCL | fsConstants.COPYFILE_FICLONE);
      } catch (error) {
        // A copy cut short by a full disk may leave its part behind: it is ours, remove it.
        if (!isDiskFull(error)) throw error;
        await unlink(path).catch(() => undefined);
        throw asDiskFull(error, await inputNeed());
      }
      try {
        const { mode, size } = await stat(path);
        // copyFile keeps the input's mode: a read-only input must still give a writable output.
        if ((mode & 0o600) !== 0o600) await chmod(path, (mode | 0o600) & 0o777);
        return new TempOutput(path, await open(path, 'r+'), size, outputNeed(output, size));
      } catch (error) {
        await unlink(path).catch(() => undefined);
        throw error;
      }
    })();
  }

  /** The copy's bytes as made (before the increment), read through a block cache. */
  source(): ByteSource {
    return new BlockCache(FileSource.borrow(this.handle, this.initialSize));
  }

  /**
   * Appends the increment at `offset`, fsyncs (unless `durable` is false: a temp result that
   * dies with its connection), and links the file to `output` (unless it is there already).
   */
  async commit(increment: Buffer, offset: number, output: string, durable = true): Promise<void> {
    try {
      await writeFully(this.handle, increment, offset);
      if (durable) await this.handle.sync();
    } catch (error) {
      throw asDiskFull(error, { ...this.need, bytes: increment.length });
    }
    await this.handle.close();
    if (this.path === output) {
      this.done = true;
      return;
    }
    // link() never replaces an existing file: a race with another writer is FILE_EXISTS.
    try {
      await link(this.path, output);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new KysoError('FILE_EXISTS', { path: output });
      }
      // File systems without hard links (FAT, some network shares): check, then rename.
      await assertOutputFree(this.path, output);
      await rename(this.path, output);
    } finally {
      await unlink(this.path).catch(() => undefined);
      this.done = true;
    }
  }

  /** Closes and removes the temp file; a no-op once committed or discarded. */
  async discard(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.handle.close().catch(() => undefined);
    await unlink(this.path).catch(() => undefined);
  }
}

/**
 * Room a signed copy takes beside `output`: the input, and its increment (signature, appearance
 * and, for LTV, certificates and revocation data), which the reserve covers.
 */
function outputNeed(output: string, inputBytes: number): DiskNeed {
  return { folder: dirname(output), bytes: inputBytes };
}

function tempPathFor(output: string): string {
  return join(dirname(output), `.${basename(output)}.${randomBytes(6).toString('hex')}.tmp`);
}
