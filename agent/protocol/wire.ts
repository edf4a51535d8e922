/**
 * Token and certificate views as they cross the socket (tokens.list, certificates.list,
 * tokens.changed) and the token host boundary: plain JSON, no Buffers.
 */

export type HashAlgorithm = 'SHA-256' | 'SHA-384' | 'SHA-512';
export type SignatureScheme = 'RSASSA-PKCS1-v1_5' | 'RSA-PSS' | 'ECDSA';

export interface PinState {
  /** CKF_USER_PIN_COUNT_LOW: at least one wrong PIN was entered since the last good one. */
  countLow: boolean;
  /** CKF_USER_PIN_FINAL_TRY: one more wrong PIN locks the token. */
  finalTry: boolean;
  /** CKF_USER_PIN_LOCKED */
  locked: boolean;
  /** CKF_USER_PIN_TO_BE_CHANGED */
  toBeChanged: boolean;
  /** CKF_USER_PIN_INITIALIZED */
  initialized: boolean;
}

export interface TokenInfo {
  /** Stable id: module path + token serial (+ label), survives slot renumbering and replugging. */
  id: string;
  moduleId: string;
  /** PKCS#11 slot id as a decimal string (slot ids may exceed 2^53 on some modules). */
  slotId: string;
  slotDescription: string;
  label: string;
  serialNumber: string;
  manufacturer: string;
  model: string;
  present: boolean;
  loginRequired: boolean;
  protectedAuthenticationPath: boolean;
  hardwareSlot: boolean;
  removableDevice: boolean;
  pin: PinState;
  minPinLength: number;
  maxPinLength: number;
  /**
   * Where the PIN is entered: 'reader' (PIN pad, CKF_PROTECTED_AUTHENTICATION_PATH: the user
   * types it on the reader, we send none), 'host' (we ask for it), 'none' (no login needed).
   */
  pinEntry?: 'reader' | 'host' | 'none';
  /**
   * The token needs a login and is not logged in: private objects (certificates stored as
   * CKA_PRIVATE) stay hidden until then, so the certificate list may grow after login.
   */
  mayHoldMoreAfterLogin?: boolean;
}

export interface DistinguishedNameAttribute {
  /** Short name (CN, O, OU, L, ST, C, UID, T, E, ...) or the dotted OID when unknown. */
  type: string;
  oid: string;
  value: string;
}

export interface DistinguishedName {
  /** RFC 4514-style one-line text with diacritics intact, most specific attribute first. */
  text: string;
  attributes: DistinguishedNameAttribute[];
}

export interface CertificateInfo {
  /** SHA-256 of the DER certificate, lowercase hex: the stable certificate id. */
  id: string;
  tokenId: string;
  /** CKA_LABEL of the certificate object. */
  label: string;
  /** CKA_ID (hex) linking certificate and private key. */
  keyId: string;
  /** The certificate can sign: privateKey is 'present' or 'after-login'. */
  hasPrivateKey: boolean;
  /**
   * Whether its private key was found: 'present' (seen, or its public key is on the token),
   * 'after-login' (keys are private objects, hidden until login: signing asks for the PIN and
   * only then can KEY_NOT_FOUND follow), 'absent' (no key: a CA certificate, or looked for while
   * logged in).
   */
  privateKey?: 'present' | 'after-login' | 'absent';
  /** Private key needs a context-specific login per operation (CKA_ALWAYS_AUTHENTICATE). */
  alwaysAuthenticate: boolean;
  subject: DistinguishedName;
  issuer: DistinguishedName;
  /** Subject CN (or O when there is no CN), for one-line display. */
  commonName: string;
  /** Serial number, uppercase hex without leading zeros. */
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  /** digitalSignature, nonRepudiation, keyEncipherment, ... */
  keyUsage: string[];
  /** Dotted OIDs with friendly names where known (e.g. "emailProtection"). */
  extendedKeyUsage: string[];
  keyAlgorithm: 'RSA' | 'EC' | 'other';
  keySize: number;
  namedCurve?: string;
  isCA: boolean;
  /** DER, base64. */
  certificate: string;
}
