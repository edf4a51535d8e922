/**
 * The use cases behind every door (socket, CLI, tray): sign hashes, sign PDFs (one or a
 * batch), verify; with the certificate check first, consent, PIN retries, the PIN cache and
 * the journal written once, here.
 */
export { SigningPipeline, type SigningPipelineDeps } from './pipeline.ts';
export {
  MAX_PIN_PROMPTS,
  SigningService,
  type DeferredDocuments,
  type DocumentDigest,
  type SignedDocument,
  type SignJob,
  type SigningCaller,
} from './service.ts';
export {
  PdfSigning,
  type PdfDocumentOptions,
  type PdfItemOutcome,
  type PdfSignItem,
  type PdfSignOutcome,
  type PdfSignRequest,
  type PreparePdf,
} from './pdf.ts';
export { PinCache } from './pin-cache.ts';
export { placementFrom, type PlacementSpec, type Rect } from './placement.ts';
export { commandLineCaller } from './caller.ts';
// Issue 14: long-term validation around signing.
export { LtvSigning, SIGNATURE_TIMESTAMP_RESERVE, type LtvProgress } from './ltv.ts';
export { CertificateStatusCheck, anchoredPath, type StatusCheckOutcome } from './status-check.ts';
export {
  DocumentStore,
  documentStoreFor,
  totalStoredBytes,
  DOWNLOAD_REPLY_BYTES,
  UPLOAD_CHUNK_BYTES,
  type DocumentLimits,
} from './documents.ts';
