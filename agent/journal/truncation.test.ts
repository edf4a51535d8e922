/**
 * The current journal file's end: cut mid-line, whole records cut, garbage appended, before a
 * start or under a running agent. Each is reported (file, line, byte), the intact records are
 * kept, and appending goes on on a fresh line with the chain intact otherwise.
 */
import {
  appendFileSync,
  copyFileSync,
  readFileSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { anchorPath, Journal, readJournal, type TailLoss } from './index.ts';
import { signedRecord, tempJournalFile } from './test-support.ts';

const record = (n: number) => signedRecord(n);
const tempFile = (): string => tempJournalFile();
const options = { maxBytes: 1 << 20, keepFiles: 2 };

/** A journal of n records, closed; returns the byte offset where each line starts. */
async function written(file: string, n: number): Promise<number[]> {
  const journal = new Journal(file, options);
  for (let i = 1; i <= n; i++) await journal.append(record(i));
  await journal.close();
  const starts = [0];
  const text = readFileSync(file);
  for (let i = text.indexOf(0x0a); i >= 0 && i < text.length - 1; i = text.indexOf(0x0a, i + 1)) {
    starts.push(i + 1);
  }
  return starts;
}

/** Starts an agent's journal on the file, appends one record, closes: what it reported. */
async function restart(file: string, n: number): Promise<[TailLoss, string][]> {
  const told: [TailLoss, string][] = [];
  const journal = new Journal(file, { ...options, onTailLoss: (l, when) => told.push([l, when]) });
  journal.open();
  await journal.append(record(n));
  await journal.close();
  return told;
}

const ids = async (file: string) => (await readJournal(file)).records.map((r) => r.requestId);
const nonLoss = async (file: string) =>
  (await readJournal(file)).chain.breaks.filter((b) => b.problem !== 'records-missing');

describe('journal tail truncation', () => {
  it('a cut mid-line: reported now and on start, intact records kept, appending goes on', async () => {
    const file = tempFile();
    const starts = await written(file, 5);
    const size = statSync(file).size;
    const cutAt = (starts[2] ?? 0) + 30; // inside record 3
    truncateSync(file, cutAt);

    const before = await readJournal(file);
    expect(before.records.map((r) => r.requestId)).toEqual(['c1:1', 'c1:2']);
    expect(before.skipped).toEqual([{ file, line: 3, offset: starts[2] }]);
    const loss = {
      file,
      problem: 'cut',
      expectedBytes: size,
      foundBytes: cutAt,
      line: 3,
      offset: starts[2],
    };
    expect(before.chain.breaks).toEqual([
      {
        file,
        line: 3,
        problem: 'records-missing',
        concerns: file,
        loss: { ...loss, noticed: 'now' },
      },
    ]);
    expect(before.tail).toBe('checked');

    expect(await restart(file, 6)).toEqual([[loss, 'start']]);
    const after = await readJournal(file);
    expect(after.records.map((r) => r.requestId)).toEqual(['c1:1', 'c1:2', 'c1:6']);
    // The torn line stays one skipped line; the new records start on their own lines.
    expect(after.skipped).toEqual([{ file, line: 3, offset: starts[2] }]);
    // The loss is journaled (it outlives the anchor), and nothing else is broken.
    expect(after.chain.breaks).toEqual([
      {
        file,
        line: 3,
        problem: 'records-missing',
        concerns: file,
        loss: { ...loss, noticed: 'start' },
      },
    ]);
    expect(await nonLoss(file)).toEqual([]);
    // A second start finds nothing new.
    expect(await restart(file, 7)).toEqual([]);
    expect(await ids(file)).toEqual(['c1:1', 'c1:2', 'c1:6', 'c1:7']);
  });

  it('whole records cut off the end: the first missing line and its byte are named', async () => {
    const file = tempFile();
    const starts = await written(file, 5);
    const size = statSync(file).size;
    truncateSync(file, starts[3]); // records 4 and 5 gone, no torn line
    const read = await readJournal(file);
    expect(read.records).toHaveLength(3);
    expect(read.skipped).toEqual([]);
    expect(read.chain.breaks.map((b) => b.loss)).toEqual([
      {
        file,
        problem: 'cut',
        expectedBytes: size,
        foundBytes: starts[3],
        line: 4,
        offset: starts[3],
        noticed: 'now',
      },
    ]);
    const told = await restart(file, 6);
    expect(told.map(([l]) => [l.problem, l.line])).toEqual([['cut', 4]]);
    expect(await ids(file)).toEqual(['c1:1', 'c1:2', 'c1:3', 'c1:6']);
    expect(await nonLoss(file)).toEqual([]);
  });

  it('cut, then other bytes written to the same length: the change is named', async () => {
    const file = tempFile();
    const starts = await written(file, 3);
    const text = readFileSync(file);
    truncateSync(file, starts[2]);
    appendFileSync(file, Buffer.alloc(text.length - (starts[2] ?? 0), 0x78));
    const [loss] = (await readJournal(file)).chain.breaks.map((b) => b.loss);
    expect(loss).toMatchObject({ problem: 'rewritten', line: 3, offset: starts[2] });
  });

  it('garbage appended: skipped lines named, no records missing, the next record on its own line', async () => {
    const file = tempFile();
    const starts = await written(file, 2);
    const size = statSync(file).size;
    appendFileSync(file, 'not json\n{"v":1,"type":"nonsense"}\n\u0000\u0001 torn');
    const read = await readJournal(file);
    expect(read.chain.breaks).toEqual([]);
    expect(read.skipped).toEqual([
      { file, line: 3, offset: size },
      { file, line: 4, offset: size + 9 },
      { file, line: 5, offset: size + 9 + 26 },
    ]);
    expect(starts).toHaveLength(2);
    expect(await restart(file, 3)).toEqual([]);
    expect(await ids(file)).toEqual(['c1:1', 'c1:2', 'c1:3']);
    expect(await nonLoss(file)).toEqual([]);
  });

  it('a file cut or appended to under a running agent: noticed before the next record', async () => {
    const file = tempFile();
    const told: [TailLoss, string][] = [];
    const journal = new Journal(file, {
      ...options,
      onTailLoss: (l, when) => told.push([l, when]),
    });
    for (let i = 1; i <= 4; i++) await journal.append(record(i));
    const size = statSync(file).size;
    truncateSync(file, size - 20); // record 4 torn
    await journal.append(record(5));
    appendFileSync(file, 'garbage without newline');
    await journal.append(record(6));
    await journal.close();

    expect(told.map(([l, when]) => [l.problem, l.line, when])).toEqual([
      ['cut', 4, 'running'],
      ['appended', 7, 'running'],
    ]);
    const read = await readJournal(file);
    expect(read.records.map((r) => r.requestId)).toEqual(['c1:1', 'c1:2', 'c1:3', 'c1:5', 'c1:6']);
    expect(read.skipped.map((s) => s.line)).toEqual([4, 7]);
    expect(read.chain.breaks.map((b) => [b.loss?.problem, b.loss?.noticed])).toEqual([
      ['cut', 'running'],
      ['appended', 'running'],
    ]);
    expect(await nonLoss(file)).toEqual([]);
  });

  it('lines of another Kyso process (kyso sign while the agent runs) are taken in, chained', async () => {
    const file = tempFile();
    const told: string[] = [];
    const agentJournal = new Journal(file, { ...options, onTailLoss: (l) => told.push(l.problem) });
    const cli = new Journal(file, { ...options, onTailLoss: (l) => told.push(l.problem) });
    await agentJournal.append(record(1));
    await cli.append(record(2));
    await agentJournal.append(record(3));
    await cli.append(record(4));
    await cli.close();
    await agentJournal.append(record(5));
    await agentJournal.close();
    expect(told).toEqual([]);
    const read = await readJournal(file);
    expect(read.records.map((r) => r.requestId)).toEqual(['c1:1', 'c1:2', 'c1:3', 'c1:4', 'c1:5']);
    expect(read.chain.breaks).toEqual([]);
    expect(read.chain.checked).toBe(4);
  });

  it('no false alarm when the agent stopped between a rotation and the next anchor', async () => {
    const file = tempFile();
    const journal = new Journal(file, { maxBytes: 1500, keepFiles: 1 });
    for (let i = 1; i <= 3; i++) await journal.append(record(i));
    await journal.close();
    const staleAnchor = join(file, '..', 'stale.anchor');
    copyFileSync(anchorPath(file), staleAnchor);
    const more = new Journal(file, { maxBytes: 1500, keepFiles: 1 });
    for (let i = 4; i <= 8; i++) await more.append(record(i));
    await more.close();
    // As if the anchor had not been rewritten since before the rotations.
    copyFileSync(staleAnchor, anchorPath(file));
    const read = await readJournal(file);
    expect(read.files.length).toBeGreaterThan(1);
    expect(read.records).toHaveLength(8);
    expect(read.chain.breaks).toEqual([]);
  });

  it('a loss found on start is reported once, even if the agent stops before a record', async () => {
    const file = tempFile();
    const starts = await written(file, 3);
    truncateSync(file, starts[2]);
    const told: string[] = [];
    const first = new Journal(file, { ...options, onTailLoss: (l) => told.push(l.problem) });
    first.open();
    await first.close();
    expect(told).toEqual(['cut']);
    expect(await restart(file, 4)).toEqual([]);
    expect(await ids(file)).toEqual(['c1:1', 'c1:2', 'c1:4']);
  });

  it('a damaged or missing anchor checks less, and says so', async () => {
    const file = tempFile();
    await written(file, 2);
    writeFileSync(anchorPath(file), '{"v":1,"rot');
    expect((await readJournal(file)).tail).toBe('anchor-unreadable');
    expect(await restart(file, 3)).toEqual([]);
    expect((await readJournal(file)).tail).toBe('checked');
  });
});
