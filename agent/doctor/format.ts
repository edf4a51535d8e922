/** Plain-text rendering of a doctor report: Vietnamese first, English below, grouped by section. */
import type { DoctorReport, Section, Severity } from './types.ts';

const MARK: Record<Severity, string> = {
  ok: '[ OK ]',
  info: '[INFO]',
  warning: '[WARN]',
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

export function formatReport(report: DoctorReport): string {
  const out: string[] = [
    `kyso doctor — Kyso Agent ${report.agentVersion} — ${report.generatedAt} (${report.platform.os}/${report.platform.arch}, Node ${report.platform.node})`,
  ];
  let section: Section | undefined;
  for (const f of report.findings) {
    if (f.section !== section) {
      section = f.section;
      out.push('', `== ${TITLES[section]} ==`);
    }
    out.push(`${MARK[f.severity]} ${f.message.vi}`, `       ${f.message.en}`);
    if (f.fix) out.push(`       → ${f.fix.vi}`, `       → ${f.fix.en}`);
    if (f.snippet) out.push('', ...f.snippet.split(/\r?\n/).map((l) => `         ${l}`), '');
  }
  const summary: Record<Severity, string> = {
    ok: 'Kết quả: mọi thứ ổn. / Result: all good.',
    info: 'Kết quả: ổn, có ghi chú. / Result: fine, with notes.',
    warning: 'Kết quả: có cảnh báo cần xem. / Result: warnings to look at.',
    error: 'Kết quả: có lỗi cần sửa. / Result: errors to fix.',
  };
  out.push('', summary[report.worst]);
  return out.join('\n') + '\n';
}
