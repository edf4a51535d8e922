import { describe, expect, it } from 'vitest';
import { isKysoError } from '../errors/index.ts';
import { ConsentQueue } from './index.ts';

const live = new AbortController().signal;
const A = 'https://a.example';
const B = 'https://b.example';

/** A dialog the test answers by hand. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

const codeOf = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'ok',
    (error: unknown) => (isKysoError(error) ? error.code : String(error)),
  );

describe('ConsentQueue per origin', () => {
  it('caps waiting requests per origin with CONSENT_QUEUE_FULL; other origins unaffected', async () => {
    const queue = new ConsentQueue({ maxPendingPerOrigin: 2 });
    const first = gate();
    const shown = queue.run(live, () => first.promise, { origin: A });
    const waiting = [1, 2].map(() => queue.run(live, () => Promise.resolve(), { origin: A }));
    const over = queue.run(live, () => Promise.resolve(), { origin: A });
    expect(await codeOf(over)).toBe('CONSENT_QUEUE_FULL');
    const other = queue.run(live, () => Promise.resolve(), { origin: B });
    first.open();
    await shown;
    expect(await Promise.all([...waiting, other].map(codeOf))).toEqual(['ok', 'ok', 'ok']);
  });

  it('takes turns between origins: a newcomer is next after the dialog shown', async () => {
    const queue = new ConsentQueue({ maxPendingPerOrigin: 10 });
    const order: string[] = [];
    const step = (name: string) => async () => {
      order.push(name);
      await new Promise((r) => setTimeout(r, 5));
    };
    const all = [1, 2, 3, 4].map((i) => queue.run(live, step(`a${i}`), { origin: A }));
    await new Promise((r) => setTimeout(r, 1)); // a1 is shown
    all.push(
      queue.run(live, step('b1'), { origin: B }),
      queue.run(live, step('b2'), { origin: B }),
    );
    await Promise.all(all);
    expect(order).toEqual(['a1', 'b1', 'a2', 'b2', 'a3', 'a4']);
  });

  it('cancelWaiting ends an origin’s waiting requests without running them', async () => {
    const queue = new ConsentQueue();
    const first = gate();
    const ran: string[] = [];
    const shown = queue.run(live, () => first.promise, { origin: A });
    const rest = [1, 2, 3].map((i) =>
      queue.run(live, async () => void ran.push(`a${i}`), { origin: A }),
    );
    const b = queue.run(live, async () => void ran.push('b'), { origin: B });
    const codes = Promise.all(rest.map(codeOf));
    expect(queue.cancelWaiting(A)).toBe(3);
    first.open();
    await shown;
    await b;
    expect(await codes).toEqual(['USER_CANCELLED', 'USER_CANCELLED', 'USER_CANCELLED']);
    expect(ran).toEqual(['b']);
  });

  it('an abort while the dialog is shown is a dismissal; two start the refusal memory', async () => {
    let now = 1_000_000;
    const queue = new ConsentQueue({ now: () => now, refusalMemoryMs: 60_000 });
    const dismiss = async (): Promise<string> => {
      const controller = new AbortController();
      const shown = queue.run(
        controller.signal,
        () =>
          new Promise<void>((_, reject) =>
            controller.signal.addEventListener('abort', () => reject(new Error('closed'))),
          ),
        { origin: A },
      );
      controller.abort();
      return codeOf(shown);
    };
    await dismiss();
    expect(queue.memory.retryAfterMs(A)).toBeNull();
    await dismiss();
    expect(queue.memory.retryAfterMs(A)).toBe(60_000);
    const refused = queue.run(live, () => Promise.resolve(), { origin: A });
    await expect(refused).rejects.toMatchObject({
      code: 'ORIGIN_NOT_ALLOWED',
      details: { retryAfterMs: 60_000 },
    });
    // Aborted while only waiting: not a dismissal.
    expect(await codeOf(queue.run(live, () => Promise.resolve(), { origin: B }))).toBe('ok');
    now += 60_001;
    expect(await codeOf(queue.run(live, () => Promise.resolve(), { origin: A }))).toBe('ok');
  });

  it('requests without an origin have no cap (tray, command line)', async () => {
    const queue = new ConsentQueue({ maxPendingPerOrigin: 1 });
    const all = [1, 2, 3, 4].map(() => queue.run(live, () => Promise.resolve(1)));
    expect(await Promise.all(all)).toEqual([1, 1, 1, 1]);
  });
});
