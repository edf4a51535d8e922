/**
 * Stable error codes shared by every layer (token service, server, PDF, CLI, tray).
 * Callers switch on `code`, never on message text. Each code carries a Vietnamese and an
 * English message that tells the user what to do next.
 */
import {
  catalog,
  isErrorCode,
  type ErrorCode,
  type ErrorDetails,
  type ErrorObject,
  type LocalisedText,
} from '../protocol/index.ts';

// The catalog lives in agent/protocol (shared with the SDK); re-exported for existing imports.
export {
  catalog,
  CLIENT_ERROR_CODES,
  ERROR_CODES,
  isErrorCode,
  type ClientErrorCode,
  type ErrorCode,
  type ErrorDetails,
  type ErrorObject,
  type LocalisedText,
} from '../protocol/index.ts';
export { ckrName, errorCodeForCkr } from './ckr.ts';

export class KysoError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, details: ErrorDetails = {}, cause?: unknown) {
    super(`${code}: ${catalog[code].en}`, cause === undefined ? undefined : { cause });
    this.name = 'KysoError';
    this.code = code;
    this.details = details;
  }

  get userMessage(): LocalisedText {
    return catalog[this.code];
  }

  toJSON(): ErrorObject {
    return { code: this.code, message: this.userMessage, details: this.details };
  }
}

export function isKysoError(value: unknown, code?: ErrorCode): value is KysoError {
  return value instanceof KysoError && (code === undefined || value.code === code);
}

/** Rebuilds a KysoError that crossed a process boundary as plain JSON. */
export function kysoErrorFromJSON(json: { code: string; details?: ErrorDetails }): KysoError {
  return new KysoError(isErrorCode(json.code) ? json.code : 'INTERNAL_ERROR', json.details ?? {});
}

/** Wraps anything thrown into a KysoError so callers only ever see stable codes. */
export function toKysoError(error: unknown, fallback: ErrorCode = 'INTERNAL_ERROR'): KysoError {
  if (error instanceof KysoError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new KysoError(fallback, { cause: message }, error);
}
