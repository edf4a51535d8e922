/** `kyso journal`: prints the signing journal (who signed what, from which website). */
import { configPaths, defaultConfigDir, loadConfig } from '../../config/index.ts';
import { dirname } from 'node:path';
import { KysoError } from '../../errors/index.ts';
import { formatTime } from '../../protocol/index.ts';
import { readJournal } from '../../journal/index.ts';
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

const RESULT = { signed: 'ĐÃ KÝ/signed', refused: 'TỪ CHỐI/refused', failed: 'LỖI/failed' };

export const journalCommand: Command = {
  name: 'journal',
  summary: 'Show the signing journal (who signed what, from where)',
  help: `kyso journal [--since 2026-11-01|7d|12h|30m] [--verify] [--config FILE] [--json]

Prints every signing request the agent handled: time, website, certificate, documents
(names and hashes), result and error code. Torn lines from a crash are skipped and counted.
Records are hash-chained: --verify checks the chain and exits with 1 when a record in the
middle was edited or removed.`,
  options: { values: ['since', 'config'], flags: ['verify'] },
  async run(args) {
    const configFile = args.get('config') ?? configPaths(defaultConfigDir()).config;
    const config = loadConfig(configFile);
    const file = configPaths(dirname(configFile)).journal;
    const sinceText = args.get('since');
    const since = sinceText === undefined ? undefined : parseSince(sinceText);
    const { records, skipped, chain } = await readJournal(file, {
      ...(since ? { since } : {}),
      keepFiles: config.journal.keepFiles,
    });
    const chainBroken = args.flags.has('verify') && chain.breaks.length > 0;
    if (args.flags.has('json')) {
      process.stdout.write(
        JSON.stringify({ ok: !chainBroken, file, records, skipped, chain }, null, 2) + '\n',
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
    if (args.flags.has('verify')) {
      if (chainBroken) {
        for (const b of chain.breaks) {
          process.stderr.write(
            `Chuỗi băm bị đứt / hash chain broken: ${b.file}:${b.line} — bản ghi trước đó đã bị sửa hoặc xóa / the record before it was edited or removed\n`,
          );
        }
      } else {
        process.stdout.write(
          `Chuỗi băm nguyên vẹn / hash chain intact (${chain.checked} liên kết / links checked)\n`,
        );
      }
    }
    if (skipped.length > 0) {
      process.stderr.write(
        `Bỏ qua ${skipped.length} dòng hỏng (ghi dở khi mất điện?) / skipped ${skipped.length} torn line(s)\n`,
      );
    }
    return chainBroken ? 1 : 0;
  },
};
