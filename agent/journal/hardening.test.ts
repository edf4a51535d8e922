import { readdirSync, readFileSync, rmSync, truncateSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonSizeBound } from './bound.ts';
import { boundRequestId, Journal, readJournal } from './index.ts';
import { signedRecord, tempJournalFile } from './test-support.ts';

const record = signedRecord;
const tempFile = (): string => tempJournalFile();
describe('journal bounds', () => {
  it('a 10 MiB request id and huge names become a bounded record', async () => {
    const file = tempFile();
    const journal = new Journal(file, { maxBytes: 1 << 20, keepFiles: 2 });
    const hugeId = `7:${'x'.repeat(10 * 1024 * 1024)}`;
    await journal.append(
      record(1, {
        requestId: hugeId,
        certificateId: 'c'.repeat(100_000),
        documents: Array.from({ length: 500 }, (_, i) => ({
          name: `${i}-${'n'.repeat(5000)}`,
          hashAlgorithm: 'SHA-256' as const,
          digestHex: 'ab'.repeat(32),
        })),
      }),
    );
    await journal.close();
    const text = readFileSync(file, 'utf8');
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(64 * 1024);
    const [r] = (await readJournal(file)).records;
    expect(r?.requestId.length).toBeLessThanOrEqual(128);
    expect(r?.requestId).toBe(boundRequestId(hugeId));
    expect(r?.requestId).toMatch(/^7:x+…\[10485762 chars, sha256:[0-9a-f]{32}\]$/);
    expect(r?.documents[0]?.name).toMatch(/^0-n+…\[\+\d+\]$/);
    expect(r?.documents[0]?.name.length).toBeLessThanOrEqual(256);
    expect((r?.documents.length ?? 0) + (r?.documentsOmitted ?? 0)).toBe(500);
    expect(r?.documentsDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(boundRequestId('3:12')).toBe('3:12');
  });

  it('20,000 failures before any dialog: a bounded number of records, none older lost', async () => {
    const file = tempFile();
    let now = Date.parse('2026-12-01T10:00:00Z');
    const journal = new Journal(file, {
      maxBytes: 1 << 20,
      keepFiles: 2,
      failuresPerMinute: 10,
      now: () => now,
    });
    for (let i = 0; i < 5; i++) await journal.append(record(i));
    const failure = (i: number) =>
      journal.append(
        record(100 + i, {
          result: 'failed',
          errorCode: i % 2 ? 'CERT_NOT_FOUND' : 'INVALID_INPUT',
        }),
        { unprompted: true, durable: false },
      );
    for (let i = 0; i < 20_000; i++) {
      if (i === 12_000) now += 61_000; // a second minute
      await failure(i);
    }
    await journal.close();
    const { records, aggregates, chain } = await readJournal(file);
    expect(records.slice(0, 5).map((r) => r.requestId)).toEqual(
      Array.from({ length: 5 }, (_, i) => `c1:${i}`),
    );
    expect(records).toHaveLength(5 + 2 * 10);
    expect(aggregates).toHaveLength(2);
    expect(aggregates.reduce((n, a) => n + a.count, 0)).toBe(20_000 - 20);
    expect(aggregates[0]).toMatchObject({
      origin: 'https://a.example',
      errors: { CERT_NOT_FOUND: 5995, INVALID_INPUT: 5995 },
      methods: { 'sign.hash': 11_990 },
    });
    expect(chain.breaks).toEqual([]);
  });
});

describe('journal rotation, retention and the chain across files', () => {
  async function rotated(): Promise<{ file: string; dir: string }> {
    const file = tempFile();
    const journal = new Journal(file, { maxBytes: 1500, keepFiles: 2, retentionDays: 365 });
    for (let i = 0; i < 40; i++) await journal.append(record(i));
    await journal.close();
    return { file, dir: dirname(file) };
  }

  it('keeps every record, archives old files with gzip, verifies across files', async () => {
    const { file, dir } = await rotated();
    const names = readdirSync(dir).sort();
    expect(names.filter((n) => n.endsWith('.gz')).length).toBeGreaterThan(3);
    expect(names.filter((n) => /\.\d{6}\.jsonl$/.test(n))).toHaveLength(2);
    const { records, chain, files } = await readJournal(file);
    expect(records.map((r) => r.requestId)).toEqual(
      Array.from({ length: 40 }, (_, i) => `c1:${i}`),
    );
    expect(chain.breaks).toEqual([]);
    expect(chain.checked).toBe(40 - 1 + files.length - 1);
    // Each file after the first starts with the header naming its predecessor.
    const header = JSON.parse(readFileSync(file, 'utf8').split('\n')[0] ?? '') as {
      type: string;
      previousFile: string;
    };
    expect(header.type).toBe('file');
    expect(files.at(-2)).toContain(header.previousFile);
  });

  it('a deleted middle file or a truncated one fails verification naming the file', async () => {
    const { file, dir } = await rotated();
    const gz = readdirSync(dir)
      .filter((n) => n.endsWith('.gz'))
      .sort();
    const middle = gz[1] ?? '';
    rmSync(join(dir, middle));
    let { chain } = await readJournal(file);
    expect(chain.breaks).toHaveLength(1);
    expect(chain.breaks[0]).toMatchObject({ problem: 'missing-file' });
    expect(middle).toContain(chain.breaks[0]?.concerns ?? 'none');

    const { file: file2, dir: dir2 } = await rotated();
    const plain = readdirSync(dir2)
      .filter((n) => /\.\d{6}\.jsonl$/.test(n))
      .sort();
    const victim = join(dir2, plain[0] ?? '');
    const lines = readFileSync(victim, 'utf8').split('\n');
    truncateSync(victim, statSync(victim).size - (lines.at(-2)?.length ?? 0) - 1);
    ({ chain } = await readJournal(file2));
    expect(chain.breaks).toEqual([
      expect.objectContaining({ problem: 'truncated', concerns: victim }),
    ]);
  });

  it('archives files older than the retention even within keepFiles', async () => {
    const file = tempFile();
    let now = Date.now();
    const journal = new Journal(file, {
      maxBytes: 1500,
      keepFiles: 100,
      retentionDays: 1,
      now: () => now,
    });
    for (let i = 0; i < 10; i++) await journal.append(record(i));
    now += 2 * 86_400_000;
    for (let i = 10; i < 20; i++) await journal.append(record(i));
    await journal.close();
    const names = readdirSync(dirname(file));
    expect(names.some((n) => n.endsWith('.gz'))).toBe(true);
    expect((await readJournal(file)).records).toHaveLength(20);
  });
});

describe('jsonSizeBound', () => {
  it('is never below the UTF-8 size of the JSON, whatever the text holds', () => {
    const texts = [
      '',
      'abc',
      'Nguyễn Văn A',
      '\u0000\u001f"\\',
      '😀'.repeat(50),
      '\u2028\ud800',
      'x'.repeat(5000),
    ];
    for (const text of texts) {
      const value = {
        text,
        list: [text, null, 1.5e300, true, { [text]: text }],
        skipped: undefined,
      };
      const actual = Buffer.byteLength(JSON.stringify(value), 'utf8');
      expect(jsonSizeBound(value)).toBeGreaterThanOrEqual(actual);
    }
  });
});
