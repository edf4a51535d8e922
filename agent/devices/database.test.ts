import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isKysoError } from '../errors/index.ts';
import {
  archMismatch,
  expandWindowsPath,
  findDeviceByAtr,
  findDeviceByUsb,
  installedModulePaths,
  loadDeviceDatabase,
  recognise,
  validateDeviceDatabase,
  type Platform,
} from './index.ts';

const raw = (): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL('./devices.json', import.meta.url), 'utf8')) as Record<
    string,
    unknown
  >;

function problemsOf(value: unknown): string {
  try {
    validateDeviceDatabase(value);
  } catch (error) {
    expect(isKysoError(error, 'DEVICE_DATABASE_INVALID')).toBe(true);
    return String((error as { details: { problems: string } }).details.problems);
  }
  throw new Error('expected DEVICE_DATABASE_INVALID');
}

const linux = (files: string[]): Platform => ({
  os: 'linux',
  arch: 'x64',
  env: {},
  exists: (p) => files.includes(p),
});

describe('device database file', () => {
  it('loads and validates the shipped devices.json', () => {
    const db = loadDeviceDatabase();
    expect(db.devices.length).toBeGreaterThan(5);
    expect(db.modules.map((m) => m.id)).toContain('safenet-etoken');
  });

  it('lists the Vietnamese market tokens and SIM PKI readers', () => {
    const db = loadDeviceDatabase();
    expect(findDeviceByUsb(db, '0529', '0620')?.model).toMatch(/eToken 5110/);
    expect(findDeviceByUsb(db, '096E', '0807')?.model).toBe('ePass2003');
    expect(findDeviceByUsb(db, '072f', '90cc')?.kind).toBe('reader');
    for (const id of ['vnpt-ca', 'viettel-ca', 'bkav-ca', 'fpt-ca', 'newca', 'vgca', 'bit4id']) {
      expect(db.modules.find((m) => m.id === id)?.certainty, id).toBe('reported');
    }
  });

  it('never lists a 32-bit location under a 64-bit architecture, nor the reverse', () => {
    const db = loadDeviceDatabase();
    for (const module of db.modules) {
      for (const [os, perArch] of Object.entries(module.files)) {
        for (const [arch, paths] of Object.entries(perArch)) {
          for (const path of paths) {
            expect(
              archMismatch(os as 'linux', arch as 'x64', path),
              `${module.id} ${path}`,
            ).toBeNull();
          }
        }
      }
    }
  });
});

describe('validation', () => {
  it('rejects a SysWOW64 DLL listed under Windows x64', () => {
    const db = raw();
    const modules = db['modules'] as { files: { windows?: { x64?: string[]; ia32?: string[] } } }[];
    const etoken = modules[0];
    if (!etoken?.files.windows) throw new Error('fixture');
    etoken.files.windows = {
      x64: etoken.files.windows.ia32 ?? [],
      ia32: etoken.files.windows.x64 ?? [],
    };
    const problems = problemsOf(db);
    expect(problems).toMatch(
      /windows\.x64: "%SystemRoot%\\SysWOW64\\eTPKCS11\.dll" is a 32-bit location/,
    );
    expect(problems).toMatch(
      /windows\.ia32: "%SystemRoot%\\System32\\eTPKCS11\.dll" is a 64-bit location/,
    );
  });

  it('rejects Program Files (x86) under x64 and an i386 path under Linux x64', () => {
    expect(archMismatch('windows', 'x64', 'C:\\Program Files (x86)\\X\\x.dll')).toMatch(/32-bit/);
    expect(archMismatch('windows', 'arm64', '%ProgramFiles(x86)%\\X\\x.dll')).toMatch(/32-bit/);
    expect(archMismatch('linux', 'x64', '/usr/lib/i386-linux-gnu/x.so')).toMatch(/32-bit/);
    expect(archMismatch('linux', 'arm64', '/usr/lib/x86_64-linux-gnu/x.so')).toMatch(/x86_64/);
    expect(archMismatch('linux', 'x64', 'relative/x.so')).toMatch(/absolute/);
    expect(archMismatch('windows', 'x64', 'eTPKCS11.dll')).toMatch(/absolute/);
    expect(archMismatch('macos', 'arm64', '/usr/local/lib/x.dll')).toMatch(/dylib/);
  });

  it('reports every missing field by its path', () => {
    const db = raw();
    const devices = db['devices'] as Record<string, unknown>[];
    const modules = db['modules'] as Record<string, unknown>[];
    delete devices[0]?.['vendor'];
    delete devices[1]?.['modules'];
    if (devices[2]) devices[2]['usb'] = [{ vid: '96E', pid: '0807' }];
    delete modules[1]?.['install'];
    if (modules[2]) modules[2]['certainty'] = 'maybe';
    const problems = problemsOf(db);
    expect(problems).toContain('devices[0].vendor: must be a non-empty string');
    expect(problems).toContain('devices[1].modules: must list at least one module id');
    expect(problems).toContain('devices[2].usb[0].vid: must be 4 lowercase hex digits');
    expect(problems).toContain('modules[1].install: must be an object { vi, en }');
    expect(problems).toContain('modules[2].certainty: must be "verified" or "reported"');
  });

  it('rejects unknown module references, duplicate ids, duplicate USB ids, bad ATR masks', () => {
    const db = raw();
    const devices = db['devices'] as Record<string, unknown>[];
    if (devices[0]) devices[0]['modules'] = ['no-such-module'];
    if (devices[1]) devices[1]['id'] = devices[0]?.['id'];
    if (devices[3]) devices[3]['usb'] = [{ vid: '0529', pid: '0620' }];
    if (devices[2]) devices[2]['atr'] = [{ value: '3b00', mask: 'ff' }];
    const problems = problemsOf(db);
    expect(problems).toContain('unknown module "no-such-module"');
    expect(problems).toContain('duplicate id "safenet-etoken-5110"');
    expect(problems).toMatch(/USB id 0529:0620 listed by both/);
    expect(problems).toContain(
      'devices[2].atr[0].mask: must be lowercase hex of the same length as value',
    );
  });

  it('rejects a device with neither USB id nor ATR, and unknown OS or arch keys', () => {
    const db = raw();
    const devices = db['devices'] as Record<string, unknown>[];
    const modules = db['modules'] as { files: Record<string, unknown> }[];
    if (devices[0]) {
      devices[0]['usb'] = [];
      devices[0]['atr'] = [];
    }
    if (modules[0])
      modules[0].files = { win64: { x64: ['C:\\x.dll'] }, linux: { amd64: ['/x.so'] } };
    const problems = problemsOf(db);
    expect(problems).toContain('devices[0]: needs at least one USB id or ATR');
    expect(problems).toMatch(/modules\[0\]\.files\.win64: unknown OS/);
    expect(problems).toMatch(/modules\[0\]\.files\.linux\.amd64: unknown architecture/);
  });

  it('rejects a non-object root and a wrong version', () => {
    expect(problemsOf([])).toBe('root must be an object');
    expect(problemsOf({ version: 2, modules: [], devices: [] })).toContain('version: must be 1');
  });
});

describe('recognition', () => {
  const db = loadDeviceDatabase();

  it('matches an ePass2003 ATR through its mask, and not a different ATR', () => {
    expect(
      findDeviceByAtr(db, '3B:9F:95:81:31:FE:9F:00:66:46:53:05:10:00:11:71:DF:00:00:00:6A:82:5E')
        ?.id,
    ).toBe('feitian-epass2003');
    // Masked-out bytes may differ.
    expect(findDeviceByAtr(db, '3b9f958131129f006646530501231171df0000006a8200')?.id).toBe(
      'feitian-epass2003',
    );
    expect(findDeviceByAtr(db, '3b9f958131fe9f006646530510001171df0000006a82')).toBeUndefined();
    expect(findDeviceByAtr(db, '3b8f8001804f0ca000000306030001000000006a')).toBeUndefined();
  });

  it('matches any product id of a vendor-wide entry', () => {
    expect(findDeviceByUsb(db, '25dd', '1234')?.id).toBe('bit4id-token');
    expect(findDeviceByUsb(db, 'ffff', '0001')).toBeUndefined();
  });

  it('names the installed module for a recognised device', () => {
    const found = recognise(
      db,
      { vid: '096e', pid: '0807' },
      linux(['/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so']),
    );
    expect(found?.installedModule).toEqual({
      moduleId: 'opensc',
      path: '/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so',
    });
    expect(found?.install).toBeUndefined();
  });

  it('reports a device with no loadable module by name with what to install', () => {
    const found = recognise(db, { vid: '0x529', pid: '620' }, linux([]));
    expect(found?.device.model).toMatch(/SafeNet eToken 5110/);
    expect(found?.installedModule).toBeUndefined();
    expect(found?.install?.product).toBe('SafeNet Authentication Client');
    expect(found?.install?.vi).toMatch(/Cài SafeNet Authentication Client/);
    expect(found?.usb).toMatchObject({ vid: '0529', pid: '0620' });
  });

  it('resolves Windows paths with the environment, System32 for 64-bit and SysWOW64 for 32-bit', () => {
    const seen: string[] = [];
    const win = (arch: 'x64' | 'ia32'): Platform => ({
      os: 'windows',
      arch,
      env: { SystemRoot: 'D:\\WINNT' },
      exists: (p) => {
        seen.push(p);
        return false;
      },
    });
    expect(installedModulePaths(db, win('x64'))).toEqual([]);
    expect(seen).toContain('D:\\WINNT\\System32\\eTPKCS11.dll');
    expect(seen.some((p) => p.includes('SysWOW64'))).toBe(false);
    seen.length = 0;
    installedModulePaths(db, win('ia32'));
    expect(seen).toContain('D:\\WINNT\\SysWOW64\\eTPKCS11.dll');
    expect(seen.some((p) => p.includes('System32'))).toBe(false);
    expect(expandWindowsPath('%PROGRAMFILES%\\x.dll', {})).toBe('C:\\Program Files\\x.dll');
  });

  it('finds SoftHSM2 installed on this machine', () => {
    const platform: Platform = {
      os: 'linux',
      arch: 'x64',
      env: {},
      exists: (p) => p === '/usr/lib/softhsm/libsofthsm2.so',
    };
    expect(installedModulePaths(db, platform)).toEqual(['/usr/lib/softhsm/libsofthsm2.so']);
  });
});
