import { appendFileSync, fdatasync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KysoError } from '../errors/index.ts';
import { Journal, lineHash, readJournal } from './index.ts';
import { signedRecord, tempJournalFile } from './test-support.ts';

const record = (n: number) => signedRecord(n, { origin: 'http://127.0.0.1:8080' });
const tempFile = (): string => tempJournalFile();

describe('Journal', () => {
  it('appends concurrent records, one line each, readable in order', async () => {
    const file = tempFile();
    const journal = new Journal(file, { maxBytes: 10 * 1024 * 1024, keepFiles: 2 });
    await Promise.all(Array.from({ length: 300 }, (_, i) => journal.append(record(i))));
    await journal.close();
    const { records, skipped } = await readJournal(file);
    expect(skipped).toEqual([]);
    expect(records.map((r) => r.requestId)).toEqual(
      Array.from({ length: 300 }, (_, i) => `c1:${i}`),
    );
    expect(records[0]?.documents[0]?.name).toBe('văn bản 0.pdf');
    expect(readFileSync(file, 'utf8').split('\n')).toHaveLength(301);
  });

  it('skips a torn last line and keeps appending after it on the next start', async () => {
    const file = tempFile();
    const first = new Journal(file, { maxBytes: 1 << 20, keepFiles: 1 });
    await first.append(record(1));
    await first.close();
    // Simulate a crash in the middle of write(): half a record, no newline.
    appendFileSync(file, JSON.stringify(record(2)).slice(0, 40));
    let read = await readJournal(file);
    expect(read.records).toHaveLength(1);
    const torn = { file, line: 2, offset: statSync(file).size - 40 };
    expect(read.skipped).toEqual([torn]);
    // Bytes added after the agent's last line are not a loss: they are the skipped line.
    expect(read.chain.breaks).toEqual([]);
    const second = new Journal(file, { maxBytes: 1 << 20, keepFiles: 1 });
    await second.append(record(3));
    await second.close();
    read = await readJournal(file);
    expect(read.records.map((r) => r.requestId)).toEqual(['c1:1', 'c1:3']);
    expect(read.skipped).toHaveLength(1);
  });

  it('rotates by size and reads rotated files oldest first; archives beyond keepFiles, deletes none', async () => {
    const file = tempFile();
    const lineSize =
      Buffer.byteLength(
        JSON.stringify({
          v: 1,
          ...record(0),
          time: new Date().toISOString(),
          prev: 'f'.repeat(64),
        }),
      ) + 1;
    const journal = new Journal(file, { maxBytes: lineSize * 3 + 10, keepFiles: 2 });
    for (let i = 0; i < 10; i++) await journal.append(record(i));
    await journal.close();
    const { records, files, chain } = await readJournal(file);
    // Nothing is dropped: beyond keepFiles the rotated files are gzip archives.
    expect(records.map((r) => r.requestId)).toEqual(
      Array.from({ length: 10 }, (_, i) => `c1:${i}`),
    );
    expect(files.some((f) => f.endsWith('.jsonl.gz'))).toBe(true);
    expect(files.filter((f) => /\.\d{6}\.jsonl$/.test(f)).length).toBeLessThanOrEqual(2);
    expect(chain.breaks).toEqual([]);
  });

  it('filters by --since and never stores anything but the given fields', async () => {
    const file = tempFile();
    const journal = new Journal(file, { maxBytes: 1 << 20, keepFiles: 1 });
    await journal.append({ ...record(1), time: '2026-01-01T00:00:00.000Z' });
    await journal.append({ ...record(2), time: '2026-06-01T00:00:00.000Z' });
    await journal.close();
    const { records } = await readJournal(file, { since: new Date('2026-03-01T00:00:00Z') });
    expect(records.map((r) => r.requestId)).toEqual(['c1:2']);
  });

  it('non-durable appends resolve after write() and are on disk after close', async () => {
    const file = tempFile();
    const journal = new Journal(file, { maxBytes: 1 << 20, keepFiles: 1 });
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => journal.append(record(i), { durable: i % 2 === 0 })),
    );
    // Written (readable by another process) before any sync finished.
    expect((await readJournal(file)).records).toHaveLength(50);
    await journal.close();
    expect((await readJournal(file)).records).toHaveLength(50);
  });

  it('treats non-record JSON lines as skipped', async () => {
    const file = tempFile();
    const journal = new Journal(file, { maxBytes: 1 << 20, keepFiles: 1 });
    await journal.append(record(1));
    await journal.close();
    appendFileSync(file, '{"hello":1}\n');
    const { records, skipped } = await readJournal(file);
    expect(records).toHaveLength(1);
    expect(skipped).toHaveLength(1);
  });

  it('reads an empty or missing journal as no records', async () => {
    const file = tempFile();
    expect(await readJournal(file)).toEqual({
      records: [],
      aggregates: [],
      files: [],
      skipped: [],
      chain: { checked: 0, breaks: [] },
      tail: 'no-anchor',
    });
  });

  it('chains records by hash across restarts, torn lines and rotation', async () => {
    const file = tempFile();
    const first = new Journal(file, { maxBytes: 2000, keepFiles: 10 });
    for (let i = 0; i < 5; i++) await first.append(record(i));
    await first.close();
    appendFileSync(file, '{"v":1,"torn');
    const second = new Journal(file, { maxBytes: 2000, keepFiles: 10 });
    for (let i = 5; i < 12; i++) await second.append(record(i));
    await second.close();
    const { records, chain } = await readJournal(file);
    expect(records).toHaveLength(12);
    expect(records[0]?.prev).toBeNull();
    // 11 links between the 12 records, plus each rotated-into file's header.
    expect(chain.breaks).toEqual([]);
    expect(chain.checked).toBeGreaterThan(11);
    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{"v":1,"r'));
    const last = lines.at(-1) ?? '';
    const beforeLast = lines.at(-2) ?? '';
    expect((JSON.parse(last) as { prev: string }).prev).toBe(lineHash(beforeLast));
  });

  it('detects an edited or removed record in the middle', async () => {
    const file = tempFile();
    const journal = new Journal(file, { maxBytes: 1 << 20, keepFiles: 1 });
    for (let i = 0; i < 4; i++) await journal.append(record(i));
    await journal.close();
    const lines = readFileSync(file, 'utf8').split('\n');
    const edited = [...lines];
    edited[1] = (edited[1] ?? '').replace('http://127.0.0.1:8080', 'https://other.example');
    writeFileSync(file, edited.join('\n'));
    const edited3 = { file, line: 3, problem: 'edited' };
    // Same length, end untouched: the chain alone finds it.
    expect((await readJournal(file)).chain.breaks).toEqual([edited3]);
    // Shorter: the tail anchor sees the file changed under the agent's last bytes too.
    const changed = expect.objectContaining({ problem: 'records-missing', concerns: file });
    writeFileSync(file, lines.filter((_, i) => i !== 2).join('\n'));
    expect((await readJournal(file)).chain.breaks).toEqual([edited3, changed]);
  });
});

describe('Journal group commit', () => {
  it('resolves each of many concurrent appends only after a sync that covered its line, with few syncs', async () => {
    const file = tempFile();
    let syncs = 0;
    let durableLines = 0;
    const journal = new Journal(file, {
      maxBytes: 10 * 1024 * 1024,
      keepFiles: 2,
      // The real fdatasync; what it covers is what the file held when it started.
      sync: (fd, done) => {
        syncs++;
        const covered = readFileSync(file, 'utf8').split('\n').length - 1;
        fdatasync(fd, (error) => {
          if (!error) durableLines = covered;
          done(error);
        });
      },
    });
    const early: number[] = [];
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        journal.append(record(i)).then(() => {
          if (durableLines < i + 1) early.push(i);
        }),
      ),
    );
    await journal.close();
    expect(early).toEqual([]);
    expect(syncs).toBeLessThan(10);
    const { records, chain } = await readJournal(file);
    expect(records.map((r) => r.requestId)).toEqual(
      Array.from({ length: 100 }, (_, i) => `c1:${i}`),
    );
    expect(chain.breaks).toEqual([]);
  });

  it('fails every append waiting on a failed sync with a clear error, then keeps recording in order and chained', async () => {
    const file = tempFile();
    let failing = true;
    const journal = new Journal(file, {
      maxBytes: 10 * 1024 * 1024,
      keepFiles: 2,
      sync: (fd, done) => {
        if (!failing) return fdatasync(fd, done);
        const error: NodeJS.ErrnoException = new Error('EIO: i/o error, fdatasync');
        error.code = 'EIO';
        setImmediate(() => done(error));
      },
    });
    const settled = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => journal.append(record(i))),
    );
    expect(settled.every((s) => s.status === 'rejected')).toBe(true);
    for (const s of settled) {
      const reason: unknown = s.status === 'rejected' ? s.reason : undefined;
      expect(reason).toBeInstanceOf(KysoError);
      const error = reason as KysoError;
      expect(error.code).toBe('INTERNAL_ERROR');
      expect(error.details).toMatchObject({
        reason: 'the signing journal could not be synced to disk (fdatasync failed)',
        cause: 'EIO',
      });
      expect(error.userMessage.vi.length).toBeGreaterThan(0);
    }
    failing = false;
    await journal.append(record(20));
    await journal.close();
    const { records, chain } = await readJournal(file);
    expect(records.map((r) => r.requestId)).toEqual(
      Array.from({ length: 21 }, (_, i) => `c1:${i}`),
    );
    expect(chain.breaks).toEqual([]);
  });
});
