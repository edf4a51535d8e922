/** `kyso verify`: checks every signature of a PDF (integrity, chain, time, key usage, changes). */
import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { KysoError } from '../../errors/index.ts';
import { formatTime } from '../../protocol/index.ts';
import {
  formatVerificationReport,
  verifyPdf,
  type ChangeKind,
  type SignatureReport,
} from '../../pdf/index.ts';
import type { Command } from '../command.ts';
import { configuredTrust, printJson, TOKEN_OPTIONS_HELP, withTokenOptions } from '../options.ts';

const yes = (b: boolean): string => (b ? 'có / yes' : 'KHÔNG / NO');

const KIND_TEXT: Record<ChangeKind, [vi: string, en: string]> = {
  annotation: ['chú thích', 'annotation'],
  'form-fill': ['điền biểu mẫu', 'form fill'],
  'page-content': ['nội dung trang', 'page content'],
  metadata: ['siêu dữ liệu', 'metadata'],
  pages: ['thêm/bớt trang', 'pages'],
  other: ['khác', 'other'],
};
const kindsText = (kinds: readonly ChangeKind[], lang: 0 | 1): string =>
  kinds.map((k) => KIND_TEXT[k][lang]).join(', ');

function changesText(s: SignatureReport): string {
  if (s.changes === 'none') return 'không / none';
  const meta = s.changeKinds.includes('metadata') ? ' (+ siêu dữ liệu / metadata)' : '';
  if (s.changes === 'signatures-only') return `chỉ thêm chữ ký / further signatures only${meta}`;
  return `CÓ (${kindsText(s.changeKinds, 0)}) / YES (${kindsText(s.changeKinds, 1)})`;
}

function verdictText(s: SignatureReport): string {
  const kinds = s.changeKinds.filter((k) => k !== 'metadata' || s.changeKinds.length === 1);
  if (s.status === 'valid') return 'HỢP LỆ / VALID';
  if (s.status === 'valid-changed-after') {
    return (
      `Hợp lệ, có thay đổi sau khi ký (${kindsText(kinds, 0)}) / ` +
      `valid, changed after signing (${kindsText(kinds, 1)})`
    );
  }
  const docMdp =
    s.docMdpPermitted === false
      ? ` (thay đổi bị chứng thực P=${s.certification ?? '?'} cấm / changes forbidden by certification P=${s.certification ?? '?'})`
      : '';
  return `KHÔNG HỢP LỆ / INVALID${docMdp}`;
}

function describe(s: SignatureReport, index: number): string {
  const lines = [
    `Chữ ký / Signature #${index + 1}: ${s.fieldName}${s.preset ? ` (${s.preset})` : ''}`,
    `  Người ký / Signer: ${s.signer ?? '?'}${s.signerSubject ? ` [${s.signerSubject}]` : ''}`,
    `  Thời điểm ký / Signing time: ${s.signingTime ? formatTime(s.signingTime) : '?'}`,
    `  Định dạng / Format: ${s.subFilter ?? '?'}${s.pades ? ' (PAdES B-B)' : ''}${
      s.certification ? `; chứng thực / certification P=${s.certification}` : ''
    }`,
    `  Toàn vẹn / Intact: ${yes(s.integrity.byteRangeValid && s.integrity.digestMatches && s.integrity.signatureValid)}` +
      ` (byte range ${s.integrity.byteRangeValid ? 'ok' : 'BAD'}, digest ${s.integrity.digestMatches ? 'ok' : 'BAD'}, signature ${s.integrity.signatureValid ? 'ok' : 'BAD'})`,
    `  Chuỗi tin cậy / Trusted chain: ${yes(s.chain?.trusted ?? false)}${s.chain?.reason ? ` (${s.chain.reason})` : ''}`,
    `  Chứng thư còn hiệu lực khi ký / Certificate valid at signing time: ${yes(s.certificateValidAtSigningTime)}`,
    `  Mục đích khóa / Key usage: ${s.keyUsageValid ? 'ok' : 'BAD'} (${s.keyUsage.join(', ') || 'any'})`,
    `  Thay đổi sau khi ký / Changes after signing: ${changesText(s)}`,
    ...(s.ltv
      ? [
          `  Mức PAdES / PAdES level: ${s.ltv.kind === 'document-timestamp' ? 'DocTimeStamp' : s.ltv.level}` +
            (s.ltv.timestamp
              ? `; dấu thời gian / timestamp ${s.ltv.timestamp.time} (${s.ltv.timestamp.tsa})`
              : ''),
          `  Trạng thái thu hồi / Revocation: ${s.ltv.revocation.status} (${s.ltv.revocation.source})`,
        ]
      : []),
    `  Kết luận / Result: ${verdictText(s)}${s.error ? ` [${s.error}]` : ''}`,
  ];
  return lines.join('\n');
}

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'Verify the signatures of a PDF / Kiểm tra chữ ký số trên tệp PDF',
  help: `kyso verify FILE [--trust PEM]... [--config FILE] [--module PATH]... [--lang vi|en] [--json]

Checks each signature: byte ranges cover the whole revision except the signature value, the
digest and signature match, the certificate chains to a trusted root (--trust, PEM or DER;
without it the config file's trust.anchors, with its trust.intermediates), was valid at the
signing time and may sign, and what changed after it was signed (annotation, form fill,
page content, metadata, pages, other). A signature changed after signing is "valid, changed
after signing" unless a certification's DocMDP permissions forbid the change (then invalid).
Exit code 0 when every signature is valid, 4 when none is invalid but some were changed after
signing, 1 when any is invalid (or there are none).
--lang vi|en prints the report in one language (Circular 15/2025): signer, time (timestamp
or claimed), integrity, certification path, certificate status (from the document's DSS),
PAdES level, validity at signing time and now. The JSON (--json) carries the same facts
per signature under "ltv".

${TOKEN_OPTIONS_HELP}
                  verify reads the trust anchors and intermediates of --config; it opens no
                  token, so --module is accepted (same options as every command) but unused.`,
  options: withTokenOptions({ values: ['lang'], repeatable: ['trust'] }),
  async run(args) {
    const [file, ...extra] = args.positionals;
    if (!file || extra.length > 0) {
      throw new KysoError('INVALID_INPUT', { field: 'FILE', problem: 'exactly one PDF' });
    }
    await access(file, constants.R_OK).catch(() => {
      throw new KysoError('INVALID_INPUT', { field: 'FILE', problem: 'file not readable' });
    });
    const trustAnchors: Buffer[] = [];
    for (const t of args.all('trust')) {
      trustAnchors.push(
        await readFile(t).catch(() => {
          throw new KysoError('INVALID_INPUT', { field: '--trust', problem: 'file not readable' });
        }),
      );
    }
    // --trust replaces the configured anchors; without it the config file decides.
    let intermediates: Buffer[] = [];
    if (trustAnchors.length === 0) {
      const trust = configuredTrust(args);
      trustAnchors.push(...trust.anchors);
      intermediates = trust.intermediates;
    }
    const lang = args.get('lang');
    if (lang !== undefined && lang !== 'vi' && lang !== 'en') {
      throw new KysoError('INVALID_INPUT', { field: '--lang', problem: 'vi or en' });
    }
    const result = await verifyPdf(file, { trustAnchors, intermediates });
    if (lang !== undefined && !args.flags.has('json')) {
      // Issue 14: the one-language report of Circular 15/2025.
      process.stdout.write(formatVerificationReport(result, lang));
    } else if (args.flags.has('json')) {
      printJson({ ok: true, ...result });
    } else if (result.signatures.length === 0) {
      process.stdout.write('Tệp không có chữ ký số / The file has no signatures.\n');
    } else {
      process.stdout.write(result.signatures.map(describe).join('\n\n') + '\n\n');
      process.stdout.write(
        `Toàn bộ tệp được ký / Whole file signed: ${yes(result.totalDocumentSigned)}\n` +
          `Tất cả chữ ký hợp lệ / All signatures valid: ${yes(result.valid)}\n` +
          (result.status === 'valid-changed-after'
            ? 'Không chữ ký nào bị phá vỡ; tệp có thay đổi sau khi ký / ' +
              'No signature is broken; the file was changed after signing\n'
            : ''),
      );
    }
    return result.status === 'valid' ? 0 : result.status === 'valid-changed-after' ? 4 : 1;
  },
};
