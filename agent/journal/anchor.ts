/**
 * The journal's tail anchor (`signing.jsonl.anchor`): after each group commit, how many bytes
 * the current file held as synced, a hash of its last bytes, and how many files had been
 * rotated before it. Nothing later in the hash chain links to the end of the current file, so
 * without it records cut off that end (a disk losing a tail, a local process truncating the
 * file) would not show. One fixed-size pwrite per group commit, not synced: a stale anchor
 * only checks less, and it is written after the fdatasync, so it never claims unsynced bytes.
 *
 * A local process that can rewrite both files can hide a cut; this finds crashes, accidents
 * and careless tampering, and the agent itself notices a cut under it while it runs.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { listRotated, rotatedPath } from './files.ts';

export interface TailAnchor {
  v: 1;
  /** Newest rotated file number when the anchor was written (0: none). */
  rotated: number;
  /** Bytes of the current file covered by the last fdatasync. */
  bytes: number;
  /** SHA-256 (hex) of the last TAIL_BYTES bytes before `bytes`. */
  tail: string;
}

/** What the anchor (or the agent, while running) found missing or changed. */
export interface TailLoss {
  /** The file that lost records. */
  file: string;
  /**
   * cut: the file is shorter than what was written (records from `line` on are missing or
   * torn); rewritten: it is long enough but the bytes before `expectedBytes` changed (cut,
   * then other bytes written); appended: bytes the agent did not write follow its last line;
   * missing-file: the file is gone.
   */
  problem: 'cut' | 'rewritten' | 'appended' | 'missing-file';
  expectedBytes: number;
  foundBytes: number;
  /** First line (1-based) and its byte offset from which records are missing or broken. */
  line: number;
  offset: number;
}

export const TAIL_BYTES = 64;
/** The anchor is padded to this size and rewritten in place. */
const ANCHOR_SIZE = 256;

export function anchorPath(file: string): string {
  return `${file}.anchor`;
}

export function tailHash(tail: Buffer): string {
  return createHash('sha256').update(tail).digest('hex');
}

/** The last TAIL_BYTES of `previous` followed by `written`. */
export function keepTail(previous: Buffer, written: Buffer): Buffer {
  if (written.length >= TAIL_BYTES) return written.subarray(-TAIL_BYTES);
  return Buffer.concat([previous, written]).subarray(-TAIL_BYTES);
}

/** Newest numbered rotated file (0: none). */
export function newestRotated(file: string): number {
  return listRotated(file).reduce((max, f) => Math.max(max, f.seq), 0);
}

export class AnchorWriter {
  private fd: number | null = null;

  constructor(private readonly file: string) {}

  write(anchor: TailAnchor): void {
    const text = JSON.stringify(anchor);
    const bytes = Buffer.alloc(ANCHOR_SIZE, 0x20);
    bytes.write(text, 'utf8');
    bytes[ANCHOR_SIZE - 1] = 0x0a;
    this.fd ??= openSync(anchorPath(this.file), 'w', 0o600);
    writeSync(this.fd, bytes, 0, bytes.length, 0);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** The anchor, null when there is none (journal from before anchors), 'unreadable' if torn. */
export function readAnchor(file: string): TailAnchor | null | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(anchorPath(file), 'utf8');
  } catch {
    return null;
  }
  try {
    const a = JSON.parse(text) as Partial<TailAnchor>;
    if (
      a.v === 1 &&
      Number.isSafeInteger(a.rotated) &&
      Number.isSafeInteger(a.bytes) &&
      typeof a.tail === 'string'
    ) {
      return a as TailAnchor;
    }
  } catch {
    // fall through
  }
  return 'unreadable';
}

/** Line number (1-based) and offset of the line holding byte `at` (or starting there). */
export function lineAt(bytes: Buffer, at: number): { line: number; offset: number } {
  const end = Math.min(at, bytes.length);
  const start = end === 0 ? 0 : bytes.lastIndexOf(0x0a, end - 1) + 1;
  let line = 1;
  for (let i = bytes.indexOf(0x0a); i >= 0 && i < start; i = bytes.indexOf(0x0a, i + 1)) line++;
  return { line, offset: start };
}

/** Compares a file's bytes with what the agent wrote (expected size and hash of its tail). */
export function compareTail(
  path: string,
  bytes: Buffer,
  expectedBytes: number,
  expectedTail: string,
): TailLoss | null {
  const found = bytes.length;
  if (found < expectedBytes) {
    return {
      file: path,
      problem: 'cut',
      expectedBytes,
      foundBytes: found,
      ...lineAt(bytes, found),
    };
  }
  const tail = bytes.subarray(Math.max(0, expectedBytes - TAIL_BYTES), expectedBytes);
  if (tailHash(tail) !== expectedTail) {
    const from = Math.max(0, expectedBytes - TAIL_BYTES);
    return {
      file: path,
      problem: 'rewritten',
      expectedBytes,
      foundBytes: found,
      ...lineAt(bytes, from),
    };
  }
  return null;
}

/**
 * Checks the file the anchor describes: the current one, or the rotated file it became
 * (a rotation after the anchor's last write).
 */
export function checkAnchor(file: string, anchor: TailAnchor): TailLoss | null {
  const newest = newestRotated(file);
  let path = file;
  let gzip = false;
  if (newest > anchor.rotated) {
    path = rotatedPath(file, anchor.rotated + 1);
    if (!existsSync(path) && existsSync(`${path}.gz`)) {
      path = `${path}.gz`;
      gzip = true;
    }
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
    if (gzip) bytes = gunzipSync(bytes);
  } catch {
    // A deleted rotated file is the hash chain's to report (the next header names it).
    if (path !== file || anchor.bytes === 0) return null;
    return {
      file: path,
      problem: 'missing-file',
      expectedBytes: anchor.bytes,
      foundBytes: 0,
      line: 1,
      offset: 0,
    };
  }
  return compareTail(path, bytes, anchor.bytes, anchor.tail);
}
