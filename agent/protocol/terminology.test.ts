/**
 * docs/terminology.md is the word list: its "Không dùng (vi)" and "Avoid (en)" columns are
 * checked here against the tray locale files, the error catalog and the sign warnings, so a banned variant
 * (e.g. "nhà cung cấp" for the issuer, "chứng chỉ số") cannot come back.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import en from '../../tray/locales/en.json' with { type: 'json' };
import vi from '../../tray/locales/vi.json' with { type: 'json' };
import { catalog, ERROR_CODES } from './errors.ts';
import { placementHints, WARNING_CODES, warningCatalog } from './warnings.ts';

const doc = readFileSync(new URL('../../docs/terminology.md', import.meta.url), 'utf8');

/** Rows of the first table: [vi term, en term, banned vi, banned en]. */
function terms(): string[][] {
  const rows: string[][] = [];
  let inTable = false;
  for (const line of doc.split('\n')) {
    if (line.startsWith('|')) {
      inTable = true;
      const cells = line
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim());
      if (cells.every((c) => /^-*$/.test(c)) || cells[0] === 'Tiếng Việt') continue;
      rows.push(cells);
    } else if (inTable) break;
  }
  return rows;
}

const list = (cell: string | undefined) =>
  (cell ?? '')
    .split(',')
    .map((w) => w.trim())
    .filter((w) => w !== '');

/** Whole-word, case-insensitive, Unicode-aware. */
const wordRe = (word: string) =>
  new RegExp(
    `(?<![\\p{L}\\p{N}])${word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\p{L}\\p{N}])`,
    'iu',
  );

const texts = (lang: 'vi' | 'en'): [string, string][] => [
  ...Object.entries(lang === 'vi' ? vi : en).map(([k, v]): [string, string] => [`tray ${k}`, v]),
  ...ERROR_CODES.map((code): [string, string] => [`catalog ${code}`, catalog[code][lang]]),
  ...WARNING_CODES.map((code): [string, string] => [`warning ${code}`, warningCatalog[code][lang]]),
  ...Object.entries(placementHints).map(([hint, t]): [string, string] => [`hint ${hint}`, t[lang]]),
];

describe('terminology (docs/terminology.md)', () => {
  const rows = terms();

  it('is a table with the core terms', () => {
    const vietnamese = rows.map((r) => r[0]);
    for (const term of ['chứng thư số', 'thiết bị ký số', 'mã PIN', 'nơi cấp', 'ký số', 'văn bản'])
      expect(vietnamese).toContain(term);
    expect(rows.find((r) => r[0] === 'nơi cấp')?.[1]).toBe('issuer');
  });

  for (const [lang, column] of [
    ['vi', 2],
    ['en', 3],
  ] as const) {
    it(`no ${lang} string uses a banned variant`, () => {
      const banned = rows.flatMap((r) => list(r[column]).map((w) => [w, r[0] ?? ''] as const));
      expect(banned.length).toBeGreaterThan(5);
      const hits: string[] = [];
      for (const [where, text] of texts(lang)) {
        for (const [word, use] of banned) {
          if (wordRe(word).test(text)) hits.push(`${where}: "${word}" (use "${use}")`);
        }
      }
      expect(hits).toEqual([]);
    });
  }

  it('says "mã PIN" in Vietnamese, never a bare "PIN"', () => {
    const bare = texts('vi')
      .filter(([, text]) => /(?<![Mm]ã )PIN/u.test(text))
      .map(([where, text]) => `${where}: ${text}`);
    expect(bare).toEqual([]);
  });

  it('catches the old wording it was written for', () => {
    const banned = rows.flatMap((r) => list(r[2]));
    const old = 'Chứng thư số không chuỗi được tới nhà cung cấp tin cậy. Liên hệ bộ phận CNTT.';
    expect(banned.filter((w) => wordRe(w).test(old))).toEqual(['không chuỗi được', 'nhà cung cấp']);
    expect(catalog.CERTIFICATE_UNTRUSTED.vi).toBe(
      'Không xác minh được chuỗi chứng thư số đến nơi cấp tin cậy. Liên hệ bộ phận CNTT.',
    );
  });
});
