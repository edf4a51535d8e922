/** `kyso journal`: prints the signing journal (who signed what, from which website). */
import { configPaths, defaultConfigDir, loadConfig } from '../../config/index.ts';
import { dirname } from 'node:path';
import { KysoError } from '../../errors/index.ts';
import { formatTime } from '../../protocol/index.ts';
import { readJournal, tailLossText, type ChainBreak } from '../../journal/index.ts';
import type { Command } from '../command.ts';

/** "2026-11-01", an ISO time, or a span back from now: "30m", "12h", "7d". */
export function parseSince(text: string, now = new Date()): Date {
  const span = /^(\d+)([mhd])$/.exec(text);
  if (span) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[span[2] as 'm' | 'h' | 'd'];
    return new Date(now.getTime() - Number(span[1]) * unit);
  }
  const time = Date.parse(text);
  if (Number.isNaN(time)) {
    throw new KysoError('INVALID_INPUT', {
      field: '--since',
      problem: 'a date (2026-11-01), an ISO time, or a span like 30m, 12h, 7d',
    });
  }
  return new Date(time);
}

/** Torn lines listed one by one up to this many, then counted. */
const SKIPPED_LISTED = 20;

function breakText(b: ChainBreak): string {
  if (b.loss) return tailLossText(b.loss, b.loss.noticed);
  const where = `${b.file}:${b.line}`;
  if (b.problem === 'missing-file') {
    return `Chuỗi băm bị đứt / hash chain broken: ${where} — thiếu tệp nhật ký / journal file missing: ${b.concerns ?? '?'}`;
  }
  if (b.problem === 'truncated') {
    return `Chuỗi băm bị đứt / hash chain broken: ${where} — tệp bị cắt bớt hoặc sửa / file truncated or edited: ${b.concerns ?? '?'}`;
  }
  return `Chuỗi băm bị đứt / hash chain broken: ${where} — bản ghi trước đó đã bị sửa hoặc xóa / the record before it was edited or removed`;
}

const RESULT = {
  signed: 'ĐÃ KÝ/signed',
  refused: 'TỪ CHỐI/refused',
  failed: 'LỖI/failed',
  // Approved and sent to the token; the agent stopped before it recorded how that ended.
  signing: 'KHÔNG RÕ KẾT QUẢ/outcome not recorded (agent stopped)',
};

export const journalCommand: Command = {
  name: 'journal',
  summary: 'Show the signing journal (who signed what, from where)',
  help: `kyso journal [--since 2026-11-01|7d|12h|30m] [--verify] [--config FILE] [--json]

Prints every signing request the agent handled: time, website, certificate, documents
(names and hashes), result and error code. Torn lines from a crash are skipped and listed
(file, line, byte); a signature the agent stopped during shows as "outcome not recorded (agent
stopped)". Records are hash-chained, across rotated and archived (.gz) files: --verify checks
the chain and exits with 1 when a record in the middle was edited or removed, a rotated file
is missing or truncated, or records were cut off the current file's end (checked against its
tail anchor, signing.jsonl.anchor; the message names the file and the line and byte from
which records are missing). Failures before any dialog beyond the
per-minute limit are shown as one aggregated line per website and minute.`,
  options: { values: ['since', 'config'], flags: ['verify'] },
  async run(args) {
    const configFile = args.get('config') ?? configPaths(defaultConfigDir()).config;
    loadConfig(configFile); // a broken config fails loudly, as for every command
    const file = configPaths(dirname(configFile)).journal;
    const sinceText = args.get('since');
    const since = sinceText === undefined ? undefined : parseSince(sinceText);
    // Rotated and archived files are found by name beside the current one.
    const { records, aggregates, files, skipped, chain, tail } = await readJournal(
      file,
      since ? { since } : {},
    );
    const chainBroken = args.flags.has('verify') && chain.breaks.length > 0;
    if (args.flags.has('json')) {
      process.stdout.write(
        JSON.stringify(
          { ok: !chainBroken, file, files, records, aggregates, skipped, chain, tail },
          null,
          2,
        ) + '\n',
      );
      return chainBroken ? 1 : 0;
    }
    if (records.length === 0) process.stdout.write('Nhật ký trống / The journal is empty.\n');
    for (const r of records) {
      const docs = r.documents
        .slice(0, 3)
        .map((d) => `${d.name} (${d.hashAlgorithm} ${d.digestHex.slice(0, 16)}…)`)
        .join('; ');
      const more = r.documents.length > 3 ? ` +${r.documents.length - 3}` : '';
      process.stdout.write(
        `${formatTime(r.time)}  ${RESULT[r.result]}${r.errorCode ? ` [${r.errorCode}]` : ''}  ${r.origin}\n` +
          `    ${r.certificateSubject ?? r.certificateId ?? '?'}${r.tokenLabel ? ` — ${r.tokenLabel}` : ''}\n` +
          `    ${r.documents.length} văn bản / documents: ${docs}${more}\n`,
      );
    }
    for (const a of aggregates) {
      const codes = Object.entries(a.errors)
        .map(([code, n]) => `${code} ×${n}`)
        .join(', ');
      process.stdout.write(
        `${a.time}  GỘP/aggregated  ${a.origin}\n` +
          `    ${a.count} lỗi trước hộp thoại / failures before any dialog, ${a.from} → ${a.to}: ${codes}\n`,
      );
    }
    if (args.flags.has('verify')) {
      if (chainBroken) {
        for (const b of chain.breaks) process.stderr.write(breakText(b) + '\n');
      } else {
        process.stdout.write(
          `Chuỗi băm nguyên vẹn / hash chain intact (${chain.checked} liên kết / links checked)\n`,
        );
      }
    } else {
      // Lost records are worth saying without --verify too.
      for (const b of chain.breaks) if (b.loss) process.stderr.write(breakText(b) + '\n');
    }
    if (skipped.length > 0) {
      process.stderr.write(
        `Bỏ qua ${skipped.length} dòng hỏng (ghi dở khi mất điện?) / skipped ${skipped.length} torn line(s):\n`,
      );
      for (const s of skipped.slice(0, SKIPPED_LISTED)) {
        process.stderr.write(`    ${s.file}:${s.line} (byte ${s.offset})\n`);
      }
      if (skipped.length > SKIPPED_LISTED) {
        process.stderr.write(`    … +${skipped.length - SKIPPED_LISTED}\n`);
      }
    }
    if (args.flags.has('verify') && tail === 'anchor-unreadable') {
      process.stderr.write(
        'Không kiểm tra được phần cuối nhật ký / the end of the journal could not be checked: ' +
          'its tail anchor is damaged (the agent rewrites it on its next record)\n',
      );
    }
    return chainBroken ? 1 : 0;
  },
};
