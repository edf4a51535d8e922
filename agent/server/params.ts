/**
 * Reading method params: each method declares a schema (../validation) and reads its params in
 * one pass. Bad params are one -32602 reply naming the first failing field in data.field, with
 * every problem (field, Vietnamese, English) in data.details.problems, so a web developer
 * fixes them all at once.
 */
import type { ErrorCode } from '../errors/index.ts';
import type { HashAlgorithm, SignatureScheme } from '../protocol/index.ts';
import { isSafeDisplayText } from '../protocol/index.ts';
import {
  array,
  childPath,
  closest,
  Context,
  INVALID,
  mustBe,
  oneOf,
  optional,
  refine,
  schema,
  string,
  validate,
  type Problem,
  type Schema,
  type Text,
} from '../validation/index.ts';
import { INVALID_PARAMS, RpcError } from './jsonrpc.ts';

export const HASH_LENGTHS: Record<HashAlgorithm, number> = {
  'SHA-256': 32,
  'SHA-384': 48,
  'SHA-512': 64,
};
const SCHEMES: SignatureScheme[] = ['RSASSA-PKCS1-v1_5', 'RSA-PSS', 'ECDSA'];
/**
 * Control characters (terminal escapes, newlines) and bidirectional or zero-width format
 * characters could make a consent dialog show something other than what is signed
 * ("Hợp đồng\u202Efdp.exe", or an ANSI sequence that rewrites the origin line): text shown to
 * the user must not contain them. One rule, the protocol's isSafeDisplayText.
 */
export { isSafeDisplayText };

/** The -32602 error for a list of problems; the first one names data.field. */
export function paramsError(problems: Problem[], root = 'params'): RpcError {
  const fieldOf = (p: Problem): string => (p.path === '' ? root : p.path);
  const first = problems[0] ?? { path: '', vi: 'không hợp lệ', en: 'is invalid' };
  const field = fieldOf(first);
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  return new RpcError(INVALID_PARAMS, first.reason ?? 'INVALID_INPUT', {
    field,
    details: {
      problem: first.en,
      problems: problems.map((p) => ({
        field: fieldOf(p),
        vi: p.vi,
        en: p.en,
        ...(p.reason ? { reason: p.reason } : {}),
      })),
    },
    message: `Invalid params: ${field} ${first.en}${more}`,
  });
}

/** Reads a method's params (absent params read as {}); throws one -32602 with every problem. */
export function readParams<T>(params: Schema<T>, raw: unknown, path = ''): T {
  const result = validate(params, raw === undefined && path === '' ? {} : raw, { path });
  if (!result.ok) throw paramsError(result.problems);
  return result.value;
}

// Schemas shared by the methods.

/** Non-empty text of at most `max` characters. */
export function text(max: number, expected: Text): Schema<string> {
  return string({ min: 1, max, expected });
}

/** Text shown to the user (document names): no control or bidi-override characters. */
export function displayText(max: number, expected: Text): Schema<string> {
  return refine(text(max, expected), (value, report) =>
    !isSafeDisplayText(value)
      ? report.fail({
          vi: `phải là ${expected.vi}, không chứa ký tự điều khiển, ký tự đảo chiều hay ký tự định dạng vô hình`,
          en: `must be ${expected.en} without control, bidi or invisible format characters`,
        })
      : value,
  );
}

export const DOCUMENT_NAME: Text = {
  vi: 'tên tài liệu (1-500 ký tự)',
  en: 'a document name (1-500 characters)',
};

export const certificateId = string({
  pattern: /^[0-9a-f]{64}$/,
  expected: {
    vi: 'mã chứng thư số (64 ký tự thập lục phân viết thường, dấu vân tay SHA-256)',
    en: 'a certificate id (64 lowercase hex characters, SHA-256 thumbprint)',
  },
});

export const hashAlgorithm = oneOf<HashAlgorithm>(['SHA-256', 'SHA-384', 'SHA-512']);
export const scheme = oneOf<SignatureScheme>(SCHEMES);

/**
 * Decodes standard padded base64, or undefined when `value` is not exactly that. No regular
 * expression (a backtracking one overflowed the stack on a few MiB): Node's decoder skips
 * characters outside the alphabet and stops at padding, so a decoded length other than the
 * one the text length implies means a bad character, misplaced padding or whitespace; the
 * URL-safe letters, which it would accept, are looked for natively. Linear, one native pass.
 */
export function decodeBase64(value: string): Buffer | undefined {
  const n = value.length;
  if (n === 0 || n % 4 !== 0) return undefined;
  const padding = value.charCodeAt(n - 1) === 61 ? (value.charCodeAt(n - 2) === 61 ? 2 : 1) : 0;
  if (value.includes('-') || value.includes('_')) return undefined;
  const bytes = Buffer.from(value, 'base64');
  return bytes.length === (n / 4) * 3 - padding ? bytes : undefined;
}

/**
 * Base64 (standard alphabet, padded) read as bytes; `maxBytes` bounds the decoded size
 * (checked on the text length first, before decoding anything).
 */
export function base64(
  expected?: Text,
  options: { maxBytes?: number; tooLarge?: ErrorCode } = {},
): Schema<Buffer> {
  const what = expected
    ? {
        vi: `${expected.vi} mã hóa base64 (bảng chữ chuẩn, có đệm)`,
        en: `${expected.en} in base64 (standard alphabet, padded)`,
      }
    : { vi: 'base64 (bảng chữ chuẩn, có đệm)', en: 'base64 (standard alphabet, padded)' };
  return refine(
    string({ min: 1, expected: what }),
    (value, report) => {
      const { maxBytes, tooLarge } = options;
      const approx = Math.floor((value.length * 3) / 4);
      if (maxBytes !== undefined && approx - 2 > maxBytes) {
        return report.fail(
          {
            vi: `phải là ${what.vi}, tối đa ${maxBytes} byte sau khi giải mã (nhận được khoảng ${approx})`,
            en: `must be ${what.en}, at most ${maxBytes} bytes decoded (got about ${approx})`,
          },
          tooLarge ? { reason: tooLarge } : {},
        );
      }
      return decodeBase64(value) ?? report.fail(mustBe(what));
    },
    what,
  );
}

/**
 * Raw bytes handed over by the transport (a binary frame's payload), checked against
 * `maxBytes`; anything else is read by `text` (base64 from JSON).
 */
export function bytesOrBase64(text: Schema<Buffer>, maxBytes: number): Schema<Buffer> {
  return schema(text.expected, (value, path, ctx) => {
    if (!Buffer.isBuffer(value)) return text.read(value, path, ctx);
    if (value.length > 0 && value.length <= maxBytes) return value;
    return ctx.report(path, {
      vi: `phải có từ 1 đến ${maxBytes} byte (nhận được ${value.length})`,
      en: `must hold 1 to ${maxBytes} bytes (got ${value.length})`,
    });
  });
}

/** Checks a digest's length against its algorithm (HASH_LENGTH_MISMATCH otherwise). */
export function digestProblem(
  digest: Buffer,
  algorithm: HashAlgorithm,
): { message: Text; reason: ErrorCode } | undefined {
  const expected = HASH_LENGTHS[algorithm];
  if (digest.length === expected) return undefined;
  return {
    message: {
      vi: `phải dài ${expected} byte cho ${algorithm} (nhận được ${digest.length})`,
      en: `must be ${expected} bytes for ${algorithm} (got ${digest.length})`,
    },
    reason: 'HASH_LENGTH_MISMATCH',
  };
}

/**
 * A list of strings, optionally from a fixed set, reported at the list itself (data.field
 * "keyUsage"), the message naming the bad element.
 */
export function stringList(allowed?: readonly string[]): Schema<string[]> {
  const expected = allowed
    ? {
        vi: `danh sách gồm các giá trị ${allowed.join(', ')}`,
        en: `a list of ${allowed.join(', ')}`,
      }
    : { vi: 'một danh sách chuỗi ký tự', en: 'a list of strings' };
  return schema(expected, (value, path, ctx) => {
    if (!Array.isArray(value)) return ctx.report(path, mustBe(expected));
    const bad = value.findIndex((v) => typeof v !== 'string' || (allowed && !allowed.includes(v)));
    if (bad < 0) return value as string[];
    const at = `${childPath(path, bad)} = ${JSON.stringify(value[bad]) ?? 'undefined'}`;
    return ctx.report(path, {
      vi: `phải là ${expected.vi} (${at} không hợp lệ)`,
      en: `must be ${expected.en} (${at} is not)`,
    });
  });
}

/**
 * Member-by-member reader, for handlers that read a few params without a whole schema.
 * Each read throws its own -32602 at once; prefer readParams with an object schema, which
 * reports every problem together.
 */
export class Params {
  private readonly raw: Record<string, unknown>;
  private readonly prefix: string;

  constructor(raw: unknown, prefix = '') {
    if (raw !== undefined && (typeof raw !== 'object' || raw === null || Array.isArray(raw))) {
      const ctx = new Context();
      ctx.report(prefix, mustBe({ vi: 'một đối tượng JSON', en: 'a JSON object' }));
      throw paramsError(ctx.problems);
    }
    this.raw = (raw ?? {}) as Record<string, unknown>;
    this.prefix = prefix;
  }

  /** Rejects members the method does not know (catches typos like "certificateID"). */
  only(...names: string[]): this {
    const ctx = new Context();
    for (const key of Object.keys(this.raw)) {
      if (names.includes(key)) continue;
      const guess = closest(key, names);
      ctx.report(
        this.field(key),
        guess === undefined
          ? { vi: 'không phải là mục được hỗ trợ', en: 'is not a known member' }
          : {
              vi: `không phải là mục được hỗ trợ — có phải bạn muốn viết \`${guess}\`?`,
              en: `is not a known member — did you mean \`${guess}\`?`,
            },
      );
    }
    if (ctx.problems.length > 0) throw paramsError(ctx.problems);
    return this;
  }

  field(name: string): string {
    return childPath(this.prefix, name);
  }

  has(name: string): boolean {
    return this.raw[name] !== undefined;
  }

  /** Reads one member with a schema (absent members are read as undefined). */
  read<T>(name: string, member: Schema<T>): T {
    const ctx = new Context();
    const value = member.read(this.raw[name], this.field(name), ctx);
    if (value === INVALID || ctx.problems.length > 0) throw paramsError(ctx.problems);
    return value;
  }

  displayText(name: string, options: { max: number; what: Text }): string {
    return this.read(name, displayText(options.max, options.what));
  }

  string(name: string, options: { max?: number; pattern?: RegExp; what?: Text } = {}): string {
    return this.read(
      name,
      string({
        min: 1,
        ...(options.max !== undefined ? { max: options.max } : {}),
        ...(options.pattern ? { pattern: options.pattern } : {}),
        ...(options.what ? { expected: options.what } : {}),
      }),
    );
  }

  optionalString(
    name: string,
    options: { max?: number; pattern?: RegExp; what?: Text } = {},
  ): string | undefined {
    return this.has(name) ? this.string(name, options) : undefined;
  }

  certificateId(name = 'certificateId'): string {
    return this.read(name, certificateId);
  }

  hashAlgorithm(name = 'hashAlgorithm', fallback?: HashAlgorithm): HashAlgorithm {
    if (!this.has(name) && fallback) return fallback;
    return this.read(name, hashAlgorithm);
  }

  optionalScheme(name = 'scheme'): SignatureScheme | undefined {
    return this.read(name, optional(scheme));
  }

  /** A list of objects, each read through its own Params (field names like items[3].hash). */
  objects(name: string, max: number): Params[] {
    const list = this.read(
      name,
      array(
        schema({ vi: 'một đối tượng', en: 'an object' }, (v) => v),
        { min: 1, max },
      ),
    );
    return list.map((item, i) => new Params(item, childPath(this.field(name), i)));
  }
}
