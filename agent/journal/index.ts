/** Append-only signing journal: the evidence of who signed what, from which website. */
export {
  Journal,
  lineHash,
  readJournal,
  type AppendOptions,
  type ChainBreak,
  type JournalAggregate,
  type JournalAttempt,
  type JournalDocument,
  type JournalFileHeader,
  type JournalOptions,
  type JournalRecord,
  type JournalResult,
  type JournalStatus,
  type JournalTailLoss,
  type NewJournalRecord,
  type ReadResult,
} from './journal.ts';
export { boundRecord, boundRequestId, MAX_REQUEST_ID } from './bound.ts';
export { listJournalFiles, rotatedPath } from './files.ts';
export { anchorPath, type TailLoss } from './anchor.ts';
export { tailLossText } from './report.ts';
