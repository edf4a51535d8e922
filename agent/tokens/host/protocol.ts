/**
 * Messages between the token service (parent) and a token host (child process, one per
 * PKCS#11 module). Everything is plain data; Buffers cross with 'advanced' serialization.
 */
import type { HashAlgorithm, SignatureScheme } from '../types.ts';

export interface RawSlot {
  slotId: string;
  slotDescription: string;
  manufacturer: string;
  present: boolean;
  hardwareSlot: boolean;
  removableDevice: boolean;
  /** The host holds a user login on this slot's token. */
  loggedIn?: boolean;
  /** Token fields; absent when no token is present or it cannot be read. */
  token?: {
    label: string;
    serialNumber: string;
    manufacturer: string;
    model: string;
    flags: number;
    minPinLength: number;
    maxPinLength: number;
  };
}

export interface RawCertificate {
  der: Buffer;
  keyId: string;
  label: string;
  /** See CertificateInfo.privateKey; 'after-login' when keys may be hidden private objects. */
  privateKey: 'present' | 'after-login' | 'absent';
  hasPrivateKey: boolean;
  alwaysAuthenticate: boolean;
  /** CKA_CERTIFICATE_CATEGORY 2 (authority): a CA certificate kept on the token. */
  authority: boolean;
}

export interface ModuleInfo {
  description: string;
  manufacturer: string;
  cryptokiVersion: string;
}

export interface HostSignParams {
  slotId: string;
  /** Token serial the caller expects in this slot: guards against a token swapped in between. */
  serialNumber: string;
  /** Token label the caller expects: tells apart tokens that share a serial. */
  label?: string;
  keyId: string;
  /** The certificate (DER): its public key and label find the key when CKA_IDs differ. */
  certificate: Buffer;
  certificateLabel: string;
  scheme: SignatureScheme;
  hashAlgorithm: HashAlgorithm;
  /** Digests; with input 'data', the to-be-signed bytes the token hashes itself. */
  digests: Buffer[];
  input: 'digest' | 'data';
  pin?: string;
  stayLoggedIn: boolean;
}

export interface HostLoginParams {
  slotId: string;
  serialNumber: string;
  label?: string;
  /** Omitted on a PIN-pad token: the user types it on the reader. */
  pin?: string;
}

export interface HostSignResult {
  signatures: Buffer[];
  /** The key's CKA_ALWAYS_AUTHENTICATE, only readable after login on most tokens. */
  alwaysAuthenticate: boolean;
}

export interface HostCalls {
  init: { params: { modulePath: string }; result: ModuleInfo };
  listSlots: { params: { refreshIfStale: boolean }; result: RawSlot[] };
  listCertificates: { params: { slotId: string }; result: RawCertificate[] };
  sign: { params: HostSignParams; result: HostSignResult };
  isLoggedIn: { params: { slotId: string }; result: boolean };
  login: { params: HostLoginParams; result: null };
  logout: { params: { slotId: string }; result: null };
}

export type HostMethod = keyof HostCalls;

export interface HostRequest<M extends HostMethod = HostMethod> {
  id: number;
  method: M;
  params: HostCalls[M]['params'];
}

export type HostResponse =
  | { id: number; ok: true; result: unknown }
  | {
      id: number;
      ok: false;
      error: { code: string; details: Record<string, string | number | boolean> };
    };
