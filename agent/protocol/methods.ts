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
  limits: { maxPayloadBytes: number; maxInFlight: number; maxBatchItems: number };
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
}

export interface SignPdfParams extends PdfAppearanceParams {
  certificateId: string;
  /** The PDF, base64. */
  pdf: string;
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
  /** The signed PDF, base64: the input plus one incremental update. */
  pdf: string;
  fieldName: string;
  certificateId: string;
  certificate: string;
  /** What did not go as asked (absent or empty: everything did). */
  warnings?: SignWarning[];
}

export interface SignPdfsItem extends PdfAppearanceParams {
  name: string;
  pdf: string;
}

export interface SignPdfsParams extends PdfAppearanceParams {
  certificateId: string;
  items: SignPdfsItem[];
  hashAlgorithm?: HashAlgorithm;
  scheme?: SignatureScheme;
  chain?: string[];
}

/** A document that cannot be signed fails alone. */
export type SignPdfsItemResult =
  | { name: string; ok: true; pdf: string; fieldName: string; warnings?: SignWarning[] }
  | { name: string; ok: false; error: ErrorObject };

export interface SignPdfsResult {
  certificateId: string;
  certificate: string;
  items: SignPdfsItemResult[];
}

export interface VerifyPdfParams {
  pdf: string;
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

export interface Notifications {
  'tokens.changed': TokensChanged;
}

export type NotificationName = keyof Notifications;

export const NOTIFICATION_NAMES = ['tokens.changed'] as const satisfies readonly NotificationName[];
