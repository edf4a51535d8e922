/**
 * Scripted consent for tests and unattended automation. It answers from a JSON file instead
 * of asking a person, so it must be switched on explicitly (`kyso start --consent-script FILE`)
 * and it warns loudly on stderr when it is. File format:
 *
 * {
 *   "origins":  { "default": "approve" | "refuse", "<origin>": "approve" | "refuse" },
 *   "signing":  { "default": "approve" | "refuse", "<origin>": "approve" | "refuse" },
 *   "pins":     { "<token label or serial>": "1234" | ["wrong", "1234"] },
 *   "delayMs":  0
 * }
 *
 * A list of PINs is used in order (one per prompt for that token), the last one repeating: this
 * lets a test enter a wrong PIN first. A token with no PIN entry gets a cancelled PIN dialog.
 * A PIN-pad reader's "enter the PIN on the reader" notice is logged when shown and closed.
 */
import { readFileSync } from 'node:fs';
import { KysoError } from '../errors/index.ts';
import {
  array,
  number,
  object,
  oneOf,
  optional,
  parseJsonDocument,
  record,
  string,
  union,
  validate,
  ValidationError,
  type Positions,
  type Problem,
} from '../validation/index.ts';
import type {
  ConsentProvider,
  OriginApprovalRequest,
  PinRequest,
  ReaderPinOutcome,
  ReaderPinPrompt,
  SigningApprovalRequest,
} from './types.ts';

type Answer = 'approve' | 'refuse';

export interface ConsentScript {
  origins?: Record<string, Answer>;
  signing?: Record<string, Answer>;
  pins?: Record<string, string | string[]>;
  delayMs?: number;
}

/** What the scripted provider was asked, in order (tests assert what the user would see). */
export type ConsentLogEntry =
  | { kind: 'origin'; request: OriginApprovalRequest; answer: boolean }
  | { kind: 'signing'; request: SigningApprovalRequest; answer: boolean }
  | { kind: 'pin'; request: PinRequest; answered: boolean }
  | { kind: 'reader-pin'; request: PinRequest }
  | { kind: 'reader-pin-closed'; request: PinRequest; outcome: ReaderPinOutcome };

const answer = oneOf(['approve', 'refuse'] as const, {
  vi: '"approve" hoặc "refuse"',
  en: '"approve" or "refuse"',
});
const answers = optional(
  record(answer, {
    expected: {
      vi: 'một đối tượng gồm các giá trị "approve" / "refuse"',
      en: 'an object of "approve" / "refuse"',
    },
  }),
);
const pin = string({ expected: { vi: 'một mã PIN', en: 'a PIN' } });
const pinEntry = union<string | string[]>(
  {
    vi: 'một mã PIN hoặc một danh sách mã PIN không rỗng',
    en: 'a PIN or a non-empty list of PINs',
  },
  pin,
  array(pin, { min: 1 }),
);
const scriptSchema = object({
  origins: answers,
  signing: answers,
  pins: optional(record(pinEntry)),
  delayMs: optional(
    number(0, 60_000, {
      vi: 'một số mili giây, tối đa 60000',
      en: 'a number of milliseconds up to 60000',
    }),
  ),
});

function invalid(problems: Problem[], file?: string): KysoError {
  return new ValidationError('CONFIG_INVALID', problems, file === undefined ? {} : { file });
}

function parse(json: unknown, positions?: Positions, file?: string): ConsentScript {
  const result = validate(scriptSchema, json, positions ? { positions } : {});
  if (!result.ok) throw invalid(result.problems, file);
  return result.value;
}

/** Validates a consent script (parsed JSON); CONFIG_INVALID lists every problem. */
export function parseConsentScript(json: unknown): ConsentScript {
  return parse(json);
}

function wait(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new KysoError('USER_CANCELLED', { reason: 'request went away' }));
    };
    // The listener leaves with the wait: the signal may outlive many of them.
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export class ScriptedConsent implements ConsentProvider {
  readonly log: ConsentLogEntry[] = [];
  private script: ConsentScript;
  private readonly pinUses = new Map<string, number>();

  constructor(script: ConsentScript, options: { warn?: (line: string) => void } = {}) {
    this.script = script;
    const warn = options.warn ?? ((line: string) => process.stderr.write(line + '\n'));
    warn(
      'CẢNH BÁO / WARNING: scripted consent is ON — signatures are approved and PINs entered ' +
        'from a file, without asking a person. Use only for tests and automation.',
    );
  }

  static fromFile(file: string, options?: { warn?: (line: string) => void }): ScriptedConsent {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new KysoError('CONFIG_INVALID', {
        field: '(consent script)',
        file,
        problem: error instanceof Error ? error.message : String(error),
      });
    }
    const parsed = parseJsonDocument(text, 'CONFIG_INVALID', { file }, '(consent script)');
    return new ScriptedConsent(parse(parsed.value, parsed.positions, file), options);
  }

  /** Replaces the script (tests switch between approve and refuse). */
  setScript(script: ConsentScript): void {
    this.script = script;
    this.pinUses.clear();
  }

  async approveOrigin(request: OriginApprovalRequest, signal: AbortSignal): Promise<boolean> {
    await wait(this.script.delayMs ?? 0, signal);
    const table = this.script.origins ?? {};
    const answer = (table[request.origin] ?? table.default ?? 'refuse') === 'approve';
    this.log.push({ kind: 'origin', request, answer });
    return answer;
  }

  async approveSigning(request: SigningApprovalRequest, signal: AbortSignal): Promise<boolean> {
    await wait(this.script.delayMs ?? 0, signal);
    const table = this.script.signing ?? {};
    const answer = (table[request.origin] ?? table.default ?? 'refuse') === 'approve';
    this.log.push({ kind: 'signing', request, answer });
    return answer;
  }

  readerPinPrompt(request: PinRequest, signal: AbortSignal): ReaderPinPrompt {
    this.log.push({ kind: 'reader-pin', request });
    let closed = false;
    const close = (outcome: ReaderPinOutcome) => {
      if (closed) return;
      closed = true;
      signal.removeEventListener('abort', onAbort);
      this.log.push({ kind: 'reader-pin-closed', request, outcome });
    };
    const onAbort = () => close('aborted');
    signal.addEventListener('abort', onAbort, { once: true });
    return { close };
  }

  async askPin(request: PinRequest, signal: AbortSignal): Promise<string | null> {
    await wait(this.script.delayMs ?? 0, signal);
    const pins = this.script.pins ?? {};
    const key = [request.token.label, request.token.serialNumber].find((k) => k in pins);
    const entry = key === undefined ? undefined : pins[key];
    let pin: string | null = null;
    if (typeof entry === 'string') pin = entry;
    else if (Array.isArray(entry) && key !== undefined) {
      const used = this.pinUses.get(key) ?? 0;
      this.pinUses.set(key, used + 1);
      pin = entry[Math.min(used, entry.length - 1)] ?? null;
    }
    this.log.push({ kind: 'pin', request, answered: pin !== null });
    return pin;
  }
}
