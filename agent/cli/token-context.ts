/**
 * What the token commands share: which PKCS#11 modules to load (--module, then the config
 * file, then the known paths), and for the signing commands the same signing pipeline as the
 * socket (checks, PIN retries on the terminal or one PIN from --pin-stdin, the journal).
 */
import { dirname } from 'node:path';
import { createSigning } from '../app/index.ts';
import { CommandLineConsent } from '../consent/index.ts';
import {
  configPaths,
  defaultConfigDir,
  loadConfig,
  loadTrust,
  type TrustMaterial,
} from '../config/index.ts';
import { modulesToLoad } from '../devices/index.ts';
import { Journal } from '../journal/index.ts';
import type { LtvProgress, SigningPipeline } from '../signing/index.ts';
import { startTokenService, type TokenService } from '../tokens/index.ts';
import type { OptionSpec, ParsedArgs } from './args.ts';

/** --module PATH (repeatable) and --config FILE: the same for every token command. */
export const tokenOptionSpec = {
  repeatable: ['module'],
  values: ['config'],
} as const satisfies OptionSpec;

/** A command's own options plus the shared --module and --config. */
export function withTokenOptions(own: OptionSpec = {}): OptionSpec {
  const merge = (shared: readonly string[], extra: readonly string[] = []) => [
    ...new Set([...shared, ...extra]),
  ];
  return {
    values: merge(tokenOptionSpec.values, own.values),
    repeatable: merge(tokenOptionSpec.repeatable, own.repeatable),
    ...(own.flags ? { flags: own.flags } : {}),
  };
}

/** The help lines of the shared options, word for word in every command's --help. */
export const TOKEN_OPTIONS_HELP = [
  "  --module PATH   PKCS#11 module to load (repeatable; default: the config file's",
  '                  "modules", then every known installed module)',
  '  --config FILE   config file (default: $KYSO_CONFIG_DIR/config.json or',
  '                  ~/.config/kyso/config.json); approved origins and the journal beside it',
].join('\n');

/** --module paths, else the config file's modules, else every installed known module. */
export function modulePathsFrom(args: ParsedArgs): string[] {
  const fromFlags = args.all('module');
  if (fromFlags.length > 0) return fromFlags;
  return modulesToLoad(loadConfig(configFileOf(args)).modules);
}

/** Trust anchors and intermediates of the config file (--config FILE, else the default file). */
export function configuredTrust(args: ParsedArgs): TrustMaterial {
  return loadTrust(loadConfig(configFileOf(args)).trust);
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

/** --config FILE, else the default config file. */
export function configFileOf(args: ParsedArgs): string {
  return args.get('config') ?? configPaths(defaultConfigDir()).config;
}

/**
 * Runs a signing command through the pipeline: the config file's journal (records carry
 * origin "cli:<user name>"), the command itself as the approval, the PIN asked on the
 * terminal (retries) or read from standard input with --pin-stdin. No PIN cache: one
 * signature, then the command exits.
 */
export async function withSigning<T>(
  args: ParsedArgs,
  use: (signing: SigningPipeline, service: TokenService) => Promise<T>,
): Promise<T> {
  const configFile = configFileOf(args);
  const config = loadConfig(configFile);
  const consent = new CommandLineConsent(args.flags.has('pin-stdin') ? 'stdin' : 'terminal');
  return withTokenService(args, async (tokens) => {
    const journal = new Journal(configPaths(dirname(configFile)).journal, config.journal);
    const signing = createSigning({
      config,
      tokens,
      consent,
      journal,
      pinCache: { ...config.pinCache, enabled: false },
      onLtvProgress: printLtvProgress, // issue 14: the user waits for the TSA
    });
    try {
      return await use(signing, tokens);
    } finally {
      await signing.close();
      await journal.close();
      consent.close();
    }
  });
}

/** Issue 14: a line on stderr while a TSA is asked (the government TSA may take minutes). */
export function printLtvProgress(event: LtvProgress): void {
  const p = event.progress;
  const what =
    event.step === 'document-timestamp'
      ? 'Đang lấy dấu thời gian cho tài liệu… / Getting a document timestamp…'
      : 'Đang lấy dấu thời gian… / Getting a timestamp…';
  if (p.state === 'sending') {
    process.stderr.write(`${what} (${event.document}, ${p.attempt}/${p.tries})\n`);
  } else if (p.state === 'waiting') {
    process.stderr.write(
      `  TSA chưa trả lời, thử lại sau ${Math.round(p.delayMs / 1000)} s / no answer yet, retrying in ${Math.round(p.delayMs / 1000)} s (${p.problem})\n`,
    );
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
