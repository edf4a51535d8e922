/**
 * The signing journal: one JSON record per line, appended and fsync'd before the web app gets
 * its reply, so "who signed this, and from where" has an answer after a crash or power cut.
 * Never holds a PIN or document content: only names and digests.
 *
 * Crash safety: records are whole lines written with one write(); a crash can only leave a
 * torn last line. On open we end such a line with "\n" so the next record starts clean, and
 * readers skip lines that do not parse. Appends that arrive while a flush runs are grouped
 * into the next fdatasync (group commit), so 1,000 concurrent signatures cost a handful of
 * syncs, not 1,000. The write() itself is synchronous (a small append to the page cache takes
 * microseconds; a thread-pool hop costs more); only fdatasync runs off-thread.
 */
import {
  closeSync,
  fdatasync,
  fdatasyncSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import type { HashAlgorithm } from '../protocol/index.ts';

export interface JournalDocument {
  name: string;
  hashAlgorithm: HashAlgorithm;
  digestHex: string;
}

export type JournalResult = 'signed' | 'refused' | 'failed';

/**
 * The certificate status check made before signing (issue 14, agent/signing/status-check.ts):
 * which source answered, the outcome, and any warning accepted under policy "warn".
 */
export interface JournalStatus {
  checked: 'ocsp' | 'crl' | 'ocsp+crl' | 'none';
  status: 'good' | 'revoked' | 'unknown' | 'unavailable' | 'untrusted' | 'not-checked';
  warnings: string[];
  revokedAt?: string;
  reason?: string;
}

export interface JournalRecord {
  /** Record format version. */
  v: 1;
  /** ISO time the request finished. */
  time: string;
  /** Request id unique within this agent run (connection + JSON-RPC id). */
  requestId: string;
  origin: string;
  method: string;
  certificateId: string | null;
  certificateSubject: string | null;
  tokenLabel: string | null;
  documents: JournalDocument[];
  result: JournalResult;
  errorCode: string | null;
  /** Certificate status before signing; absent in records written before issue 14. */
  status?: JournalStatus;
  /**
   * SHA-256 (hex) of the previous record's line, null for the first record: a hash chain, so
   * an edited or deleted record in the middle shows up when the journal is verified.
   */
  prev?: string | null;
}

export type NewJournalRecord = Omit<JournalRecord, 'v' | 'time' | 'prev'> & { time?: string };

/** Hash of one journal line as written (UTF-8, without its newline). */
export function lineHash(line: string): string {
  return createHash('sha256').update(line, 'utf8').digest('hex');
}

export interface JournalOptions {
  /** Rotate when the file would grow past this size (bytes). */
  maxBytes: number;
  /** Rotated files kept (file.1 is the newest). */
  keepFiles: number;
}

interface Waiting {
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class Journal {
  readonly file: string;
  private readonly options: JournalOptions;
  private fd: number | null = null;
  private size = 0;
  /** Appends written but not yet covered by a finished fdatasync. */
  private waiting: Waiting[] = [];
  private syncing: Promise<void> | null = null;
  /** A rotated-out descriptor whose close waits for the sync running on it. */
  private retired: number[] = [];
  private closed = false;
  /** Hash of the last record line; undefined until read from disk. */
  private head: string | null | undefined;

  constructor(file: string, options: JournalOptions) {
    this.file = file;
    this.options = options;
  }

  /**
   * Appends one record. The line is written at once (synchronously: a small append to the page
   * cache takes microseconds), so it survives an agent crash as soon as this returns. By
   * default the promise resolves after fdatasync (power cut safe); with `durable: false` it
   * resolves right away and the group sync follows within milliseconds.
   */
  append(record: NewJournalRecord, options: { durable?: boolean } = {}): Promise<void> {
    if (this.closed) return Promise.reject(new Error('journal closed'));
    try {
      this.head ??= lastRecordHash(this.file);
      const full: JournalRecord = {
        v: 1,
        ...record,
        time: record.time ?? new Date().toISOString(),
        prev: this.head,
      };
      const line = JSON.stringify(full);
      this.write(Buffer.from(line + '\n', 'utf8'));
      this.head = lineHash(line);
    } catch (error) {
      return Promise.reject(error);
    }
    const durable = options.durable ?? true;
    const synced = new Promise<void>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.syncing ??= this.syncLoop();
    });
    if (durable) return synced;
    synced.catch(() => undefined); // reported by later durable appends / close
    return Promise.resolve();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.syncing;
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private write(bytes: Buffer): void {
    if (this.size > 0 && this.size + bytes.length > this.options.maxBytes) this.rotate();
    const fd = this.ensureOpen();
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    this.size += bytes.length;
  }

  /** Group commit: one fdatasync covers every line written before it started. */
  private async syncLoop(): Promise<void> {
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting;
        this.waiting = [];
        const fd = this.fd;
        try {
          if (fd !== null) {
            await new Promise<void>((resolve, reject) =>
              fdatasync(fd, (error) => (error ? reject(error) : resolve())),
            );
          }
          for (const w of batch) w.resolve();
        } catch (error) {
          for (const w of batch) w.reject(error);
        }
        for (const old of this.retired.splice(0)) closeSync(old);
      }
    } finally {
      this.syncing = null;
    }
  }

  private ensureOpen(): number {
    if (this.fd !== null) return this.fd;
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const fd = openSync(this.file, 'a+', 0o600);
    const { size } = fstatSync(fd);
    this.size = size;
    if (size > 0) {
      // A crash mid-write leaves a torn last line: close it so it stays one bad line.
      const last = Buffer.alloc(1);
      readSync(fd, last, 0, 1, size - 1);
      if (last[0] !== 0x0a) {
        writeSync(fd, '\n');
        this.size += 1;
      }
    }
    this.fd = fd;
    return fd;
  }

  private rotate(): void {
    if (this.fd !== null) {
      // Lines already written to the old file are synced before it is renamed away; it is
      // closed once any fdatasync running on it has finished.
      fdatasyncSync(this.fd);
      if (this.syncing) this.retired.push(this.fd);
      else closeSync(this.fd);
    }
    this.fd = null;
    const { keepFiles } = this.options;
    for (let i = keepFiles; i >= 1; i--) {
      const from = i === 1 ? this.file : `${this.file}.${i - 1}`;
      try {
        renameSync(from, `${this.file}.${i}`);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    // Nothing kept: start over by truncating.
    if (keepFiles === 0) closeSync(openSync(this.file, 'w', 0o600));
    this.size = 0;
  }
}

/** The last valid record line of the journal (current file, else the newest rotated one). */
function lastRecordHash(file: string): string | null {
  for (const name of [file, `${file}.1`]) {
    let text: string;
    try {
      text = readFileSync(name, 'utf8');
    } catch {
      continue;
    }
    const lines = text.split('\n');
    for (let i = lines.length - 1; i >= 0; i--) {
      const line = lines[i] ?? '';
      if (line.trim() === '') continue;
      try {
        if (isRecord(JSON.parse(line))) return lineHash(line);
      } catch {
        // torn line: look further up
      }
    }
  }
  return null;
}

export interface ReadResult {
  records: JournalRecord[];
  /** Lines that did not parse (torn writes), with file and line number. */
  skipped: { file: string; line: number }[];
  /**
   * Hash chain check over every record read (whatever `since` says): `breaks` lists records
   * whose `prev` is not the hash of the record before them (one was edited or removed).
   */
  chain: { checked: number; breaks: { file: string; line: number }[] };
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

function isRecord(value: unknown): value is JournalRecord {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Partial<JournalRecord>;
  return (
    r.v === 1 &&
    typeof r.time === 'string' &&
    typeof r.origin === 'string' &&
    Array.isArray(r.documents)
  );
}

/** Reads the journal and its rotated files, oldest first, skipping torn lines. */
export async function readJournal(
  file: string,
  options: { since?: Date; keepFiles?: number } = {},
): Promise<ReadResult> {
  const files: string[] = [];
  for (let i = options.keepFiles ?? 1000; i >= 1; i--) {
    const rotated = `${file}.${i}`;
    if (await exists(rotated)) files.push(rotated);
  }
  if (await exists(file)) files.push(file);
  const records: JournalRecord[] = [];
  const skipped: ReadResult['skipped'] = [];
  const chain: ReadResult['chain'] = { checked: 0, breaks: [] };
  // Hash of the previous record line; undefined before the first one (older files may have
  // been rotated away, so the first record's prev cannot be checked).
  let previous: string | undefined;
  const since = options.since?.getTime();
  for (const name of files) {
    const lines = (await readFile(name, 'utf8')).split('\n');
    lines.forEach((line, index) => {
      if (line.trim() === '') return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        skipped.push({ file: name, line: index + 1 });
        return;
      }
      if (!isRecord(parsed)) {
        skipped.push({ file: name, line: index + 1 });
        return;
      }
      if (parsed.prev !== undefined && previous !== undefined) {
        chain.checked++;
        if (parsed.prev !== previous) chain.breaks.push({ file: name, line: index + 1 });
      }
      previous = lineHash(line);
      if (since !== undefined && Date.parse(parsed.time) < since) return;
      records.push(parsed);
    });
  }
  return { records, skipped, chain };
}
