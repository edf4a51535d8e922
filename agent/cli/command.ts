import type { ParsedArgs, OptionSpec } from './args.ts';

export interface Command {
  name: string;
  summary: string;
  help: string;
  options: OptionSpec;
  /** Returns the process exit code. Throw a KysoError for user-facing failures. */
  run(args: ParsedArgs): Promise<number>;
}
