/**
 * Test fixture (agent/journal/attempts.test.ts): records signatures as the signing service
 * does, a 'signing' record synced while the "token" works, then the outcome unsynced, and
 * prints each request id at the moment a page would get its signature, until killed.
 * Run: node --import tsx kill-writer.fixture.ts <journal file>
 */
import { Journal } from './journal.ts';

const file = process.argv[2];
if (!file) throw new Error('usage: kill-writer.fixture.ts <journal file>');
const journal = new Journal(file, { maxBytes: 256 * 1024, keepFiles: 2 });
const fields = (n: number) => ({
  requestId: `k:${n}`,
  origin: 'http://127.0.0.1:8080',
  method: 'sign.hash',
  certificateId: 'cd'.repeat(32),
  certificateSubject: 'CN=Trần Thị B',
  tokenLabel: 'leader',
  documents: [
    { name: `hồ sơ ${n}.pdf`, hashAlgorithm: 'SHA-256' as const, digestHex: 'ab'.repeat(32) },
  ],
});
const signing = () => new Promise<void>((resolve) => setTimeout(resolve, Math.random() * 2));

async function worker(first: number): Promise<never> {
  for (let n = first; ; n += 4) {
    const attempt = journal.begin(fields(n));
    await Promise.all([signing(), attempt.written]);
    await journal.append(
      { ...fields(n), result: 'signed', errorCode: null, attempt: attempt.id },
      { durable: false },
    );
    process.stdout.write(`replied k:${n}\n`);
  }
}

await Promise.all([0, 1, 2, 3].map(worker));
