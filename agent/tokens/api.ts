import type {
  CertificateInfo,
  Credentials,
  HashAlgorithm,
  ModuleStatus,
  SignRequest,
  SignInput,
  SignResult,
  SignatureScheme,
  TokenEvent,
  TokenInfo,
} from './types.ts';

export interface CertificateFilter {
  tokenId?: string;
  /** Only certificates whose private key is on the token (default true). */
  withPrivateKey?: boolean;
}

export interface TokenServiceOptions {
  /** PKCS#11 module paths to load; when empty, the known paths for this OS that exist. */
  modules?: string[];
  /** Extra environment for the token hosts (e.g. SOFTHSM2_CONF). */
  env?: Record<string, string>;
  /** Longest a single module call may take before the host is killed (ms, default 30 000). */
  callTimeoutMs?: number;
  /**
   * Time a login on a PIN-pad reader (protected authentication path) may wait for the user at
   * the keypad, on top of callTimeoutMs (ms, default 180 000, like common readers' own limit).
   */
  pinPadTimeoutMs?: number;
  /** Slot polling interval for insert/remove detection (ms, default 1000; 0 disables). */
  pollIntervalMs?: number;
}

export type BatchSignItem = SignInput & {
  hashAlgorithm: HashAlgorithm;
  scheme?: SignatureScheme;
};

/**
 * The token service: the only way the rest of the agent talks to PKCS#11. Every call is
 * async; vendor code runs in one child process per module.
 */
export interface TokenService {
  modules(): ModuleStatus[];
  listTokens(): Promise<TokenInfo[]>;
  getToken(tokenId: string): Promise<TokenInfo>;
  listCertificates(filter?: CertificateFilter): Promise<CertificateInfo[]>;
  /** Throws CERTIFICATE_NOT_FOUND when no present token holds it. */
  getCertificate(certificateId: string): Promise<CertificateInfo>;
  /** Logs in when credentials carry a PIN (or the token has a PIN pad), signs, logs out unless stayLoggedIn. */
  sign(request: SignRequest, credentials: Credentials): Promise<SignResult>;
  /** One login for many digests with the same key (batch signing). */
  signMany(
    certificateId: string,
    items: BatchSignItem[],
    credentials: Credentials,
  ): Promise<SignResult[]>;
  /**
   * Logs the token in and keeps it so (as stayLoggedIn does); certificates stored as private
   * objects are listed from then on. Optional so test doubles need not have it.
   */
  login?(tokenId: string, credentials: Credentials): Promise<void>;
  isLoggedIn(tokenId: string): Promise<boolean>;
  logout(tokenId: string): Promise<void>;
  /** Re-reads slots now (also done by polling); emits tokens.changed when something changed. */
  rescan(): Promise<TokenInfo[]>;
  /** Subscribe to token and module events; returns the unsubscribe function. */
  onEvent(listener: (event: TokenEvent) => void): () => void;
  close(): Promise<void>;
}
