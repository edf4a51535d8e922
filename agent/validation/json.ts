/**
 * A JSON parser that remembers where every value and key starts (line and column, from 1), so
 * a problem in a config file can point at the exact spot. It accepts exactly what JSON.parse
 * accepts (RFC 8259) and reports a syntax error with its line and column instead of an offset.
 */
import { childPath } from './path.ts';

export interface Position {
  line: number;
  column: number;
}

/** Where each value (and each object member's key) begins, by its path ("a.b[0]"). */
export interface Positions {
  values: Map<string, Position>;
  keys: Map<string, Position>;
}

export interface Positioned {
  value: unknown;
  positions: Positions;
}

export class JsonSyntaxError extends Error {
  readonly line: number;
  readonly column: number;
  /** What the parser expected, in both languages (the message is the English one). */
  readonly vi: string;
  readonly en: string;

  constructor(text: { vi: string; en: string }, at: Position) {
    super(`${text.en} (line ${at.line}, column ${at.column})`);
    this.name = 'JsonSyntaxError';
    this.line = at.line;
    this.column = at.column;
    this.vi = text.vi;
    this.en = text.en;
  }
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
const ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Parses JSON text; throws JsonSyntaxError with the line and column of the first mistake. */
export function parseJsonWithPositions(text: string): Positioned {
  const positions: Positions = { values: new Map(), keys: new Map() };
  // A leading byte-order mark is common in files saved by Windows editors.
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let lineStart = i;

  const here = (): Position => ({ line, column: i - lineStart + 1 });
  const fail = (vi: string, en: string): never => {
    throw new JsonSyntaxError({ vi, en }, here());
  };
  const unexpected = (): never => {
    if (i >= text.length) return fail('Tệp JSON kết thúc đột ngột', 'Unexpected end of JSON');
    const ch = JSON.stringify(text[i]);
    return fail(`Ký tự ${ch} không hợp lệ ở đây`, `Unexpected character ${ch}`);
  };
  const skip = (): void => {
    while (i < text.length && WHITESPACE.has(text[i] as string)) {
      if (text[i] === '\n') {
        line++;
        lineStart = i + 1;
      }
      i++;
    }
  };

  const string = (): string => {
    i++; // opening quote
    let out = '';
    for (;;) {
      const ch = text[i];
      if (ch === undefined) return fail('Chuỗi chưa được đóng bằng dấu "', 'Unterminated string');
      if (ch === '"') {
        i++;
        return out;
      }
      if (ch < ' ') {
        return fail(
          'Chuỗi chứa ký tự điều khiển (xuống dòng, tab) chưa được thoát',
          'Unescaped control character in string',
        );
      }
      if (ch !== '\\') {
        // Copy the run of plain characters at once (per-character concatenation is slow).
        const start = i;
        for (let c = text.charCodeAt(i); c !== 0x22 && c !== 0x5c && c >= 0x20;) {
          c = text.charCodeAt(++i);
        }
        out += text.slice(start, i);
        continue;
      }
      const next = text[i + 1];
      if (next === 'u') {
        const hex = text.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
          i++;
          return fail('Mã \\u cần đúng 4 chữ số thập lục phân', 'Bad \\u escape in string');
        }
        out += String.fromCharCode(parseInt(hex, 16));
        i += 6;
        continue;
      }
      const escaped = next === undefined ? undefined : ESCAPES[next];
      if (escaped === undefined) {
        i++;
        return fail('Ký tự thoát không hợp lệ trong chuỗi', 'Bad escape in string');
      }
      out += escaped;
      i += 2;
    }
  };

  const value = (path: string, depth: number): unknown => {
    skip();
    // Deep nesting is an attack, not a config file; JSON.parse would overflow the stack.
    if (depth > 512) return fail('Dữ liệu lồng nhau quá sâu', 'Nesting too deep');
    positions.values.set(path, here());
    const ch = text[i];
    if (ch === '{') {
      i++;
      const object: Record<string, unknown> = {};
      skip();
      if (text[i] === '}') {
        i++;
        return object;
      }
      for (;;) {
        skip();
        if (text[i] !== '"')
          return fail('Cần tên mục trong dấu ngoặc kép', 'Expected a property name in quotes');
        const keyAt = here();
        const key = string();
        const child = childPath(path, key);
        positions.keys.set(child, keyAt);
        skip();
        if (text[i] !== ':') return fail('Cần dấu hai chấm ":"', 'Expected ":"');
        i++;
        // defineProperty: a "__proto__" key must become data, as with JSON.parse.
        Object.defineProperty(object, key, {
          value: value(child, depth + 1),
          enumerable: true,
          writable: true,
          configurable: true,
        });
        skip();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return object;
        }
        return fail('Cần dấu phẩy "," hoặc "}"', 'Expected "," or "}"');
      }
    }
    if (ch === '[') {
      i++;
      const array: unknown[] = [];
      skip();
      if (text[i] === ']') {
        i++;
        return array;
      }
      for (;;) {
        array.push(value(childPath(path, array.length), depth + 1));
        skip();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return array;
        }
        return fail('Cần dấu phẩy "," hoặc "]"', 'Expected "," or "]"');
      }
    }
    if (ch === '"') return string();
    for (const [word, literal] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return literal;
      }
    }
    NUMBER.lastIndex = i;
    const match = NUMBER.exec(text);
    if (match && match[0] !== '-') {
      i += match[0].length;
      return Number(match[0]);
    }
    return unexpected();
  };

  const result = value('', 0);
  skip();
  if (i < text.length) unexpected();
  return { value: result, positions };
}
