import { afterEach, describe, expect, it } from 'vitest';
import { formatIssuedDate, formatVietnamTime } from './time.ts';

describe('formatVietnamTime', () => {
  const originalTz = process.env.TZ;
  afterEach(() => {
    process.env.TZ = originalTz;
  });

  it('writes date; hh:mm:ss; +07:00 in Vietnam time', () => {
    expect(formatVietnamTime(new Date('2026-11-23T04:08:09Z'))).toBe(
      '23/11/2026; 11:08:09; +07:00',
    );
  });

  it('rolls the date over at 17:00 UTC', () => {
    expect(formatVietnamTime(new Date('2026-12-31T17:30:00Z'))).toBe(
      '01/01/2027; 00:30:00; +07:00',
    );
    expect(formatVietnamTime(new Date('2026-12-31T16:59:59.999Z'))).toBe(
      '31/12/2026; 23:59:59; +07:00',
    );
  });

  it('does not depend on the machine time zone', () => {
    const instant = new Date('2026-03-08T09:30:00Z'); // a US daylight-saving switch day
    const seen = new Set<string>();
    for (const tz of [
      'UTC',
      'America/Los_Angeles',
      'Asia/Tokyo',
      'Asia/Ho_Chi_Minh',
      'Europe/Paris',
    ]) {
      process.env.TZ = tz;
      seen.add(formatVietnamTime(instant));
    }
    expect([...seen]).toEqual(['08/03/2026; 16:30:00; +07:00']);
  });

  it('rejects an invalid date', () => {
    expect(() => formatVietnamTime(new Date('nope'))).toThrow(RangeError);
  });
});

describe('formatIssuedDate', () => {
  it('spells an ISO date the Vietnamese way', () => {
    expect(formatIssuedDate('2026-11-23')).toBe('ngày 23 tháng 11 năm 2026');
  });

  it('keeps any other text as given', () => {
    expect(formatIssuedDate(' ngày 05 tháng 01 năm 2027 ')).toBe('ngày 05 tháng 01 năm 2027');
  });
});
