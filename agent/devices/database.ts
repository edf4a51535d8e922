/**
 * The device database: which USB ids and ATRs belong to which token or reader, and which
 * PKCS#11 module drives it on this OS and architecture. Data lives in devices.json.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { findInstalledModules } from '../tokens/index.ts';
import { isKysoError, KysoError } from '../errors/index.ts';
import { parseJsonDocument, type Positioned } from '../validation/index.ts';
import { validateDeviceDatabase } from './schema.ts';
import type {
  Arch,
  DeviceDatabase,
  DeviceEntry,
  ModuleCandidate,
  ModuleEntry,
  OsName,
  RecognisedDevice,
  UsbDeviceRef,
} from './types.ts';

const DEFAULT_PATH = new URL('./devices.json', import.meta.url);

let cached: DeviceDatabase | undefined;

/** Loads and validates a database file; the default one is cached. */
export function loadDeviceDatabase(path?: string): DeviceDatabase {
  if (path === undefined && cached) return cached;
  const source = path ?? DEFAULT_PATH;
  const text = readFileSync(source, 'utf8');
  let db: DeviceDatabase;
  try {
    db = validateDeviceDatabase(JSON.parse(text) as unknown, String(source));
  } catch (error) {
    // Start-up reads the bundled file on every run: parse positions only to explain a failure.
    if (error instanceof SyntaxError || isKysoError(error, 'DEVICE_DATABASE_INVALID')) {
      throw explain(text, String(source));
    }
    throw error;
  }
  if (path === undefined) cached = db;
  return db;
}

/** The same failure, with the line and column of each problem (or of the JSON mistake). */
function explain(text: string, source: string): KysoError {
  let parsed: Positioned;
  try {
    parsed = parseJsonDocument(text, 'DEVICE_DATABASE_INVALID', { source }, '(json)');
  } catch (error) {
    if (isKysoError(error)) return error;
    throw error;
  }
  try {
    validateDeviceDatabase(parsed.value, source, parsed.positions);
  } catch (error) {
    if (isKysoError(error)) return error;
    throw error;
  }
  return new KysoError('INTERNAL_ERROR', { reason: 'device database validated on second read' });
}

export interface Platform {
  os: OsName;
  arch: Arch;
  env: Record<string, string | undefined>;
  exists: (path: string) => boolean;
}

export function currentPlatform(): Platform {
  const os: OsName =
    process.platform === 'win32' ? 'windows' : process.platform === 'darwin' ? 'macos' : 'linux';
  const arch: Arch = process.arch === 'ia32' ? 'ia32' : process.arch === 'arm64' ? 'arm64' : 'x64';
  return { os, arch, env: process.env, exists: existsSync };
}

/** Expands %VAR% (Windows, case-insensitive) with the usual defaults when unset. */
export function expandWindowsPath(path: string, env: Record<string, string | undefined>): string {
  const defaults: Record<string, string> = {
    systemroot: 'C:\\Windows',
    programfiles: 'C:\\Program Files',
    'programfiles(x86)': 'C:\\Program Files (x86)',
  };
  return path.replace(/%([^%]+)%/g, (whole, name: string) => {
    const key = Object.keys(env).find((k) => k.toLowerCase() === name.toLowerCase());
    const value = key === undefined ? undefined : env[key];
    return value ?? defaults[name.toLowerCase()] ?? whole;
  });
}

export function modulePaths(module: ModuleEntry, platform: Platform): string[] {
  const paths = module.files[platform.os]?.[platform.arch] ?? [];
  return platform.os === 'windows' ? paths.map((p) => expandWindowsPath(p, platform.env)) : paths;
}

/** Every known module file for this platform, and whether it exists. */
export function moduleCandidates(
  db: DeviceDatabase,
  platform: Platform = currentPlatform(),
): ModuleCandidate[] {
  return db.modules.flatMap((module) =>
    modulePaths(module, platform).map((path) => ({ module, path, exists: platform.exists(path) })),
  );
}

/** Paths of installed known modules, one per module (its first existing file). */
export function installedModulePaths(
  db: DeviceDatabase,
  platform: Platform = currentPlatform(),
): string[] {
  const seen = new Set<string>();
  const result: string[] = [];
  for (const c of moduleCandidates(db, platform)) {
    if (!c.exists || seen.has(c.module.id) || result.includes(c.path)) continue;
    seen.add(c.module.id);
    result.push(c.path);
  }
  return result;
}

export function normaliseUsbId(value: number | string): string {
  const text = typeof value === 'number' ? value.toString(16) : value.replace(/^0x/i, '');
  return text.toLowerCase().padStart(4, '0');
}

export function findDeviceByUsb(
  db: DeviceDatabase,
  vid: string,
  pid: string,
): DeviceEntry | undefined {
  const v = normaliseUsbId(vid);
  const p = normaliseUsbId(pid);
  return (
    db.devices.find((d) => d.usb.some((u) => u.vid === v && u.pid === p)) ??
    db.devices.find((d) => d.usb.some((u) => u.vid === v && u.pid === '*'))
  );
}

/** Matches an ATR (hex, separators allowed) against the database's patterns and masks. */
export function findDeviceByAtr(db: DeviceDatabase, atr: string): DeviceEntry | undefined {
  const hex = atr.replace(/[^0-9a-f]/gi, '').toLowerCase();
  const bytes = Buffer.from(hex, 'hex');
  return db.devices.find((d) =>
    d.atr.some((pattern) => {
      const value = Buffer.from(pattern.value, 'hex');
      if (value.length !== bytes.length) return false;
      const mask = pattern.mask ? Buffer.from(pattern.mask, 'hex') : undefined;
      return value.every((b, i) => {
        const m = mask ? (mask[i] ?? 0xff) : 0xff;
        return ((bytes[i] ?? 0) & m) === (b & m);
      });
    }),
  );
}

/** Recognises a USB device and says which installed module drives it, or what to install. */
export function recognise(
  db: DeviceDatabase,
  usb: UsbDeviceRef,
  platform: Platform = currentPlatform(),
): RecognisedDevice | undefined {
  const device = findDeviceByUsb(db, usb.vid, usb.pid);
  if (!device) return undefined;
  const ref = { ...usb, vid: normaliseUsbId(usb.vid), pid: normaliseUsbId(usb.pid) };
  for (const moduleId of device.modules) {
    const module = db.modules.find((m) => m.id === moduleId);
    if (!module) continue;
    const path = modulePaths(module, platform).find((p) => platform.exists(p));
    if (path) return { usb: ref, device, installedModule: { moduleId, path } };
  }
  const first = db.modules.find((m) => m.id === device.modules[0]);
  return {
    usb: ref,
    device,
    ...(first ? { install: { ...first.install, moduleId: first.id, product: first.product } } : {}),
  };
}

/**
 * The PKCS#11 modules the agent loads: the configured ones when there are any, otherwise
 * every installed module the device database knows plus the token service's known paths
 * (SoftHSM2, OpenSC), one per library file.
 */
export function modulesToLoad(
  configured: readonly string[],
  db: DeviceDatabase = loadDeviceDatabase(),
  platform: Platform = currentPlatform(),
): string[] {
  if (configured.length > 0) return [...new Set(configured)];
  const byFile = new Map<string, string>();
  for (const path of [...installedModulePaths(db, platform), ...findInstalledModules()]) {
    let file = path;
    try {
      file = realpathSync(path);
    } catch {
      // Listed as installed but unreadable now: keep the path; loading will say why.
    }
    if (!byFile.has(file)) byFile.set(file, path);
  }
  return [...byFile.values()];
}
