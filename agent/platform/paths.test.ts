import { describe, expect, it } from 'vitest';
import {
  configDir,
  envValue,
  expandWindowsEnv,
  filesIn,
  homeDir,
  moduleSearchPaths,
} from './paths.ts';

const windowsEnv = {
  USERPROFILE: 'C:\\Users\\anh',
  APPDATA: 'C:\\Users\\anh\\AppData\\Roaming',
  SystemRoot: 'C:\\WINDOWS',
  ProgramFiles: 'C:\\Program Files',
  'ProgramFiles(x86)': 'C:\\Program Files (x86)',
  ProgramW6432: 'C:\\Program Files',
};

describe('config, journal and log locations', () => {
  it('Windows: %APPDATA%\\Kyso, with Windows separators', () => {
    const dir = configDir('win32', windowsEnv);
    expect(dir).toBe('C:\\Users\\anh\\AppData\\Roaming\\Kyso');
    expect(filesIn('win32', dir)).toEqual({
      dir,
      config: 'C:\\Users\\anh\\AppData\\Roaming\\Kyso\\config.json',
      origins: 'C:\\Users\\anh\\AppData\\Roaming\\Kyso\\approved-origins.json',
      journal: 'C:\\Users\\anh\\AppData\\Roaming\\Kyso\\journal\\signing.jsonl',
      logs: 'C:\\Users\\anh\\AppData\\Roaming\\Kyso\\logs',
    });
  });

  it('Windows without APPDATA: the roaming folder under the profile', () => {
    expect(configDir('win32', { USERPROFILE: 'D:\\Profiles\\lan' })).toBe(
      'D:\\Profiles\\lan\\AppData\\Roaming\\Kyso',
    );
    expect(homeDir('win32', { HOMEDRIVE: 'E:', HOMEPATH: '\\Users\\binh' })).toBe(
      'E:\\Users\\binh',
    );
  });

  it('macOS: ~/Library/Application Support/Kyso', () => {
    const dir = configDir('darwin', { HOME: '/Users/anh' });
    expect(dir).toBe('/Users/anh/Library/Application Support/Kyso');
    expect(filesIn('darwin', dir).journal).toBe(
      '/Users/anh/Library/Application Support/Kyso/journal/signing.jsonl',
    );
  });

  it('Linux: $XDG_CONFIG_HOME/kyso, else ~/.config/kyso; an empty XDG_CONFIG_HOME is unset', () => {
    expect(configDir('linux', { HOME: '/home/anh' })).toBe('/home/anh/.config/kyso');
    expect(configDir('linux', { HOME: '/home/anh', XDG_CONFIG_HOME: '' })).toBe(
      '/home/anh/.config/kyso',
    );
    expect(configDir('linux', { HOME: '/home/anh', XDG_CONFIG_HOME: '/cfg' })).toBe('/cfg/kyso');
    expect(filesIn('linux', '/cfg/kyso')).toEqual({
      dir: '/cfg/kyso',
      config: '/cfg/kyso/config.json',
      origins: '/cfg/kyso/approved-origins.json',
      journal: '/cfg/kyso/journal/signing.jsonl',
      logs: '/cfg/kyso/logs',
    });
  });

  it('KYSO_CONFIG_DIR overrides every OS', () => {
    for (const platform of ['win32', 'darwin', 'linux'] as const) {
      expect(configDir(platform, { ...windowsEnv, HOME: '/h', KYSO_CONFIG_DIR: '/x' })).toBe('/x');
    }
  });
});

describe('Windows environment expansion', () => {
  it('expands %NAME% case-insensitively and leaves unknown names', () => {
    expect(expandWindowsEnv('%systemroot%\\System32\\a.dll', windowsEnv)).toBe(
      'C:\\WINDOWS\\System32\\a.dll',
    );
    expect(expandWindowsEnv('%ProgramFiles(x86)%\\V', windowsEnv)).toBe(
      'C:\\Program Files (x86)\\V',
    );
    expect(expandWindowsEnv('%NOPE%\\x', windowsEnv)).toBe('%NOPE%\\x');
    expect(envValue('linux', { home: '/h' }, 'HOME')).toBeUndefined();
  });
});

describe('PKCS#11 module search paths', () => {
  it('Windows x64: Program Files and System32 from the environment', () => {
    expect(moduleSearchPaths('win32', windowsEnv, 'x64')).toEqual([
      'C:\\SoftHSM2\\lib\\softhsm2-x64.dll',
      'C:\\Program Files\\OpenSC Project\\OpenSC\\pkcs11\\opensc-pkcs11.dll',
      'C:\\WINDOWS\\System32\\opensc-pkcs11.dll',
    ]);
  });

  it('Windows ia32: 32-bit modules under Program Files (x86)', () => {
    expect(moduleSearchPaths('win32', windowsEnv, 'ia32')).toEqual([
      'C:\\SoftHSM2\\lib\\softhsm2.dll',
      'C:\\Program Files (x86)\\OpenSC Project\\OpenSC\\pkcs11\\opensc-pkcs11.dll',
      'C:\\WINDOWS\\System32\\opensc-pkcs11.dll',
    ]);
  });

  it('Windows with a bare environment: the default folders', () => {
    expect(moduleSearchPaths('win32', {}, 'x64')).toContain(
      'C:\\Windows\\System32\\opensc-pkcs11.dll',
    );
  });

  it('Linux: the Debian multiarch folder of the architecture, and lib64 (Fedora)', () => {
    const x64 = moduleSearchPaths('linux', {}, 'x64');
    expect(x64[0]).toBe('/usr/lib/softhsm/libsofthsm2.so');
    expect(x64).toContain('/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so');
    expect(x64).toContain('/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so');
    expect(x64).toContain('/usr/lib64/pkcs11/opensc-pkcs11.so');
    expect(x64.some((p) => p.includes('aarch64'))).toBe(false);
    expect(moduleSearchPaths('linux', {}, 'arm64')).toContain(
      '/usr/lib/aarch64-linux-gnu/opensc-pkcs11.so',
    );
    expect(new Set(x64).size).toBe(x64.length);
  });

  it('macOS: Homebrew prefix by architecture, and the OpenSC installer', () => {
    expect(moduleSearchPaths('darwin', {}, 'arm64')[0]).toBe(
      '/opt/homebrew/lib/softhsm/libsofthsm2.so',
    );
    expect(moduleSearchPaths('darwin', {}, 'x64')[0]).toBe('/usr/local/lib/softhsm/libsofthsm2.so');
    expect(moduleSearchPaths('darwin', {}, 'x64')).toContain(
      '/Library/OpenSC/lib/opensc-pkcs11.so',
    );
  });

  it('other platforms: none', () => {
    expect(moduleSearchPaths('freebsd', {}, 'x64')).toEqual([]);
  });
});
