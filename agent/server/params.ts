/**
 * Typed readers for method params. Each failure is a -32602 reply naming the failing field,
 * so a web developer sees exactly which member to fix.
 */
import type { HashAlgorithm, SignatureScheme } from '../tokens/types.ts';
import { RpcError } from './jsonrpc.ts';

export const HASH_LENGTHS: Record<HashAlgorithm, number> = {
  'SHA-256': 32,
  'SHA-384': 48,
  'SHA-512': 64,
};
const SCHEMES: SignatureScheme[] = ['RSASSA-PKCS1-v1_5', 'RSA-PSS', 'ECDSA'];
/**
 * Control characters (terminal escapes, newlines) and bidirectional overrides could make a
 * consent dialog show something other than what is signed ("Hợp đồng\u202Efdp.exe", or an
 * ANSI sequence that rewrites the origin line): text shown to the user must not contain them.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE_TEXT = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/** True when text may be shown in a consent dialog as is. */
export function isSafeDisplayText(text: string): boolean {
  return !UNSAFE_TEXT.test(text);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export class Params {
  private readonly raw: Record<string, unknown>;
  private readonly prefix: string;

  constructor(raw: unknown, prefix = '') {
    if (raw !== undefined && (typeof raw !== 'object' || raw === null || Array.isArray(raw))) {
      throw RpcError.invalidParams(prefix || 'params', 'an object');
    }
    this.raw = (raw ?? {}) as Record<string, unknown>;
    this.prefix = prefix;
  }

  /** Rejects members the method does not know (catches typos like "certificateID"). */
  only(...names: string[]): this {
    for (const key of Object.keys(this.raw)) {
      if (!names.includes(key))
        throw RpcError.invalidParams(this.field(key), 'absent (unknown parameter)');
    }
    return this;
  }

  field(name: string): string {
    return this.prefix ? `${this.prefix}.${name}` : name;
  }

  has(name: string): boolean {
    return this.raw[name] !== undefined;
  }

  /** Text shown to the user (document names): no control or bidi-override characters. */
  displayText(name: string, options: { max: number; what: string }): string {
    const value = this.string(name, options);
    if (UNSAFE_TEXT.test(value)) {
      throw RpcError.invalidParams(
        this.field(name),
        `${options.what} without control or bidi-override characters`,
      );
    }
    return value;
  }

  optionalDisplayText(name: string, options: { max: number; what: string }): string | undefined {
    return this.has(name) ? this.displayText(name, options) : undefined;
  }

  string(name: string, options: { max?: number; pattern?: RegExp; what?: string } = {}): string {
    const value = this.raw[name];
    const what = options.what ?? 'a string';
    if (typeof value !== 'string' || value.length === 0)
      throw RpcError.invalidParams(this.field(name), `${what}`);
    if (options.max !== undefined && value.length > options.max) {
      throw RpcError.invalidParams(
        this.field(name),
        `${what} of at most ${options.max} characters`,
      );
    }
    if (options.pattern && !options.pattern.test(value))
      throw RpcError.invalidParams(this.field(name), what);
    return value;
  }

  optionalString(
    name: string,
    options: { max?: number; pattern?: RegExp; what?: string } = {},
  ): string | undefined {
    return this.has(name) ? this.string(name, options) : undefined;
  }

  optionalBoolean(name: string): boolean | undefined {
    const value = this.raw[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'boolean') throw RpcError.invalidParams(this.field(name), 'true or false');
    return value;
  }

  optionalStrings(name: string, allowed?: readonly string[]): string[] | undefined {
    const value = this.raw[name];
    if (value === undefined) return undefined;
    const what = allowed ? `a list of ${allowed.join(', ')}` : 'a list of strings';
    if (
      !Array.isArray(value) ||
      !value.every((v) => typeof v === 'string' && (!allowed || allowed.includes(v)))
    ) {
      throw RpcError.invalidParams(this.field(name), what);
    }
    return value as string[];
  }

  certificateId(name = 'certificateId'): string {
    return this.string(name, {
      pattern: /^[0-9a-f]{64}$/,
      what: 'a certificate id (64 lowercase hex characters, SHA-256 thumbprint)',
    });
  }

  hashAlgorithm(name = 'hashAlgorithm', fallback?: HashAlgorithm): HashAlgorithm {
    if (!this.has(name) && fallback) return fallback;
    const value = this.raw[name];
    if (value === 'SHA-256' || value === 'SHA-384' || value === 'SHA-512') return value;
    throw RpcError.invalidParams(this.field(name), 'one of SHA-256, SHA-384, SHA-512');
  }

  optionalScheme(name = 'scheme'): SignatureScheme | undefined {
    const value = this.raw[name];
    if (value === undefined) return undefined;
    if (SCHEMES.includes(value as SignatureScheme)) return value as SignatureScheme;
    throw RpcError.invalidParams(this.field(name), `one of ${SCHEMES.join(', ')}`);
  }

  /** A base64 digest whose length matches the hash algorithm (HASH_LENGTH_MISMATCH otherwise). */
  digest(name: string, algorithm: HashAlgorithm): Buffer {
    const value = this.raw[name];
    if (typeof value !== 'string' || value.length === 0 || !BASE64.test(value)) {
      throw RpcError.invalidParams(this.field(name), 'base64 (standard alphabet, padded)');
    }
    const bytes = Buffer.from(value, 'base64');
    const expected = HASH_LENGTHS[algorithm];
    if (bytes.length !== expected) {
      throw RpcError.invalidParams(
        this.field(name),
        `${expected} bytes for ${algorithm} (got ${bytes.length})`,
        'HASH_LENGTH_MISMATCH',
      );
    }
    return bytes;
  }

  /** A list of objects, each read through its own Params (field names like items[3].hash). */
  objects(name: string, max: number): Params[] {
    const value = this.raw[name];
    if (!Array.isArray(value) || value.length === 0) {
      throw RpcError.invalidParams(this.field(name), 'a non-empty list');
    }
    if (value.length > max)
      throw RpcError.invalidParams(this.field(name), `a list of at most ${max} items`);
    return value.map((item, i) => new Params(item, `${this.field(name)}[${i}]`));
  }
}
