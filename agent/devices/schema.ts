/**
 * Validation of the device database. Hand-written (no schema library) so the checks can also
 * enforce facts a JSON Schema cannot: module references resolve, ids are unique, and paths
 * match their architecture (a 32-bit DLL listed under x64 is the classic install mistake).
 */
import { KysoError } from '../errors/index.ts';
import {
  ARCHES,
  OS_NAMES,
  type Arch,
  type AtrPattern,
  type DeviceDatabase,
  type DeviceEntry,
  type ModuleEntry,
  type OsName,
  type UsbId,
} from './types.ts';

type Json = unknown;

class Problems {
  readonly list: string[] = [];
  add(where: string, what: string): void {
    this.list.push(`${where}: ${what}`);
  }
}

function isRecord(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(p: Problems, where: string, obj: Record<string, Json>, key: string): string {
  const value = obj[key];
  if (typeof value !== 'string' || value.trim() === '') {
    p.add(`${where}.${key}`, 'must be a non-empty string');
    return '';
  }
  return value;
}

function hint(p: Problems, where: string, value: Json): { vi: string; en: string } {
  if (!isRecord(value)) {
    p.add(where, 'must be an object { vi, en }');
    return { vi: '', en: '' };
  }
  return { vi: str(p, where, value, 'vi'), en: str(p, where, value, 'en') };
}

/** Why a path cannot belong to this OS/architecture, or null when it fits. */
export function archMismatch(os: OsName, arch: Arch, path: string): string | null {
  const lower = path.toLowerCase();
  if (os === 'windows') {
    if (!/^(%[a-z()0-9]+%|[a-z]:)\\/i.test(path)) return 'is not an absolute Windows path';
    // On 64-bit Windows, System32 holds 64-bit DLLs and SysWOW64 the 32-bit ones: a 64-bit
    // agent must never be pointed at SysWOW64 or Program Files (x86), and a 32-bit one must
    // name SysWOW64 explicitly (System32 means the 64-bit folder to the installer).
    const is32Dir =
      lower.includes('\\syswow64\\') ||
      lower.includes('program files (x86)') ||
      lower.includes('%programfiles(x86)%');
    if ((arch === 'x64' || arch === 'arm64') && is32Dir)
      return 'is a 32-bit location under a 64-bit architecture';
    if (arch === 'ia32' && (lower.includes('\\system32\\') || lower.includes('%programfiles%\\'))) {
      return 'is a 64-bit location under ia32 (use SysWOW64 or Program Files (x86))';
    }
    if (!lower.endsWith('.dll')) return 'must end in .dll';
    return null;
  }
  if (!path.startsWith('/')) return 'is not an absolute path';
  if (os === 'linux') {
    if (arch !== 'x64' && lower.includes('x86_64'))
      return 'is an x86_64 path under another architecture';
    if (arch !== 'arm64' && lower.includes('aarch64'))
      return 'is an aarch64 path under another architecture';
    if (arch !== 'ia32' && (lower.includes('i386') || lower.includes('/lib32/')))
      return 'is a 32-bit path under a 64-bit architecture';
    if (arch === 'ia32' && lower.includes('lib64')) return 'is a 64-bit path under ia32';
    if (!/\.so(\.[0-9]+)*$/.test(lower)) return 'must be a .so library';
    return null;
  }
  if (!/\.(dylib|so)$/.test(lower)) return 'must be a .dylib or .so library';
  return null;
}

function validateModule(p: Problems, where: string, value: Json): ModuleEntry {
  if (!isRecord(value)) {
    p.add(where, 'must be an object');
    return {
      id: '',
      vendor: '',
      product: '',
      certainty: 'reported',
      files: {},
      install: { vi: '', en: '' },
    };
  }
  const id = str(p, where, value, 'id');
  const certainty = value['certainty'];
  if (certainty !== 'verified' && certainty !== 'reported') {
    p.add(`${where}.certainty`, 'must be "verified" or "reported"');
  }
  const files: ModuleEntry['files'] = {};
  const rawFiles = value['files'];
  if (!isRecord(rawFiles) || Object.keys(rawFiles).length === 0) {
    p.add(`${where}.files`, 'must list files for at least one OS');
  } else {
    for (const [osKey, perArch] of Object.entries(rawFiles)) {
      if (!OS_NAMES.includes(osKey as OsName)) {
        p.add(`${where}.files.${osKey}`, `unknown OS (use ${OS_NAMES.join(', ')})`);
        continue;
      }
      const os = osKey as OsName;
      if (!isRecord(perArch) || Object.keys(perArch).length === 0) {
        p.add(`${where}.files.${os}`, 'must list at least one architecture');
        continue;
      }
      const byArch: Partial<Record<Arch, string[]>> = {};
      for (const [archKey, paths] of Object.entries(perArch)) {
        const at = `${where}.files.${os}.${archKey}`;
        if (!ARCHES.includes(archKey as Arch)) {
          p.add(at, `unknown architecture (use ${ARCHES.join(', ')})`);
          continue;
        }
        const arch = archKey as Arch;
        if (
          !Array.isArray(paths) ||
          paths.length === 0 ||
          !paths.every((x) => typeof x === 'string')
        ) {
          p.add(at, 'must be a non-empty list of paths');
          continue;
        }
        for (const path of paths as string[]) {
          const why = archMismatch(os, arch, path);
          if (why) p.add(at, `"${path}" ${why}`);
        }
        byArch[arch] = paths as string[];
      }
      files[os] = byArch;
    }
  }
  return {
    id,
    vendor: str(p, where, value, 'vendor'),
    product: str(p, where, value, 'product'),
    certainty: certainty === 'verified' ? 'verified' : 'reported',
    files,
    install: hint(p, `${where}.install`, value['install']),
  };
}

const HEX4 = /^[0-9a-f]{4}$/;
const HEX_BYTES = /^(?:[0-9a-f]{2})+$/;

function validateDevice(
  p: Problems,
  where: string,
  value: Json,
  moduleIds: Set<string>,
): DeviceEntry {
  if (!isRecord(value)) {
    p.add(where, 'must be an object');
    return { id: '', vendor: '', model: '', kind: 'token', usb: [], atr: [], modules: [] };
  }
  const kind = value['kind'];
  if (kind !== 'token' && kind !== 'reader') p.add(`${where}.kind`, 'must be "token" or "reader"');
  const usb: UsbId[] = [];
  const rawUsb = value['usb'];
  if (!Array.isArray(rawUsb)) p.add(`${where}.usb`, 'must be a list');
  else
    rawUsb.forEach((u: Json, i) => {
      const at = `${where}.usb[${i}]`;
      if (!isRecord(u)) return p.add(at, 'must be { vid, pid }');
      const vid = u['vid'];
      const pid = u['pid'];
      if (typeof vid !== 'string' || !HEX4.test(vid))
        p.add(`${at}.vid`, 'must be 4 lowercase hex digits');
      if (typeof pid !== 'string' || !(pid === '*' || HEX4.test(pid))) {
        p.add(`${at}.pid`, 'must be 4 lowercase hex digits or "*"');
      }
      usb.push({ vid: String(vid), pid: String(pid) });
    });
  const atr: AtrPattern[] = [];
  const rawAtr = value['atr'];
  if (!Array.isArray(rawAtr)) p.add(`${where}.atr`, 'must be a list');
  else
    rawAtr.forEach((a: Json, i) => {
      const at = `${where}.atr[${i}]`;
      if (!isRecord(a) || typeof a['value'] !== 'string' || !HEX_BYTES.test(a['value'])) {
        return p.add(at, 'value must be lowercase hex bytes');
      }
      const mask = a['mask'];
      if (
        mask !== undefined &&
        (typeof mask !== 'string' || mask.length !== a['value'].length || !HEX_BYTES.test(mask))
      ) {
        return p.add(`${at}.mask`, 'must be lowercase hex of the same length as value');
      }
      atr.push(typeof mask === 'string' ? { value: a['value'], mask } : { value: a['value'] });
    });
  if (usb.length === 0 && atr.length === 0) p.add(where, 'needs at least one USB id or ATR');
  const modules = value['modules'];
  if (!Array.isArray(modules) || modules.length === 0)
    p.add(`${where}.modules`, 'must list at least one module id');
  else
    for (const m of modules) {
      if (typeof m !== 'string' || !moduleIds.has(m))
        p.add(`${where}.modules`, `unknown module "${String(m)}"`);
    }
  const notes = value['notes'];
  if (notes !== undefined && typeof notes !== 'string') p.add(`${where}.notes`, 'must be a string');
  return {
    id: str(p, where, value, 'id'),
    vendor: str(p, where, value, 'vendor'),
    model: str(p, where, value, 'model'),
    kind: kind === 'reader' ? 'reader' : 'token',
    usb,
    atr,
    modules: Array.isArray(modules) ? modules.map(String) : [],
    ...(typeof notes === 'string' ? { notes } : {}),
  };
}

/** Validates parsed JSON as a device database; throws DEVICE_DATABASE_INVALID listing every problem. */
export function validateDeviceDatabase(value: Json, source = 'devices.json'): DeviceDatabase {
  const p = new Problems();
  if (!isRecord(value)) {
    throw new KysoError('DEVICE_DATABASE_INVALID', { source, problems: 'root must be an object' });
  }
  if (value['version'] !== 1) p.add('version', 'must be 1');
  const rawModules = Array.isArray(value['modules']) ? value['modules'] : [];
  if (!Array.isArray(value['modules'])) p.add('modules', 'must be a list');
  const modules = rawModules.map((m: Json, i) => validateModule(p, `modules[${i}]`, m));
  const moduleIds = new Set<string>();
  for (const m of modules) {
    if (moduleIds.has(m.id)) p.add('modules', `duplicate id "${m.id}"`);
    moduleIds.add(m.id);
  }
  const rawDevices = Array.isArray(value['devices']) ? value['devices'] : [];
  if (!Array.isArray(value['devices'])) p.add('devices', 'must be a list');
  const devices = rawDevices.map((d: Json, i) => validateDevice(p, `devices[${i}]`, d, moduleIds));
  const deviceIds = new Set<string>();
  const usbSeen = new Map<string, string>();
  for (const d of devices) {
    if (deviceIds.has(d.id)) p.add('devices', `duplicate id "${d.id}"`);
    deviceIds.add(d.id);
    for (const u of d.usb) {
      const key = `${u.vid}:${u.pid}`;
      const other = usbSeen.get(key);
      if (other !== undefined)
        p.add('devices', `USB id ${key} listed by both "${other}" and "${d.id}"`);
      usbSeen.set(key, d.id);
    }
  }
  if (p.list.length > 0) {
    throw new KysoError('DEVICE_DATABASE_INVALID', { source, problems: p.list.join('; ') });
  }
  return { version: 1, modules, devices };
}
