/**
 * Consent for `kyso sign` and `kyso sign-hash`: the user typed the command, so the command is
 * the signing approval; the PIN comes from the terminal (retries allowed, echo off) or from
 * the first line of standard input (--pin-stdin: one PIN, so a wrong one ends the command).
 * No website ever asks through this provider.
 */
import { KysoError } from '../errors/index.ts';
import { TerminalConsent, writeReaderPrompt } from './terminal.ts';
import type { ConsentProvider, PinRequest, ReaderPinPrompt } from './types.ts';

export type PinSource = 'terminal' | 'stdin';

async function readFirstLine(input: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}

export class CommandLineConsent implements ConsentProvider {
  private readonly source: PinSource;
  private readonly terminal: TerminalConsent;
  private readonly stdin: NodeJS.ReadableStream;
  private readonly notices: NodeJS.WritableStream;
  private stdinUsed = false;

  constructor(
    source: PinSource,
    options: {
      terminal?: TerminalConsent;
      stdin?: NodeJS.ReadableStream;
      /** Where the reader-keypad notice goes (default: standard error, beside the command). */
      notices?: NodeJS.WritableStream;
    } = {},
  ) {
    this.source = source;
    this.terminal = options.terminal ?? new TerminalConsent();
    this.stdin = options.stdin ?? process.stdin;
    this.notices = options.notices ?? process.stderr;
  }

  /** The command's user is at this terminal: tell them to type the PIN on the reader. */
  readerPinPrompt(request: PinRequest, signal: AbortSignal): ReaderPinPrompt {
    return writeReaderPrompt(request, signal, (text) => this.notices.write(text));
  }

  approveOrigin(): Promise<boolean> {
    return Promise.resolve(false);
  }

  approveSigning(): Promise<boolean> {
    return Promise.resolve(true);
  }

  async askPin(request: PinRequest, signal: AbortSignal): Promise<string | null> {
    if (this.source === 'terminal') {
      const pin = await this.terminal.askPin(request, signal);
      return pin;
    }
    // Standard input holds one PIN: asked again means the first was wrong.
    if (this.stdinUsed || request.previousAttempt === 'incorrect') {
      throw new KysoError('PIN_INCORRECT', { token: request.token.label, source: 'stdin' });
    }
    this.stdinUsed = true;
    const pin = await readFirstLine(this.stdin);
    if (pin.length === 0) throw new KysoError('PIN_REQUIRED', { reason: 'stdin was empty' });
    return pin;
  }

  /** Releases the terminal. */
  close(): void {
    this.terminal.close();
  }
}
