import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isKysoError } from '../errors/index.ts';
import { ValidationError } from '../validation/index.ts';
import { loadConfig, parseConfig } from './index.ts';

function write(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'kyso-config-')), 'config.json');
  writeFileSync(file, text);
  return file;
}

function failure(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('did not throw');
}

describe('config problems', () => {
  it('reports three mistakes at once, each with path, line, column and did-you-mean', () => {
    const file = write(
      [
        '{',
        '  "prot": 50000,',
        '  "pinCache": { "enabled": "yes" },',
        '  "trust": {',
        '    "anchors": ["root.pem", 7]',
        '  }',
        '}',
      ].join('\n'),
    );
    const error = failure(() => loadConfig(file));
    expect(isKysoError(error, 'CONFIG_INVALID')).toBe(true);
    expect(error.problems).toMatchObject([
      { path: 'prot', line: 2, column: 3, en: 'is not a known member — did you mean `port`?' },
      { path: 'pinCache.enabled', line: 3, column: 28, en: 'must be true or false' },
      { path: 'trust.anchors[1]', line: 5, column: 29, en: 'must be a file path' },
    ]);
    expect(error.details).toMatchObject({
      field: 'prot',
      line: 2,
      column: 3,
      file,
      problemCount: 3,
    });
    const lines = String(error.details.problems).split('\n');
    expect(lines).toEqual([
      'prot: is not a known member — did you mean `port`? (line 2, column 3)',
      'pinCache.enabled: must be true or false (line 3, column 28)',
      'trust.anchors[1]: must be a file path (line 5, column 29)',
    ]);
    expect(String(error.details.problemsVi).split('\n')).toEqual([
      'prot: không phải là mục được hỗ trợ — có phải bạn muốn viết `port`? (dòng 2, cột 3)',
      'pinCache.enabled: phải là true hoặc false (dòng 3, cột 28)',
      'trust.anchors[1]: phải là một đường dẫn tệp (dòng 5, cột 29)',
    ]);
    expect(error.toJSON().problems.map((p) => p.field)).toEqual([
      'prot',
      'pinCache.enabled',
      'trust.anchors[1]',
    ]);
  });

  it('points at the JSON syntax mistake', () => {
    const error = failure(() => loadConfig(write('{\n  "port": 1\n  "modules": []\n}')));
    expect(error.details).toMatchObject({ field: '(json)', line: 3, column: 3 });
    expect(error.problems[0]?.vi).toMatch(/^không phải JSON hợp lệ: /);
  });

  it('parseConfig (no file) lists every problem without positions', () => {
    const error = failure(() => parseConfig({ port: -1, limits: { maxInFlit: 3 } }));
    expect(error.problems.map((p) => [p.path, p.line])).toEqual([
      ['port', undefined],
      ['limits.maxInFlit', undefined],
    ]);
    expect(error.problems[1]?.en).toContain('did you mean `maxInFlight`?');
  });
});
