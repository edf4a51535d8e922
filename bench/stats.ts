/** Small helpers shared by the benchmarks: percentiles, timing and a printed table. */
export function percentile(sortedMs: number[], p: number): number {
  if (sortedMs.length === 0) return NaN;
  const index = Math.min(sortedMs.length - 1, Math.ceil((p / 100) * sortedMs.length) - 1);
  return sortedMs[Math.max(0, index)] ?? NaN;
}

export interface RunFigures {
  p50: number;
  p95: number;
  perSecond: number;
}

/** Runs `total` operations with `inFlight` workers; per-operation latency and throughput. */
export async function measure(
  total: number,
  inFlight: number,
  operation: (i: number, worker: number) => Promise<unknown>,
): Promise<RunFigures> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async (_, worker) => {
      while (next < total) {
        const i = next++;
        const t0 = performance.now();
        await operation(i, worker);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = performance.now() - started;
  latencies.sort((a, b) => a - b);
  return {
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    perSecond: (total / elapsed) * 1000,
  };
}

export function printTable(title: string, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    '| ' + cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ') + ' |';
  process.stdout.write(`\n${title}\n`);
  process.stdout.write(line(header) + '\n');
  process.stdout.write('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|\n');
  for (const row of rows) process.stdout.write(line(row) + '\n');
}

export const ms = (value: number) => value.toFixed(2);
export const ratio = (value: number) => `${value.toFixed(2)}x`;
