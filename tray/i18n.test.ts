import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalog, ERROR_CODES } from '../agent/protocol/index.ts';
import en from './locales/en.json' with { type: 'json' };
import vi from './locales/vi.json' with { type: 'json' };
import { allKeys, t } from './i18n.ts';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'dist' ? [] : sources(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('tray locale files', () => {
  it('have the same keys in Vietnamese and English', () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(vi).sort());
  });

  it('have no empty text and the same placeholders in both languages', () => {
    for (const [key, text] of Object.entries(vi)) {
      const english = (en as Record<string, string>)[key] ?? '';
      expect(text.trim(), key).not.toBe('');
      expect(english.trim(), key).not.toBe('');
      expect(placeholders(english), key).toEqual(placeholders(text));
    }
  });

  it('contain every key the tray code uses', () => {
    const used = new Set<string>();
    for (const file of sources(new URL('.', import.meta.url).pathname)) {
      const code = readFileSync(file, 'utf8');
      // i18n: 'key' in pages, t(locale, 'key') / this.text('key') in the main process.
      for (const m of code.matchAll(/(?:i18n: |\bt\([^,\n]+, |text\()'([a-z]+\.[A-Za-z.]+)'/g)) {
        used.add(m[1] ?? '');
      }
      for (const m of code.matchAll(
        /'((?:menu|tray|pin|origin|signing|status|settings|doctor|window|common|lang)\.[A-Za-z.]+)'/g,
      )) {
        if (/\.(json|mjs|cjs|js|ts|html|css|png)$/.test(m[1] ?? '')) continue;
        used.add(m[1] ?? '');
      }
    }
    // Keys built from a variable part.
    for (const kind of ['pin', 'origin', 'signing', 'status', 'settings', 'doctor'])
      used.add(`window.${kind}`);
    // Decree 30 presets named in the signing dialog (agent/protocol SignaturePreset).
    for (const p of ['approval', 'issuance', 'attachment', 'copy', 'plain', 'custom'])
      used.add(`preset.${p}`);
    for (const s of ['ok', 'info', 'warning', 'error'])
      used.add(`doctor.severity.${s}`).add(`doctor.result.${s}`);
    for (const s of [
      'agent',
      'port',
      'modules',
      'usb',
      'tokens',
      'certificates',
      'clock',
      'browser',
    ]) {
      used.add(`doctor.section.${s}`);
    }
    used.delete('');
    const known = new Set(allKeys('vi'));
    const missing = [...used].filter((key) => !known.has(key));
    expect(missing).toEqual([]);
    expect(used.size).toBeGreaterThan(60);
  });

  it('fills placeholders and defaults to Vietnamese', () => {
    expect(t('vi', 'signing.countMany', { count: 25 })).toBe('Ký 25 văn bản');
    expect(t('en', 'signing.countMany', { count: 25 })).toBe('Sign 25 documents');
    expect(t('en', 'pin.length', { min: 4 })).toBe('The PIN must be 4 to {max} characters long.');
  });

  it('take error texts from the protocol catalog, not from the locale files', () => {
    expect(t('vi', 'pin.incorrect')).toBe(catalog.PIN_INCORRECT.vi);
    expect(t('en', 'error.TOKEN_REMOVED')).toBe(catalog.TOKEN_REMOVED.en);
    const texts = new Set<string>(
      ERROR_CODES.flatMap((code) => [catalog[code].vi, catalog[code].en]),
    );
    const copied = [...Object.values(vi), ...Object.values(en)].filter((text) => texts.has(text));
    expect(copied).toEqual([]);
  });
});
