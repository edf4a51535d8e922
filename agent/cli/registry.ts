/**
 * The `kyso` commands, listed once with what `kyso --help` prints. Each command's module is
 * loaded only when that command runs, so `kyso --help` and `kyso tokens` never parse the PDF,
 * font or WebSocket code (and the built bundle keeps each command in its own chunk).
 */
import type { Command } from './command.ts';

export interface CommandEntry {
  name: string;
  /** Must equal the loaded command's summary (checked by registry.test.ts). */
  summary: string;
  load(): Promise<Command>;
}

export const commands: readonly CommandEntry[] = [
  {
    name: 'tokens',
    summary: 'List PKCS#11 modules and the tokens they see',
    load: async () => (await import('./commands/tokens.ts')).tokensCommand,
  },
  {
    name: 'certs',
    summary: 'List certificates on the tokens (with their ids for signing)',
    load: async () => (await import('./commands/certs.ts')).certsCommand,
  },
  {
    name: 'sign-hash',
    summary: 'Sign a hash with a certificate\'s key ("test sign")',
    load: async () => (await import('./commands/sign-hash.ts')).signHashCommand,
  },
  {
    name: 'doctor',
    summary: 'Chẩn đoán sự cố / diagnose token, port, certificate and browser problems',
    load: async () => (await import('./commands/doctor.ts')).doctorCommand,
  },
  {
    name: 'sign',
    summary: 'Sign a PDF (PAdES, Decree 30 appearance) / Ký số tệp PDF',
    load: async () => (await import('./commands/sign.ts')).signCommand,
  },
  {
    name: 'verify',
    summary: 'Verify the signatures of a PDF / Kiểm tra chữ ký số trên tệp PDF',
    load: async () => (await import('./commands/verify.ts')).verifyCommand,
  },
  {
    name: 'start',
    summary: 'Run the signing endpoint for web apps (ws://127.0.0.1:51987)',
    load: async () => (await import('./commands/start.ts')).startCommand,
  },
  {
    name: 'journal',
    summary: 'Show the signing journal (who signed what, from where)',
    load: async () => (await import('./commands/journal.ts')).journalCommand,
  },
  {
    name: 'origins',
    summary: 'List or revoke websites approved for signing',
    load: async () => (await import('./commands/origins.ts')).originsCommand,
  },
];

export function usage(): string {
  const lines = commands.map((c) => `  kyso ${c.name.padEnd(12)} ${c.summary}`);
  return ['Usage: kyso <command> [options] [--json]', '', 'Commands:', ...lines].join('\n');
}
