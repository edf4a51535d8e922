/**
 * The JSON-RPC 2.0 surface of the agent: every method with its params and result, the
 * notifications, the error object and the WebSocket close codes. docs/protocol.md describes
 * each with examples; binary members are base64 strings.
 */
import type { ErrorCode, LocalisedText } from './errors.ts';
import type { CertificateInfo, HashAlgorithm, SignatureScheme, TokenInfo } from './wire.ts';

/** Custom close codes (RFC 6455 private range). */
export const CLOSE_IDLE = 4001;
/** The user refused this origin (or revoked it): do not reconnect, show the message. */
export const CLOSE_ORIGIN_NOT_ALLOWED = 4003;
/** Standard codes for a message refused at its frame header. Over the cap (a few KiB until the origin is approved): reason MESSAGE_TOO_LARGE. */
export const CLOSE_MESSAGE_TOO_LARGE = 1009;
/** The agent's memory budget for incoming messages is full: reason AGENT_BUSY, retry later. */
export const CLOSE_TRY_AGAIN_LATER = 1013;
/** The message did not arrive within limits.messageTimeoutMs: reason MESSAGE_TIMEOUT. */
export const CLOSE_POLICY_VIOLATION = 1008;

export type ErrorDetails = Record<string, string | number | boolean | null | undefined>;

/** A KysoError as JSON (sign.pdfs items, the token host boundary). */
export interface ErrorObject {
  code: ErrorCode;
  message: LocalisedText;
  details: ErrorDetails;
}

/** `error.data` of a JSON-RPC error reply. */
export interface RpcErrorData {
  reason: ErrorCode;
  message: LocalisedText;
  /** The failing parameter, for -32602. */
  field?: string;
  details?: Record<string, unknown>;
}

// agent.info

export interface AgentInfoParams {
  /** The client's "major.minor"; another major is refused with PROTOCOL_VERSION_UNSUPPORTED. */
  protocolVersion?: string;
  /** Shown in the agent's logs. */
  client?: string;
}

export interface AgentInfo {
  agent: string;
  version: string;
  protocolVersion: string;
  origin: string;
  methods: string[];
  notifications: string[];
  limits: {
    maxPayloadBytes: number;
    maxInFlight: number;
    maxBatchItems: number;
    /** Largest PDF signed or verified (bytes); the SDK refuses bigger ones before sending. */
    maxDocumentBytes?: number;
    /** Largest `data` of one document.upload.chunk (decoded bytes). */
    uploadChunkBytes?: number;
    /** Most decoded bytes one document.download reply carries. */
    downloadReplyBytes?: number;
    /** The agent takes and sends document bytes in binary frames (BINARY_FRAME). */
    binaryFrames?: boolean;
  };
  pinCache: { enabled: boolean; ttlSeconds: number };
}

// tokens.list, certificates.list

export type TokensListParams = Record<string, never>;

export interface TokensListResult {
  /** Present tokens only. */
  tokens: TokenInfo[];
}

export const KEY_USAGES = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;

export type KeyUsage = (typeof KEY_USAGES)[number];

export interface CertificateFilter {
  /** Every listed usage must be present. */
  keyUsage?: KeyUsage[];
  /** A case-insensitive part of the issuer DN. */
  issuer?: string;
  validNow?: boolean;
  /** SHA-256 of the DER certificate, hex (the certificate id). */
  thumbprint?: string;
  tokenId?: string;
  /** Default true: only certificates with a private key on the token. */
  withPrivateKey?: boolean;
}

export interface CertificatesListResult {
  certificates: CertificateInfo[];
}

// sign.hash, sign.hashes

export interface SignHashParams {
  certificateId: string;
  hashAlgorithm: HashAlgorithm;
  /** Base64 digest of the document. */
  hash: string;
  scheme?: SignatureScheme;
  /** Shown to the user in the consent dialog. */
  documentName?: string;
}

export interface SignHashResult {
  /** Base64; ECDSA signatures are DER (ECDSA-Sig-Value). */
  signature: string;
  scheme: SignatureScheme;
  hashAlgorithm: HashAlgorithm;
  certificateId: string;
  /** DER, base64. */
  certificate: string;
}

export interface SignHashesParams {
  certificateId: string;
  hashAlgorithm: HashAlgorithm;
  scheme?: SignatureScheme;
  items: { name: string; hash: string; hashAlgorithm?: HashAlgorithm }[];
}

export interface SignHashesResult {
  certificateId: string;
  certificate: string;
  signatures: {
    name: string;
    signature: string;
    scheme: SignatureScheme;
    hashAlgorithm: HashAlgorithm;
  }[];
}

// sign.pdf, sign.pdfs, verify.pdf

export type SignWarningDetails = Record<string, string | number | boolean | null>;

/**
 * The document was signed, but not quite as asked: a value not written, an image made
 * smaller, the signature or a box put in a default or moved place. `code` is one of
 * WARNING_CODES (warnings.ts, with the vi/en words); switch on it, never on the text.
 * Page numbers in details count from 1 (`pageNumber`).
 */
export interface SignWarning {
  code: string;
  message: LocalisedText;
  details?: SignWarningDetails;
}

/** Decree 30 appearance presets; `plain` is an invisible signature. */
export type SignaturePreset = 'approval' | 'issuance' | 'attachment' | 'copy' | 'plain' | 'custom';

/** Points, pages from 1 as displayed; or the text to place the signature over. */
export type PdfPlacement =
  { page: number; rect: [number, number, number, number] } | { anchor: string; page?: number };

export interface PdfAppearanceParams {
  preset?: SignaturePreset;
  /** PNG, base64: the signature (approval) or seal (issuance) image. */
  image?: string;
  placement?: PdfPlacement;
  docNumber?: string;
  /** YYYY-MM-DD for issuance. */
  issuedDate?: string;
  copyForm?: string;
  organisation?: string;
  textLines?: string[];
  reason?: string;
  location?: string;
  /** PAdES level to reach (issue 14): B-T and above need the agent's timestamp.urls. */
  level?: PadesLevelName;
}

/** PAdES baseline levels (ETSI EN 319 142-1). */
export type PadesLevelName = 'B-B' | 'B-T' | 'B-LT' | 'B-LTA';
// document.upload.begin, document.upload.chunk, document.download, document.release

export interface DocumentUploadBeginParams {
  /** The whole document's size in bytes (at most limits.maxDocumentBytes). */
  size: number;
  /** Hex SHA-256 of the whole document, checked when the last byte arrives. */
  sha256?: string;
  /** The first chunk (offset 0), base64, at most limits.uploadChunkBytes decoded. */
  data?: string;
}

export interface DocumentUploadProgress {
  documentId: string;
  size: number;
  received: number;
  complete: boolean;
  /** Hex SHA-256 of what was received, once complete. */
  sha256?: string;
}

export interface DocumentUploadBeginResult extends DocumentUploadProgress {
  chunkBytes: number;
  maxDocumentBytes: number;
}

export interface DocumentUploadChunkParams {
  documentId: string;
  /** Where this chunk starts: the `received` of the previous answer. */
  offset: number;
  /** Base64, at most limits.uploadChunkBytes decoded. */
  data: string;
}

export interface DocumentDownloadParams {
  /** Slices read in order; the reply carries at most limits.downloadReplyBytes in all. */
  items: { documentId: string; offset?: number; length?: number }[];
  /** Forget each document whose last byte this reply carries. */
  release?: boolean;
  /** Send the bytes as binary frames (kind 2) before the reply; items then carry `length`. */
  binary?: boolean;
}

export interface DocumentDownloadResult {
  /** `data` may be shorter than asked (end of document, or the reply budget spent). */
  items: {
    documentId: string;
    offset: number;
    size: number;
    /** Base64 bytes; absent with `binary: true` (the bytes came as binary frames). */
    data?: string;
    /** With `binary: true`: how many bytes the binary frame carried (0: none sent). */
    length?: number;
    done: boolean;
  }[];
}

/**
 * Binary WebSocket frames for document bytes (docs/protocol.md "Binary frames"): a fixed
 * header, then raw bytes. kind (1 byte), JSON-RPC request id (uint32 BE), documentId (16 raw
 * bytes), offset (uint64 BE).
 */
export const BINARY_FRAME = {
  uploadChunk: 1,
  downloadData: 2,
  headerBytes: 29,
  idAt: 1,
  documentIdAt: 5,
  offsetAt: 21,
} as const;

export interface DocumentReleaseParams {
  documentIds: string[];
}

export interface DocumentReleaseResult {
  released: number;
}

export interface SignPdfParams extends PdfAppearanceParams {
  certificateId: string;
  /** The PDF, base64 (small documents); or `documentId`. */
  pdf?: string;
  /** A document uploaded with document.upload.*; the signed copy is stored as a new document. */
  documentId?: string;
  documentName?: string;
  hashAlgorithm?: HashAlgorithm;
  scheme?: SignatureScheme;
  /** Extra CA certificates (base64 DER) to embed. */
  chain?: string[];
  /** DocMDP certification: 1 no changes, 2 forms + signatures, 3 also annotations. */
  certify?: 1 | 2 | 3;
  fieldName?: string;
}

export interface SignPdfResult {
  /** The signed PDF, base64: the input plus one incremental update (for an inline `pdf`). */
  pdf?: string;
  /** The stored signed copy (for a `documentId` input): read it with document.download. */
  documentId?: string;
  size?: number;
  fieldName: string;
  /** The level reached (issue 14). */
  level: PadesLevelName;
  certificateId: string;
  certificate: string;
  /** What did not go as asked (absent or empty: everything did). */
  warnings?: SignWarning[];
}

export interface SignPdfsItem extends PdfAppearanceParams {
  name: string;
  /** Base64, or `documentId`. */
  pdf?: string;
  documentId?: string;
}

export interface SignPdfsParams extends PdfAppearanceParams {
  certificateId: string;
  items: SignPdfsItem[];
  hashAlgorithm?: HashAlgorithm;
  scheme?: SignatureScheme;
  chain?: string[];
  /** Names this batch's sign.pdfs.progress notifications (default: the request id). */
  batchId?: string;
}

/** A document that cannot be signed fails alone. */
export type SignPdfsItemResult =
  | {
      name: string;
      ok: true;
      /** Inline input: the signed PDF, base64; stored input: `documentId` and `size`. */
      pdf?: string;
      documentId?: string;
      size?: number;
      fieldName: string;
      level: PadesLevelName;
      warnings?: SignWarning[];
    }
  | { name: string; ok: false; error: ErrorObject };

export interface SignPdfsResult {
  certificateId: string;
  certificate: string;
  batchId?: string;
  items: SignPdfsItemResult[];
}

export interface VerifyPdfParams {
  /** Base64, or `documentId`. */
  pdf?: string;
  documentId?: string;
  /** Base64 DER or PEM roots; absent: the agent's configured trust; empty: trust nothing. */
  trustAnchors?: string[];
}

export interface ChainReport {
  trusted: boolean;
  /** Subjects from the signer to the anchor. */
  path: string[];
  validAtTime: boolean;
  validFrom: string;
  validTo: string;
  reason?: 'no-trust-anchors' | 'issuer-not-found' | 'bad-certificate-signature' | 'issuer-not-ca';
}

export type ChangesAfterSigning = 'none' | 'signatures-only' | 'other';

export interface PdfSignatureReport {
  fieldName: string;
  /** Signer's common name and full subject. */
  signer?: string | undefined;
  signerSubject?: string | undefined;
  /** /M of the signature dictionary (ISO 8601). */
  signingTime?: string | undefined;
  subFilter?: string | undefined;
  /** PAdES baseline B-B shape. */
  pades: boolean;
  certification?: 1 | 2 | 3;
  preset?: string | undefined;
  byteRange: number[];
  coversWholeFile: boolean;
  integrity: {
    byteRangeValid: boolean;
    digestMatches: boolean;
    signatureValid: boolean;
    signingCertificateValid: boolean;
  };
  hashAlgorithm?: HashAlgorithm | undefined;
  chain?: ChainReport | undefined;
  certificateValidAtSigningTime: boolean;
  keyUsageValid: boolean;
  keyUsage: string[];
  changes: ChangesAfterSigning;
  valid: boolean;
  /** Stable error code when the signature could not be checked at all. */
  error?: string;
}

export interface VerifyPdfResult {
  fileSize: number;
  signatures: PdfSignatureReport[];
  totalDocumentSigned: boolean;
  valid: boolean;
}

// The method map

/** Every method: its params and its result. */
export interface Methods {
  'agent.info': { params: AgentInfoParams; result: AgentInfo };
  'tokens.list': { params: TokensListParams; result: TokensListResult };
  'certificates.list': { params: CertificateFilter; result: CertificatesListResult };
  'sign.hash': { params: SignHashParams; result: SignHashResult };
  'sign.hashes': { params: SignHashesParams; result: SignHashesResult };
  'sign.pdf': { params: SignPdfParams; result: SignPdfResult };
  'sign.pdfs': { params: SignPdfsParams; result: SignPdfsResult };
  'verify.pdf': { params: VerifyPdfParams; result: VerifyPdfResult };
  'document.upload.begin': { params: DocumentUploadBeginParams; result: DocumentUploadBeginResult };
  'document.upload.chunk': { params: DocumentUploadChunkParams; result: DocumentUploadProgress };
  'document.download': { params: DocumentDownloadParams; result: DocumentDownloadResult };
  'document.release': { params: DocumentReleaseParams; result: DocumentReleaseResult };
}

export type MethodName = keyof Methods;
export type MethodParams<M extends MethodName> = Methods[M]['params'];
export type MethodResult<M extends MethodName> = Methods[M]['result'];

// A record, so adding a method to Methods without naming it here fails to compile.
const methodNames: Record<MethodName, true> = {
  'agent.info': true,
  'tokens.list': true,
  'certificates.list': true,
  'sign.hash': true,
  'sign.hashes': true,
  'sign.pdf': true,
  'sign.pdfs': true,
  'verify.pdf': true,
  'document.upload.begin': true,
  'document.upload.chunk': true,
  'document.download': true,
  'document.release': true,
};

export const METHOD_NAMES = Object.keys(methodNames) as readonly MethodName[];

// Notifications (no id, no reply)

export interface TokensChanged {
  /** Token ids. */
  added: string[];
  removed: string[];
  /** The full current list, as tokens.list returns it. */
  tokens: TokenInfo[];
}

/** One document of a sign.pdfs batch is finished (signed or failed). */
export interface SignPdfsProgressNotice {
  batchId: string;
  done: number;
  total: number;
  name: string;
  ok: boolean;
  /** The error code of a failed document. */
  error?: string;
}

export interface Notifications {
  'tokens.changed': TokensChanged;
  'sign.pdfs.progress': SignPdfsProgressNotice;
}

export type NotificationName = keyof Notifications;

export const NOTIFICATION_NAMES = [
  'tokens.changed',
  'sign.pdfs.progress',
] as const satisfies readonly NotificationName[];
