/** Hot-plug detection and the device database (USB ids, ATRs, PKCS#11 modules per OS/arch). */
export type {
  Arch,
  AtrPattern,
  DeviceDatabase,
  DeviceEntry,
  LocalisedHint,
  ModuleCandidate,
  ModuleEntry,
  OsName,
  RecognisedDevice,
  UsbDeviceRef,
  UsbId,
} from './types.ts';
export { validateDeviceDatabase, archMismatch } from './schema.ts';
export {
  currentPlatform,
  expandWindowsPath,
  findDeviceByAtr,
  findDeviceByUsb,
  installedModulePaths,
  loadDeviceDatabase,
  moduleCandidates,
  modulePaths,
  modulesToLoad,
  normaliseUsbId,
  recognise,
  type Platform,
} from './database.ts';
export {
  ManualUsbSource,
  openUsbEventSource,
  sameDevice,
  type UsbEventSource,
  type UsbSourceResult,
} from './usb-source.ts';
export {
  startHotplug,
  type DeviceEvent,
  type HotplugOptions,
  type HotplugWatcher,
} from './hotplug.ts';
