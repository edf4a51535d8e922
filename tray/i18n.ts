/**
 * Tray strings: every user-visible text lives in locales/vi.json and locales/en.json
 * (Vietnamese is the default), except error texts, which come from the protocol catalog so
 * the tray, the agent and the SDK say the same words for a code. Shared by the Electron main
 * process and the window pages.
 */
import { catalog, ERROR_CODES, type ErrorCode } from '../agent/protocol/index.ts';
import en from './locales/en.json' with { type: 'json' };
import vi from './locales/vi.json' with { type: 'json' };

export type Locale = 'vi' | 'en';

/** Tray keys whose text is an error code's message. */
const errorKeys = {
  'pin.incorrect': 'PIN_INCORRECT',
  'pin.locked': 'PIN_LOCKED',
} as const satisfies Record<string, ErrorCode>;

/** A locale key, an alias above, or `error.<CODE>` for any code's message. */
export type MessageKey = keyof typeof vi | keyof typeof errorKeys | `error.${ErrorCode}`;

export const LOCALES: readonly Locale[] = ['vi', 'en'];
export const DEFAULT_LOCALE: Locale = 'vi';

function errorTexts(locale: Locale): Record<string, string> {
  const texts: Record<string, string> = {};
  for (const code of ERROR_CODES) texts[`error.${code}`] = catalog[code][locale];
  for (const [key, code] of Object.entries(errorKeys)) texts[key] = catalog[code][locale];
  return texts;
}

const messages: Record<Locale, Record<string, string>> = {
  vi: { ...vi, ...errorTexts('vi') },
  en: { ...en, ...errorTexts('en') },
};

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
