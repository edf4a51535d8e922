/**
 * Hot-plug: a USB attach/detach makes the token service rescan its slots at once (debounced,
 * then once more a little later because middleware and PC/SC need a moment to enumerate a new
 * reader). Without a USB event source, slots are polled instead. Either way insertion and
 * removal are seen well within 2 seconds, and devices we know but cannot drive are reported
 * with what to install.
 */
import type { TokenService } from '../tokens/index.ts';
import { currentPlatform, loadDeviceDatabase, recognise, type Platform } from './database.ts';
import type { DeviceDatabase, RecognisedDevice, UsbDeviceRef } from './types.ts';
import { openUsbEventSource, sameDevice, type UsbEventSource } from './usb-source.ts';

export type DeviceEvent =
  | { type: 'device.attached'; device: RecognisedDevice }
  | { type: 'device.detached'; device: RecognisedDevice }
  /** A known device whose module is not installed: tell the user what to install. */
  | { type: 'device.module-missing'; device: RecognisedDevice }
  | { type: 'rescan.failed'; error: string };

/**
 * What hot-plug needs from the token service. `reinitialize` asks modules that only enumerate
 * readers at C_Initialize to re-initialise (when nobody is logged in); services that do not
 * support it ignore the argument.
 */
export interface RescanTarget {
  rescan(options?: { reinitialize?: boolean }): Promise<unknown>;
}

export interface HotplugOptions {
  tokens: RescanTarget | Pick<TokenService, 'rescan'>;
  /** undefined: open the usb package; null: no USB events (polling only). */
  source?: UsbEventSource | null;
  db?: DeviceDatabase;
  platform?: Platform;
  /** Wait this long after the last USB event before rescanning (ms, default 150). */
  debounceMs?: number;
  /** Second rescan after a USB event, for slow middleware (ms after the first, default 700; 0 disables). */
  followUpMs?: number;
  /** Slot polling interval when there is no USB source (ms, default 1000; 0 disables). */
  pollIntervalMs?: number;
}

export interface HotplugWatcher {
  readonly mode: 'usb' | 'polling';
  /** Why USB events are unavailable, in polling mode. */
  readonly reason?: string;
  /** Recognised devices on the bus now. */
  devices(): RecognisedDevice[];
  onEvent(listener: (event: DeviceEvent) => void): () => void;
  /** Rescans now; resolves when the token service has re-read its slots. */
  rescanNow(): Promise<void>;
  close(): void;
}

export function startHotplug(options: HotplugOptions): HotplugWatcher {
  const db = options.db ?? loadDeviceDatabase();
  const platform = options.platform ?? currentPlatform();
  const debounceMs = options.debounceMs ?? 150;
  const followUpMs = options.followUpMs ?? 700;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  let reason: string | undefined;
  let source: UsbEventSource | null;
  if (options.source === undefined) {
    const opened = openUsbEventSource();
    source = opened.source;
    reason = opened.reason;
  } else {
    source = options.source;
    if (source === null) reason = 'USB events disabled';
  }

  const listeners = new Set<(event: DeviceEvent) => void>();
  const emit = (event: DeviceEvent) => {
    for (const l of listeners) l(event);
  };
  const present: RecognisedDevice[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;
  let running: Promise<void> | undefined;
  let again = false;

  const target = options.tokens as RescanTarget;
  let reinitialize = false;
  // One rescan at a time; a request during a rescan runs once more afterwards.
  const rescanNow = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        const wanted = reinitialize;
        reinitialize = false;
        try {
          await (wanted ? target.rescan({ reinitialize: true }) : target.rescan());
        } catch (error) {
          emit({
            type: 'rescan.failed',
            error: error instanceof Error ? error.message : String(error),
          });
        }
      } while (again && !closed);
    })().finally(() => {
      running = undefined;
    });
    return running;
  };

  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      if (!closed) fn();
    }, ms);
    t.unref();
    timers.add(t);
    return t;
  };

  let debounce: NodeJS.Timeout | undefined;
  let followUp = false;
  // The follow-up only serves attach events: after a detach, one scan is enough, and a second
  // one while the device is still gone would waste the module's re-initialisation.
  const scheduleRescan = (kind: 'attach' | 'detach') => {
    if (kind === 'attach') {
      followUp = true;
      reinitialize = true;
    }
    if (debounce) {
      clearTimeout(debounce);
      timers.delete(debounce);
    }
    debounce = later(debounceMs, () => {
      debounce = undefined;
      void rescanNow();
      if (followUp && followUpMs > 0) later(followUpMs, () => void rescanNow());
      followUp = false;
    });
  };

  const attached = (usb: UsbDeviceRef) => {
    const device = recognise(db, usb, platform);
    if (device) {
      present.push(device);
      emit({ type: 'device.attached', device });
      if (!device.installedModule) emit({ type: 'device.module-missing', device });
    }
    scheduleRescan('attach');
  };
  const detached = (usb: UsbDeviceRef) => {
    const i = present.findIndex((d) => sameDevice(d.usb, usb));
    if (i >= 0) {
      const [device] = present.splice(i, 1);
      if (device) emit({ type: 'device.detached', device });
    }
    scheduleRescan('detach');
  };

  const unsubscribe: (() => void)[] = [];
  if (source) {
    for (const usb of source.list()) {
      const device = recognise(db, usb, platform);
      if (device) present.push(device);
    }
    unsubscribe.push(source.onAttach(attached), source.onDetach(detached));
  } else if (pollIntervalMs > 0) {
    const poll = setInterval(() => void rescanNow(), pollIntervalMs);
    poll.unref();
    unsubscribe.push(() => clearInterval(poll));
  }

  return {
    mode: source ? 'usb' : 'polling',
    ...(reason !== undefined ? { reason } : {}),
    devices: () => [...present],
    onEvent: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    rescanNow,
    close: () => {
      closed = true;
      for (const u of unsubscribe) u();
      for (const t of timers) clearTimeout(t);
      timers.clear();
      if (options.source === undefined) source?.close();
      listeners.clear();
    },
  };
}
