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

/** Worst first (error, warning, info, ok); stable, so a section's order is kept within a severity. */
export function bySeverity(findings: readonly Finding[]): Finding[] {
  const rank = (f: Finding) => -SEVERITY_ORDER.indexOf(f.severity);
  return findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i)
    .map(({ f }) => f);
}

export function severityCounts(findings: readonly Finding[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { ok: 0, info: 0, warning: 0, error: 0 };
  for (const f of findings) counts[f.severity] += 1;
  return counts;
}

const COUNT_WORDS: Record<Severity, { vi: string; en: [string, string] }> = {
  error: { vi: 'lỗi', en: ['error', 'errors'] },
  warning: { vi: 'cảnh báo', en: ['warning', 'warnings'] },
  info: { vi: 'ghi chú', en: ['note', 'notes'] },
  ok: { vi: 'đạt', en: ['passed', 'passed'] },
};

/** "2 lỗi, 1 cảnh báo, 5 đạt" / "2 errors, 1 warning, 5 passed" (worst first, zeros left out). */
export function countsText(findings: readonly Finding[]): Text {
  const counts = severityCounts(findings);
  const present = [...SEVERITY_ORDER].reverse().filter((s) => counts[s] > 0);
  if (present.length === 0) return { vi: 'không có kết quả', en: 'no results' };
  return {
    vi: present.map((s) => `${counts[s]} ${COUNT_WORDS[s].vi}`).join(', '),
    en: present.map((s) => `${counts[s]} ${COUNT_WORDS[s].en[counts[s] === 1 ? 0 : 1]}`).join(', '),
  };
}
