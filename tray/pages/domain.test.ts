import { describe, expect, it } from 'vitest';
import { registrableDomain, splitHost } from './domain.ts';

describe('registrable domain heuristic', () => {
  it('keeps the owner of Vietnamese second-level domains', () => {
    expect(registrableDomain('vanban.hanoi.gov.vn')).toBe('hanoi.gov.vn');
    expect(registrableDomain('hanoi.gov.vn')).toBe('hanoi.gov.vn');
    expect(registrableDomain('qlvb.truong.edu.vn')).toBe('truong.edu.vn');
    expect(registrableDomain('a.b.congty.com.vn')).toBe('congty.com.vn');
    expect(registrableDomain('dichvucong.vn')).toBe('dichvucong.vn');
    expect(registrableDomain('www.dichvucong.vn')).toBe('dichvucong.vn');
  });

  it('shows the real owner of a look-alike host', () => {
    expect(splitHost('vanban.hanoi.gov.vn.evil.com')).toEqual({
      prefix: 'vanban.hanoi.gov.vn.',
      domain: 'evil.com',
    });
    expect(registrableDomain('hanoi.gov.vn-dangnhap.net')).toBe('vn-dangnhap.net');
    expect(registrableDomain('gov.vn.example.co.uk')).toBe('example.co.uk');
    expect(registrableDomain('EVIL.COM.')).toBe('evil.com');
  });

  it('shows addresses and single labels whole', () => {
    expect(registrableDomain('127.0.0.1')).toBe('127.0.0.1');
    expect(registrableDomain('[::1]')).toBe('[::1]');
    expect(registrableDomain('localhost')).toBe('localhost');
  });
});
