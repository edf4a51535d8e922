/** CK_TOKEN_INFO flag bits (PKCS#11 v2.40), read by both the host and the service. */
import type { PinState } from './types.ts';

export const CKF_LOGIN_REQUIRED = 0x4;
export const CKF_USER_PIN_INITIALIZED = 0x8;
export const CKF_PROTECTED_AUTHENTICATION_PATH = 0x100;
export const CKF_TOKEN_INITIALIZED = 0x400;
const CKF_USER_PIN_COUNT_LOW = 0x10000;
const CKF_USER_PIN_FINAL_TRY = 0x20000;
const CKF_USER_PIN_LOCKED = 0x40000;
const CKF_USER_PIN_TO_BE_CHANGED = 0x80000;

export function pinStateFromFlags(flags: number): PinState {
  const has = (bit: number) => (flags & bit) !== 0;
  return {
    countLow: has(CKF_USER_PIN_COUNT_LOW),
    finalTry: has(CKF_USER_PIN_FINAL_TRY),
    locked: has(CKF_USER_PIN_LOCKED),
    toBeChanged: has(CKF_USER_PIN_TO_BE_CHANGED),
    initialized: has(CKF_USER_PIN_INITIALIZED),
  };
}
