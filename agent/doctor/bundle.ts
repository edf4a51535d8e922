/**
 * A support bundle an officer can e-mail to IT: the doctor report plus the (non-secret)
 * configuration and system facts, redacted. Never contains PINs, keys, certificate bodies,
 * token serial numbers, citizen or tax identifiers (CCCD, CMND, MST, ... in certificate
 * subjects), the user's name (taken out of paths by their structure: /home/<user>/,
 * /Users/<user>/, C:\Users\<user>\) or other programs' arguments (the program holding the
 * port keeps its name only). Certificate subjects otherwise stay because IT needs to know
 * whose certificate is failing.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, release, userInfo } from 'node:os';
import { KysoError } from '../errors/index.ts';
import { formatReport } from './format.ts';
import { programName } from './port.ts';
import type { DoctorReport } from './types.ts';

const SECRET_KEYS =
  /^(pin|userpin|sopin|newpin|oldpin|password|passphrase|secret|privatekey|jwt|jwttoken|sessionid|cookie|authorization|serialnumber|certificate)$/i;

/** Keys holding a command line: only the program's name is kept. */
const COMMAND_KEYS = /^(command|cmdline|commandline|args|argv)$/i;

/**
 * Vietnamese identifiers that appear in certificate subjects (UID=CCCD:..., MST:...):
 * CCCD / CMND / CMT (citizen identity card), HC / HCVN (passport), MST (tax code),
 * MNS (budget-unit code), BHXH (social insurance), DKKD / GPKD (business registration).
 */
const ID_PREFIXES = 'CCCD|CMND|CMT|HCVN|HC|MST|MNS|BHXH|DKKD|GPKD';
const REMOVED_ID = '[đã xóa/removed]';

export interface RedactContext {
  home: string;
  /** Kept for callers; names are removed by path structure, not by matching this word. */
  user: string;
}

export function redactString(text: string, ctx: RedactContext): string {
  let out = text
    .replace(
      /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
      '[private key removed]',
    )
    .replace(
      /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g,
      '[certificate removed]',
    )
    .replace(/\b(pin|so-?pin|password|passphrase)\s*[=:]\s*\S+/gi, '$1=[removed]');
  // Identifiers: "CCCD:001234567890", "MST: 0101234567-001", "UID=CMND:123456789".
  out = out.replace(
    new RegExp(`\\b(${ID_PREFIXES})(\\s*[:=]\\s*)[A-Z0-9][A-Z0-9.-]*`, 'gi'),
    `$1$2${REMOVED_ID}`,
  );
  // The serialNumber attribute of a subject (2.5.4.5), and UID= numbers without a prefix.
  out = out.replace(
    new RegExp(
      `\\b(serialNumber|SN|2\\.5\\.4\\.5|UID|0\\.9\\.2342\\.19200300\\.100\\.1\\.1)(\\s*=\\s*)(?!\\[|(?:${ID_PREFIXES})\\s*[:=])[^,+;\\n"/]+`,
      'gi',
    ),
    `$1$2${REMOVED_ID}`,
  );
  // Bare CMND (9), MST (10, or 10-3), CCCD (12) numbers anywhere else, e.g. in a CN.
  out = out.replace(/(?<![\p{L}\p{N}])\d{9,12}(?:-\d{3})?(?![\p{L}\p{N}])/gu, (m) =>
    /^(\d{9}|\d{10}|\d{12}|\d{10}-\d{3})$/.test(m) ? REMOVED_ID : m,
  );
  if (ctx.home.length > 1) out = out.split(ctx.home).join('~');
  // User names by path structure: whatever the name is, it sits in the same place.
  out = out
    .replace(/(\/home\/)[^/\s"']+/g, '$1<user>')
    .replace(/(\/Users\/)[^/\s"']+/g, '$1<user>')
    .replace(/([A-Za-z]:[\\/]+(?:Users|Documents and Settings)[\\/]+)[^\\/\s"']+/gi, '$1<user>');
  return out;
}

/** Deep copy with secret-named keys dropped and every string redacted. */
export function redact(value: unknown, ctx: RedactContext): unknown {
  if (typeof value === 'string') return redactString(value, ctx);
  if (Array.isArray(value)) return value.map((v) => redact(v, ctx));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (SECRET_KEYS.test(k)) continue;
      out[k] =
        COMMAND_KEYS.test(k) && typeof v === 'string'
          ? redactString(programName(v), ctx)
          : COMMAND_KEYS.test(k) && Array.isArray(v)
            ? redactString(programName(String(v[0] ?? '')), ctx)
            : redact(v, ctx);
    }
    return out;
  }
  return value;
}

export interface BundleInput {
  report: DoctorReport;
  configFile?: string;
  originsFile?: string;
}

function readJson(file: string | undefined): unknown {
  if (!file || !existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch {
    return '(unreadable)';
  }
}

export function buildBundle(
  input: BundleInput,
  ctx: RedactContext = defaultContext(),
): Record<string, unknown> {
  const bundle = {
    bundleVersion: 1,
    createdAt: new Date().toISOString(),
    system: {
      platform: process.platform,
      arch: process.arch,
      osRelease: release(),
      node: process.version,
      timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      locale: Intl.DateTimeFormat().resolvedOptions().locale,
    },
    config: readJson(input.configFile),
    approvedOrigins: readJson(input.originsFile),
    report: input.report,
    text: formatReport(input.report),
  };
  return redact(bundle, ctx) as Record<string, unknown>;
}

export function defaultContext(): RedactContext {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    user = process.env.USER ?? process.env.USERNAME ?? '';
  }
  return { home: homedir(), user };
}

/** Writes the bundle; refuses to overwrite an existing file. */
export function writeBundle(file: string, input: BundleInput, ctx?: RedactContext): void {
  const json = JSON.stringify(buildBundle(input, ctx), null, 2) + '\n';
  try {
    writeFileSync(file, json, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      throw new KysoError('FILE_EXISTS', { file });
    throw error;
  }
}
