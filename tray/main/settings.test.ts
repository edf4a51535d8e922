import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OriginStore, configPaths } from '../../agent/config/index.ts';
import { isKysoError } from '../../agent/errors/index.ts';
import { TraySettings } from './settings.ts';

function dir(config: unknown): string {
  const d = mkdtempSync(join(tmpdir(), 'kyso-tray-'));
  writeFileSync(join(d, 'config.json'), JSON.stringify(config));
  return d;
}

const invalid = (fn: () => unknown, field: string) => {
  try {
    fn();
  } catch (error) {
    expect(isKysoError(error, 'INVALID_INPUT')).toBe(true);
    expect((error as { details: { field: string } }).details.field).toBe(field);
    return;
  }
  throw new Error('expected INVALID_INPUT');
};

describe('tray settings', () => {
  it('shows admin and user-approved origins, and revokes only the latter', () => {
    const d = dir({ allowedOrigins: ['https://vanban.hanoi.gov.vn'] });
    new OriginStore(configPaths(d).origins).add(
      'https://qlvb.example.gov.vn',
      new Date('2026-11-20T03:00:00Z'),
    );
    const settings = new TraySettings(d);
    const view = settings.view();
    expect(view.adminOrigins).toEqual(['https://vanban.hanoi.gov.vn']);
    expect(view.approvedOrigins).toEqual([
      { origin: 'https://qlvb.example.gov.vn', approvedAt: '2026-11-20T03:00:00.000Z' },
    ]);
    expect(view.locale).toBe('vi');
    expect(settings.revoke('https://qlvb.example.gov.vn/').approvedOrigins).toEqual([]);
    invalid(() => settings.revoke('javascript:alert(1)'), 'origin');
    invalid(() => settings.revoke(42), 'origin');
  });

  it('lets the user narrow the PIN cache policy but never widen it', () => {
    const settings = new TraySettings(dir({ pinCache: { enabled: true, ttlSeconds: 600 } }));
    expect(settings.effectivePinCache()).toEqual({ enabled: true, ttlSeconds: 600 });
    settings.update({ pinCache: { enabled: true, ttlSeconds: 3600 } });
    expect(settings.effectivePinCache()).toEqual({ enabled: true, ttlSeconds: 600 });
    settings.update({ pinCache: { enabled: true, ttlSeconds: 120 } });
    expect(settings.effectivePinCache()).toEqual({ enabled: true, ttlSeconds: 120 });
    settings.update({ pinCache: { enabled: false, ttlSeconds: 120 } });
    expect(settings.view().pinCache.enabled).toBe(false);

    const off = new TraySettings(dir({ pinCache: { enabled: false } }));
    off.update({ pinCache: { enabled: true, ttlSeconds: 300 } });
    expect(off.view()).toMatchObject({ pinCacheAllowed: false, pinCache: { enabled: false } });
  });

  it('remembers the language and rejects bad input from the window', () => {
    const d = dir({});
    new TraySettings(d).update({ locale: 'en' });
    expect(new TraySettings(d).locale()).toBe('en');
    const settings = new TraySettings(d);
    invalid(() => settings.update({ locale: 'fr' }), 'locale');
    invalid(() => settings.update({ pinCache: { enabled: true, ttlSeconds: 5 } }), 'pinCache');
    invalid(() => settings.update({ pinCache: { enabled: 'yes', ttlSeconds: 300 } }), 'pinCache');
    invalid(() => settings.update(null), 'settings');
  });
});
