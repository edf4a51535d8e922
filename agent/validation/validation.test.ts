import { describe, expect, it } from 'vitest';
import {
  array,
  boolean,
  closest,
  editDistance,
  int,
  JsonSyntaxError,
  object,
  oneOf,
  optional,
  parseJsonWithPositions,
  record,
  refine,
  string,
  union,
  validate,
  withDefault,
  type Problem,
} from './index.ts';

function problems(result: { ok: boolean; problems?: Problem[] }): Problem[] {
  if (result.ok) throw new Error('expected problems');
  return result.problems ?? [];
}

describe('schema', () => {
  const shape = object({
    name: string({ min: 1 }),
    size: withDefault(int(1, 10), 5),
    colour: optional(oneOf(['red', 'blue'] as const)),
    tags: withDefault(array(string()), []),
    flags: optional(record(boolean())),
  });

  it('returns typed values with defaults', () => {
    const result = validate(shape, { name: 'a', flags: { x: true } });
    expect(result).toEqual({
      ok: true,
      value: { name: 'a', size: 5, colour: undefined, tags: [], flags: { x: true } },
    });
  });

  it('reports every problem in one pass, each with its path and both languages', () => {
    const found = problems(
      validate(shape, { size: 11, colour: 'green', tags: ['a', 3], flags: { x: 'y' }, nmae: 'a' }),
    );
    expect(found.map((p) => p.path)).toEqual([
      'nmae',
      'name',
      'size',
      'colour',
      'tags[1]',
      'flags.x',
    ]);
    expect(found[0]?.en).toBe('is not a known member — did you mean `name`?');
    expect(found[0]?.vi).toContain('có phải bạn muốn viết `name`?');
    expect(found[2]).toMatchObject({
      en: 'must be an integer from 1 to 10',
      vi: 'phải là một số nguyên từ 1 đến 10',
    });
    for (const p of found) {
      // The Vietnamese line is Vietnamese: no English predicate leaks into it.
      expect(p.vi).not.toMatch(/\b(must|is not|did you mean|an integer|a string)\b/);
      expect(p.en.length).toBeGreaterThan(0);
    }
  });

  it('quotes keys that are not identifiers', () => {
    const found = problems(validate(record(boolean()), { 'https://a.vn': 1 }));
    expect(found[0]?.path).toBe('["https://a.vn"]');
    const nested = problems(validate(object({ m: record(boolean()) }), { m: { 'a b': 1 } }));
    expect(nested[0]?.path).toBe('m["a b"]');
  });

  it('refines, converts and reports at a member with a reason', () => {
    const pair = refine(object({ a: int(0, 9), b: int(0, 9) }), (v, report) =>
      v.a < v.b
        ? v.a + v.b
        : report.fail(
            { vi: 'phải lớn hơn a', en: 'must exceed a' },
            { member: 'b', reason: 'HASH_LENGTH_MISMATCH' },
          ),
    );
    expect(validate(pair, { a: 1, b: 2 })).toEqual({ ok: true, value: 3 });
    expect(problems(validate(pair, { a: 3, b: 2 }))[0]).toMatchObject({
      path: 'b',
      reason: 'HASH_LENGTH_MISMATCH',
    });
  });

  it('union takes the first alternative that fits, else one problem', () => {
    const pin = union(
      { vi: 'một mã PIN hoặc danh sách mã PIN', en: 'a PIN or a list of PINs' },
      string() as never,
      array(string(), { min: 1 }) as never,
    );
    expect(validate(pin, ['1'])).toEqual({ ok: true, value: ['1'] });
    expect(problems(validate(pin, 3))).toEqual([
      {
        path: '',
        vi: 'phải là một mã PIN hoặc danh sách mã PIN',
        en: 'must be a PIN or a list of PINs',
      },
    ]);
  });

  it('names a missing required member', () => {
    expect(problems(validate(object({ id: string() }), {}))[0]).toMatchObject({
      path: 'id',
      en: 'is missing; it must be a string',
    });
  });
});

describe('did you mean', () => {
  it('suggests keys within two edits, case-insensitively', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(closest('portt', ['port', 'modules'])).toBe('port');
    expect(closest('certificateID', ['certificateId'])).toBe('certificateId');
    expect(closest('maxInFlit', ['maxInFlight', 'maxBatchItems'])).toBe('maxInFlight');
    expect(closest('colour', ['port', 'trust'])).toBeUndefined();
    // Short keys: one edit only, or everything would match.
    expect(closest('ab', ['xy'])).toBeUndefined();
  });
});

describe('positioned JSON', () => {
  it('parses like JSON.parse and records where values and keys start', () => {
    const text = '{\n  "a": [1, {"b": "x"}],\n  "c": true\n}';
    const { value, positions } = parseJsonWithPositions(text);
    expect(value).toEqual(JSON.parse(text));
    expect(positions.values.get('')).toEqual({ line: 1, column: 1 });
    expect(positions.keys.get('a')).toEqual({ line: 2, column: 3 });
    expect(positions.values.get('a')).toEqual({ line: 2, column: 8 });
    expect(positions.values.get('a[1].b')).toEqual({ line: 2, column: 18 });
    expect(positions.values.get('c')).toEqual({ line: 3, column: 8 });
  });

  it('agrees with JSON.parse on tricky input', () => {
    for (const text of [
      '"\\u00e9\\n\\"x\\\\"',
      '-0.5e+3',
      '[]',
      '{}',
      '\ufeff{"__proto__": 1}',
      ' [ null , false ] ',
    ]) {
      expect(parseJsonWithPositions(text).value).toEqual(JSON.parse(text.replace(/^\ufeff/, '')));
    }
    expect(Object.keys(parseJsonWithPositions('{"__proto__": 1}').value as object)).toEqual([
      '__proto__',
    ]);
  });

  it('reports a syntax error with its line and column, in both languages', () => {
    const at = (text: string): [number, number, string] => {
      try {
        parseJsonWithPositions(text);
      } catch (error) {
        if (error instanceof JsonSyntaxError) return [error.line, error.column, error.vi];
        throw error;
      }
      throw new Error('parsed');
    };
    expect(at('{\n  "port": 1,\n  "x": }')).toEqual([3, 8, 'Ký tự "}" không hợp lệ ở đây']);
    expect(at('{ "port": ')[0]).toBe(1);
    expect(at('{ "port": ')[1]).toBe(11);
    expect(at('{"a": 1,}')).toEqual([1, 9, 'Cần tên mục trong dấu ngoặc kép']);
    expect(at('[1 2]')[1]).toBe(4);
    expect(at('01')[1]).toBe(2);
    expect(at('"a\nb"')[0]).toBe(1);
    for (const bad of ['{', '[1,]', "{'a': 1}", 'tru', '"\\x"', 'NaN', '1 2', '']) {
      expect(() => JSON.parse(bad), bad).toThrow();
      expect(() => parseJsonWithPositions(bad), bad).toThrow(JsonSyntaxError);
    }
  });

  it('validated problems carry the line and column of the bad value or key', () => {
    const text = '{\n  "name": 3,\n  "nmae": "x"\n}';
    const { value, positions } = parseJsonWithPositions(text);
    const found = problems(validate(object({ name: optional(string()) }), value, { positions }));
    expect(found).toMatchObject([
      { path: 'name', line: 2, column: 11 },
      { path: 'nmae', line: 3, column: 3 },
    ]);
  });
});
