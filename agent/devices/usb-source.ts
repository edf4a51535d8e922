/**
 * USB attach/detach events from the `usb` package (2.x: its prebuilt libusb binding works on
 * Linux, Windows and macOS; 3.x dropped the event API). Loaded lazily and guarded: a machine
 * without /sys/bus/usb (containers, some VMs) or without a loadable binary gets `null`, and the
 * caller falls back to slot polling instead of crashing.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { UsbDeviceRef } from './types.ts';
import { normaliseUsbId } from './database.ts';

export interface UsbEventSource {
  /** Devices on the bus now. */
  list(): UsbDeviceRef[];
  onAttach(listener: (device: UsbDeviceRef) => void): () => void;
  onDetach(listener: (device: UsbDeviceRef) => void): () => void;
  close(): void;
}

/** The part of the usb package's Device we read. */
interface NativeDevice {
  busNumber: number;
  deviceAddress: number;
  deviceDescriptor: { idVendor: number; idProduct: number };
}

interface NativeUsbModule {
  getDeviceList(): NativeDevice[];
  usb: {
    on(event: 'attach' | 'detach', listener: (device: NativeDevice) => void): void;
    off(event: 'attach' | 'detach', listener: (device: NativeDevice) => void): void;
    unrefHotplugEvents?: () => void;
  };
}

function toRef(device: NativeDevice): UsbDeviceRef {
  return {
    vid: normaliseUsbId(device.deviceDescriptor.idVendor),
    pid: normaliseUsbId(device.deviceDescriptor.idProduct),
    busNumber: device.busNumber,
    deviceAddress: device.deviceAddress,
  };
}

export interface UsbSourceResult {
  source: UsbEventSource | null;
  /** Why there is no source (for kyso doctor), when source is null. */
  reason?: string;
}

export function openUsbEventSource(
  options: { sysBusUsb?: string; load?: () => NativeUsbModule } = {},
): UsbSourceResult {
  const sysBusUsb = options.sysBusUsb ?? '/sys/bus/usb';
  if (process.platform === 'linux' && !existsSync(sysBusUsb)) {
    return {
      source: null,
      reason: `${sysBusUsb} does not exist (no USB bus visible to this system)`,
    };
  }
  let native: NativeUsbModule;
  try {
    native = options.load
      ? options.load()
      : (createRequire(import.meta.url)('usb') as NativeUsbModule);
    native.getDeviceList();
  } catch (error) {
    return {
      source: null,
      reason: `usb module unavailable: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  const subscriptions: { event: 'attach' | 'detach'; fn: (d: NativeDevice) => void }[] = [];
  const subscribe = (event: 'attach' | 'detach', listener: (d: UsbDeviceRef) => void) => {
    const fn = (d: NativeDevice) => listener(toRef(d));
    native.usb.on(event, fn);
    // Hot-plug events must not keep the process alive on their own.
    native.usb.unrefHotplugEvents?.();
    subscriptions.push({ event, fn });
    return () => {
      native.usb.off(event, fn);
      const i = subscriptions.findIndex((s) => s.fn === fn);
      if (i >= 0) subscriptions.splice(i, 1);
    };
  };
  return {
    source: {
      list: () => native.getDeviceList().map(toRef),
      onAttach: (l) => subscribe('attach', l),
      onDetach: (l) => subscribe('detach', l),
      close: () => {
        for (const s of subscriptions.splice(0)) native.usb.off(s.event, s.fn);
      },
    },
  };
}

/** An event source driven by code: tests and umockdev-less environments plug devices with it. */
export class ManualUsbSource implements UsbEventSource {
  private readonly present: UsbDeviceRef[] = [];
  private readonly attach = new Set<(d: UsbDeviceRef) => void>();
  private readonly detach = new Set<(d: UsbDeviceRef) => void>();

  list(): UsbDeviceRef[] {
    return [...this.present];
  }
  onAttach(listener: (d: UsbDeviceRef) => void): () => void {
    this.attach.add(listener);
    return () => this.attach.delete(listener);
  }
  onDetach(listener: (d: UsbDeviceRef) => void): () => void {
    this.detach.add(listener);
    return () => this.detach.delete(listener);
  }
  plug(device: UsbDeviceRef): void {
    this.present.push(device);
    for (const l of this.attach) l(device);
  }
  unplug(device: UsbDeviceRef): void {
    const i = this.present.findIndex((d) => sameDevice(d, device));
    if (i >= 0) this.present.splice(i, 1);
    for (const l of this.detach) l(device);
  }
  close(): void {
    this.attach.clear();
    this.detach.clear();
  }
}

export function sameDevice(a: UsbDeviceRef, b: UsbDeviceRef): boolean {
  if (a.busNumber !== undefined && b.busNumber !== undefined) {
    return a.busNumber === b.busNumber && a.deviceAddress === b.deviceAddress;
  }
  return a.vid === b.vid && a.pid === b.pid;
}
