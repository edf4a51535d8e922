/**
 * Validation of the device database, on the shared validator (../validation). Beyond the
 * shapes it enforces facts a JSON Schema cannot: module references resolve, ids are unique,
 * and paths match their architecture (a 32-bit DLL listed under x64 is the classic install
 * mistake).
 */
import { KysoError } from '../errors/index.ts';
import {
  array,
  childPath,
  object,
  oneOf,
  optional,
  refine,
  schema,
  string,
  validate,
  ValidationError,
  type Context,
  type Positions,
  type Schema,
  type Text,
} from '../validation/index.ts';
import {
  ARCHES,
  OS_NAMES,
  type Arch,
  type DeviceDatabase,
  type ModuleEntry,
  type OsName,
} from './types.ts';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Required members report "must be ..." like a wrong value (absent reads as undefined). */
function present<T>(inner: Schema<T>): Schema<T> {
  return schema(inner.expected, inner.read, true);
}

/** A value that passes `test`, reported with `message` (not "must be ...") otherwise. */
function checked<T>(
  expected: Text,
  message: Text,
  test: (value: unknown) => value is T,
): Schema<T> {
  return schema(expected, (value, path, ctx) => (test(value) ? value : ctx.report(path, message)));
}

/** Why a path cannot belong to this OS/architecture, or null when it fits. */
export function archMismatch(os: OsName, arch: Arch, path: string): string | null {
  return archProblem(os, arch, path)?.en ?? null;
}

function archProblem(os: OsName, arch: Arch, path: string): Text | null {
  const lower = path.toLowerCase();
  if (os === 'windows') {
    if (!/^(%[a-z()0-9]+%|[a-z]:)\\/i.test(path))
      return {
        vi: 'không phải đường dẫn Windows tuyệt đối',
        en: 'is not an absolute Windows path',
      };
    // On 64-bit Windows, System32 holds 64-bit DLLs and SysWOW64 the 32-bit ones: a 64-bit
    // agent must never be pointed at SysWOW64 or Program Files (x86), and a 32-bit one must
    // name SysWOW64 explicitly (System32 means the 64-bit folder to the installer).
    const is32Dir =
      lower.includes('\\syswow64\\') ||
      lower.includes('program files (x86)') ||
      lower.includes('%programfiles(x86)%');
    if ((arch === 'x64' || arch === 'arm64') && is32Dir)
      return {
        vi: 'là thư mục 32-bit nhưng nằm dưới kiến trúc 64-bit',
        en: 'is a 32-bit location under a 64-bit architecture',
      };
    if (arch === 'ia32' && (lower.includes('\\system32\\') || lower.includes('%programfiles%\\'))) {
      return {
        vi: 'là thư mục 64-bit nhưng nằm dưới ia32 (hãy dùng SysWOW64 hoặc Program Files (x86))',
        en: 'is a 64-bit location under ia32 (use SysWOW64 or Program Files (x86))',
      };
    }
    if (!lower.endsWith('.dll')) return { vi: 'phải có đuôi .dll', en: 'must end in .dll' };
    return null;
  }
  if (!path.startsWith('/'))
    return { vi: 'không phải đường dẫn tuyệt đối', en: 'is not an absolute path' };
  if (os === 'linux') {
    if (arch !== 'x64' && lower.includes('x86_64'))
      return {
        vi: 'là đường dẫn x86_64 nhưng nằm dưới kiến trúc khác',
        en: 'is an x86_64 path under another architecture',
      };
    if (arch !== 'arm64' && lower.includes('aarch64'))
      return {
        vi: 'là đường dẫn aarch64 nhưng nằm dưới kiến trúc khác',
        en: 'is an aarch64 path under another architecture',
      };
    if (arch !== 'ia32' && (lower.includes('i386') || lower.includes('/lib32/')))
      return {
        vi: 'là đường dẫn 32-bit nhưng nằm dưới kiến trúc 64-bit',
        en: 'is a 32-bit path under a 64-bit architecture',
      };
    if (arch === 'ia32' && lower.includes('lib64'))
      return { vi: 'là đường dẫn 64-bit nhưng nằm dưới ia32', en: 'is a 64-bit path under ia32' };
    if (!/\.so(\.[0-9]+)*$/.test(lower))
      return { vi: 'phải là thư viện .so', en: 'must be a .so library' };
    return null;
  }
  if (!/\.(dylib|so)$/.test(lower))
    return { vi: 'phải là thư viện .dylib hoặc .so', en: 'must be a .dylib or .so library' };
  return null;
}

const HEX4 = /^[0-9a-f]{4}$/;
const HEX_BYTES = /^(?:[0-9a-f]{2})+$/;

const nonEmpty = present(
  string({
    nonBlank: true,
    expected: { vi: 'một chuỗi ký tự không rỗng', en: 'a non-empty string' },
  }),
);
const LIST: Text = { vi: 'một danh sách', en: 'a list' };

const hint = present(
  object(
    { vi: nonEmpty, en: nonEmpty },
    { expected: { vi: 'một đối tượng { vi, en }', en: 'an object { vi, en }' } },
  ),
);

/** files: OS → architecture → paths, each path checked against its OS and architecture. */
const files = schema<ModuleEntry['files']>(
  { vi: 'danh sách tệp theo hệ điều hành', en: 'files per OS' },
  (value, path, ctx) => {
    if (!isRecord(value) || Object.keys(value).length === 0) {
      return ctx.report(path, {
        vi: 'phải liệt kê tệp cho ít nhất một hệ điều hành',
        en: 'must list files for at least one OS',
      });
    }
    const out: ModuleEntry['files'] = {};
    for (const [osKey, perArch] of Object.entries(value)) {
      const osPath = childPath(path, osKey);
      if (!OS_NAMES.includes(osKey as OsName)) {
        ctx.report(
          osPath,
          {
            vi: `không phải hệ điều hành đã biết (dùng ${OS_NAMES.join(', ')})`,
            en: `unknown OS (use ${OS_NAMES.join(', ')})`,
          },
          { at: 'key' },
        );
        continue;
      }
      const os = osKey as OsName;
      if (!isRecord(perArch) || Object.keys(perArch).length === 0) {
        ctx.report(osPath, {
          vi: 'phải liệt kê ít nhất một kiến trúc',
          en: 'must list at least one architecture',
        });
        continue;
      }
      const byArch: Partial<Record<Arch, string[]>> = {};
      for (const [archKey, paths] of Object.entries(perArch)) {
        const at = childPath(osPath, archKey);
        if (!ARCHES.includes(archKey as Arch)) {
          ctx.report(
            at,
            {
              vi: `không phải kiến trúc đã biết (dùng ${ARCHES.join(', ')})`,
              en: `unknown architecture (use ${ARCHES.join(', ')})`,
            },
            { at: 'key' },
          );
          continue;
        }
        const arch = archKey as Arch;
        if (
          !Array.isArray(paths) ||
          paths.length === 0 ||
          !paths.every((x) => typeof x === 'string')
        ) {
          ctx.report(at, {
            vi: 'phải là danh sách đường dẫn không rỗng',
            en: 'must be a non-empty list of paths',
          });
          continue;
        }
        for (const file of paths as string[]) {
          const why = archProblem(os, arch, file);
          if (why) ctx.report(at, { vi: `"${file}" ${why.vi}`, en: `"${file}" ${why.en}` });
        }
        byArch[arch] = paths as string[];
      }
      out[os] = byArch;
    }
    return out;
  },
  true,
);

const moduleEntry = object(
  {
    id: nonEmpty,
    vendor: nonEmpty,
    product: nonEmpty,
    certainty: present(
      oneOf(['verified', 'reported'] as const, {
        vi: '"verified" hoặc "reported"',
        en: '"verified" or "reported"',
      }),
    ),
    files,
    install: hint,
  },
  { expected: { vi: 'một đối tượng', en: 'an object' } },
);

const usbId = object(
  {
    vid: present(
      string({
        pattern: HEX4,
        expected: { vi: '4 chữ số thập lục phân viết thường', en: '4 lowercase hex digits' },
      }),
    ),
    pid: present(
      string({
        pattern: /^(?:[0-9a-f]{4}|\*)$/,
        expected: {
          vi: '4 chữ số thập lục phân viết thường hoặc "*"',
          en: '4 lowercase hex digits or "*"',
        },
      }),
    ),
  },
  { expected: { vi: '{ vid, pid }', en: '{ vid, pid }' } },
);

const SAME_LENGTH_HEX: Text = {
  vi: 'chuỗi thập lục phân viết thường, cùng độ dài với value',
  en: 'lowercase hex of the same length as value',
};
const atrPattern = refine(
  object({
    value: present(
      string({
        pattern: HEX_BYTES,
        expected: { vi: 'các byte thập lục phân viết thường', en: 'lowercase hex bytes' },
      }),
    ),
    mask: optional(string({ pattern: HEX_BYTES, expected: SAME_LENGTH_HEX })),
  }),
  (a, report) => {
    if (a.mask === undefined) return { value: a.value };
    if (a.mask.length !== a.value.length)
      return report.fail(
        { vi: `phải là ${SAME_LENGTH_HEX.vi}`, en: `must be ${SAME_LENGTH_HEX.en}` },
        { member: 'mask' },
      );
    return { value: a.value, mask: a.mask };
  },
);

const deviceEntry = refine(
  object(
    {
      id: nonEmpty,
      vendor: nonEmpty,
      model: nonEmpty,
      kind: present(
        oneOf(['token', 'reader'] as const, {
          vi: '"token" hoặc "reader"',
          en: '"token" or "reader"',
        }),
      ),
      usb: present(array(usbId, { expected: LIST })),
      atr: present(array(atrPattern, { expected: LIST })),
      modules: present(
        refine(
          checked(
            { vi: 'danh sách mã mô-đun', en: 'a list of module ids' },
            { vi: 'phải liệt kê ít nhất một mã mô-đun', en: 'must list at least one module id' },
            (v): v is unknown[] => Array.isArray(v) && v.length > 0,
          ),
          (list) => list.map(String),
        ),
      ),
      notes: optional(string()),
    },
    { expected: { vi: 'một đối tượng', en: 'an object' } },
  ),
  (d, report) =>
    d.usb.length === 0 && d.atr.length === 0
      ? report.fail({
          vi: 'cần ít nhất một mã USB hoặc ATR',
          en: 'needs at least one USB id or ATR',
        })
      : d,
);

const databaseSchema = object({
  version: present(oneOf([1] as const, { vi: '1', en: '1' })),
  modules: present(array(moduleEntry, { expected: LIST })),
  devices: present(array(deviceEntry, { expected: LIST })),
});

/**
 * Unique ids and module references, from the raw document so that one broken entry does not
 * hide (or fake) the problems of the others.
 */
function crossCheck(value: Record<string, unknown>, ctx: Context): void {
  const list = (key: string): Record<string, unknown>[] => {
    const items = value[key];
    return Array.isArray(items) ? items.filter(isRecord) : [];
  };
  const moduleIds = new Set<string>();
  for (const m of list('modules')) {
    if (typeof m['id'] !== 'string') continue;
    if (moduleIds.has(m['id']))
      ctx.report('modules', { vi: `mã "${m['id']}" bị trùng`, en: `duplicate id "${m['id']}"` });
    moduleIds.add(m['id']);
  }
  const deviceIds = new Set<string>();
  const usbSeen = new Map<string, string>();
  const rawDevices = Array.isArray(value['devices']) ? (value['devices'] as unknown[]) : [];
  rawDevices.forEach((d, i) => {
    if (!isRecord(d)) return;
    const id = typeof d['id'] === 'string' ? d['id'] : undefined;
    const modules = d['modules'];
    if (Array.isArray(modules)) {
      for (const m of modules) {
        if (!moduleIds.has(String(m))) {
          ctx.report(`devices[${i}].modules`, {
            vi: `mô-đun "${String(m)}" không có trong danh mục`,
            en: `unknown module "${String(m)}"`,
          });
        }
      }
    }
    if (id === undefined) return;
    if (deviceIds.has(id))
      ctx.report('devices', { vi: `mã "${id}" bị trùng`, en: `duplicate id "${id}"` });
    deviceIds.add(id);
    const usb = Array.isArray(d['usb']) ? (d['usb'] as unknown[]).filter(isRecord) : [];
    for (const u of usb) {
      const key = `${String(u['vid'])}:${String(u['pid'])}`;
      const other = usbSeen.get(key);
      if (other !== undefined) {
        ctx.report('devices', {
          vi: `mã USB ${key} được khai báo ở cả "${other}" và "${id}"`,
          en: `USB id ${key} listed by both "${other}" and "${id}"`,
        });
      }
      usbSeen.set(key, id);
    }
  });
}

/**
 * Validates parsed JSON as a device database; throws DEVICE_DATABASE_INVALID listing every
 * problem (details.problems, one per line; with `positions`, each with its line and column).
 */
export function validateDeviceDatabase(
  value: unknown,
  source = 'devices.json',
  positions?: Positions,
): DeviceDatabase {
  if (!isRecord(value)) {
    throw new KysoError('DEVICE_DATABASE_INVALID', { source, problems: 'root must be an object' });
  }
  const result = validate(databaseSchema, value, {
    ...(positions ? { positions } : {}),
    also: (ctx) => crossCheck(value, ctx),
  });
  if (!result.ok) throw new ValidationError('DEVICE_DATABASE_INVALID', result.problems, { source });
  return result.value;
}
