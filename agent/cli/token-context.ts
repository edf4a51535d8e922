/**
 * What the token commands share: which PKCS#11 modules to load (--module, then the config
 * file, then the known paths), and for the signing commands the same signing pipeline as the
 * socket (checks, PIN retries on the terminal or one PIN from --pin-stdin, the journal).
 */
import { dirname } from 'node:path';
import { createSigning } from '../app/index.ts';
import { CommandLineConsent } from '../consent/index.ts';
import { configPaths, loadConfig } from '../config/index.ts';
import { modulesToLoad } from '../devices/index.ts';
import { Journal } from '../journal/index.ts';
import type { LtvProgress, SigningPipeline } from '../signing/index.ts';
import { startTokenService, type TokenService } from '../tokens/index.ts';
import type { ParsedArgs } from './args.ts';
import { configFileOf } from './options.ts';

// The light options half, re-exported for the token commands that import this module.
export {
  configFileOf,
  configuredTrust,
  printJson,
  TOKEN_OPTIONS_HELP,
  tokenOptionSpec,
  withTokenOptions,
} from './options.ts';

/** --module paths, else the config file's modules, else every installed known module. */
export function modulePathsFrom(args: ParsedArgs): string[] {
  const fromFlags = args.all('module');
  if (fromFlags.length > 0) return fromFlags;
  return modulesToLoad(loadConfig(configFileOf(args)).modules);
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
