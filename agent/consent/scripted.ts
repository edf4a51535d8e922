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
 */
import { readFileSync } from 'node:fs';
import { KysoError } from '../errors/index.ts';
import type {
  ConsentProvider,
  OriginApprovalRequest,
  PinRequest,
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
  | { kind: 'pin'; request: PinRequest; answered: boolean };

function invalid(field: string, problem: string): KysoError {
  return new KysoError('CONFIG_INVALID', { field, problem });
}

function answers(value: unknown, field: string): Record<string, Answer> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(field, 'an object of "approve" / "refuse"');
  }
  for (const [key, answer] of Object.entries(value)) {
    if (answer !== 'approve' && answer !== 'refuse')
      throw invalid(`${field}.${key}`, '"approve" or "refuse"');
  }
  return value as Record<string, Answer>;
}

/** Validates a consent script (parsed JSON). */
export function parseConsentScript(json: unknown): ConsentScript {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw invalid('(root)', 'a JSON object');
  }
  const raw = json as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!['origins', 'signing', 'pins', 'delayMs'].includes(key))
      throw invalid(key, 'unknown setting');
  }
  const pins = raw.pins;
  if (pins !== undefined) {
    if (typeof pins !== 'object' || pins === null || Array.isArray(pins))
      throw invalid('pins', 'an object');
    for (const [key, pin] of Object.entries(pins)) {
      const ok =
        typeof pin === 'string' ||
        (Array.isArray(pin) && pin.length > 0 && pin.every((p) => typeof p === 'string'));
      if (!ok) throw invalid(`pins.${key}`, 'a PIN or a non-empty list of PINs');
    }
  }
  const delay = raw.delayMs;
  if (delay !== undefined && (typeof delay !== 'number' || delay < 0 || delay > 60_000)) {
    throw invalid('delayMs', 'a number of milliseconds up to 60000');
  }
  return {
    origins: answers(raw.origins, 'origins'),
    signing: answers(raw.signing, 'signing'),
    pins: pins as Record<string, string | string[]> | undefined,
    delayMs: delay,
  };
}

function wait(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(new KysoError('USER_CANCELLED', { reason: 'request went away' }));
      },
      { once: true },
    );
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
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new KysoError('CONFIG_INVALID', {
        field: '(consent script)',
        file,
        problem: error instanceof Error ? error.message : String(error),
      });
    }
    return new ScriptedConsent(parseConsentScript(json), options);
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
