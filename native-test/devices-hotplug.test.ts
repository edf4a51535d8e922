/**
 * Hot-plug end to end on SoftHSM2: a token "removed" by moving its store out of the token
 * directory (and "inserted" by moving it back) is seen by the real token service within 2 s,
 * triggered by a USB event from an injected source, or by slot polling without one.
 */
import { readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualUsbSource, startHotplug, type HotplugWatcher } from '../agent/devices/index.ts';
import { startTokenService, type TokenService } from '../agent/tokens/index.ts';
import type { TokenEvent } from '../agent/tokens/types.ts';
import { copyTestPki, type TestPki } from './pki.ts';

let pki: TestPki;
let service: TokenService;
let watcher: HotplugWatcher | undefined;
const events: TokenEvent[] = [];

beforeEach(async () => {
  pki = copyTestPki();
  // No polling of its own: only our hot-plug trigger may notice the change.
  service = await startTokenService({
    modules: [pki.modulePath],
    env: { SOFTHSM2_CONF: pki.softhsm2Conf },
    pollIntervalMs: 0,
  });
  events.length = 0;
  service.onEvent((e) => events.push(e));
});

afterEach(async () => {
  watcher?.close();
  watcher = undefined;
  await service.close();
});

/** Moves the first token store out of (or back into) the token directory. */
function storeMover() {
  const tokens = join(pki.dir, 'tokens');
  const [name] = readdirSync(tokens);
  if (!name) throw new Error('no token store');
  return {
    unplug: () => renameSync(join(tokens, name), join(pki.dir, name)),
    plug: () => renameSync(join(pki.dir, name), join(tokens, name)),
  };
}

async function waitForChange(kind: 'added' | 'removed', since: number): Promise<number> {
  const deadline = Date.now() + 2000;
  while (Date.now() < deadline) {
    const hit = events.find((e) => e.type === 'tokens.changed' && e[kind].length > 0);
    if (hit) return Date.now() - since;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no tokens.changed with ${kind} within 2 s`);
}

describe('hot-plug on SoftHSM2', () => {
  it('sees removal and insertion within 2 s after USB events', async () => {
    const usb = new ManualUsbSource();
    const device = { vid: '096e', pid: '0807', busNumber: 1, deviceAddress: 7 };
    usb.plug(device);
    watcher = startHotplug({ tokens: service, source: usb });
    const before = (await service.listTokens()).length;
    const store = storeMover();

    let t0 = Date.now();
    store.unplug();
    usb.unplug(device);
    const removedAfter = await waitForChange('removed', t0);
    // Read the count from the event: a listTokens() here would rescan while the store is away,
    // and SoftHSM2 then only sees the store again after a re-initialisation the token
    // service does not yet do on request (reported to the token service owner).
    const removal = events.find((e) => e.type === 'tokens.changed');
    expect(removal?.type === 'tokens.changed' ? removal.tokens.length : -1).toBe(before - 1);

    events.length = 0;
    t0 = Date.now();
    store.plug();
    usb.plug(device);
    const addedAfter = await waitForChange('added', t0);
    expect((await service.listTokens()).length).toBe(before);
    expect(removedAfter).toBeLessThan(2000);
    expect(addedAfter).toBeLessThan(2000);
  });

  it('without a USB source, slot polling sees removal and insertion within 2 s', async () => {
    watcher = startHotplug({ tokens: service, source: null, pollIntervalMs: 500 });
    expect(watcher.mode).toBe('polling');
    await service.listTokens();
    const store = storeMover();
    let t0 = Date.now();
    store.unplug();
    expect(await waitForChange('removed', t0)).toBeLessThan(2000);
    events.length = 0;
    t0 = Date.now();
    store.plug();
    expect(await waitForChange('added', t0)).toBeLessThan(2000);
  });

  it('drops the certificates of a removed token', async () => {
    const usb = new ManualUsbSource();
    watcher = startHotplug({ tokens: service, source: usb });
    const before = await service.listCertificates();
    const store = storeMover();
    store.unplug();
    usb.unplug({ vid: '096e', pid: '0807' });
    await waitForChange('removed', Date.now());
    const after = await service.listCertificates();
    expect(after.length).toBe(before.length - 1);
    store.plug();
  });
});
