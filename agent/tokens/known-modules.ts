/**
 * Where PKCS#11 modules usually live, per OS. Only paths that exist are loaded. Vendor
 * token modules found through the device database are added by agent/devices.
 */
import { existsSync, realpathSync } from 'node:fs';

const knownPaths: Record<string, string[]> = {
  linux: [
    '/usr/lib/softhsm/libsofthsm2.so',
    '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
    '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so',
    '/usr/local/lib/softhsm/libsofthsm2.so',
    '/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so',
    '/usr/lib/aarch64-linux-gnu/opensc-pkcs11.so',
  ],
  darwin: [
    '/opt/homebrew/lib/softhsm/libsofthsm2.so',
    '/usr/local/lib/softhsm/libsofthsm2.so',
    '/Library/OpenSC/lib/opensc-pkcs11.so',
  ],
  win32: [
    'C:\\SoftHSM2\\lib\\softhsm2-x64.dll',
    'C:\\Program Files\\OpenSC Project\\OpenSC\\pkcs11\\opensc-pkcs11.dll',
  ],
};

function knownModulePaths(platform: NodeJS.Platform = process.platform): string[] {
  return knownPaths[platform] ?? [];
}

/** Known module paths present on this machine; one path per library file (symlinks resolved). */
export function findInstalledModules(platform: NodeJS.Platform = process.platform): string[] {
  const byRealPath = new Map<string, string>();
  for (const path of knownModulePaths(platform)) {
    if (!existsSync(path)) continue;
    const real = realpathSync(path);
    if (!byRealPath.has(real)) byRealPath.set(real, path);
  }
  return [...byRealPath.values()];
}
