/**
 * What every command shares without touching a token: the --module/--config options and
 * their help, the config file's trust material, JSON output. Kept apart from
 * ./token-context.ts so `kyso verify` loads no token service, server or signing code
 * (its start-up time is the user's wait: see bench/verify.ts).
 */
import {
  configPaths,
  defaultConfigDir,
  loadConfig,
  loadTrust,
  type TrustMaterial,
} from '../config/index.ts';
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

/** --config FILE, else the default config file. */
export function configFileOf(args: ParsedArgs): string {
  return args.get('config') ?? configPaths(defaultConfigDir()).config;
}

/** Trust anchors and intermediates of the config file (--config FILE, else the default file). */
export function configuredTrust(args: ParsedArgs): TrustMaterial {
  return loadTrust(loadConfig(configFileOf(args)).trust);
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
