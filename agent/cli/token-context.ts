/**
 * What the token commands share: which PKCS#11 modules to load (--module, then the config
 * file, then the known paths) and how the PIN is read (terminal prompt or --pin-stdin).
 */
import { TerminalConsent } from '../consent/index.ts';
import {
  configPaths,
  defaultConfigDir,
  loadConfig,
  loadTrust,
  type TrustMaterial,
} from '../config/index.ts';
import { modulesToLoad } from '../devices/index.ts';
import { KysoError } from '../errors/index.ts';
import { startTokenService, type TokenService } from '../tokens/index.ts';
import type { CertificateInfo, TokenInfo } from '../tokens/types.ts';
import type { OptionSpec, ParsedArgs } from './args.ts';

export const tokenOptionSpec = {
  repeatable: ['module'],
  values: ['config'],
} as const satisfies OptionSpec;

/** --module paths, else the config file's modules, else every installed known module. */
export function modulePathsFrom(args: ParsedArgs): string[] {
  const fromFlags = args.all('module');
  if (fromFlags.length > 0) return fromFlags;
  const configFile = args.get('config') ?? configPaths(defaultConfigDir()).config;
  return modulesToLoad(loadConfig(configFile).modules);
}

/** Trust anchors and intermediates of the config file (--config FILE, else the default file). */
export function configuredTrust(args: ParsedArgs): TrustMaterial {
  const configFile = args.get('config') ?? configPaths(defaultConfigDir()).config;
  return loadTrust(loadConfig(configFile).trust);
}

export async function openTokenService(args: ParsedArgs): Promise<TokenService> {
  // No polling: a command lists or signs once and exits.
  return startTokenService({ modules: modulePathsFrom(args), pollIntervalMs: 0 });
}

export async function withTokenService<T>(
  args: ParsedArgs,
  use: (service: TokenService) => Promise<T>,
): Promise<T> {
  const service = await openTokenService(args);
  try {
    return await use(service);
  } finally {
    await service.close();
  }
}

async function readStdinLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}

/** The PIN for a signing command, or undefined for a token with a PIN pad. */
export async function readPin(
  args: ParsedArgs,
  token: TokenInfo,
  certificate: CertificateInfo,
): Promise<string | undefined> {
  if (token.protectedAuthenticationPath) return undefined;
  if (args.flags.has('pin-stdin')) {
    const pin = await readStdinLine();
    if (pin.length === 0) throw new KysoError('PIN_REQUIRED', { reason: 'stdin was empty' });
    return pin;
  }
  const pin = await new TerminalConsent().askPin(
    { token, certificate, origin: 'kyso (command line)' },
    new AbortController().signal,
  );
  if (pin === null) throw new KysoError('USER_CANCELLED');
  return pin;
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
