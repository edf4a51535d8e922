/** Shapes of the device database (devices.json) and of recognised devices. */

export type OsName = 'windows' | 'linux' | 'macos';
export type Arch = 'x64' | 'ia32' | 'arm64';

export const OS_NAMES: readonly OsName[] = ['windows', 'linux', 'macos'];
export const ARCHES: readonly Arch[] = ['x64', 'ia32', 'arm64'];

export interface LocalisedHint {
  vi: string;
  en: string;
}

/** A PKCS#11 library (vendor middleware) and where it installs on each OS and architecture. */
export interface ModuleEntry {
  id: string;
  vendor: string;
  product: string;
  /**
   * verified: documented by the vendor or widely used with this path;
   * reported: file name seen in integrators' lists, not confirmed by the vendor.
   */
  certainty: 'verified' | 'reported';
  /** Absolute paths, preferred first. Windows paths may use %SystemRoot%, %ProgramFiles%, %ProgramFiles(x86)%. */
  files: Partial<Record<OsName, Partial<Record<Arch, string[]>>>>;
  /** What to install when no file of this module is present. */
  install: LocalisedHint;
}

export interface UsbId {
  /** 4 lowercase hex digits. */
  vid: string;
  /** 4 lowercase hex digits, or "*" for any product of this vendor. */
  pid: string;
}

export interface AtrPattern {
  /** ATR bytes, lowercase hex without separators. */
  value: string;
  /** Optional AND-mask of the same length (OpenSC style). */
  mask?: string;
}

export interface DeviceEntry {
  id: string;
  vendor: string;
  model: string;
  kind: 'token' | 'reader';
  usb: UsbId[];
  atr: AtrPattern[];
  /** Module ids (in `modules`) that can drive it, preferred first. */
  modules: string[];
  notes?: string;
}

export interface DeviceDatabase {
  version: 1;
  modules: ModuleEntry[];
  devices: DeviceEntry[];
}

/** A USB device seen on the bus (from the usb package or a test source). */
export interface UsbDeviceRef {
  vid: string;
  pid: string;
  /** Bus and address, when known; used to pair attach and detach. */
  busNumber?: number;
  deviceAddress?: number;
}

/** A module file that exists (or not) on this machine. */
export interface ModuleCandidate {
  module: ModuleEntry;
  path: string;
  exists: boolean;
}

/** A plugged-in device matched against the database, with whether a module for it is installed. */
export interface RecognisedDevice {
  usb: UsbDeviceRef;
  device: DeviceEntry;
  /** First installed module file for this device, if any. */
  installedModule?: { moduleId: string; path: string };
  /** Set when no module is installed: what to install (first listed module's hint). */
  install?: LocalisedHint & { moduleId: string; product: string };
}
