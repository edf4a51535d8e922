import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { isKysoError } from '../errors/index.ts';
import type { CertificateInfo, TokenInfo } from '../tokens/types.ts';
import {
  CommandLineConsent,
  ConsentQueue,
  parseConsentScript,
  ScriptedConsent,
  TerminalConsent,
} from './index.ts';

const token = {
  id: 't1',
  label: 'leader',
  serialNumber: 'SN1',
  pin: { countLow: false, finalTry: false, locked: false, toBeChanged: false, initialized: true },
} as TokenInfo;
const certificate = {
  id: 'ab'.repeat(32),
  commonName: 'Nguyễn Văn A',
  issuer: { text: 'CN=TEST Issuing CA', attributes: [] },
  notAfter: '2030-01-01T00:00:00.000Z',
} as unknown as CertificateInfo;
const signing = {
  origin: 'http://127.0.0.1:8080',
  certificate,
  token,
  kind: 'hash' as const,
  documents: [
    { name: 'Quyết định 12.pdf', hashAlgorithm: 'SHA-256' as const, digestHex: 'aa'.repeat(32) },
  ],
};
const live = new AbortController().signal;

describe('ScriptedConsent', () => {
  it('warns when on, answers per origin with a default, and logs what it was asked', async () => {
    const warnings: string[] = [];
    const consent = new ScriptedConsent(
      {
        origins: { default: 'refuse', 'http://127.0.0.1:8080': 'approve' },
        signing: { default: 'approve', 'http://evil.test': 'refuse' },
        pins: { leader: ['0000', '1234'] },
      },
      { warn: (line) => warnings.push(line) },
    );
    expect(warnings[0]).toMatch(/WARNING: scripted consent is ON/);
    expect(await consent.approveOrigin({ origin: 'http://127.0.0.1:8080' }, live)).toBe(true);
    expect(await consent.approveOrigin({ origin: 'http://other.test' }, live)).toBe(false);
    expect(await consent.approveSigning(signing, live)).toBe(true);
    expect(await consent.approveSigning({ ...signing, origin: 'http://evil.test' }, live)).toBe(
      false,
    );
    const pinRequest = { token, certificate, origin: signing.origin };
    expect(await consent.askPin(pinRequest, live)).toBe('0000');
    expect(await consent.askPin(pinRequest, live)).toBe('1234');
    expect(await consent.askPin(pinRequest, live)).toBe('1234');
    expect(
      await consent.askPin(
        { ...pinRequest, token: { ...token, label: 'x', serialNumber: 'y' } },
        live,
      ),
    ).toBeNull();
    expect(consent.log.map((e) => e.kind)).toEqual([
      'origin',
      'origin',
      'signing',
      'signing',
      'pin',
      'pin',
      'pin',
      'pin',
    ]);
  });

  it('loads a file and rejects a bad script with the failing field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kyso-consent-'));
    const file = join(dir, 'script.json');
    writeFileSync(file, JSON.stringify({ signing: { default: 'approve' } }));
    expect(ScriptedConsent.fromFile(file, { warn: () => undefined })).toBeInstanceOf(
      ScriptedConsent,
    );
    const fieldOf = (json: unknown): unknown => {
      try {
        parseConsentScript(json);
      } catch (error) {
        if (isKysoError(error, 'CONFIG_INVALID')) return error.details.field;
      }
      return 'no error';
    };
    expect(fieldOf({ signing: { default: 'yes' } })).toBe('signing.default');
    expect(fieldOf({ pins: { a: 1 } })).toBe('pins.a');
    expect(fieldOf({ pinz: {} })).toBe('pinz');
    expect(fieldOf({ delayMs: -1 })).toBe('delayMs');
    writeFileSync(file, '{');
    expect(() => ScriptedConsent.fromFile(file)).toThrow(/CONFIG_INVALID/);
  });

  it('an aborted request stops a delayed answer', async () => {
    const consent = new ScriptedConsent({ delayMs: 5000 }, { warn: () => undefined });
    const controller = new AbortController();
    const answer = consent.approveSigning(signing, controller.signal);
    controller.abort();
    await expect(answer).rejects.toThrow(/USER_CANCELLED/);
  });
});

describe('PIN-pad reader notice', () => {
  const pinPad = { ...token, label: 'KYSO PINPAD', pinEntry: 'reader' as const };
  const request = { token: pinPad, certificate, origin: signing.origin };

  it('scripted consent logs the notice and its close, once', () => {
    const consent = new ScriptedConsent({}, { warn: () => undefined });
    const prompt = consent.readerPinPrompt(request, live);
    prompt.close('done');
    prompt.close('failed');
    expect(consent.log).toEqual([
      { kind: 'reader-pin', request },
      { kind: 'reader-pin-closed', request, outcome: 'done' },
    ]);
  });

  it('closes as aborted when the request goes away', () => {
    const consent = new ScriptedConsent({}, { warn: () => undefined });
    const abort = new AbortController();
    consent.readerPinPrompt(request, abort.signal);
    abort.abort();
    expect(consent.log.at(-1)).toEqual({ kind: 'reader-pin-closed', request, outcome: 'aborted' });
  });

  it('the terminal prints the line, then "đã xong / done" (or failed)', () => {
    const output = new PassThrough();
    let text = '';
    output.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const consent = new TerminalConsent({ input: new PassThrough(), output });
    const prompt = consent.readerPinPrompt(request, live);
    expect(text).toBe(
      '  Nhập mã PIN trên bàn phím của đầu đọc / Enter the PIN on the reader\'s keypad ("KYSO PINPAD")…\n',
    );
    prompt.close('done');
    expect(text.split('\n').at(-2)).toBe('  đã xong / done');
    consent.readerPinPrompt(request, live).close('failed');
    expect(text.split('\n').at(-2)).toBe('  không thành công / failed');
  });

  it('the command line writes it beside the command (standard error)', () => {
    const notices = new PassThrough();
    let text = '';
    notices.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const consent = new CommandLineConsent('stdin', { notices, stdin: new PassThrough() });
    consent.readerPinPrompt(request, live).close('done');
    expect(text).toMatch(/Enter the PIN on the reader's keypad[^\n]*\n {2}đã xong \/ done\n$/);
  });
});

describe('TerminalConsent', () => {
  function terminal(): { consent: TerminalConsent; input: PassThrough; shown: () => string } {
    const input = new PassThrough();
    const output = new PassThrough();
    let text = '';
    output.on('data', (chunk: Buffer) => (text += chunk.toString()));
    return { consent: new TerminalConsent({ input, output }), input, shown: () => text };
  }

  it('shows origin, certificate, token and each document, then reads the answer', async () => {
    const { consent, input, shown } = terminal();
    const answer = consent.approveSigning(signing, live);
    input.write('có\n');
    expect(await answer).toBe(true);
    expect(shown()).toContain('http://127.0.0.1:8080');
    expect(shown()).toContain('Nguyễn Văn A');
    expect(shown()).toContain('Quyết định 12.pdf');
    expect(shown()).toContain('Số văn bản / Documents:  1');
    const refused = consent.approveOrigin({ origin: 'http://x.test' }, live);
    input.write('n\n');
    expect(await refused).toBe(false);
  });

  it('neutralises terminal escapes and bidi overrides in names before showing them', async () => {
    const { consent, input, shown } = terminal();
    const answer = consent.approveSigning(
      {
        ...signing,
        origin: 'http://a.test',
        documents: [
          {
            name: 'x\u001b[1A\u001b[2KWebsite: http://bank\u202Efdp.exe',
            hashAlgorithm: 'SHA-256',
            digestHex: 'aa',
          },
        ],
      },
      live,
    );
    input.write('n\n');
    expect(await answer).toBe(false);
    expect(shown()).not.toContain('\u001b');
    expect(shown()).not.toContain('\u202e');
    expect(shown()).toContain('x\ufffd[1A\ufffd[2KWebsite');
  });

  it('reads the PIN without echoing it and warns about the final try', async () => {
    const { consent, input, shown } = terminal();
    const pin = consent.askPin(
      {
        token: { ...token, pin: { ...token.pin, finalTry: true } },
        certificate,
        origin: signing.origin,
        previousAttempt: 'incorrect',
      },
      live,
    );
    input.write('987654\n');
    expect(await pin).toBe('987654');
    expect(shown()).not.toContain('987654');
    expect(shown()).toContain('Wrong PIN');
    expect(shown()).toContain('last try');
  });

  it('an empty PIN or an aborted request cancels', async () => {
    const { consent, input } = terminal();
    const empty = consent.askPin({ token, certificate, origin: 'o' }, live);
    input.write('\n');
    expect(await empty).toBeNull();
    const controller = new AbortController();
    const aborted = consent.approveSigning(signing, controller.signal);
    controller.abort();
    expect(await aborted).toBe(false);
  });
});

describe('ConsentQueue', () => {
  it('runs one interaction at a time and skips requests aborted while waiting', async () => {
    const queue = new ConsentQueue();
    const order: string[] = [];
    const step = (name: string) => async () => {
      order.push(`${name} start`);
      await new Promise((r) => setTimeout(r, 20));
      order.push(`${name} end`);
      return name;
    };
    const gone = new AbortController();
    const a = queue.run(live, step('a'));
    const b = queue.run(gone.signal, step('b'));
    const c = queue.run(live, step('c'));
    const bCancelled = expect(b).rejects.toThrow(/USER_CANCELLED/);
    gone.abort();
    expect(await a).toBe('a');
    await bCancelled;
    expect(await c).toBe('c');
    expect(order).toEqual(['a start', 'a end', 'c start', 'c end']);
  });
});
