/**
 * A call made right after the hang watchdog killed a module's host, before the host's exit is
 * handled: it must wait for the restarted host and succeed, not go to the dying one.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenHost } from '../agent/tokens/host-process.ts';
import { buildCrashingModule, type CrashingModule } from './crashing-module.ts';

const CALL_TIMEOUT_MS = 1500;

let crashing: CrashingModule;
let host: TokenHost;

beforeAll(async () => {
  crashing = buildCrashingModule('kyso-hang-restart-');
  host = new TokenHost({
    modulePath: crashing.modulePath,
    env: crashing.env,
    callTimeoutMs: CALL_TIMEOUT_MS,
    onStatus: () => undefined,
  });
  await host.start();
});

afterAll(async () => {
  await host.close();
  rmSync(crashing.dir, { recursive: true, force: true });
});

describe('the hang watchdog and calls made while it restarts the host', () => {
  it('a call issued between the kill and the exit goes to the restarted host', async () => {
    crashing.setMode('hang');
    const next = await host.call('listSlots', { refreshIfStale: false }).then(
      () => {
        throw new Error('the hung call answered');
      },
      (error: unknown) => {
        // Still inside the watchdog's turn: the killed host has not exited yet.
        expect(error).toMatchObject({ code: 'MODULE_TIMEOUT' });
        crashing.setMode('ok');
        return { during: host.call('listSlots', { refreshIfStale: false }) };
      },
    );
    const slots = await next.during;
    expect(slots.map((slot) => slot.token?.label.trim())).toContain('KYSO CRASH TEST');
    expect(host.status.state).toBe('loaded');
  });

  it('a call issued later works as usual', async () => {
    expect(await host.call('isLoggedIn', { slotId: '0' })).toBe(false);
  });
});
