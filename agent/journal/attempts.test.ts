/**
 * 'signing' records (Journal.begin): synced while the token signs, completed by an outcome
 * record that names them. The reader shows a completed attempt as its outcome only, and one
 * the agent never completed (it was killed) as 'signing': never a signature that the disk
 * does not show.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fdatasync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Journal, readJournal } from './index.ts';
import { recordFields, tempJournalFile } from './test-support.ts';

const fields = (n: number) => recordFields(n, { origin: 'http://127.0.0.1:8080' });
const tempFile = (): string => tempJournalFile('kyso-attempts-');

describe('Journal attempts', () => {
  it('an attempt resolves after a sync that covered it; the reader shows only its outcome', async () => {
    const file = tempFile();
    let durableLines = 0;
    const journal = new Journal(file, {
      maxBytes: 1 << 20,
      keepFiles: 1,
      sync: (fd, done) => {
        const covered = readFileSync(file, 'utf8').split('\n').length - 1;
        fdatasync(fd, (error) => {
          if (!error) durableLines = covered;
          done(error);
        });
      },
    });
    const attempt = journal.begin(fields(1));
    expect(attempt.id).toMatch(/^[0-9a-f]{64}$/);
    await attempt.written;
    expect(durableLines).toBe(1);
    await journal.append(
      { ...fields(1), result: 'signed', errorCode: null, attempt: attempt.id },
      { durable: false },
    );
    const failed = journal.begin(fields(2));
    await journal.append({
      ...fields(2),
      result: 'failed',
      errorCode: 'TOKEN_REMOVED',
      attempt: failed.id,
    });
    await journal.close();
    const { records, chain } = await readJournal(file);
    expect(records.map((r) => [r.requestId, r.result])).toEqual([
      ['c1:1', 'signed'],
      ['c1:2', 'failed'],
    ]);
    expect(records[0]?.attempt).toBe(attempt.id);
    expect(chain.breaks).toEqual([]);
    expect(readFileSync(file, 'utf8').split('\n').filter(Boolean)).toHaveLength(4);
  });

  it('an attempt without an outcome reads as signing; an outcome naming another attempt does not hide it', async () => {
    const file = tempFile();
    const journal = new Journal(file, { maxBytes: 1 << 20, keepFiles: 1 });
    await journal.begin(fields(1)).written;
    // Same requestId in a later run (ids restart with the agent): a different attempt.
    const later = journal.begin(fields(1));
    await journal.append({ ...fields(1), result: 'signed', errorCode: null, attempt: later.id });
    await journal.close();
    const { records } = await readJournal(file);
    expect(records.map((r) => r.result)).toEqual(['signing', 'signed']);
  });

  it('matches attempts and outcomes across rotated files and outside --since', async () => {
    const file = tempFile();
    let now = Date.parse('2026-11-01T08:00:00Z');
    const journal = new Journal(file, { maxBytes: 2048, keepFiles: 4, now: () => now });
    for (let n = 0; n < 12; n++) {
      const attempt = journal.begin(fields(n));
      await attempt.written;
      now += 60_000;
      await journal.append({
        ...fields(n),
        result: 'signed',
        errorCode: null,
        attempt: attempt.id,
      });
    }
    await journal.close();
    const all = await readJournal(file);
    expect(all.files.length).toBeGreaterThan(2);
    expect(all.records.map((r) => r.result)).toEqual(Array(12).fill('signed'));
    expect(all.chain.breaks).toEqual([]);
    // The last attempt is older than --since, its outcome is not: the outcome alone shows.
    const since = await readJournal(file, { since: new Date(now - 30_000) });
    expect(since.records.map((r) => [r.requestId, r.result])).toEqual([['c1:11', 'signed']]);
  });

  it("an outcome's line is synced with the next attempt (one sync each), or a few ms later", async () => {
    const file = tempFile();
    let syncs = 0;
    const journal = new Journal(file, {
      maxBytes: 1 << 20,
      keepFiles: 1,
      sync: (fd, done) => {
        syncs++;
        fdatasync(fd, done);
      },
    });
    for (let n = 0; n < 10; n++) {
      const attempt = journal.begin(fields(n));
      await attempt.written;
      await journal.append(
        { ...fields(n), result: 'signed', errorCode: null, attempt: attempt.id },
        { durable: false },
      );
    }
    expect(syncs).toBe(10);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(syncs).toBe(11);
    await journal.close();
    expect((await readJournal(file)).records).toHaveLength(10);
  });

  it('killed with SIGKILL at any moment: every signature a page got is on the disk', async () => {
    const file = tempFile();
    const tsx = createRequire(import.meta.url).resolve('tsx');
    const child = spawn(
      process.execPath,
      ['--import', tsx, join(import.meta.dirname, 'kill-writer.fixture.ts'), file],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let output = '';
    child.stdout.setEncoding('utf8');
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`writer exited early (${code})`)));
      child.stdout.on('data', (chunk: string) => {
        output += chunk;
        // Enough to have rotated once, and killed mid-stream.
        if (output.split('\n').length > 600) resolve();
      });
    });
    child.removeAllListeners('exit');
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    const replied = output
      .split('\n')
      .filter((line) => line.startsWith('replied '))
      .map((line) => line.slice('replied '.length));
    const { records, skipped, chain } = await readJournal(file);
    const shown = new Map(records.map((r) => [r.requestId, r.result]));
    const missing = replied.filter((id) => !['signed', 'signing'].includes(shown.get(id) ?? ''));
    expect(missing).toEqual([]);
    expect(records.filter((r) => r.result === 'signing').length).toBeLessThanOrEqual(4);
    expect(skipped.length).toBeLessThanOrEqual(1);
    expect(chain.breaks).toEqual([]);
  }, 60_000);
});
