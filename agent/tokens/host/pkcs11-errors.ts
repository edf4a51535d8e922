/** PKCS#11 failures as KysoErrors, mapped from the numeric CKR value (never from the text). */
import pkcs11js from 'pkcs11js';
import { KysoError, ckrName, errorCodeForCkr } from '../../errors/index.ts';

// Return values pkcs11js does not export.
export const CKR_USER_ALREADY_LOGGED_IN = 0x100;
export const CKR_USER_NOT_LOGGED_IN = 0x101;
export const CKR_CANT_LOCK = 0x0a;
export const CKR_CRYPTOKI_ALREADY_INITIALIZED = 0x191;
/** Errors after which we check whether the token is still there. */
export const PRESENCE_SUSPECT = new Set([
  0x05, 0x06, 0x30, 0x32, 0x60, 0x82, 0xb0, 0xb3, 0xe0, 0x03,
]);

export function ckrOf(error: unknown): number | undefined {
  return error instanceof pkcs11js.Pkcs11Error ? error.code : undefined;
}

export function fromPkcs11(
  error: unknown,
  context: Record<string, string | number | boolean> = {},
): KysoError {
  if (error instanceof KysoError) return error;
  const ckr = ckrOf(error);
  if (ckr === undefined) {
    return new KysoError('SIGNING_FAILED', {
      ...context,
      cause: error instanceof Error ? error.message : String(error),
    });
  }
  return new KysoError(errorCodeForCkr(ckr), { ...context, ckr: ckrName(ckr) });
}
