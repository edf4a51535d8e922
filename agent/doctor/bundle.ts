/**
 * A support bundle an officer can e-mail to IT: the doctor report plus the (non-secret)
 * configuration and system facts, redacted. Never contains PINs, keys, certificate bodies,
 * token serial numbers, the user's name or home directory; certificate subjects stay because
 * IT needs to know whose certificate is failing.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, release, userInfo } from 'node:os';
import { KysoError } from '../errors/index.ts';
import { formatReport } from './format.ts';
import type { DoctorReport } from './types.ts';

const SECRET_KEYS =
  /^(pin|userpin|sopin|newpin|oldpin|password|passphrase|secret|privatekey|jwt|jwttoken|sessionid|cookie|authorization|serialnumber|certificate)$/i;

export interface RedactContext {
  home: string;
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
  if (ctx.home.length > 1) out = out.split(ctx.home).join('~');
  if (ctx.user.length > 2)
    out = out.replace(
      new RegExp(`\\b${ctx.user.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`, 'g'),
      '<user>',
    );
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
      out[k] = redact(v, ctx);
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
