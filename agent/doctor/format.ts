/**
 * Plain-text rendering of a doctor report: the counts first, then every finding worst first
 * (errors, warnings, notes, passed), each with its section, Vietnamese first, English below.
 * Times in Vietnam time (agent/protocol/time.ts).
 */
import { formatTime } from '../protocol/index.ts';
import { bySeverity, countsText, type DoctorReport, type Section, type Severity } from './types.ts';

const MARK: Record<Severity, string> = {
  ok: '[ĐẠT/OK]',
  info: '[GHI CHÚ/NOTE]',
  warning: '[CẢNH BÁO/WARNING]',
  error: '[LỖI/ERROR]',
};

const TITLES: Record<Section, string> = {
  agent: 'Kyso Agent',
  port: 'Cổng kết nối / Port',
  modules: 'Thư viện PKCS#11 / PKCS#11 modules',
  usb: 'Thiết bị USB / USB devices',
  tokens: 'Thiết bị ký số / Tokens',
  certificates: 'Chứng thư số / Certificates',
  clock: 'Đồng hồ / Clock',
  browser: 'Trình duyệt / Browsers',
};

const VERDICT: Record<Severity, { vi: string; en: string }> = {
  ok: { vi: 'mọi thứ đều ổn', en: 'all good' },
  info: { vi: 'ổn, có ghi chú', en: 'fine, with notes' },
  warning: { vi: 'có cảnh báo cần xem', en: 'warnings to look at' },
  error: { vi: 'có lỗi cần sửa', en: 'errors to fix' },
};

const INDENT = '    ';

export function formatReport(report: DoctorReport): string {
  const counts = countsText(report.findings);
  const verdict = VERDICT[report.worst];
  const summary = [
    `Kết quả: ${verdict.vi} — ${counts.vi}.`,
    `Result: ${verdict.en} — ${counts.en}.`,
  ];
  const out: string[] = [
    `kyso doctor — Kyso Agent ${report.agentVersion} — ${formatTime(report.generatedAt)} (${report.platform.os}/${report.platform.arch}, Node ${report.platform.node})`,
    ...summary,
  ];
  for (const f of bySeverity(report.findings)) {
    out.push('', `${MARK[f.severity]} ${TITLES[f.section]}`);
    out.push(`${INDENT}${f.message.vi}`, `${INDENT}${f.message.en}`);
    if (f.fix) out.push(`${INDENT}→ ${f.fix.vi}`, `${INDENT}→ ${f.fix.en}`);
    if (f.snippet) out.push('', ...f.snippet.split(/\r?\n/).map((l) => `${INDENT}${INDENT}${l}`));
  }
  out.push('', ...summary);
  return out.join('\n') + '\n';
}
