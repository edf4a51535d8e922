/**
 * `kyso` command line. Each command lives in its own module under ./commands, listed once in
 * ./registry.ts and loaded only when chosen; every command accepts --json for scripts.
 */
import { KysoError, toKysoError } from '../errors/index.ts';
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
      const detail = Object.entries(kysoError.details)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(' ');
      process.stderr.write(
        `Lỗi / Error [${kysoError.code}]\n  ${vi}\n  ${en}\n${detail ? `  (${detail})\n` : ''}`,
      );
    }
    return error instanceof KysoError ? 1 : 3;
  }
}

process.exitCode = await main(process.argv.slice(2));
