/**
 * `kyso` command line. Each command lives in its own module under ./commands and is listed
 * here once; every command accepts --json for scripts.
 */
import { KysoError, toKysoError } from '../errors/index.ts';
import { parseArgs, type ParsedArgs } from './args.ts';
import type { Command } from './command.ts';
import { tokensCommand } from './commands/tokens.ts';
import { certsCommand } from './commands/certs.ts';
import { signHashCommand } from './commands/sign-hash.ts';
import { doctorCommand } from './commands/doctor.ts';
import { signCommand } from './commands/sign.ts';
import { verifyCommand } from './commands/verify.ts';
import { startCommand } from './commands/start.ts';
import { journalCommand } from './commands/journal.ts';
import { originsCommand } from './commands/origins.ts';

const commands: Command[] = [
  tokensCommand,
  certsCommand,
  signHashCommand,
  doctorCommand,
  signCommand,
  verifyCommand,
  startCommand,
  journalCommand,
  originsCommand,
];

function usage(): string {
  const lines = commands.map((c) => `  kyso ${c.name.padEnd(12)} ${c.summary}`);
  return ['Usage: kyso <command> [options] [--json]', '', 'Commands:', ...lines].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name === undefined ? 2 : 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`kyso: unknown command "${name}"\n\n${usage()}\n`);
    return 2;
  }
  let args: ParsedArgs | undefined;
  try {
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
