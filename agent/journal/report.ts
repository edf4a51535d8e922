/** Words for a journal tail loss (anchor.ts), shared by `kyso journal` and the agent's log. */
import type { TailLoss } from './anchor.ts';

const WHEN = {
  start: 'found when the agent started',
  running: 'found while the agent ran (the file changed under it)',
  now: 'found now; the agent journals it when it next starts',
};

const HOW: Record<TailLoss['problem'], string> = {
  cut: 'the file is shorter than what the agent wrote: records cut off its end',
  rewritten: 'the bytes the agent wrote last were changed (cut, then written over)',
  appended: 'bytes the agent did not write were added after its last record',
  'missing-file': 'the current journal file was deleted',
};

/** One line: which file, from which line and byte the records are missing or broken. */
export function tailLossText(loss: TailLoss, noticed: 'start' | 'running' | 'now'): string {
  const what =
    loss.problem === 'appended'
      ? 'không phải do agent ghi / foreign data'
      : 'mất bản ghi / records missing or broken';
  return (
    `Nhật ký ký số bị cắt hoặc sửa / signing journal damaged: ${loss.file} — ${what} ` +
    `từ dòng / from line ${loss.line} (byte ${loss.offset}); ${HOW[loss.problem]} ` +
    `(${loss.foundBytes} bytes found, ${loss.expectedBytes} written), ${WHEN[noticed]}. ` +
    'Các bản ghi nguyên vẹn vẫn được giữ / intact records are kept; keep a copy of the file ' +
    'and check who else can write to the journal folder.'
  );
}
