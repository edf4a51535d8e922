/**
 * Tray strings: every user-visible text lives in locales/vi.json and locales/en.json
 * (Vietnamese is the default). Shared by the Electron main process and the window pages.
 */
import en from './locales/en.json' with { type: 'json' };
import vi from './locales/vi.json' with { type: 'json' };

export type Locale = 'vi' | 'en';
export type MessageKey = keyof typeof vi;

export const LOCALES: readonly Locale[] = ['vi', 'en'];
export const DEFAULT_LOCALE: Locale = 'vi';

const messages: Record<Locale, Record<string, string>> = { vi, en };

export function isLocale(value: unknown): value is Locale {
  return value === 'vi' || value === 'en';
}

/** The text for a key with {placeholders} filled; the key itself when missing (caught by tests). */
export function t(
  locale: Locale,
  key: MessageKey,
  params: Record<string, string | number> = {},
): string {
  const text = messages[locale][key] ?? messages.vi[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

export function allKeys(locale: Locale): string[] {
  return Object.keys(messages[locale]);
}
