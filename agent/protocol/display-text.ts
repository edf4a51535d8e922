/**
 * Which text may be shown to the user as is (document names in the consent dialog, the
 * journal, the tray). One rule for the whole agent: the server's params check, the signing
 * pipeline and the dialogs all use it, so a name that passes one cannot spoof another.
 *
 * Refused: every control (Cc: C0/C1, terminal escapes, newlines), every format character (Cf:
 * bidi marks and overrides U+061C, U+200E/F, U+202A-E, U+2066-9, zero-width characters,
 * U+FEFF, soft hyphen, interlinear annotations…), line and paragraph separators (Zl, Zp),
 * lone surrogates (Cs) and private-use characters (Co), which no font shows the same way.
 * They can reorder or hide what the user reads ("Hợp đồng\u202Efdp.exe" shows as "…exe.pdf").
 */
const UNSAFE_DISPLAY = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Zl}\p{Zp}]/u;
const UNSAFE_DISPLAY_ALL = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Zl}\p{Zp}]/gu;

/** True when the text has no control, format (bidi, zero-width), separator or private-use character. */
export function isSafeDisplayText(text: string): boolean {
  return !UNSAFE_DISPLAY.test(text);
}

/** The text with each unsafe character replaced by U+FFFD, for showing values we cannot refuse. */
export function neutraliseDisplayText(text: string): string {
  return text.replace(UNSAFE_DISPLAY_ALL, '\ufffd');
}
