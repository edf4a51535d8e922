import { getEventListeners } from 'node:events';
import { expect, it } from 'vitest';
import { RequestSignals } from './request-signals.ts';

it('aborts open requests with the connection through one listener; settled ones are forgotten', () => {
  const connection = new AbortController();
  const requests = new RequestSignals(connection.signal);
  const settled = requests.begin();
  settled.done();
  const open = Array.from({ length: 50 }, () => requests.begin());
  expect(getEventListeners(connection.signal, 'abort')).toHaveLength(1);
  expect(requests.size).toBe(50);
  connection.abort(new Error('closed'));
  expect(open.every((r) => r.signal.aborted)).toBe(true);
  expect(settled.signal.aborted).toBe(false);
  expect(requests.size).toBe(0);
  // A request begun after the close starts aborted, and nothing is kept for it.
  const late = requests.begin();
  expect(late.signal.aborted).toBe(true);
  expect(requests.size).toBe(0);
});
