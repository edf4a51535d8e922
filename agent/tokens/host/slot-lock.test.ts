import { describe, expect, it } from 'vitest';
import { SlotLock } from './slot-lock.ts';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('SlotLock', () => {
  it('runs shared operations side by side up to the limit, exclusive ones alone, in order', async () => {
    const lock = new SlotLock(2);
    const log: string[] = [];
    let running = 0;
    let most = 0;
    const op = (name: string) => async () => {
      running++;
      most = Math.max(most, running);
      log.push(`start ${name}`);
      await tick();
      log.push(`end ${name}`);
      running--;
    };
    await Promise.all([
      lock.run(false, op('s1')),
      lock.run(false, op('s2')),
      lock.run(false, op('s3')),
      lock.run(true, op('x1')),
      lock.run(false, op('s4')),
    ]);
    expect(most).toBe(2);
    // x1 starts only when every earlier shared one ended, and s4 waits for x1 (no overtaking).
    const at = (entry: string) => log.indexOf(entry);
    expect(at('start x1')).toBeGreaterThan(at('end s3'));
    expect(at('start s4')).toBeGreaterThan(at('end x1'));
    expect(lock.busy).toBe(false);
  });

  it('a failing operation releases the lock and rejects only its caller', async () => {
    const lock = new SlotLock(1);
    const failed = lock.run(true, () => {
      throw new Error('boom');
    });
    const next = lock.run(true, () => 42);
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe(42);
  });
});
