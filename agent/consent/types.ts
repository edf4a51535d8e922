/**
 * Consent is how the agent asks its user: approve a new website, approve a signing, enter a
 * PIN. Implementations: tray (Electron windows), terminal (headless), scripted (tests and
 * automation, enabled explicitly). The PIN is asked here, never received over the socket.
 * Every call takes an AbortSignal: when the requesting connection goes away the dialog closes
 * and the call rejects or resolves as cancelled.
 */
import type {
  CertificateInfo,
  HashAlgorithm,
  SignaturePreset,
  SignWarning,
  TokenInfo,
} from '../protocol/index.ts';

export interface OriginApprovalRequest {
  origin: string;
}

export interface DocumentToSign {
  /** Name the user recognises (file name or title given by the web app). */
  name: string;
  hashAlgorithm: HashAlgorithm;
  /** Hex digest, shown shortened so the user can compare with the web app if asked. */
  digestHex: string;
  /** Decree 30 appearance preset of a PDF signature, shown by name in the dialog. */
  preset?: SignaturePreset;
  /** The document's number and symbol ("số, ký hiệu"), e.g. "123/QĐ-UBND", when known. */
  documentNumber?: string;
  /** The document's date, ISO 8601 ("2026-11-23"), shown as a day in Vietnam time. */
  documentDate?: string;
  /**
   * What will not go as asked (a value not written, an image made smaller, a default place),
   * with the catalog's vi/en words (protocol/warnings.ts): the user sees it before agreeing.
   */
  warnings?: SignWarning[];
}

export interface SigningApprovalRequest {
  origin: string;
  certificate: CertificateInfo;
  token: TokenInfo;
  /** What is signed: 'hash' for sign.hash/sign.hashes, 'pdf' for PDF signing. */
  kind: 'hash' | 'pdf';
  documents: DocumentToSign[];
}

export interface PinRequest {
  token: TokenInfo;
  certificate: CertificateInfo;
  origin: string;
  /** Set after a wrong PIN so the dialog can say so, with the token's tries-left flags. */
  previousAttempt?: 'incorrect';
}

/** How the wait for the reader's keypad ended. */
export type ReaderPinOutcome = 'done' | 'failed' | 'aborted';

/** The "enter the PIN on the reader" notice while a PIN-pad reader waits; close it once. */
export interface ReaderPinPrompt {
  close(outcome: ReaderPinOutcome): void;
}

export interface ConsentProvider {
  /** True when the user allows this origin to use the agent (remembered by the caller). */
  approveOrigin(request: OriginApprovalRequest, signal: AbortSignal): Promise<boolean>;
  /** True when the user agrees to sign these documents with this certificate. */
  approveSigning(request: SigningApprovalRequest, signal: AbortSignal): Promise<boolean>;
  /** The PIN, or null when the user cancels. Not called for tokens with a PIN pad. */
  askPin(request: PinRequest, signal: AbortSignal): Promise<string | null>;
  /**
   * Shows "enter the PIN on the reader's keypad" while a PIN-pad token (pinEntry 'reader')
   * waits for it during the signature; the signing service closes it when the token answers
   * (done or failed) or the request goes away (aborted). No PIN is read here. Optional: a
   * provider without it shows nothing.
   */
  readerPinPrompt?(request: PinRequest, signal: AbortSignal): ReaderPinPrompt;
}
