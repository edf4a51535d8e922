import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ManualUsbSource,
  openUsbEventSource,
  startHotplug,
  type DeviceEvent,
  type HotplugWatcher,
  type Platform,
} from './index.ts';

const noModules: Platform = { os: 'linux', arch: 'x64', env: {}, exists: () => false };

/** A token service stand-in that counts rescans (the real one is exercised in native-test). */
function countingTokens(delayMs = 0) {
  const calls: number[] = [];
  const started = Date.now();
  return {
    calls,
    rescan: async () => {
      calls.push(Date.now() - started);
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      return [];
    },
  };
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

let watcher: HotplugWatcher | undefined;
afterEach(() => watcher?.close());

describe('hot-plug with an injected USB event source', () => {
  it('rescans once, debounced, shortly after a burst of attach events', async () => {
    const usb = new ManualUsbSource();
    const tokens = countingTokens();
    watcher = startHotplug({
      tokens,
      source: usb,
      platform: noModules,
      debounceMs: 50,
      followUpMs: 0,
    });
    expect(watcher.mode).toBe('usb');
    usb.plug({ vid: '096e', pid: '0807', busNumber: 1, deviceAddress: 5 });
    usb.plug({ vid: '1d6b', pid: '0002', busNumber: 1, deviceAddress: 6 });
    await wait(150);
    expect(tokens.calls).toHaveLength(1);
  });

  it('reports a known device without a module by name, with what to install', async () => {
    const usb = new ManualUsbSource();
    const events: DeviceEvent[] = [];
    watcher = startHotplug({
      tokens: countingTokens(),
      source: usb,
      platform: noModules,
      debounceMs: 10,
    });
    watcher.onEvent((e) => events.push(e));
    usb.plug({ vid: '0529', pid: '0620', busNumber: 2, deviceAddress: 3 });
    usb.plug({ vid: 'abcd', pid: '0001', busNumber: 2, deviceAddress: 4 });
    expect(events.map((e) => e.type)).toEqual(['device.attached', 'device.module-missing']);
    const missing = events[1];
    if (missing?.type !== 'device.module-missing') throw new Error('expected module-missing');
    expect(missing.device.device.model).toMatch(/eToken 5110/);
    expect(missing.device.install?.en).toMatch(/SafeNet Authentication Client/);
    expect(watcher.devices()).toHaveLength(1);
    usb.unplug({ vid: '0529', pid: '0620', busNumber: 2, deviceAddress: 3 });
    expect(events.at(-1)?.type).toBe('device.detached');
    expect(watcher.devices()).toHaveLength(0);
  });

  it('runs a follow-up rescan for slow middleware, and never two rescans at once', async () => {
    const usb = new ManualUsbSource();
    const tokens = countingTokens(80);
    watcher = startHotplug({
      tokens,
      source: usb,
      platform: noModules,
      debounceMs: 10,
      followUpMs: 200,
    });
    usb.plug({ vid: '096e', pid: '0807' });
    await wait(30);
    void watcher.rescanNow();
    void watcher.rescanNow();
    await wait(500);
    // debounced + one queued re-run (the two manual requests coalesce) + follow-up
    expect(tokens.calls.length).toBe(3);
    for (let i = 1; i < tokens.calls.length; i++) {
      expect((tokens.calls[i] ?? 0) - (tokens.calls[i - 1] ?? 0)).toBeGreaterThanOrEqual(75);
    }
  });

  it('asks for re-initialisation and a follow-up on attach, a single plain rescan on detach', async () => {
    const usb = new ManualUsbSource();
    const args: unknown[] = [];
    const tokens = {
      rescan: (options?: { reinitialize?: boolean }) => {
        args.push(options);
        return Promise.resolve([]);
      },
    };
    watcher = startHotplug({
      tokens,
      source: usb,
      platform: noModules,
      debounceMs: 10,
      followUpMs: 50,
    });
    usb.unplug({ vid: '096e', pid: '0807' });
    await wait(150);
    expect(args).toEqual([undefined]);
    usb.plug({ vid: '096e', pid: '0807' });
    await wait(150);
    expect(args).toEqual([undefined, { reinitialize: true }, undefined]);
  });

  it('reports a failing rescan as an event instead of throwing', async () => {
    const usb = new ManualUsbSource();
    const events: DeviceEvent[] = [];
    watcher = startHotplug({
      tokens: { rescan: () => Promise.reject(new Error('module crashed')) },
      source: usb,
      platform: noModules,
      debounceMs: 5,
      followUpMs: 0,
    });
    watcher.onEvent((e) => events.push(e));
    usb.plug({ vid: '096e', pid: '0807' });
    await wait(60);
    expect(events).toContainEqual({ type: 'rescan.failed', error: 'module crashed' });
  });

  it('lists devices already plugged in at start', () => {
    const usb = new ManualUsbSource();
    usb.plug({ vid: '072f', pid: '90cc' });
    watcher = startHotplug({ tokens: countingTokens(), source: usb, platform: noModules });
    expect(watcher.devices().map((d) => d.device.id)).toEqual(['acs-acr38']);
  });
});

describe('fallback to slot polling', () => {
  it('polls the token service when there is no USB source', async () => {
    const tokens = countingTokens();
    watcher = startHotplug({ tokens, source: null, platform: noModules, pollIntervalMs: 40 });
    expect(watcher.mode).toBe('polling');
    expect(watcher.reason).toBe('USB events disabled');
    await wait(190);
    expect(tokens.calls.length).toBeGreaterThanOrEqual(3);
  });

  it('does not open the usb package when /sys/bus/usb is missing on Linux', () => {
    if (process.platform !== 'linux') return;
    let loaded = false;
    const missing = join(mkdtempSync(join(tmpdir(), 'kyso-usb-')), 'no-bus');
    const result = openUsbEventSource({
      sysBusUsb: missing,
      load: () => {
        loaded = true;
        throw new Error('should not load');
      },
    });
    expect(result.source).toBeNull();
    expect(result.reason).toContain('does not exist');
    expect(loaded).toBe(false);
  });

  it('falls back when the native binding cannot load', () => {
    const result = openUsbEventSource({
      sysBusUsb: tmpdir(),
      load: () => {
        throw new Error('libusb missing');
      },
    });
    expect(result).toEqual({ source: null, reason: 'usb module unavailable: libusb missing' });
  });

  it('opens the real usb package where a bus exists, and subscribes without crashing', () => {
    const result = openUsbEventSource({ sysBusUsb: tmpdir() });
    expect(result.reason).toBeUndefined();
    const off = result.source?.onAttach(() => undefined);
    expect(Array.isArray(result.source?.list())).toBe(true);
    off?.();
    result.source?.close();
  });
});
