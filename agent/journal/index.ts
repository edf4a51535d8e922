/** Append-only signing journal: the evidence of who signed what, from which website. */
export {
  Journal,
  lineHash,
  readJournal,
  type JournalDocument,
  type JournalOptions,
  type JournalRecord,
  type JournalResult,
  type JournalStatus,
  type NewJournalRecord,
  type ReadResult,
} from './journal.ts';
