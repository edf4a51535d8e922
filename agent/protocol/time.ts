/**
 * The one way Kyso shows a time to a person: Vietnam time (UTC+07:00 all year, no daylight
 * saving), day first, 24-hour clock, with the offset written out so nobody mistakes it for
 * UTC: "23/11/2026 11:08:09 (+07:00)". The same in Vietnamese and English. Used by the CLI
 * (verify, journal, doctor), the doctor report and the tray pages. Dependency-free (no Intl
 * time-zone data) so the tray pages and the browser SDK can use it too.
 * Machine-readable output (--json, the journal file, the support bundle's fields) keeps ISO 8601.
 */

const VIETNAM_OFFSET_MS = 7 * 3_600_000;

const two = (n: number): string => String(n).padStart(2, '0');

/**
 * "23/11/2026 11:08:09 (+07:00)", or with `part: 'date'` the day alone, "23/11/2026" (the
 * day in Vietnam, e.g. for expiry dates). Accepts a Date, an ISO string or epoch milliseconds;
 * an unreadable value is returned as given (or "?") rather than "Invalid Date".
 */
export function formatTime(
  value: Date | string | number,
  part: 'datetime' | 'date' = 'datetime',
): string {
  // Strings must be ISO 8601: V8's Date.parse also "reads" things like "D:2026".
  const ms =
    value instanceof Date
      ? value.getTime()
      : typeof value === 'number'
        ? value
        : /^\d{4}-\d{2}-\d{2}/.test(value)
          ? Date.parse(value)
          : Number.NaN;
  if (!Number.isFinite(ms)) return typeof value === 'string' && value !== '' ? value : '?';
  const v = new Date(ms + VIETNAM_OFFSET_MS);
  const day = `${two(v.getUTCDate())}/${two(v.getUTCMonth() + 1)}/${v.getUTCFullYear()}`;
  if (part === 'date') return day;
  return `${day} ${two(v.getUTCHours())}:${two(v.getUTCMinutes())}:${two(v.getUTCSeconds())} (+07:00)`;
}
