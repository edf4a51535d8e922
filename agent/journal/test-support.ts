/** Shared set-up for the journal tests: a fresh journal path and sample records. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NewJournalRecord } from './index.ts';

/** A record before its outcome, as Journal.begin takes it. */
export type RecordFields = Omit<NewJournalRecord, 'result' | 'errorCode'>;

/** A journal file path in a new temp dir; its parent folder does not exist yet. */
export function tempJournalFile(prefix = 'kyso-journal-'): string {
  return join(mkdtempSync(join(tmpdir(), prefix)), 'j', 'signing.jsonl');
}

/** Request n's fields; `extra` keeps each key in its place, so line sizes stay the same. */
export function recordFields(n: number, extra: Partial<RecordFields> = {}): RecordFields {
  return {
    requestId: `c1:${n}`,
    origin: 'https://a.example',
    method: 'sign.hash',
    certificateId: 'ab'.repeat(32),
    certificateSubject: 'CN=Nguyễn Văn A',
    tokenLabel: 'leader',
    documents: [{ name: `văn bản ${n}.pdf`, hashAlgorithm: 'SHA-256', digestHex: '00'.repeat(32) }],
    ...extra,
  };
}

/** Request n, signed. */
export function signedRecord(n: number, extra: Partial<NewJournalRecord> = {}): NewJournalRecord {
  return { ...recordFields(n), result: 'signed', errorCode: null, ...extra };
}
