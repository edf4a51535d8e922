/** What `kyso doctor` reports: findings an IT officer reads top to bottom. */

export type Severity = 'ok' | 'info' | 'warning' | 'error';

export const SEVERITY_ORDER: readonly Severity[] = ['ok', 'info', 'warning', 'error'];

export type Section =
  'agent' | 'port' | 'modules' | 'usb' | 'tokens' | 'certificates' | 'clock' | 'browser';

export interface Text {
  vi: string;
  en: string;
}

export type Facts = Record<string, string | number | boolean | null>;

export interface Finding {
  /** Stable id for scripts, e.g. "port.in-use", "certificate.expiring". */
  id: string;
  section: Section;
  severity: Severity;
  message: Text;
  /** What to do about it; absent on ok findings. */
  fix?: Text;
  facts?: Facts;
  /** Verbatim text to copy (policy snippets); not translated. */
  snippet?: string;
}

export interface DoctorReport {
  tool: 'kyso doctor';
  agentVersion: string;
  generatedAt: string;
  platform: { os: string; arch: string; node: string };
  worst: Severity;
  findings: Finding[];
}

export function worstOf(findings: readonly Finding[]): Severity {
  let worst = 0;
  for (const f of findings) worst = Math.max(worst, SEVERITY_ORDER.indexOf(f.severity));
  return SEVERITY_ORDER[worst] ?? 'ok';
}

/** Exit code of `kyso doctor`: 0 fine (ok/info), 1 warnings, 2 errors. */
export function exitCodeFor(severity: Severity): number {
  return severity === 'error' ? 2 : severity === 'warning' ? 1 : 0;
}
