/**
 * The human verification report Circular 15/2025/TT-BKHCN asks for: per signature the signer,
 * the time (timestamp or claimed), integrity, the certification path, the certificate status,
 * in Vietnamese or in English. The JSON result stays the machine-readable form.
 */
import type { SignatureReport } from './report.ts';
import type { VerifyResult } from './verify.ts';

export type ReportLanguage = 'vi' | 'en';

const T = {
  vi: {
    none: 'Tệp không có chữ ký số.',
    signature: 'Chữ ký',
    docTimestamp: 'Dấu thời gian tài liệu',
    signer: 'Người ký',
    tsa: 'Đơn vị cấp dấu thời gian',
    time: 'Thời điểm ký',
    timestamped: 'theo dấu thời gian của',
    claimed: 'do máy người ký ghi, không có dấu thời gian',
    integrity: 'Toàn vẹn',
    intact: 'nội dung không bị thay đổi',
    broken: 'NỘI DUNG ĐÃ BỊ THAY ĐỔI hoặc chữ ký sai',
    path: 'Đường dẫn chứng thực',
    trusted: 'tin cậy',
    untrusted: 'KHÔNG TIN CẬY',
    status: 'Trạng thái chứng thư',
    good: 'còn hiệu lực, chưa bị thu hồi',
    revoked: 'ĐÃ BỊ THU HỒI',
    unknown: 'không xác định',
    notChecked: 'chưa kiểm tra (tài liệu không kèm thông tin thu hồi)',
    fromDss: 'theo thông tin kèm trong tài liệu',
    level: 'Mức PAdES',
    atSigning: 'Hợp lệ tại thời điểm ký',
    now: 'Hợp lệ tại thời điểm hiện tại',
    changes: 'Thay đổi sau khi ký',
    changesNone: 'không có',
    changesSignatures: 'chỉ thêm chữ ký hoặc dữ liệu kiểm tra',
    changesOther: 'CÓ SỬA ĐỔI KHÁC',
    result: 'Kết luận',
    valid: 'HỢP LỆ',
    changedAfter: 'HỢP LỆ, CÓ THAY ĐỔI SAU KHI KÝ',
    invalid: 'KHÔNG HỢP LỆ',
    yes: 'có',
    no: 'KHÔNG',
    all: 'Tất cả chữ ký hợp lệ',
    whole: 'Toàn bộ tệp được ký',
  },
  en: {
    none: 'The file has no signatures.',
    signature: 'Signature',
    docTimestamp: 'Document timestamp',
    signer: 'Signer',
    tsa: 'Timestamp authority',
    time: 'Signing time',
    timestamped: 'timestamped by',
    claimed: "claimed by the signer's computer, no timestamp",
    integrity: 'Integrity',
    intact: 'the content is unchanged',
    broken: 'THE CONTENT WAS CHANGED or the signature is wrong',
    path: 'Certification path',
    trusted: 'trusted',
    untrusted: 'NOT TRUSTED',
    status: 'Certificate status',
    good: 'valid, not revoked',
    revoked: 'REVOKED',
    unknown: 'unknown',
    notChecked: 'not checked (the document carries no revocation information)',
    fromDss: 'from the information embedded in the document',
    level: 'PAdES level',
    atSigning: 'Valid at signing time',
    now: 'Valid now',
    changes: 'Changes after signing',
    changesNone: 'none',
    changesSignatures: 'further signatures or validation data only',
    changesOther: 'OTHER MODIFICATIONS',
    result: 'Result',
    valid: 'VALID',
    changedAfter: 'VALID, CHANGED AFTER SIGNING',
    invalid: 'INVALID',
    yes: 'yes',
    no: 'NO',
    all: 'All signatures valid',
    whole: 'Whole file signed',
  },
} as const;

function describe(s: SignatureReport, index: number, lang: ReportLanguage): string[] {
  const t = T[lang];
  const yes = (b: boolean): string => (b ? t.yes : t.no);
  const ltv = s.ltv;
  const isDocTs = ltv?.kind === 'document-timestamp';
  const intact =
    s.integrity.byteRangeValid && s.integrity.digestMatches && s.integrity.signatureValid;
  const lines = [`${isDocTs ? t.docTimestamp : t.signature} #${index + 1}: ${s.fieldName}`];
  if (isDocTs) {
    lines.push(`  ${t.tsa}: ${ltv.timestamp?.tsa ?? s.signerSubject ?? '?'}`);
    lines.push(`  ${t.time}: ${ltv.timestamp?.time ?? '?'}`);
  } else {
    lines.push(
      `  ${t.signer}: ${s.signer ?? '?'}${s.signerSubject ? ` (${s.signerSubject})` : ''}`,
    );
    const ts = ltv?.timestamp;
    lines.push(
      ts?.valid
        ? `  ${t.time}: ${ts.time} (${t.timestamped} ${ts.tsa})`
        : `  ${t.time}: ${s.signingTime ?? '?'} (${t.claimed})`,
    );
  }
  lines.push(`  ${t.integrity}: ${intact ? t.intact : t.broken}`);
  const path = s.chain?.path.join(' → ') ?? '?';
  lines.push(`  ${t.path}: ${path} (${s.chain?.trusted ? t.trusted : t.untrusted})`);
  const r = ltv?.revocation;
  const status =
    r?.status === 'good'
      ? t.good
      : r?.status === 'revoked'
        ? `${t.revoked}${r.revokedAt ? ` ${r.revokedAt}` : ''}${r.reason ? ` (${r.reason})` : ''}`
        : r?.status === 'unknown'
          ? t.unknown
          : t.notChecked;
  lines.push(`  ${t.status}: ${status}${r?.source === 'dss' ? ` — ${t.fromDss}` : ''}`);
  if (ltv && !isDocTs) lines.push(`  ${t.level}: ${ltv.level}`);
  lines.push(
    `  ${t.atSigning}: ${yes(ltv?.validAtSigningTime ?? s.certificateValidAtSigningTime)}; ${t.now}: ${yes(ltv?.validNow ?? false)}`,
  );
  const changes =
    s.changes === 'none'
      ? t.changesNone
      : s.changes === 'signatures-only'
        ? t.changesSignatures
        : t.changesOther;
  lines.push(`  ${t.changes}: ${changes}`);
  lines.push(
    `  ${t.result}: ${s.status === 'valid' ? t.valid : s.status === 'valid-changed-after' ? t.changedAfter : t.invalid}${s.error ? ` [${s.error}]` : ''}`,
  );
  return lines;
}

/** The verification result as text for people, in Vietnamese or English. */
export function formatVerificationReport(
  result: Pick<VerifyResult, 'signatures' | 'totalDocumentSigned' | 'valid'>,
  lang: ReportLanguage,
): string {
  const t = T[lang];
  if (result.signatures.length === 0) return `${t.none}\n`;
  const blocks = result.signatures.map((s, i) => describe(s, i, lang).join('\n'));
  const yes = (b: boolean): string => (b ? t.yes : t.no);
  return (
    `${blocks.join('\n\n')}\n\n` +
    `${t.whole}: ${yes(result.totalDocumentSigned)}\n${t.all}: ${yes(result.valid)}\n`
  );
}
