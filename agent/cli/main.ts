/**
 * `kyso` command line. Each command lives in its own module under ./commands, listed once in
 * ./registry.ts and loaded only when chosen; every command accepts --json for scripts.
 */
import { KysoError, toKysoError } from '../errors/index.ts';
import { ValidationError } from '../validation/index.ts';
import { parseArgs, type ParsedArgs } from './args.ts';
import { commands, usage } from './registry.ts';

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name === undefined ? 2 : 0;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    process.stderr.write(`kyso: unknown command "${name}"\n\n${usage()}\n`);
    return 2;
  }
  let args: ParsedArgs | undefined;
  try {
    const command = await entry.load();
    args = parseArgs(rest, command.options);
    if (args.flags.has('help')) {
      process.stdout.write(command.help + '\n');
      return 0;
    }
    return await command.run(args);
  } catch (error) {
    const kysoError = toKysoError(error);
    if (args?.flags.has('json')) {
      process.stdout.write(
        JSON.stringify({ ok: false, error: kysoError.toJSON() }, null, 2) + '\n',
      );
    } else {
      const { vi, en } = kysoError.userMessage;
      // Every problem of a file or request, one line per language, instead of the first only.
      const listed = kysoError instanceof ValidationError ? kysoError.describe() : '';
      const hidden = listed
        ? new Set(['problems', 'problemsVi', 'problem', 'field', 'line', 'column'])
        : new Set<string>();
      const detail = Object.entries(kysoError.details)
        .filter(([k, v]) => v !== undefined && !hidden.has(k))
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(' ');
      process.stderr.write(
        `Lỗi / Error [${kysoError.code}]\n  ${vi}\n  ${en}\n${detail ? `  (${detail})\n` : ''}` +
          (listed ? listed.replace(/^/gm, '  - ') + '\n' : ''),
      );
    }
    return error instanceof KysoError ? 1 : 3;
  }
}

process.exitCode = await main(process.argv.slice(2));
