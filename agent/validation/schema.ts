/**
 * One way to read untrusted JSON (RPC params, config file, consent script, device database):
 * a small typed schema DSL. A schema reads a value and returns it typed, or records problems
 * and returns INVALID; reading never stops at the first problem, so one pass reports them
 * all, each with its path, both languages and, for files, its line and column.
 */
import type { ErrorCode } from '../errors/index.ts';
import type { Position, Positions } from './json.ts';
import { childPath } from './path.ts';
import { closest } from './suggest.ts';

export interface Text {
  vi: string;
  en: string;
}

export interface Problem {
  /** The failing value, e.g. `trust.anchors[0]`; '' is the document itself. */
  path: string;
  /** A full sentence predicate in each language ("must be ...", "phải là ..."). */
  vi: string;
  en: string;
  /** A more specific stable code than the reader's default (e.g. HASH_LENGTH_MISMATCH). */
  reason?: ErrorCode;
  line?: number;
  column?: number;
}

export const INVALID: unique symbol = Symbol('invalid');
export type Invalid = typeof INVALID;

export interface Schema<T> {
  /** What a valid value is, as a noun phrase ("an integer from 1 to 10"). */
  readonly expected: Text;
  /** May be absent from an object. */
  readonly optional: boolean;
  read(value: unknown, path: string, ctx: Context): T | Invalid;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

/** "must be X" / "phải là X". */
export function mustBe(expected: Text): Text {
  return { vi: `phải là ${expected.vi}`, en: `must be ${expected.en}` };
}

/** The path of the value that contains `path` ('' for top-level members). */
function parentPath(path: string): string | undefined {
  if (path === '') return undefined;
  const last = /(?:\.[A-Za-z_$][\w$]*|\[(?:\d+|"(?:[^"\\]|\\.)*")\])$/.exec(path);
  return last ? path.slice(0, last.index) : '';
}

export class Context {
  readonly problems: Problem[] = [];
  private readonly positions: Positions | undefined;

  constructor(positions?: Positions) {
    this.positions = positions;
  }

  /** Records a problem; `at: 'key'` points at an object member's name rather than its value. */
  report(
    path: string,
    message: Text,
    options: { reason?: ErrorCode; at?: 'key' | 'value' } = {},
  ): Invalid {
    const problem: Problem = { path, vi: message.vi, en: message.en };
    if (options.reason) problem.reason = options.reason;
    const position = this.positionOf(path, options.at ?? 'value');
    if (position) {
      problem.line = position.line;
      problem.column = position.column;
    }
    this.problems.push(problem);
    return INVALID;
  }

  /** A context that records into a scratch list (union alternatives). */
  scratch(): Context {
    return new Context(this.positions);
  }

  private positionOf(path: string, at: 'key' | 'value'): Position | undefined {
    if (!this.positions) return undefined;
    if (at === 'key') {
      const key = this.positions.keys.get(path);
      if (key) return key;
    }
    // A missing member has no position of its own: point at the object that lacks it.
    for (let p: string | undefined = path; p !== undefined; p = parentPath(p)) {
      const value = this.positions.values.get(p);
      if (value) return value;
    }
    return undefined;
  }
}

export function schema<T>(
  expected: Text,
  read: (value: unknown, path: string, ctx: Context) => T | Invalid,
  optional = false,
): Schema<T> {
  return { expected, optional, read };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export interface StringOptions {
  /** Shortest length (0 by default; 1 makes "" invalid). */
  min?: number;
  max?: number;
  pattern?: RegExp;
  /** Rejects text that is only whitespace. */
  nonBlank?: boolean;
  expected?: Text;
}

export function string(options: StringOptions = {}): Schema<string> {
  const expected = options.expected ?? { vi: 'một chuỗi ký tự', en: 'a string' };
  return schema(expected, (value, path, ctx) => {
    if (typeof value !== 'string' || value.length < (options.min ?? 0))
      return ctx.report(path, mustBe(expected));
    if (options.max !== undefined && value.length > options.max) {
      return ctx.report(path, {
        vi: `phải là ${expected.vi}, dài tối đa ${options.max} ký tự`,
        en: `must be ${expected.en} of at most ${options.max} characters`,
      });
    }
    if (options.pattern && !options.pattern.test(value)) return ctx.report(path, mustBe(expected));
    if (options.nonBlank && value.trim() === '') return ctx.report(path, mustBe(expected));
    return value;
  });
}

export function int(min: number, max: number, expected?: Text): Schema<number> {
  const text = expected ?? {
    vi: `một số nguyên từ ${min} đến ${max}`,
    en: `an integer from ${min} to ${max}`,
  };
  return schema(text, (value, path, ctx) =>
    typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
      ? value
      : ctx.report(path, mustBe(text)),
  );
}

export function number(min: number, max: number, expected?: Text): Schema<number> {
  const text = expected ?? {
    vi: `một số từ ${min} đến ${max}`,
    en: `a number from ${min} to ${max}`,
  };
  return schema(text, (value, path, ctx) =>
    typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max
      ? value
      : ctx.report(path, mustBe(text)),
  );
}

export function boolean(): Schema<boolean> {
  const text = { vi: 'true hoặc false', en: 'true or false' };
  return schema(text, (value, path, ctx) =>
    typeof value === 'boolean' ? value : ctx.report(path, mustBe(text)),
  );
}

/** One of a fixed list of strings or numbers. */
export function oneOf<const T extends string | number>(
  values: readonly T[],
  expected?: Text,
): Schema<T> {
  const list = values.join(', ');
  const text = expected ?? { vi: `một trong các giá trị ${list}`, en: `one of ${list}` };
  return schema(text, (value, path, ctx) =>
    values.includes(value as T) ? (value as T) : ctx.report(path, mustBe(text)),
  );
}

export interface ArrayOptions {
  min?: number;
  max?: number;
  expected?: Text;
}

/** A list; each bad element is reported at its own index. */
export function array<T>(item: Schema<T>, options: ArrayOptions = {}): Schema<T[]> {
  const min = options.min ?? 0;
  const text =
    options.expected ??
    (min > 0
      ? { vi: 'một danh sách không rỗng', en: 'a non-empty list' }
      : { vi: 'một danh sách', en: 'a list' });
  return schema(text, (value, path, ctx) => {
    if (!Array.isArray(value) || value.length < min) return ctx.report(path, mustBe(text));
    if (options.max !== undefined && value.length > options.max) {
      return ctx.report(path, {
        vi: `phải là danh sách có tối đa ${options.max} phần tử`,
        en: `must be a list of at most ${options.max} items`,
      });
    }
    const out: T[] = [];
    let ok = true;
    value.forEach((element, i) => {
      const read = item.read(element, childPath(path, i), ctx);
      if (read === INVALID) ok = false;
      else out.push(read);
    });
    return ok ? out : INVALID;
  });
}

/** An object used as a map (origin → answer, token → PIN); keys may be checked too. */
export function record<T>(
  item: Schema<T>,
  options: { key?: Schema<string>; expected?: Text } = {},
): Schema<Record<string, T>> {
  const text = options.expected ?? { vi: 'một đối tượng JSON', en: 'a JSON object' };
  return schema(text, (value, path, ctx) => {
    if (!isRecord(value)) return ctx.report(path, mustBe(text));
    const out: Record<string, T> = {};
    let ok = true;
    for (const [key, element] of Object.entries(value)) {
      const at = childPath(path, key);
      if (options.key && options.key.read(key, at, ctx) === INVALID) {
        ok = false;
        continue;
      }
      const read = item.read(element, at, ctx);
      if (read === INVALID) ok = false;
      else Object.defineProperty(out, key, { value: read, enumerable: true, writable: true });
    }
    return ok ? out : INVALID;
  });
}

type Shape = Record<string, Schema<unknown>>;
export type ObjectOf<S extends Shape> = { [K in keyof S]: Infer<S[K]> };

/** Reports problems of the whole object (cross-field rules) at any path below it. */
export interface Reporter {
  readonly path: string;
  /** `member` names where below this value the problem is: 'hash' or ['items', 3, 'hash']. */
  fail(
    message: Text,
    options?: { member?: string | number | readonly (string | number)[]; reason?: ErrorCode },
  ): Invalid;
}

export interface ObjectOptions {
  expected?: Text;
  /** Members accepted and ignored (e.g. "$schema" for editors). */
  ignore?: readonly string[];
}

/**
 * An object with known members; an unknown member is a problem (typos like "certificateID"
 * must not be silently ignored) and a near miss gets "did you mean".
 */
export function object<S extends Shape>(
  shape: S,
  options: ObjectOptions = {},
): Schema<ObjectOf<S>> {
  const text = options.expected ?? { vi: 'một đối tượng JSON', en: 'a JSON object' };
  const known = Object.keys(shape);
  return schema(text, (value, path, ctx) => {
    if (!isRecord(value)) return ctx.report(path, mustBe(text));
    const raw = value;
    let ok = true;
    for (const key of Object.keys(raw)) {
      if (Object.hasOwn(shape, key) || options.ignore?.includes(key)) continue;
      ok = false;
      const guess = closest(key, known);
      ctx.report(
        childPath(path, key),
        guess === undefined
          ? { vi: 'không phải là mục được hỗ trợ', en: 'is not a known member' }
          : {
              vi: `không phải là mục được hỗ trợ — có phải bạn muốn viết \`${guess}\`?`,
              en: `is not a known member — did you mean \`${guess}\`?`,
            },
        { at: 'key' },
      );
    }
    const out: Record<string, unknown> = {};
    for (const key of known) {
      const member = shape[key] as Schema<unknown>;
      const element = Object.hasOwn(raw, key) ? raw[key] : undefined;
      const at = childPath(path, key);
      if (element === undefined && !member.optional) {
        ok = false;
        ctx.report(at, {
          vi: `bị thiếu; cần ${member.expected.vi}`,
          en: `is missing; it must be ${member.expected.en}`,
        });
        continue;
      }
      const read = member.read(element, at, ctx);
      if (read === INVALID) ok = false;
      else out[key] = read;
    }
    return ok ? (out as ObjectOf<S>) : INVALID;
  });
}

/** May be absent (undefined then). */
export function optional<T>(inner: Schema<T>): Schema<T | undefined> {
  return schema(
    inner.expected,
    (value, path, ctx) => (value === undefined ? undefined : inner.read(value, path, ctx)),
    true,
  );
}

/** May be absent; absent reads as `fallback` (cloned, so callers may mutate the result). */
export function withDefault<T>(inner: Schema<T>, fallback: T): Schema<T> {
  return schema(
    inner.expected,
    (value, path, ctx) =>
      value === undefined ? structuredClone(fallback) : inner.read(value, path, ctx),
    true,
  );
}

/** The first alternative that reads without problems; otherwise one problem naming `expected`. */
export function union<T>(expected: Text, ...alternatives: Schema<T>[]): Schema<T> {
  return schema(expected, (value, path, ctx) => {
    for (const alternative of alternatives) {
      const read = alternative.read(value, path, ctx.scratch());
      if (read !== INVALID) return read;
    }
    return ctx.report(path, mustBe(expected));
  });
}

/**
 * Further checks or a conversion after the inner schema accepted the value (base64 to bytes,
 * origin normalisation, cross-field rules). Runs only when the inner value is valid.
 */
export function refine<T, U>(
  inner: Schema<T>,
  check: (value: T, report: Reporter) => U | Invalid,
  expected: Text = inner.expected,
): Schema<U> {
  return schema(
    expected,
    (value, path, ctx) => {
      const read = inner.read(value, path, ctx);
      if (read === INVALID) return INVALID;
      return check(read, {
        path,
        fail: (message, options = {}) => {
          const member = options.member ?? [];
          const at = (typeof member === 'object' ? member : [member]).reduce<string>(
            (parent, key) => childPath(parent, key),
            path,
          );
          return ctx.report(at, message, options.reason ? { reason: options.reason } : {});
        },
      });
    },
    inner.optional,
  );
}

export type Validated<T> = { ok: true; value: T } | { ok: false; problems: Problem[] };

/** Reads a whole document; problems come in document order when positions are known. */
export function validate<T>(
  root: Schema<T>,
  value: unknown,
  options: {
    positions?: Positions;
    path?: string;
    /** Checks across the whole document (unique ids, references), run even when parts failed. */
    also?: (ctx: Context) => void;
  } = {},
): Validated<T> {
  const ctx = new Context(options.positions);
  const read = root.read(value, options.path ?? '', ctx);
  options.also?.(ctx);
  if (read !== INVALID && ctx.problems.length === 0) return { ok: true, value: read };
  const problems = [...ctx.problems];
  if (options.positions) {
    // Stable sort: problems without a position keep their place after positioned ones.
    const rank = (p: Problem): number =>
      p.line === undefined ? Number.MAX_SAFE_INTEGER : p.line * 1e6 + (p.column ?? 0);
    problems.sort((a, b) => rank(a) - rank(b));
  }
  return { ok: false, problems };
}
