/**
 * Where Kyso keeps its files and where PKCS#11 modules usually live, per OS, as pure
 * functions of (platform, environment, architecture): no file system, no process globals,
 * so every OS's answer is testable on any OS. agent/platform/index.ts binds them to the
 * running process.
 */
import { posix, win32 } from 'node:path';

export type Env = Readonly<Record<string, string | undefined>>;

export interface KysoFiles {
  /** The config directory itself. */
  dir: string;
  config: string;
  origins: string;
  journal: string;
  logs: string;
}

function pathApi(platform: NodeJS.Platform): typeof posix {
  return platform === 'win32' ? win32 : posix;
}

/** An environment variable, case-insensitively on Windows (as Windows itself looks them up). */
export function envValue(platform: NodeJS.Platform, env: Env, name: string): string | undefined {
  let value = env[name];
  if (value === undefined && platform === 'win32') {
    const key = Object.keys(env).find((k) => k.toUpperCase() === name.toUpperCase());
    value = key === undefined ? undefined : env[key];
  }
  return value !== undefined && value.length > 0 ? value : undefined;
}

/** Expands `%NAME%` references (Windows style); unknown names are left as they are. */
export function expandWindowsEnv(path: string, env: Env): string {
  return path.replace(/%([^%]+)%/g, (whole, name: string) => envValue('win32', env, name) ?? whole);
}

/** The user's home directory: %USERPROFILE% on Windows, $HOME elsewhere. */
export function homeDir(platform: NodeJS.Platform, env: Env): string {
  if (platform === 'win32') {
    const profile = envValue(platform, env, 'USERPROFILE');
    if (profile) return profile;
    const drive = envValue(platform, env, 'HOMEDRIVE');
    const path = envValue(platform, env, 'HOMEPATH');
    return drive && path ? win32.join(drive, path) : 'C:\\';
  }
  return envValue(platform, env, 'HOME') ?? '/';
}

/**
 * The directory for the config file, approved origins, the journal and logs:
 * KYSO_CONFIG_DIR when set; else %APPDATA%\Kyso on Windows (roaming profile),
 * ~/Library/Application Support/Kyso on macOS, $XDG_CONFIG_HOME/kyso (~/.config/kyso)
 * elsewhere.
 */
export function configDir(platform: NodeJS.Platform, env: Env): string {
  const override = envValue(platform, env, 'KYSO_CONFIG_DIR');
  if (override) return override;
  const path = pathApi(platform);
  const home = homeDir(platform, env);
  if (platform === 'win32') {
    return path.join(
      envValue(platform, env, 'APPDATA') ?? path.join(home, 'AppData', 'Roaming'),
      'Kyso',
    );
  }
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Kyso');
  return path.join(
    envValue(platform, env, 'XDG_CONFIG_HOME') ?? path.join(home, '.config'),
    'kyso',
  );
}

/** Where each file lives inside a config directory. */
export function filesIn(platform: NodeJS.Platform, dir: string): KysoFiles {
  const path = pathApi(platform);
  return {
    dir,
    config: path.join(dir, 'config.json'),
    origins: path.join(dir, 'approved-origins.json'),
    journal: path.join(dir, 'journal', 'signing.jsonl'),
    logs: path.join(dir, 'logs'),
  };
}

/** Debian/Ubuntu multiarch triplet of a Node architecture. */
function linuxTriplet(arch: string): string | undefined {
  const triplets: Record<string, string> = {
    x64: 'x86_64-linux-gnu',
    arm64: 'aarch64-linux-gnu',
    arm: 'arm-linux-gnueabihf',
    ia32: 'i386-linux-gnu',
  };
  return triplets[arch];
}

/**
 * Where SoftHSM2 and OpenSC usually install their PKCS#11 modules, most specific first.
 * Only modules built for the running architecture can load: a 32-bit agent on 64-bit
 * Windows looks in `Program Files (x86)`, a 64-bit one in `Program Files`. Vendor token
 * modules come from the device database (agent/devices), not from here.
 */
export function moduleSearchPaths(platform: NodeJS.Platform, env: Env, arch: string): string[] {
  if (platform === 'linux') {
    const triplet = linuxTriplet(arch);
    const lib64 = arch === 'x64' || arch === 'arm64' ? '/usr/lib64' : '/usr/lib';
    return [
      '/usr/lib/softhsm/libsofthsm2.so',
      ...(triplet ? [`/usr/lib/${triplet}/softhsm/libsofthsm2.so`] : []),
      '/usr/local/lib/softhsm/libsofthsm2.so',
      `${lib64}/pkcs11/libsofthsm2.so`,
      ...(triplet ? [`/usr/lib/${triplet}/opensc-pkcs11.so`] : []),
      `${lib64}/opensc-pkcs11.so`,
      `${lib64}/pkcs11/opensc-pkcs11.so`,
    ].filter((p, i, all) => all.indexOf(p) === i);
  }
  if (platform === 'darwin') {
    const brew = arch === 'arm64' ? '/opt/homebrew' : '/usr/local';
    return [
      `${brew}/lib/softhsm/libsofthsm2.so`,
      ...(arch === 'arm64' ? ['/usr/local/lib/softhsm/libsofthsm2.so'] : []),
      '/Library/OpenSC/lib/opensc-pkcs11.so',
      `${brew}/lib/opensc-pkcs11.so`,
    ];
  }
  if (platform === 'win32') {
    const is32 = arch === 'ia32';
    const programFiles = is32
      ? (envValue(platform, env, 'ProgramFiles(x86)') ??
        envValue(platform, env, 'ProgramFiles') ??
        'C:\\Program Files (x86)')
      : (envValue(platform, env, 'ProgramW6432') ??
        envValue(platform, env, 'ProgramFiles') ??
        'C:\\Program Files');
    const systemRoot = envValue(platform, env, 'SystemRoot') ?? 'C:\\Windows';
    return [
      is32 ? 'C:\\SoftHSM2\\lib\\softhsm2.dll' : 'C:\\SoftHSM2\\lib\\softhsm2-x64.dll',
      win32.join(programFiles, 'OpenSC Project', 'OpenSC', 'pkcs11', 'opensc-pkcs11.dll'),
      // A 32-bit process reading System32 is redirected to SysWOW64 by Windows itself.
      win32.join(systemRoot, 'System32', 'opensc-pkcs11.dll'),
    ].map((p) => expandWindowsEnv(p, env));
  }
  return [];
}
