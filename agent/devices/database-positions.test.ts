import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isKysoError } from '../errors/index.ts';
import { loadDeviceDatabase } from './index.ts';

function problemsOf(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'kyso-devices-')), 'devices.json');
  writeFileSync(file, text);
  try {
    loadDeviceDatabase(file);
  } catch (error) {
    if (isKysoError(error, 'DEVICE_DATABASE_INVALID')) return String(error.details.problems);
    throw error;
  }
  throw new Error('expected DEVICE_DATABASE_INVALID');
}

describe('device database file', () => {
  const bundled = readFileSync(new URL('./devices.json', import.meta.url), 'utf8');

  it('gives the line and column of each problem', () => {
    const text = bundled.replace('"certainty": "verified"', '"certainty": "sure"');
    const line = text.split('\n').findIndex((l) => l.includes('"sure"')) + 1;
    expect(problemsOf(text)).toContain(
      `modules[0].certainty: must be "verified" or "reported" (line ${line}, column 20)`,
    );
  });

  it('gives the line and column of a JSON mistake', () => {
    expect(problemsOf('{\n  "version": 1,\n}')).toMatch(
      /^\(json\): is not valid JSON: .*\(line 3, column 1\)$/,
    );
  });
});
