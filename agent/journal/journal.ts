/**
 * The signing journal: one JSON record per line, appended and fsync'd before the web app gets
 * its reply, so "who signed this, and from where" has an answer after a crash or power cut.
 * Never holds a PIN or document content: only names and digests.
 *
 * Crash safety: records are whole lines written with one write(); a crash can only leave a
 * torn last line. On open we end such a line with "\n" so the next record starts clean, and
 * readers skip lines that do not parse. Appends that arrive while a flush runs are grouped
 * into the next write + fdatasync (group commit), so 1,000 concurrent signatures cost a
 * handful of syncs, not 1,000.
 */
import { mkdirSync } from 'node:fs';
import { open, readFile, rename, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { HashAlgorithm } from '../tokens/types.ts';

export interface JournalDocument {
  name: string;
  hashAlgorithm: HashAlgorithm;
  digestHex: string;
}

export type JournalResult = 'signed' | 'refused' | 'failed';

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
}

export type NewJournalRecord = Omit<JournalRecord, 'v' | 'time'> & { time?: string };

export interface JournalOptions {
  /** Rotate when the file would grow past this size (bytes). */
  maxBytes: number;
  /** Rotated files kept (file.1 is the newest). */
  keepFiles: number;
}

interface Pending {
  line: string;
  /** Resolve after fdatasync (true) or as soon as write() returned (false). */
  durable: boolean;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class Journal {
  readonly file: string;
  private readonly options: JournalOptions;
  private handle: FileHandle | null = null;
  private size = 0;
  private queue: Pending[] = [];
  private flushing: Promise<void> | null = null;
  private closed = false;

  constructor(file: string, options: JournalOptions) {
    this.file = file;
    this.options = options;
  }

  /**
   * Appends one record. By default resolves once it is on disk (fdatasync). With
   * `durable: false` it resolves when write() returned: the record then survives an agent
   * crash at once, and a power cut only after the sync that follows within milliseconds.
   */
  append(record: NewJournalRecord, options: { durable?: boolean } = {}): Promise<void> {
    if (this.closed) return Promise.reject(new Error('journal closed'));
    const full: JournalRecord = { v: 1, ...record, time: record.time ?? new Date().toISOString() };
    const line = JSON.stringify(full) + '\n';
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ line, durable: options.durable ?? true, resolve, reject });
      this.flushing ??= this.flushLoop();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.flushing;
    await this.handle?.close();
    this.handle = null;
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        let written = false;
        try {
          await this.writeBatch(batch.map((p) => p.line).join(''), () => {
            written = true;
            for (const p of batch) if (!p.durable) p.resolve();
          });
          for (const p of batch) if (p.durable) p.resolve();
        } catch (error) {
          for (const p of batch) if (p.durable || !written) p.reject(error);
        }
      }
    } finally {
      this.flushing = null;
    }
  }

  private async writeBatch(text: string, onWritten: () => void): Promise<void> {
    const bytes = Buffer.from(text, 'utf8');
    const handle = await this.ensureOpen();
    if (this.size > 0 && this.size + bytes.length > this.options.maxBytes) {
      await this.rotate();
      return this.writeBatch(text, onWritten);
    }
    await handle.write(bytes, 0, bytes.length, null);
    onWritten();
    await handle.datasync();
    this.size += bytes.length;
  }

  private async ensureOpen(): Promise<FileHandle> {
    if (this.handle) return this.handle;
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const handle = await open(this.file, 'a+', 0o600);
    const { size } = await handle.stat();
    this.size = size;
    if (size > 0) {
      // A crash mid-write leaves a torn last line: close it so it stays one bad line.
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) {
        await handle.write('\n', null, 'utf8');
        await handle.datasync();
        this.size += 1;
      }
    }
    this.handle = handle;
    return handle;
  }

  private async rotate(): Promise<void> {
    await this.handle?.close();
    this.handle = null;
    const { keepFiles } = this.options;
    for (let i = keepFiles; i >= 1; i--) {
      const from = i === 1 ? this.file : `${this.file}.${i - 1}`;
      try {
        await rename(from, `${this.file}.${i}`);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    if (keepFiles === 0) {
      // Nothing kept: start over by truncating.
      const h = await open(this.file, 'w', 0o600);
      await h.close();
    }
    this.size = 0;
  }
}

export interface ReadResult {
  records: JournalRecord[];
  /** Lines that did not parse (torn writes), with file and line number. */
  skipped: { file: string; line: number }[];
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
      if (since !== undefined && Date.parse(parsed.time) < since) return;
      records.push(parsed);
    });
  }
  return { records, skipped };
}
