/**
 * PAdES signing and verification of PDFs: incremental, append-only updates; the key stays on
 * the token (a Signer signs one digest per document); one pass over the file for hashing.
 */
export { signPdf, prepareSignPdf } from './sign.ts';
export { assertOutputFree } from './output.ts';
export type {
  AppearanceOptions,
  InputDigest,
  PreparedPdfSignature,
  SignPdfOptions,
  SignPdfResult,
  SignaturePreset,
} from './sign-options.ts';
export type { SignWarning } from '../protocol/index.ts';
export { signPdfs, type BatchItem, type BatchResult, type BatchSigner } from './batch.ts';
export { verifyPdf, type VerifyOptions, type VerifyResult } from './verify.ts';
export type { SignatureReport, SignatureStatus } from './report.ts';
export type { ChangeKind, ChangesAfterSigning } from './changes.ts';
/** Issue 14, long-term validation: DSS (B-LT), document timestamp (B-LTA), LTV reports. */
export { addDss, readDss, type DssContent, type DssMaterial } from './dss.ts';
export {
  addDocumentTimestamp,
  DOCUMENT_TIMESTAMP_RESERVE,
  type DocumentTimestampOptions,
} from './document-timestamp.ts';
export { TempOutput } from './output.ts';
export { PADES_LEVELS, type PadesLevel } from './sign-options.ts';
export type { LtvReport, ReachedLevel, RevocationFacts, TimestampFacts } from './ltv-report.ts';
export { formatVerificationReport, type ReportLanguage } from './verification-text.ts';
