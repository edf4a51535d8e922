/** Minimal argument parser over node:util parseArgs: repeatable values, boolean flags, positionals. */
import { parseArgs as nodeParseArgs } from 'node:util';
import { KysoError } from '../errors/index.ts';

export interface OptionSpec {
  /** Options that take a value; repeatable ones collect every occurrence. */
  values?: readonly string[];
  repeatable?: readonly string[];
  /** Boolean flags besides the common --json and --help. */
  flags?: readonly string[];
}

export interface ParsedArgs {
  values: Map<string, string[]>;
  flags: Set<string>;
  positionals: string[];
  /** Last value of an option, or undefined. */
  get(name: string): string | undefined;
  all(name: string): string[];
}

export function parseArgs(argv: string[], spec: OptionSpec): ParsedArgs {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {
    json: { type: 'boolean' },
    help: { type: 'boolean' },
  };
  for (const name of spec.values ?? []) options[name] = { type: 'string', multiple: true };
  for (const name of spec.repeatable ?? []) options[name] = { type: 'string', multiple: true };
  for (const name of spec.flags ?? []) options[name] = { type: 'boolean' };
  let parsed;
  try {
    parsed = nodeParseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new KysoError('INVALID_INPUT', {
      cause: error instanceof Error ? error.message : String(error),
    });
  }
  const values = new Map<string, string[]>();
  const flags = new Set<string>();
  for (const [key, value] of Object.entries(parsed.values)) {
    if (value === true) flags.add(key);
    else if (Array.isArray(value)) values.set(key, value.map(String));
  }
  return {
    values,
    flags,
    positionals: parsed.positionals,
    get: (name) => values.get(name)?.at(-1),
    all: (name) => values.get(name) ?? [],
  };
}
