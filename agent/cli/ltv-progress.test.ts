import { afterEach, describe, expect, it, vi } from 'vitest';
import { printLtvProgress } from './token-context.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('kyso sign while a TSA is asked (issue 14)', () => {
  it('prints the bilingual line per attempt, and the retry delay', () => {
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    printLtvProgress({
      document: 'a.pdf',
      step: 'signature-timestamp',
      progress: { state: 'sending', attempt: 1, tries: 3 },
    });
    printLtvProgress({
      document: 'a.pdf',
      step: 'signature-timestamp',
      progress: { state: 'waiting', attempt: 1, tries: 3, delayMs: 2000, problem: 'HTTP 503' },
    });
    printLtvProgress({
      document: 'a.pdf',
      step: 'signature-timestamp',
      progress: { state: 'queued', attempt: 2, tries: 3 },
    });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe('Đang lấy dấu thời gian… / Getting a timestamp… (a.pdf, 1/3)\n');
    expect(lines[1]).toMatch(/retrying in 2 s \(HTTP 503\)/);
  });
});
