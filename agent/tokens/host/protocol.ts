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
  hasPrivateKey: boolean;
  alwaysAuthenticate: boolean;
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
  keyId: string;
  scheme: SignatureScheme;
  hashAlgorithm: HashAlgorithm;
  digests: Buffer[];
  pin?: string;
  stayLoggedIn: boolean;
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
