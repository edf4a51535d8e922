/**
 * PAdES signing and verification of PDFs: incremental, append-only updates; the key stays on
 * the token (a Signer signs one digest per document); one pass over the file for hashing.
 */
export {
  signPdf,
  prepareSignPdf,
  assertOutputFree,
  type AppearanceOptions,
  type PreparedPdfSignature,
  type SignPdfOptions,
  type SignPdfResult,
  type SignaturePreset,
} from './sign.ts';
export { signPdfs, type BatchItem, type BatchResult, type BatchSigner } from './batch.ts';
export {
  verifyPdf,
  type ChangesAfterSigning,
  type SignatureReport,
  type VerifyOptions,
  type VerifyResult,
} from './verify.ts';
