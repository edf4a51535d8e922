/**
 * Terminal consent for headless use: asks on the controlling terminal (/dev/tty), not on
 * stdin/stdout, so it works while the agent's output is piped to a log. The PIN is read with
 * echo off. Vietnamese first, English second.
 */
import { closeSync, openSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import { ReadStream, WriteStream } from 'node:tty';
import { KysoError } from '../errors/index.ts';
import { isSafeDisplayText, neutraliseDisplayText } from '../protocol/index.ts';
import type {
  ConsentProvider,
  OriginApprovalRequest,
  PinRequest,
  ReaderPinOutcome,
  ReaderPinPrompt,
  SigningApprovalRequest,
} from './types.ts';

/** The reader-keypad notice and its closing words, Vietnamese first (terminal and CLI). */
export function readerPinLine(request: PinRequest): string {
  return (
    `  Nhập mã PIN trên bàn phím của đầu đọc / Enter the PIN on the reader's keypad` +
    ` ("${clean(request.token.label)}")…\n`
  );
}

const READER_OUTCOME: Record<ReaderPinOutcome, string> = {
  done: '  đã xong / done\n',
  failed: '  không thành công / failed\n',
  aborted: '  đã hủy / cancelled\n',
};

/** Writes the notice now and its outcome once on close; a broken output never fails signing. */
export function writeReaderPrompt(
  request: PinRequest,
  signal: AbortSignal,
  write: (text: string) => void,
): ReaderPinPrompt {
  const safeWrite = (text: string) => {
    try {
      write(text);
    } catch {
      // No terminal: nothing to show, the reader still waits for its keypad.
    }
  };
  safeWrite(readerPinLine(request));
  let closed = false;
  const close = (outcome: ReaderPinOutcome) => {
    if (closed) return;
    closed = true;
    signal.removeEventListener('abort', onAbort);
    safeWrite(READER_OUTCOME[outcome]);
  };
  const onAbort = () => close('aborted');
  signal.addEventListener('abort', onAbort, { once: true });
  return { close };
}

export interface TerminalConsentOptions {
  /** Defaults to /dev/tty, opened on the first prompt. */
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
}

/**
 * Values from web pages and tokens are shown inside our own dialog text: control, format
 * (bidi, zero-width) and separator characters are replaced so they cannot redraw or reorder
 * it. The rule is the protocol's (agent/protocol/display-text.ts), shared with the server.
 */
export function clean(text: string): string {
  return neutraliseDisplayText(text);
}

/** True when text may be shown in a consent dialog as is (the signing pipeline's rule). */
export { isSafeDisplayText };

/** Short form of a hex digest: first and last 8 characters. */
function shortDigest(hex: string): string {
  return hex.length <= 20 ? hex : `${hex.slice(0, 8)}…${hex.slice(-8)}`;
}

/** True when this process has a controlling terminal to ask on. */
export function hasTerminal(): boolean {
  try {
    closeSync(openSync('/dev/tty', 'r+'));
    return true;
  } catch {
    return false;
  }
}

export class TerminalConsent implements ConsentProvider {
  private input: NodeJS.ReadableStream | undefined;
  private output: NodeJS.WritableStream | undefined;
  private opened: { input: ReadStream; output: WriteStream } | undefined;

  constructor(options: TerminalConsentOptions = {}) {
    this.input = options.input;
    this.output = options.output;
  }

  private streams(): { input: NodeJS.ReadableStream; output: NodeJS.WritableStream } {
    if (!this.input || !this.output) {
      let fd: number;
      try {
        fd = openSync('/dev/tty', 'r+');
      } catch {
        throw new KysoError('USER_CANCELLED', { reason: 'no terminal to ask the user on' });
      }
      const input = new ReadStream(fd);
      const output = new WriteStream(fd);
      // The terminal must never keep the agent alive after it stopped.
      input.unref();
      output.unref();
      this.opened = { input, output };
      this.input ??= input;
      this.output ??= output;
    }
    return { input: this.input, output: this.output };
  }

  /** Releases /dev/tty (agent stopping). */
  close(): void {
    this.opened?.input.destroy();
    this.opened?.output.destroy();
    this.opened = undefined;
  }

  private write(text: string): void {
    this.streams().output.write(text);
  }

  /** One line of input; with hidden, typed characters are not echoed. */
  private async question(
    prompt: string,
    signal: AbortSignal,
    hidden = false,
  ): Promise<string | null> {
    const { input, output } = this.streams();
    let muted = false;
    const echo = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        if (!muted) output.write(chunk);
        callback();
      },
    });
    const terminal = (input as Partial<ReadStream>).isTTY === true;
    const rl = createInterface({ input, output: echo, terminal });
    // Raw mode turns Ctrl+C into a readline event: keep its usual meaning (stop the agent).
    rl.on('SIGINT', () => process.kill(process.pid, 'SIGINT'));
    try {
      const answer = rl.question(prompt, { signal });
      muted = hidden;
      return await answer;
    } catch {
      return null; // aborted: the requesting page went away
    } finally {
      if (hidden) output.write('\n');
      rl.close();
    }
  }

  private async yesNo(prompt: string, signal: AbortSignal): Promise<boolean> {
    for (;;) {
      const answer = await this.question(prompt, signal);
      if (answer === null) return false;
      const a = answer.trim().toLowerCase();
      if (['c', 'có', 'co', 'y', 'yes'].includes(a)) return true;
      if (['k', 'không', 'khong', 'n', 'no', ''].includes(a)) return false;
    }
  }

  approveOrigin(request: OriginApprovalRequest, signal: AbortSignal): Promise<boolean> {
    this.write(
      `\n── Trang web mới / New website ──\n` +
        `  ${clean(request.origin)}\n` +
        `  muốn dùng Kyso để ký số. / wants to use Kyso for signing.\n`,
    );
    return this.yesNo('Cho phép? / Allow? [c/y = có/yes, k/n = không/no]: ', signal);
  }

  approveSigning(request: SigningApprovalRequest, signal: AbortSignal): Promise<boolean> {
    const { certificate: cert, documents } = request;
    const lines = documents
      .slice(0, 20)
      .map(
        (d, i) =>
          `    ${i + 1}. ${clean(d.name)}  (${d.hashAlgorithm} ${shortDigest(d.digestHex)})`,
      );
    if (documents.length > 20) lines.push(`    … +${documents.length - 20}`);
    this.write(
      `\n── Yêu cầu ký số / Signing request ──\n` +
        `  Trang web / Website:     ${clean(request.origin)}\n` +
        `  Chứng thư / Certificate: ${clean(cert.commonName)} — ${clean(cert.issuer.text)}\n` +
        `                           hết hạn / expires ${cert.notAfter}\n` +
        `  Thiết bị / Token:        ${clean(request.token.label)} (${clean(request.token.serialNumber)})\n` +
        `  Số văn bản / Documents:  ${documents.length}\n` +
        lines.join('\n') +
        '\n',
    );
    return this.yesNo('Đồng ý ký? / Sign? [c/y = có/yes, k/n = không/no]: ', signal);
  }

  readerPinPrompt(request: PinRequest, signal: AbortSignal): ReaderPinPrompt {
    return writeReaderPrompt(request, signal, (text) => this.write(text));
  }

  async askPin(request: PinRequest, signal: AbortSignal): Promise<string | null> {
    const { pin } = request.token;
    if (request.previousAttempt === 'incorrect') {
      this.write('  Mã PIN không đúng. / Wrong PIN.\n');
    }
    if (pin.finalTry) {
      this.write(
        '  CẢNH BÁO: lần nhập cuối, sai nữa sẽ khóa thiết bị. / WARNING: last try before the token locks.\n',
      );
    } else if (pin.countLow) {
      this.write('  Đã có lần nhập sai PIN. / A wrong PIN was entered before.\n');
    }
    const answer = await this.question(
      `  PIN cho / for "${clean(request.token.label)}" (để trống để hủy / empty to cancel): `,
      signal,
      true,
    );
    return answer === null || answer === '' ? null : answer;
  }
}
