import { describe, expect, it } from 'vitest';
import { parseConfig } from './config.ts';

describe('revocation and timestamp settings (issue 14)', () => {
  it('default: refuse without an answer, no TSA', () => {
    const config = parseConfig({});
    expect(config.revocation).toEqual({ policy: 'refuse', timeoutMs: 15_000, urlRewrites: {} });
    expect(config.timestamp).toEqual({
      urls: [],
      timeoutMs: 180_000,
      tries: 3,
      maxConcurrent: 4,
    });
  });

  it('reads the documented example', () => {
    const config = parseConfig({
      revocation: {
        policy: 'warn',
        urlRewrites: { 'http://ocsp.ca.ptc': 'http://ocsp.ca.gov.vn' },
      },
      timestamp: { urls: ['http://tsa.ca.gov.vn'], tries: 2 },
    });
    expect(config.revocation.policy).toBe('warn');
    expect(config.revocation.urlRewrites).toEqual({
      'http://ocsp.ca.ptc': 'http://ocsp.ca.gov.vn',
    });
    expect(config.timestamp).toMatchObject({ urls: ['http://tsa.ca.gov.vn'], tries: 2 });
  });

  it('names every bad field', () => {
    expect(() =>
      parseConfig({ revocation: { policy: 'maybe' }, timestamp: { urls: ['ftp://x'], tries: 0 } }),
    ).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    try {
      parseConfig({ revocation: { policy: 'maybe' }, timestamp: { urls: ['ftp://x'], tries: 0 } });
    } catch (error) {
      const problems = (error as { problems: { path: string }[] }).problems.map((p) => p.path);
      expect(problems).toEqual(
        expect.arrayContaining(['revocation.policy', 'timestamp.urls[0]', 'timestamp.tries']),
      );
    }
  });
});
