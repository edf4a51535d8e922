/**
 * Signing time as Decree 30/2020 Appendix I asks for it: date; hh:mm:ss; Vietnam time zone
 * (ISO 8601 offset). Always UTC+07:00 (Vietnam has no daylight saving), whatever the
 * machine's zone: a document signed on a laptop set to another zone must read the same.
 */
const VIETNAM_OFFSET_MINUTES = 7 * 60;

const two = (n: number): string => String(n).padStart(2, '0');

/** "23/11/2026; 18:08:08; +07:00" */
export function formatVietnamTime(date: Date): string {
  const t = date.getTime();
  if (!Number.isFinite(t)) throw new RangeError('invalid date');
  // Shift the instant so the UTC fields read Vietnam's wall clock.
  const v = new Date(t + VIETNAM_OFFSET_MINUTES * 60_000);
  const day = `${two(v.getUTCDate())}/${two(v.getUTCMonth() + 1)}/${v.getUTCFullYear()}`;
  const clock = `${two(v.getUTCHours())}:${two(v.getUTCMinutes())}:${two(v.getUTCSeconds())}`;
  return `${day}; ${clock}; +07:00`;
}

/** "2026-11-23" → "ngày 23 tháng 11 năm 2026" (the wording used in the date line); other text unchanged. */
export function formatIssuedDate(text: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  if (!m) return text.trim();
  return `ngày ${m[3] ?? ''} tháng ${m[2] ?? ''} năm ${m[1] ?? ''}`;
}
