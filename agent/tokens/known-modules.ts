/**
 * Where PKCS#11 modules usually live, per OS (agent/platform). Only paths that exist are loaded. Vendor
 * token modules found through the device database are added by agent/devices.
 */
import { existsSync, realpathSync } from 'node:fs';
import { currentModuleSearchPaths } from '../platform/index.ts';

/** Known module paths present on this machine; one path per library file (symlinks resolved). */
export function findInstalledModules(platform: NodeJS.Platform = process.platform): string[] {
  const byRealPath = new Map<string, string>();
  for (const path of currentModuleSearchPaths(platform)) {
    if (!existsSync(path)) continue;
    const real = realpathSync(path);
    if (!byRealPath.has(real)) byRealPath.set(real, path);
  }
  return [...byRealPath.values()];
}
