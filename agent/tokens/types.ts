/** Public data shapes of the token service. Plain JSON so they cross process and socket boundaries. */
import type { HashAlgorithm, SignatureScheme, TokenInfo } from '../protocol/index.ts';

// The token and certificate views are the wire shapes of tokens.list and certificates.list.
export type {
  CertificateInfo,
  DistinguishedName,
  DistinguishedNameAttribute,
  HashAlgorithm,
  PinState,
  SignatureScheme,
  TokenInfo,
} from '../protocol/index.ts';

export interface ModuleStatus {
  /** Stable id of the module: its file path. */
  id: string;
  path: string;
  state: 'loaded' | 'failed' | 'restarting';
  /** Library description and manufacturer from C_GetInfo, when loaded. */
  description?: string;
  manufacturer?: string;
  cryptokiVersion?: string;
  /** Error code and detail when the module failed to load or crashed. */
  error?: { code: string; detail: string };
}

/**
 * What is signed: a digest the caller computed, or the small to-be-signed bytes (CMS signed
 * attributes; never a document) for the token to hash: the only way to sign on tokens that
 * offer hash-and-sign mechanisms alone (CKM_SHA256_RSA_PKCS, CKM_ECDSA_SHA256, ...).
 */
export type SignInput = { digest: Buffer; data?: undefined } | { data: Buffer; digest?: undefined };

export type SignRequest = SignInput & {
  certificateId: string;
  hashAlgorithm: HashAlgorithm;
  /** Defaults: RSASSA-PKCS1-v1_5 for RSA keys, ECDSA for EC keys. */
  scheme?: SignatureScheme;
};

export interface Credentials {
  /**
   * The user PIN. Omit when the token is already logged in (PIN cache) or uses a protected
   * authentication path (PIN pad), where the token asks for it itself.
   */
  pin?: string;
  /** Keep the token logged in after the operation (PIN cache); default false: log out. */
  stayLoggedIn?: boolean;
}

export interface SignResult {
  /** RSA: the signature block; ECDSA: DER-encoded ECDSA-Sig-Value (converted from r||s). */
  signature: Buffer;
  scheme: SignatureScheme;
  hashAlgorithm: HashAlgorithm;
  certificateId: string;
}

export type TokenEvent =
  | { type: 'tokens.changed'; added: TokenInfo[]; removed: TokenInfo[]; tokens: TokenInfo[] }
  | { type: 'module.status'; module: ModuleStatus };
