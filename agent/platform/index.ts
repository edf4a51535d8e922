/**
 * OS-specific locations (config, journal, logs, PKCS#11 module search paths). The pure
 * functions take (platform, env, arch); the `current*` helpers bind them to this process.
 */
import { homedir } from 'node:os';
import { configDir, filesIn, moduleSearchPaths, type Env } from './paths.ts';
export {
  asDiskFull,
  assertDiskSpace,
  DEFAULT_DISK_RESERVE_BYTES,
  freeBytesAt,
  isDiskFull,
  type DiskNeed,
  type FreeSpaceProbe,
} from './disk-space.ts';
export { writeFully } from './write-fully.ts';

export {
  configDir,
  envValue,
  expandWindowsEnv,
  filesIn,
  homeDir,
  moduleSearchPaths,
  type Env,
  type KysoFiles,
} from './paths.ts';

/** process.env, with the home directory filled in from the OS when the variable is unset. */
function processEnv(): Env {
  const homeVar = process.platform === 'win32' ? 'USERPROFILE' : 'HOME';
  return process.env[homeVar] ? process.env : { ...process.env, [homeVar]: homedir() };
}

/** This machine's config directory (KYSO_CONFIG_DIR overrides). */
export function currentConfigDir(): string {
  return configDir(process.platform, processEnv());
}

/** PKCS#11 module paths worth trying on this machine (they may not exist). */
export function currentModuleSearchPaths(platform: NodeJS.Platform = process.platform): string[] {
  return moduleSearchPaths(platform, process.env, process.arch);
}

/** Files inside a config directory, with this OS's separators. */
export function currentFilesIn(dir: string): ReturnType<typeof filesIn> {
  return filesIn(process.platform, dir);
}
