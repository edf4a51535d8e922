/**
 * Free disk space before writing a document (an upload into the agent's store, a signed copy
 * beside its output), so a full disk is a clear DISK_FULL naming the folder and the sizes,
 * refused before a byte is written, and not an ENOSPC deep inside a write half-way through a
 * 50 MB scan. A write that still hits ENOSPC (another program filled the disk meanwhile) is
 * the same error.
 */
import { statfsSync } from 'node:fs';
import { KysoError } from '../errors/index.ts';

/** Room kept free beyond the document itself: the OS, the journal and logs need some too. */
export const DEFAULT_DISK_RESERVE_BYTES = 64 * 1024 * 1024;

/** Bytes this process may still write on the file system holding `path`; undefined: unknown. */
export type FreeSpaceProbe = (path: string) => number | undefined;

/** statfs: blocks available to unprivileged users (root's reserved blocks do not count). */
export const freeBytesAt: FreeSpaceProbe = (path) => {
  try {
    const { bavail, bsize } = statfsSync(path);
    return bavail * bsize;
  } catch {
    // No statfs here (some network shares): the write itself will tell.
    return undefined;
  }
};

export interface DiskNeed {
  /** Folder the bytes go to. */
  folder: string;
  /** Bytes about to be written. */
  bytes: number;
  /** Bytes kept free beyond them. */
  reserveBytes?: number;
  /** Bytes already promised to writes in progress on the same disk (not yet written). */
  pendingBytes?: number;
  probe?: FreeSpaceProbe;
}

function diskFull(need: DiskNeed, freeBytes: number | undefined): KysoError {
  return new KysoError('DISK_FULL', {
    folder: need.folder,
    neededBytes: need.bytes,
    reserveBytes: need.reserveBytes ?? DEFAULT_DISK_RESERVE_BYTES,
    ...(freeBytes === undefined ? {} : { freeBytes }),
  });
}

/** DISK_FULL when the folder's file system has less than bytes + pending + reserve free. */
export function assertDiskSpace(need: DiskNeed): void {
  const free = (need.probe ?? freeBytesAt)(need.folder);
  if (free === undefined) return;
  const reserve = need.reserveBytes ?? DEFAULT_DISK_RESERVE_BYTES;
  if (free < need.bytes + (need.pendingBytes ?? 0) + reserve) throw diskFull(need, free);
}

/** A write failed because the disk (or the user's quota) is full. */
export function isDiskFull(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** ENOSPC / EDQUOT from a write, as DISK_FULL (with the free space now); anything else as is. */
export function asDiskFull(error: unknown, need: DiskNeed): unknown {
  return isDiskFull(error) ? diskFull(need, (need.probe ?? freeBytesAt)(need.folder)) : error;
}
