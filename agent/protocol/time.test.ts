import { describe, expect, it } from 'vitest';
import { formatTime } from './time.ts';

describe('formatTime', () => {
  it('shows Vietnam time with the offset, day first', () => {
    expect(formatTime('2026-11-23T04:08:09Z')).toBe('23/11/2026 11:08:09 (+07:00)');
    expect(formatTime(new Date('2026-11-23T04:08:09.999Z'))).toBe('23/11/2026 11:08:09 (+07:00)');
    expect(formatTime(Date.parse('2026-01-05T00:00:00+07:00'))).toBe(
      '05/01/2026 00:00:00 (+07:00)',
    );
  });

  it('crosses the day boundary in Vietnam, not in UTC', () => {
    expect(formatTime('2026-12-31T17:30:00Z')).toBe('01/01/2027 00:30:00 (+07:00)');
    expect(formatTime('2026-12-31T17:30:00Z', 'date')).toBe('01/01/2027');
  });

  it('returns an unreadable value as given instead of "Invalid Date"', () => {
    expect(formatTime('D:2026')).toBe('D:2026');
    expect(formatTime('')).toBe('?');
    expect(formatTime(Number.NaN)).toBe('?');
  });
});
