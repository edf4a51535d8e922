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
 *
 * A page cannot erase it: fields are bounded (bound.ts: the JSON-RPC id is untrusted),
 * failures before any dialog are recorded one by one only up to failuresPerMinute per origin
 * and then as one aggregate record per minute, and rotation deletes nothing: rotated files
 * are numbered, beyond keepFiles (or older than retentionDays) gzip-archived. Every line's
 * `prev` is the hash of the line before it, across files: each rotated-into file starts with
 * a header naming the previous file, so a missing or truncated file shows in --verify. The
 * current file's end is checked against its tail anchor (anchor.ts) on open, and against the
 * size the agent wrote before each append: records cut off are reported and journaled as a
 * `tail-loss` line, the intact ones kept, and appending goes on after a fresh newline.
 */
import {
  closeSync,
  fdatasync,
  fdatasyncSync,
  fstatSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  readFileSync,
  writeSync,
} from 'node:fs';
import { readFile, rename, unlink, writeFile, open as openFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { basename, dirname } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { KysoError } from '../errors/index.ts';
import type { HashAlgorithm } from '../protocol/index.ts';
import {
  AnchorWriter,
  checkAnchor,
  compareTail,
  keepTail,
  lineAt,
  newestRotated,
  readAnchor,
  TAIL_BYTES,
  tailHash,
  type TailLoss,
} from './anchor.ts';
import { boundRecord } from './bound.ts';
import {
  listJournalFiles,
  listRotated,
  modifiedAt,
  readText,
  rotatedPath,
  type JournalFile,
} from './files.ts';

const gzipAsync = promisify(gzip);

export interface JournalDocument {
  name: string;
  hashAlgorithm: HashAlgorithm;
  digestHex: string;
}

/**
 * 'signing': approved, the token was asked to sign (written and synced while it signs). Its
 * outcome follows in a later record naming it (`attempt`); readJournal drops attempts that
 * have one, so a 'signing' record read back means the agent stopped before recording it.
 */
export type JournalResult = 'signed' | 'refused' | 'failed' | 'signing';

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
  /**
   * Request id unique within this agent run (connection + JSON-RPC id); beyond 128
   * characters a prefix, the length and a SHA-256 (the id comes from the page).
   */
  requestId: string;
  origin: string;
  method: string;
  certificateId: string | null;
  certificateSubject: string | null;
  tokenLabel: string | null;
  documents: JournalDocument[];
  /** Documents left out because the record was too large (their digest is documentsDigest). */
  documentsOmitted?: number;
  /** SHA-256 (hex) of the JSON list of every document, set when some were left out. */
  documentsDigest?: string;
  result: JournalResult;
  errorCode: string | null;
  /** Certificate status before signing; absent in records written before issue 14. */
  status?: JournalStatus;
  /** Why, when it says more than the code ("dismissed: the page went away"). */
  detail?: string;
  /** Hash of the 'signing' line (see JournalResult) whose outcome this record is. */
  attempt?: string;
  /**
   * SHA-256 (hex) of the previous line (record, header or aggregate), null for the very first
   * line: a hash chain, so an edited or deleted line in the middle shows up on --verify.
   */
  prev?: string | null;
}

/** First line of each file after the first: links to the file before it. */
export interface JournalFileHeader {
  v: 1;
  type: 'file';
  time: string;
  /** This file's rotation name and the previous file's (null: it was the first). */
  previousFile: string | null;
  /** Hash of the previous file's last line (the same as prev). */
  prev: string | null;
}

/** Failures before any dialog beyond failuresPerMinute, summed up per origin and minute. */
export interface JournalAggregate {
  v: 1;
  type: 'failures';
  time: string;
  origin: string;
  /** Failures not recorded one by one, between from and to. */
  count: number;
  from: string;
  to: string;
  /** Count per error code. */
  errors: Record<string, number>;
  /** Count per method. */
  methods: Record<string, number>;
  prev: string | null;
}

/** Where the agent found records missing from a file's end (see anchor.ts); never removed. */
export interface JournalTailLoss extends TailLoss {
  v: 1;
  type: 'tail-loss';
  time: string;
  /** start: found on opening the journal; running: the file changed under the agent. */
  noticed: 'start' | 'running';
  prev: string | null;
}

export type NewJournalRecord = Omit<JournalRecord, 'v' | 'time' | 'prev'> & { time?: string };

/** Hash of one journal line as written (UTF-8, without its newline). */
export function lineHash(line: string): string {
  return createHash('sha256').update(line, 'utf8').digest('hex');
}

export interface JournalOptions {
  /** Rotate when the file would grow past this size (bytes). */
  maxBytes: number;
  /** Rotated files kept uncompressed; older ones are gzip-archived (never deleted). */
  keepFiles: number;
  /** Rotated files whose last write is older than this are archived too (days, default 365). */
  retentionDays?: number;
  /** Largest record (bytes); default 64 KiB. */
  maxRecordBytes?: number;
  /** Failures before any dialog recorded one by one per origin and minute; default 10. */
  failuresPerMinute?: number;
  /** Tests: a clock (ms). */
  now?: () => number;
  /**
   * Tests: the fdatasync call (default node:fs fdatasync), to count group commits and to make
   * one fail as a dying disk would: a real disk cannot be made to fail on cue.
   */
  sync?: (fd: number, done: (error: Error | null) => void) => void;
  /** Told when records are found missing from a file's end (the agent logs it). */
  onTailLoss?: (loss: TailLoss, noticed: 'start' | 'running') => void;
}

/** A 'signing' record written: its id (the line's hash) and when it is on the disk. */
export interface JournalAttempt {
  id: string;
  /** Resolves as append() would (after fdatasync when durable). */
  written: Promise<void>;
}

export interface AppendOptions {
  /** Resolve after fdatasync (default true). */
  durable?: boolean;
  /**
   * No dialog was shown for this request (it failed before): rate-limited per origin, the
   * excess summed up in one aggregate record per minute.
   */
  unprompted?: boolean;
}

interface Waiting {
  resolve: () => void;
  reject: (error: unknown) => void;
}

const WINDOW_MS = 60_000;
/**
 * Longest a line appended without `durable` waits for its fdatasync; a durable append starts
 * one sooner and covers it. So one signature costs one sync (its 'signing' record, beside the
 * token) and not a second one for its outcome, which would delay the next request's.
 */
const LAZY_SYNC_MS = 10;
/** Origins with an open failure window at most; beyond, every window is flushed. */
const MAX_WINDOWS = 1024;

interface FailureWindow {
  origin: string;
  start: number;
  recorded: number;
  count: number;
  from: number;
  to: number;
  errors: Record<string, number>;
  methods: Record<string, number>;
  timer: NodeJS.Timeout | null;
}

export class Journal {
  readonly file: string;
  private readonly options: Required<Omit<JournalOptions, 'now' | 'sync' | 'onTailLoss'>>;
  private readonly now: () => number;
  private readonly sync: (fd: number, done: (error: Error | null) => void) => void;
  private fd: number | null = null;
  private size = 0;
  /** Appends written but not yet covered by a finished fdatasync. */
  private waiting: Waiting[] = [];
  private syncing: Promise<void> | null = null;
  /** Pending start of a sync for lines appended without `durable` (LAZY_SYNC_MS). */
  private lazySync: NodeJS.Timeout | null = null;
  /** A rotated-out descriptor whose close waits for the sync running on it. */
  private retired: number[] = [];
  private closed = false;
  /** Hash of the last line; undefined until read from disk. */
  private head: string | null | undefined;
  private readonly windows = new Map<string, FailureWindow>();
  /** Archiving (gzip) runs off the write path, one file after the other. */
  private archiving: Promise<void> = Promise.resolve();
  private readonly anchor: AnchorWriter;
  /** The last TAIL_BYTES written to the current file (for the anchor and the check). */
  private tail: Buffer = Buffer.alloc(0);
  /** Newest rotated file number (the anchor says which file it describes). */
  private rotated = 0;
  private readonly onTailLoss: (loss: TailLoss, noticed: 'start' | 'running') => void;

  constructor(file: string, options: JournalOptions) {
    this.file = file;
    this.options = {
      maxBytes: options.maxBytes,
      keepFiles: options.keepFiles,
      retentionDays: options.retentionDays ?? 365,
      maxRecordBytes: options.maxRecordBytes ?? 64 * 1024,
      failuresPerMinute: options.failuresPerMinute ?? 10,
    };
    this.now = options.now ?? Date.now;
    this.sync = options.sync ?? fdatasync;
    this.anchor = new AnchorWriter(file);
    this.onTailLoss = options.onTailLoss ?? (() => undefined);
  }

  /**
   * Opens the journal now (else on the first append) and checks its end against the tail
   * anchor: the agent calls it on start so a cut file is reported at once.
   */
  open(): void {
    this.ensureOpen();
  }

  /**
   * Appends one record. The line is written at once (synchronously: a small append to the page
   * cache takes microseconds), so it survives an agent crash as soon as this returns. By
   * default the promise resolves after fdatasync (power cut safe); with `durable: false` it
   * resolves right away and the line is synced within LAZY_SYNC_MS (sooner with a durable one).
   */
  append(record: NewJournalRecord, options: AppendOptions = {}): Promise<void> {
    if (this.closed) return Promise.reject(new Error('journal closed'));
    if (options.unprompted === true && record.result !== 'signed' && !this.admit(record)) {
      return Promise.resolve();
    }
    return this.appendRecord(record, options.durable ?? true).written;
  }

  /**
   * Records that the token is being asked to sign ('signing'), before it answers: with
   * durable, the caller replies with the signature only after `written`, so the disk shows
   * every signature a page holds even though the outcome record (append with `attempt`: id)
   * is not synced before the reply.
   */
  begin(
    record: Omit<NewJournalRecord, 'result' | 'errorCode'>,
    options: { durable?: boolean } = {},
  ): JournalAttempt {
    if (this.closed) {
      const written = Promise.reject(new Error('journal closed'));
      written.catch(() => undefined);
      return { id: '', written };
    }
    return this.appendRecord(
      { ...record, result: 'signing', errorCode: null },
      options.durable ?? true,
    );
  }

  private appendRecord(record: NewJournalRecord, durable: boolean): JournalAttempt {
    const bounded = boundRecord(record, this.options.maxRecordBytes);
    return this.appendLine(
      (prev) => ({
        v: 1,
        ...bounded,
        time: record.time ?? new Date(this.now()).toISOString(),
        prev,
      }),
      durable,
    );
  }

  async close(): Promise<void> {
    for (const w of [...this.windows.values()]) this.flushWindow(w);
    this.closed = true;
    if (this.lazySync) clearTimeout(this.lazySync);
    this.lazySync = null;
    if (this.waiting.length > 0) this.startSync();
    await this.syncing;
    await this.archiving;
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    this.anchor.close();
  }

  /** Writes one line built around the previous line's hash; `id` is the line's hash. */
  private appendLine(build: (prev: string | null) => object, durable: boolean): JournalAttempt {
    try {
      this.checkUnderfoot(this.ensureOpen());
      let line = JSON.stringify(build(this.head ?? null));
      let bytes = Buffer.from(line + '\n', 'utf8');
      if (this.size > 0 && this.size + bytes.length > this.options.maxBytes) {
        // The new file starts with its header: the line links to that, not the old file.
        this.rotate();
        this.ensureOpen();
        line = JSON.stringify(build(this.head ?? null));
        bytes = Buffer.from(line + '\n', 'utf8');
      }
      this.writeLine(line, bytes);
    } catch (error) {
      return { id: '', written: Promise.reject(error) };
    }
    const id = this.head ?? ''; // writeLine set it
    const synced = new Promise<void>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      if (durable || this.closed) this.startSync();
      else if (!this.syncing) this.lazySync ??= this.scheduleSync();
    });
    if (durable) return { id, written: synced };
    synced.catch(() => undefined); // reported by later durable appends / close
    return { id, written: Promise.resolve() };
  }

  // ---- failures before any dialog: first few per origin and minute, then an aggregate ----

  /** True when this failure is recorded on its own; false when it is only counted. */
  private admit(record: NewJournalRecord): boolean {
    const now = this.now();
    let w = this.windows.get(record.origin);
    if (w && now - w.start >= WINDOW_MS) {
      this.flushWindow(w);
      w = undefined;
    }
    if (!w) {
      if (this.windows.size >= MAX_WINDOWS) {
        for (const old of [...this.windows.values()]) this.flushWindow(old);
      }
      w = {
        origin: record.origin,
        start: now,
        recorded: 0,
        count: 0,
        from: now,
        to: now,
        errors: {},
        methods: {},
        timer: null,
      };
      this.windows.set(record.origin, w);
    }
    if (w.recorded < this.options.failuresPerMinute) {
      w.recorded++;
      return true;
    }
    if (w.count === 0) w.from = now;
    w.count++;
    w.to = now;
    const code = (record.errorCode ?? record.result).slice(0, 64);
    const method = record.method.slice(0, 64);
    // Codes and methods come from a fixed set; cap the keys anyway.
    if (code in w.errors || Object.keys(w.errors).length < 64) {
      w.errors[code] = (w.errors[code] ?? 0) + 1;
    }
    if (method in w.methods || Object.keys(w.methods).length < 64) {
      w.methods[method] = (w.methods[method] ?? 0) + 1;
    }
    if (w.timer === null) {
      const window = w;
      w.timer = setTimeout(() => this.flushWindow(window), w.start + WINDOW_MS - now);
      w.timer.unref();
    }
    return false;
  }

  private flushWindow(w: FailureWindow): void {
    if (this.windows.get(w.origin) === w) this.windows.delete(w.origin);
    if (w.timer) clearTimeout(w.timer);
    w.timer = null;
    if (w.count === 0 || this.closed) return;
    const aggregate = (prev: string | null): JournalAggregate => ({
      v: 1,
      type: 'failures',
      time: new Date(this.now()).toISOString(),
      origin: w.origin.slice(0, 256),
      count: w.count,
      from: new Date(w.from).toISOString(),
      to: new Date(w.to).toISOString(),
      errors: w.errors,
      methods: w.methods,
      prev,
    });
    this.appendLine(aggregate, false).written.catch(() => undefined);
  }

  // ---- files -------------------------------------------------------------------------------

  private write(bytes: Buffer): void {
    const fd = this.ensureOpen();
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    this.size += bytes.length;
    this.tail = keepTail(this.tail, bytes);
  }

  private writeLine(line: string, bytes = Buffer.from(line + '\n', 'utf8')): void {
    this.write(bytes);
    this.head = lineHash(line);
  }

  /**
   * The file is not the size the agent left it. Whole journal lines added by another Kyso
   * process (`kyso sign` while the agent runs) are taken in, the chain going on from them.
   * Anything else (cut, changed, foreign bytes) is reported and journaled; appending starts on
   * a fresh line, chained to the last intact line.
   */
  private checkUnderfoot(fd: number): void {
    const found = fstatSync(fd).size;
    if (found === this.size) return;
    const bytes = readFileSync(this.file);
    const changed = compareTail(this.file, bytes, this.size, tailHash(this.tail));
    if (changed === null && this.adoptLines(bytes)) return;
    // Shorter, or our last bytes changed: records lost; else someone else's bytes follow ours.
    const loss: TailLoss = changed ?? {
      file: this.file,
      problem: 'appended',
      expectedBytes: this.size,
      foundBytes: bytes.length,
      ...lineAt(bytes, this.size),
    };
    this.size = bytes.length;
    this.tail = Buffer.from(bytes.subarray(-TAIL_BYTES));
    if (bytes.length > 0 && bytes[bytes.length - 1] !== 0x0a) this.write(Buffer.from('\n'));
    // Cut: our last line is gone, link to what is left. Appended: bytes of someone else's
    // that readers skip (or flag), so the chain goes on from our own last line.
    if (loss.problem !== 'appended') this.head = lastLineHash(this.file);
    this.recordLoss(loss, 'running');
  }

  /** True (and caught up) when the bytes after ours are whole, valid journal lines. */
  private adoptLines(bytes: Buffer): boolean {
    if (bytes[bytes.length - 1] !== 0x0a) return false;
    const lines = bytes
      .subarray(this.size, bytes.length - 1)
      .toString('utf8')
      .split('\n');
    let last: string | undefined;
    for (const line of lines) {
      try {
        if (!isLine(JSON.parse(line))) return false;
      } catch {
        return false;
      }
      last = line;
    }
    if (last === undefined) return false;
    this.size = bytes.length;
    this.tail = Buffer.from(bytes.subarray(-TAIL_BYTES));
    this.head = lineHash(last);
    return true;
  }

  private recordLoss(loss: TailLoss, noticed: 'start' | 'running'): void {
    const line: JournalTailLoss = {
      v: 1,
      type: 'tail-loss',
      time: new Date(this.now()).toISOString(),
      ...loss,
      noticed,
      prev: this.head ?? null,
    };
    this.writeLine(JSON.stringify(line));
    // Synced (and the anchor rewritten) even if no record follows before a stop.
    this.waiting.push({ resolve: () => undefined, reject: () => undefined });
    this.syncing ??= this.syncLoop();
    this.onTailLoss(loss, noticed);
  }

  private startSync(): void {
    this.syncing ??= this.syncLoop();
  }

  /** One timer at a time, not cleared by durable syncs meanwhile: cheaper than one per line. */
  private scheduleSync(): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.lazySync = null;
      if (this.waiting.length > 0) this.startSync();
    }, LAZY_SYNC_MS);
    timer.unref();
    return timer;
  }

  /**
   * Group commit: one fdatasync covers every line written before it started; lines written
   * while it runs wait for the next one. A failed sync fails every append it covered (their
   * lines may not be on the disk): the caller must not report those as recorded.
   */
  private async syncLoop(): Promise<void> {
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting;
        this.waiting = [];
        const fd = this.fd;
        // What this sync covers: the anchor may say so once it is on the disk.
        const covered = { rotated: this.rotated, bytes: this.size, tail: this.tail };
        try {
          if (fd !== null) {
            await new Promise<void>((resolve, reject) =>
              this.sync(fd, (error) => (error ? reject(error) : resolve())),
            );
            this.writeAnchor(covered);
          }
          for (const w of batch) w.resolve();
        } catch (error) {
          const failure = new KysoError(
            'INTERNAL_ERROR',
            {
              reason: 'the signing journal could not be synced to disk (fdatasync failed)',
              cause: (error as NodeJS.ErrnoException).code ?? String(error),
            },
            error,
          );
          for (const w of batch) w.reject(failure);
        }
        for (const old of this.retired.splice(0)) closeSync(old);
      }
    } finally {
      this.syncing = null;
    }
  }

  private writeAnchor(covered: { rotated: number; bytes: number; tail: Buffer }): void {
    try {
      this.anchor.write({
        v: 1,
        rotated: covered.rotated,
        bytes: covered.bytes,
        tail: tailHash(covered.tail),
      });
    } catch {
      // The records are synced; a missing anchor only means the next check sees less.
    }
  }

  /**
   * Opens the current file. On the first open its end is checked against the tail anchor; a
   * torn last line is ended; a new (empty) file that follows a rotated one starts with the
   * header linking to it.
   */
  private ensureOpen(): number {
    if (this.fd !== null) return this.fd;
    const starting = this.head === undefined;
    const anchor = starting ? readAnchor(this.file) : null;
    const loss = anchor !== null && anchor !== 'unreadable' ? checkAnchor(this.file, anchor) : null;
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
    this.tail = readTail(fd, this.size);
    if (starting) this.rotated = newestRotated(this.file);
    if (this.head === undefined) this.head = lastLineHash(this.file);
    if (size === 0) {
      const previous = listRotated(this.file).at(-1);
      if (previous) {
        const header: JournalFileHeader = {
          v: 1,
          type: 'file',
          time: new Date(this.now()).toISOString(),
          previousFile: basename(previous.path),
          prev: this.head,
        };
        this.writeLine(JSON.stringify(header));
      }
    }
    if (loss) this.recordLoss(loss, 'start');
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
    const last = listRotated(this.file).at(-1);
    const seq = last && last.seq > 0 ? last.seq + 1 : 1;
    renameSync(this.file, rotatedPath(this.file, seq));
    this.rotated = seq;
    this.size = 0;
    this.tail = Buffer.alloc(0);
    this.archiving = this.archiving.then(() => this.archive()).catch(() => undefined);
  }

  /**
   * Gzips rotated files beyond the newest keepFiles, and those older than the retention.
   * Writes `<name>.gz`, syncs it, then removes the plain copy: at every moment one complete
   * copy exists. Deletes no record.
   */
  private async archive(): Promise<void> {
    const plain = listRotated(this.file).filter((f) => !f.gzip && f.seq > 0);
    const cutoff = this.now() - this.options.retentionDays * 86_400_000;
    const keep = this.options.keepFiles;
    const due = plain.filter((f, i) => i < plain.length - keep || modifiedAt(f.path) < cutoff);
    for (const f of due) await gzipFile(f);
  }
}

async function gzipFile(f: JournalFile): Promise<void> {
  const target = `${f.path}.gz`;
  const temp = `${target}.tmp`;
  const compressed = await gzipAsync(await readFile(f.path));
  await writeFile(temp, compressed, { mode: 0o600 });
  const handle = await openFile(temp, 'r+');
  try {
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await rename(temp, target);
  await unlink(f.path);
}

/** The last TAIL_BYTES of an open file of `size` bytes. */
function readTail(fd: number, size: number): Buffer {
  const length = Math.min(size, TAIL_BYTES);
  const tail = Buffer.alloc(length);
  if (length > 0) readSync(fd, tail, 0, length, size - length);
  return tail;
}

/** Hash of the last whole line of the journal (current file, else the newest rotated one). */
function lastLineHash(file: string): string | null {
  const files = listJournalFiles(file).reverse();
  for (const f of files) {
    let text: string;
    try {
      text = readText(f);
    } catch {
      continue;
    }
    const lines = text.split('\n');
    for (let i = lines.length - 1; i >= 0; i--) {
      const line = lines[i] ?? '';
      if (line.trim() === '') continue;
      try {
        if (isLine(JSON.parse(line))) return lineHash(line);
      } catch {
        // torn line: look further up
      }
    }
  }
  return null;
}

export interface ChainBreak {
  file: string;
  line: number;
  /**
   * edited: the line before this one was edited or removed; missing-file: the file this
   * header names as previous is not there (deleted); truncated: the previous file does not
   * end with the line this header links to (records cut off its end).
   */
  problem: 'edited' | 'missing-file' | 'truncated' | 'records-missing';
  /** For missing-file / truncated / records-missing: the file concerned. */
  concerns?: string;
  /**
   * records-missing: records are missing or broken in `file` from `line` (byte `offset`) on,
   * found by the tail anchor (noticed 'now') or journaled by the agent ('start', 'running').
   */
  loss?: TailLoss & { noticed: 'start' | 'running' | 'now' };
}

export interface ReadResult {
  records: JournalRecord[];
  /** Aggregated failures (see JournalAggregate), in file order. */
  aggregates: JournalAggregate[];
  /** Files read, oldest first. */
  files: string[];
  /** Lines that did not parse (torn writes), with file, line number and byte offset. */
  skipped: { file: string; line: number; offset: number }[];
  /**
   * Hash chain check over every line read (whatever `since` says): `breaks` lists where the
   * chain does not hold (edited or removed line, missing or truncated file).
   */
  chain: { checked: number; breaks: ChainBreak[] };
  /**
   * Whether the current file's end was checked against the tail anchor: no-anchor for
   * journals written before anchors (or none yet), anchor-unreadable when it is damaged.
   */
  tail: 'checked' | 'no-anchor' | 'anchor-unreadable';
}

function isRecord(value: unknown): value is JournalRecord {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Partial<JournalRecord> & { type?: unknown };
  return (
    r.v === 1 &&
    r.type === undefined &&
    typeof r.time === 'string' &&
    typeof r.origin === 'string' &&
    Array.isArray(r.documents)
  );
}

function isHeader(value: unknown): value is JournalFileHeader {
  const h = value as Partial<JournalFileHeader> | null;
  return typeof h === 'object' && h !== null && h.v === 1 && h.type === 'file';
}

function isAggregate(value: unknown): value is JournalAggregate {
  const a = value as Partial<JournalAggregate> | null;
  return (
    typeof a === 'object' &&
    a !== null &&
    a.v === 1 &&
    a.type === 'failures' &&
    typeof a.time === 'string' &&
    typeof a.count === 'number'
  );
}

function isTailLoss(value: unknown): value is JournalTailLoss {
  const t = value as Partial<JournalTailLoss> | null;
  return (
    typeof t === 'object' &&
    t !== null &&
    t.v === 1 &&
    t.type === 'tail-loss' &&
    typeof t.file === 'string' &&
    Number.isSafeInteger(t.line) &&
    Number.isSafeInteger(t.offset)
  );
}

function isLine(value: unknown): boolean {
  return isRecord(value) || isHeader(value) || isAggregate(value) || isTailLoss(value);
}

function lossBreak(loss: TailLoss, noticed: 'start' | 'running' | 'now'): ChainBreak {
  const { file, problem, expectedBytes, foundBytes, line, offset } = loss;
  return {
    file,
    line,
    problem: 'records-missing',
    concerns: file,
    loss: { file, problem, expectedBytes, foundBytes, line, offset, noticed },
  };
}

/**
 * Reads the journal, its rotated and archived files, oldest first, skipping torn lines, and
 * checks the hash chain across files.
 */
export async function readJournal(
  file: string,
  options: { since?: Date } = {},
): Promise<ReadResult> {
  const files = listJournalFiles(file);
  const records: JournalRecord[] = [];
  const aggregates: JournalAggregate[] = [];
  const skipped: ReadResult['skipped'] = [];
  const chain: ReadResult['chain'] = { checked: 0, breaks: [] };
  // Hash of the previous line; undefined before the first one.
  let previous: string | undefined;
  let previousFile: JournalFile | undefined;
  const since = options.since?.getTime();
  // Read before the files: they only grow after it, so it never claims more than they hold.
  const anchor = readAnchor(file);
  /** 'signing' records read, by line hash, and the hashes outcome records name. */
  const attempts = new Map<JournalRecord, string>();
  const completed = new Set<string>();
  for (const f of files) {
    const text = f.gzip ? readText(f) : await readFile(f.path, 'utf8');
    const lines = text.split('\n');
    let first = true;
    let offset = 0;
    lines.forEach((line, index) => {
      const start = offset;
      offset += Buffer.byteLength(line, 'utf8') + 1;
      if (line.trim() === '') return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        skipped.push({ file: f.path, line: index + 1, offset: start });
        return;
      }
      if (!isLine(parsed)) {
        skipped.push({ file: f.path, line: index + 1, offset: start });
        return;
      }
      if (isTailLoss(parsed)) chain.breaks.push(lossBreak(parsed, parsed.noticed));
      const at = { file: f.path, line: index + 1 };
      const prev = (parsed as { prev?: string | null }).prev;
      if (first && isHeader(parsed)) {
        chain.checked++;
        const expected = previousFile ? basename(previousFile.path) : null;
        const named = parsed.previousFile;
        const namedMatches =
          named === expected || (previousFile?.gzip === true && named + '.gz' === expected);
        if (!namedMatches) {
          chain.breaks.push({
            ...at,
            problem: 'missing-file',
            concerns: named === null ? '(none)' : named,
          });
        } else if (previous !== undefined && prev !== previous) {
          chain.breaks.push({
            ...at,
            problem: 'truncated',
            concerns: previousFile?.path ?? '(none)',
          });
        }
      } else if (prev !== undefined && previous !== undefined) {
        chain.checked++;
        if (prev !== previous) chain.breaks.push({ ...at, problem: 'edited' });
      } else if (first && previousFile !== undefined && f.seq > 0) {
        // A numbered file that does not start with its header: its beginning was cut.
        chain.breaks.push({ ...at, problem: 'edited' });
      }
      first = false;
      previous = lineHash(line);
      if (isRecord(parsed) && typeof parsed.attempt === 'string') completed.add(parsed.attempt);
      const time = (parsed as { time: string }).time;
      if (since !== undefined && Date.parse(time) < since) return;
      if (isRecord(parsed)) {
        records.push(parsed);
        if (parsed.result === 'signing') attempts.set(parsed, previous);
      } else if (isAggregate(parsed)) aggregates.push(parsed);
    });
    previousFile = f;
  }
  // Cut since the agent last wrote (it journals a cut it finds on its next start).
  const loss = anchor !== null && anchor !== 'unreadable' ? checkAnchor(file, anchor) : null;
  if (loss) chain.breaks.push(lossBreak(loss, 'now'));
  const tail =
    anchor === null ? 'no-anchor' : anchor === 'unreadable' ? 'anchor-unreadable' : 'checked';
  // An attempt with its outcome recorded is that outcome; one without stays ('signing').
  const shown =
    attempts.size === 0
      ? records
      : records.filter((r) => {
          const id = attempts.get(r);
          return id === undefined || !completed.has(id);
        });
  return { records: shown, aggregates, files: files.map((f) => f.path), skipped, chain, tail };
}
