/**
 * JSON-RPC 2.0 framing: request validation, replies and errors. Every request that carries an
 * id gets exactly one reply; our stable error code always travels in error.data.reason with
 * the Vietnamese and English messages, so web apps switch on codes, never on text.
 */
import { catalog, KysoError, toKysoError, type ErrorCode } from '../errors/index.ts';
import type { RpcErrorData } from '../protocol/index.ts';

export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;
export const METHOD_NOT_FOUND = -32601;
export const INVALID_PARAMS = -32602;
export const INTERNAL_ERROR = -32603;
/** Every agent error (consent, token, security) that is not one of the above. */
export const AGENT_ERROR = -32000;

export type RpcId = string | number | null;

export interface RpcRequest {
  id: RpcId;
  /** False for notifications (no id member): they get no reply unless malformed. */
  hasId: boolean;
  method: string;
  params: unknown;
}

export type { RpcErrorData } from '../protocol/index.ts';

export interface RpcErrorObject {
  code: number;
  message: string;
  data: RpcErrorData;
}

/** An error that knows its JSON-RPC code; thrown by handlers and validators. */
export class RpcError extends Error {
  readonly rpcCode: number;
  readonly reason: ErrorCode;
  readonly field: string | undefined;
  readonly details: Record<string, unknown>;

  constructor(
    rpcCode: number,
    reason: ErrorCode,
    options: { field?: string; details?: Record<string, unknown>; message?: string } = {},
  ) {
    super(options.message ?? catalog[reason].en);
    this.rpcCode = rpcCode;
    this.reason = reason;
    this.field = options.field;
    this.details = options.details ?? {};
  }

  static invalidParams(
    field: string,
    problem: string,
    reason: ErrorCode = 'INVALID_INPUT',
  ): RpcError {
    return new RpcError(INVALID_PARAMS, reason, {
      field,
      details: { problem },
      message: `Invalid params: ${field} must be ${problem}`,
    });
  }

  toJSON(): RpcErrorObject {
    const data: RpcErrorData = { reason: this.reason, message: catalog[this.reason] };
    if (this.field !== undefined) data.field = this.field;
    const details = pageDetails(this.details).details;
    if (Object.keys(details).length > 0) data.details = details;
    return { code: this.rpcCode, message: this.message, data };
  }
}

/**
 * Detail keys that describe this machine or a module's insides, never sent to a page (they
 * stay in the agent's log): module and file paths, a crashed host's signal, exit code and
 * stderr, causes, stacks and PKCS#11 internals.
 */
const INTERNAL_DETAIL_KEYS = new Set([
  'path',
  'modulePath',
  'module',
  'file',
  'dir',
  'directory',
  'stderr',
  'stdout',
  'signal',
  'exitCode',
  'pid',
  'cause',
  'stack',
  'ckr',
  'errno',
  'syscall',
  'command',
  'env',
  'library',
]);

/**
 * A local file path inside a text: "/usr/lib/x.so", "/home/…", "C:\\Program Files", "\\\\server",
 * "~/". Unix paths are recognised by their usual roots, so PDF names ("/Root/Pages") pass.
 */
const LOCAL_PATH =
  /(?:^|[\s"'(=:,[])(?:\/(?:home|usr|tmp|opt|var|etc|lib|lib64|Users|private|snap|root|mnt|media|run|proc|srv|nix|Library|Applications|System|Volumes)\/|[A-Za-z]:[\\/]|\\\\|~\/)/;
const MAX_DETAIL_TEXT = 500;

function pageValue(value: unknown, depth: number): { ok: true; value: unknown } | { ok: false } {
  if (value === null || typeof value === 'number' || typeof value === 'boolean') {
    return { ok: true, value };
  }
  if (typeof value === 'string') {
    return value.length <= MAX_DETAIL_TEXT && !LOCAL_PATH.test(value)
      ? { ok: true, value }
      : { ok: false };
  }
  if (depth >= 3) return { ok: false };
  if (Array.isArray(value)) {
    const items = value.slice(0, 100).map((item) => pageValue(item, depth + 1));
    return items.every((i) => i.ok)
      ? { ok: true, value: items.map((i) => (i.ok ? i.value : null)) }
      : { ok: false };
  }
  if (typeof value === 'object') {
    const inner = pageDetails(value as Record<string, unknown>, depth + 1);
    return { ok: true, value: inner.details };
  }
  return { ok: false };
}

/**
 * What of an error's details a web page may see: internal keys dropped, and any value that
 * looks like a local path (or is long library text) dropped too. `dropped` names what went,
 * for the local log.
 */
export function pageDetails(
  details: Record<string, unknown>,
  depth = 0,
): { details: Record<string, unknown>; dropped: string[] } {
  const out: Record<string, unknown> = {};
  const dropped: string[] = [];
  for (const [key, value] of Object.entries(details)) {
    if (value === undefined) continue;
    const safe = INTERNAL_DETAIL_KEYS.has(key) ? { ok: false as const } : pageValue(value, depth);
    if (safe.ok) out[key] = safe.value;
    else dropped.push(key);
  }
  return { details: out, dropped };
}

/** Maps anything a handler throws to a reply error; unknown errors become INTERNAL_ERROR. */
export function toRpcError(error: unknown): RpcError {
  if (error instanceof RpcError) return error;
  const kyso = error instanceof KysoError ? error : toKysoError(error);
  const paramCodes: ErrorCode[] = ['INVALID_INPUT', 'HASH_LENGTH_MISMATCH'];
  const rpcCode = paramCodes.includes(kyso.code)
    ? INVALID_PARAMS
    : kyso.code === 'INTERNAL_ERROR'
      ? INTERNAL_ERROR
      : AGENT_ERROR;
  const details: Record<string, unknown> = { ...kyso.details };
  // Internal causes may carry paths or library text: keep them in the agent's log only.
  if (kyso.code === 'INTERNAL_ERROR') delete details.cause;
  const field = typeof details.field === 'string' ? details.field : undefined;
  return new RpcError(rpcCode, kyso.code, { details, ...(field ? { field } : {}) });
}

/** Parses one text frame into a request, or returns the error reply to send. */
export function parseRequest(
  text: string,
): { ok: true; request: RpcRequest } | { ok: false; id: RpcId; error: RpcError } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return {
      ok: false,
      id: null,
      error: new RpcError(PARSE_ERROR, 'INVALID_INPUT', { message: 'Parse error: not valid JSON' }),
    };
  }
  const invalid = (id: RpcId, problem: string) => ({
    ok: false as const,
    id,
    error: new RpcError(INVALID_REQUEST, 'INVALID_INPUT', {
      message: `Invalid request: ${problem}`,
      details: { problem },
    }),
  });
  if (Array.isArray(json)) {
    return invalid(
      null,
      'batch arrays are not supported; send one request per frame (use sign.hashes for many documents)',
    );
  }
  if (typeof json !== 'object' || json === null) return invalid(null, 'expected a JSON object');
  const raw = json as Record<string, unknown>;
  const hasId = 'id' in raw;
  const id = raw.id;
  const validId =
    id === null || typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));
  if (hasId && !validId) return invalid(null, 'id must be a string, a number or null');
  const replyId = hasId ? (id as RpcId) : null;
  if (raw.jsonrpc !== '2.0') return invalid(replyId, 'jsonrpc must be "2.0"');
  if (typeof raw.method !== 'string' || raw.method.length === 0) {
    return invalid(replyId, 'method must be a non-empty string');
  }
  const params = raw.params;
  if (params !== undefined && (typeof params !== 'object' || params === null)) {
    return invalid(replyId, 'params must be an object');
  }
  if (Array.isArray(params))
    return invalid(replyId, 'params must be an object (named parameters), not an array');
  return { ok: true, request: { id: replyId, hasId, method: raw.method, params } };
}

export function resultFrame(id: RpcId, result: unknown): string {
  return JSON.stringify({ jsonrpc: '2.0', id, result });
}

export function errorFrame(id: RpcId, error: RpcError): string {
  return JSON.stringify({ jsonrpc: '2.0', id, error: error.toJSON() });
}

export function notificationFrame(method: string, params: unknown): string {
  return JSON.stringify({ jsonrpc: '2.0', method, params });
}
