/** FrameMeter and MemoryBudget on hand-made frames: split headers, lengths, fragments, refusals. */
import { describe, expect, it } from 'vitest';
import { MemoryBudget } from './budget.ts';
import { FrameMeter, type FrameRefusal } from './frames.ts';

function frame(opcode: number, length: number, fin = true, masked = true): Buffer {
  const ext = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const header = Buffer.alloc(2 + ext + (masked ? 4 : 0));
  header[0] = (fin ? 0x80 : 0) | opcode;
  header[1] = (masked ? 0x80 : 0) | (ext === 0 ? length : ext === 2 ? 126 : 127);
  if (ext === 2) header.writeUInt16BE(length, 2);
  if (ext === 8) header.writeBigUInt64BE(BigInt(length), 2);
  return Buffer.concat([header, Buffer.alloc(length, 0x20)]);
}

function meter(cap: number, budget = new MemoryBudget(1 << 30)) {
  const refusals: Array<{ why: FrameRefusal; bytes: number }> = [];
  const m = new FrameMeter({
    cap: () => cap,
    reserve: (bytes) => budget.tryReserve(bytes),
    refuse: (why, bytes) => refusals.push({ why, bytes }),
  });
  return { m, refusals, budget };
}

describe('FrameMeter', () => {
  it('counts messages of every length form, fed one byte at a time', () => {
    const { m, refusals, budget } = meter(1 << 20);
    const bytes = Buffer.concat([frame(1, 5), frame(1, 300), frame(2, 70_000), frame(9, 3)]);
    for (let i = 0; i < bytes.length; i++) m.feed(bytes.subarray(i, i + 1));
    expect(refusals).toEqual([]);
    expect([1, 2, 3].map(() => m.takeMessage()?.map((r) => r.bytes))).toEqual([
      [5],
      [300],
      [70_000],
    ]);
    expect(m.takeMessage()).toBeNull(); // the ping is no message
    expect(budget.inUse).toBe(70_305);
  });

  it('sums fragments and refuses at the header that crosses the cap', () => {
    const { m, refusals } = meter(1000);
    m.feed(Buffer.concat([frame(1, 600, false), frame(9, 0), frame(0, 600, true)]));
    expect(refusals).toEqual([{ why: 'too-large', bytes: 1200 }]);
    expect(m.refused).toBe(true);
  });

  it('refuses a 64-bit length once its header (with mask) is in, before any payload', () => {
    const { m, refusals } = meter(8192);
    const header = frame(1, 0);
    header[1] = 0x80 | 127;
    const big = Buffer.concat([
      header.subarray(0, 2),
      Buffer.from([0, 0, 0, 0, 3, 0xc0, 0, 0, 1, 2, 3, 4]),
    ]);
    m.feed(big);
    expect(refusals).toEqual([{ why: 'too-large', bytes: 60 * 1024 * 1024 }]);
  });

  it("after a refusal skips the refused payload and reports the peer's close frame", () => {
    let closed = 0;
    const refusals: FrameRefusal[] = [];
    const m = new FrameMeter({
      cap: () => 100,
      reserve: () => ({ bytes: 0, release: () => undefined }),
      refuse: (why) => refusals.push(why),
      peerClosed: () => closed++,
    });
    m.feed(Buffer.concat([frame(1, 5000), frame(1, 10), frame(8, 2)]));
    expect(refusals).toEqual(['too-large']);
    expect(closed).toBe(1);
  });

  it('refuses when the budget is full and releases everything on dispose', () => {
    const budget = new MemoryBudget(1000);
    const { m, refusals } = meter(10_000, budget);
    m.feed(frame(1, 600));
    expect(budget.inUse).toBe(600);
    m.feed(frame(1, 600));
    expect(refusals).toEqual([{ why: 'busy', bytes: 600 }]);
    m.dispose();
    expect(budget.inUse).toBe(0);
  });
});

describe('MemoryBudget', () => {
  it('keeps headroom for small reservations and refuses with AGENT_BUSY', () => {
    const budget = new MemoryBudget(1000, { headroom: 200, smallBytes: 50 });
    const big = budget.reserve(800);
    expect(budget.tryReserve(100)).toBeNull(); // big ones stop at limit - headroom
    const small = budget.reserve(50); // small ones may use the headroom
    expect(() => budget.reserve(500)).toThrow(expect.objectContaining({ code: 'AGENT_BUSY' }));
    big.release();
    big.release(); // idempotent
    small.release();
    expect(budget.inUse).toBe(0);
    expect(budget.peak).toBe(850);
  });
});

describe('pageDetails', () => {
  it('drops internal keys and local paths, keeps what a page needs', async () => {
    const { pageDetails } = await import('./jsonrpc.ts');
    const { details, dropped } = pageDetails({
      modulePath: '/usr/lib/x.so',
      signal: 'SIGABRT',
      stderr: 'boom',
      exitCode: 134,
      reason: 'cannot open /home/an/.config/kyso/x.json',
      windows: 'C:\\Program Files\\Vendor\\p11.dll',
      pdf: 'missing /Root/Pages',
      field: 'documents[1].name',
      limit: 'inFlight',
      max: 32,
      nested: { path: '/tmp/a', ok: 1 },
    });
    expect(details).toEqual({
      pdf: 'missing /Root/Pages',
      field: 'documents[1].name',
      limit: 'inFlight',
      max: 32,
      nested: { ok: 1 },
    });
    expect(dropped.sort()).toEqual([
      'exitCode',
      'modulePath',
      'reason',
      'signal',
      'stderr',
      'windows',
    ]);
  });
});
